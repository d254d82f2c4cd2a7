"""One real server for the fuzzer: ``hub-booking serve`` on a fresh, seeded database.

The database is of the engine under test: a temporary SQLite file, or on PostgreSQL a new
database created and dropped around the module (as ``fresh_database_url`` does per test). The
demo data comes from ``hub-booking seed-demo`` and the API tokens from ``hub-booking
create-token``, as an operator would make them. ``fuzz_schema`` is the live OpenAPI document
loaded once per caller (the platform admin, then a member), sending that caller's token.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis

from tests.conftest import ENGINE, PG_SERVER, _admin, _with_db
from tests.fuzz.findings import Caller, Findings
from tests.servers import Server, create_tokens, run_cli, server_env

DEMO = "demo.hub-booking.ma"
# The member first: the admin's requests change more (hubs, memberships) for whoever follows.
CALLERS = {"member": f"member1@{DEMO}", "admin": f"admin@{DEMO}"}
SEED = 2027
REQUEST_TIMEOUT_S = 30
# Survey mode: every failing request is recorded instead of stopping each operation at its
# first failure, the findings are appended to this Markdown file, and the module fails at the end.
REPORT = os.environ.get("HUB_BOOKING_FUZZ_REPORT", "")


@dataclass(frozen=True)
class Target:
    """The running server and who may call it."""

    url: str
    callers: dict[str, Caller]
    server: Server


@pytest.fixture(autouse=True)
def _schemathesis_node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schemas read and rename ``Node._nodeid``, which pytest 9.2 no
    longer has; a plain attribute lets them run (their subtests still report each operation)."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture(scope="module")
def fuzz_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the engine under test for this module, dropped afterwards."""
    if ENGINE != "postgres":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz-db') / 'fuzz.sqlite3'}"
        return
    name = f"hub_booking_fuzz_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield _with_db(PG_SERVER, name)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def fuzz_target(
    fuzz_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The demo data seeded, tokens made for every caller, one server up."""
    root = tmp_path_factory.mktemp("fuzz")
    env = server_env(fuzz_database_url, root / "var", {"HUB_BOOKING_LANGUAGE": "en"})
    run_cli(["seed-demo"], env)
    tokens = create_tokens(list(CALLERS.values()), env, name="fuzz")
    with Server(env, root / "server.log") as server:
        callers = {
            role: Caller(role, tokens[email], _token_id(server.url, tokens[email]))
            for role, email in CALLERS.items()
        }
        yield Target(server.url, callers, server)


def _token_id(url: str, token: str) -> int:
    """The id of the caller's only token, as the API lists it."""
    listed = httpx.get(f"{url}/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    (only,) = listed.raise_for_status().json()["items"]
    return int(only["id"])


@pytest.fixture(params=list(CALLERS))
def fuzz_caller(request: pytest.FixtureRequest, fuzz_target: Target) -> Caller:
    return fuzz_target.callers[request.param]


@pytest.fixture
def fuzz_schema(fuzz_target: Target, fuzz_caller: Caller) -> schemathesis.BaseSchema:
    """The live OpenAPI document; every generated request carries the caller's token."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": fuzz_target.url,
            "request-timeout": REQUEST_TIMEOUT_S,
            "headers": {"Authorization": f"Bearer {fuzz_caller.token}", "Accept-Language": "en"},
            # Positive and negative (malformed) data; no example database, same cases each run.
            "generation": {"mode": "all", "deterministic": True, "database": "none"},
        }
    )
    return schemathesis.openapi.from_url(
        f"{fuzz_target.url}/schema/openapi.json", config=config, timeout=REQUEST_TIMEOUT_S
    )


@pytest.fixture(scope="module")
def fuzz_findings(fuzz_target: Target) -> Iterator[Findings]:
    """Every distinct failure of the module; in survey mode, written out and failed on at the end."""
    tokens = {caller.token: role for role, caller in fuzz_target.callers.items()}
    findings = Findings(ENGINE, tokens, survey=bool(REPORT))
    yield findings
    if not REPORT:
        return
    with Path(REPORT).open("a", encoding="utf-8") as out:
        out.write(findings.markdown(server_log=fuzz_target.server.log()))
    if findings.items:
        pytest.fail(f"the fuzzer found {len(findings.items)} distinct failures: see {REPORT}")
