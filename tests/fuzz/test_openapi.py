"""The OpenAPI fuzzer: every operation of the live schema, as the platform admin and as a member.

schemathesis reads ``/schema/openapi.json`` from a real server (see conftest.py), generates
valid and malformed requests for each operation (the schema's examples, its boundary cases and
``MAX_EXAMPLES`` random ones) and checks every answer: never a 5xx, only status codes the
schema documents, and a content type and body that match what it documents. Generation is
derandomized and bounded so ``make test`` stays fast and repeatable; nothing is shrunk (a
failing request is reported as found), and each operation stops at its first failure.

Survey mode (``HUB_BOOKING_FUZZ_REPORT=path.md``, see ``make test-fuzz``) goes on past
failures and appends every distinct one, with a request that shows it, to that file.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from tests.fuzz.findings import Caller, Findings

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = 20

schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, fuzz_caller: Caller, fuzz_findings: Findings
) -> None:
    fuzz_findings.judge(fuzz_caller, case)
