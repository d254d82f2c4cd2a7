"""Every message a user can read has a French and an Arabic translation, placeholders intact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "hub_booking" / "locale"


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set[str]:
    """Messages extracted from the code and templates right now (not the committed .pot)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "N_", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_every_message_is_translated(source_messages, language):
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(source_messages - translated)
    assert not missing, f"untranslated in {language} (run `make i18n` and translate): {missing}"
    problems = [(m.id, err) for m, errors in catalog.check() for err in errors]
    assert not problems
