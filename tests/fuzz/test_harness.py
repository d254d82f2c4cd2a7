"""The fuzzer's own checks, on a toy app whose bugs are known: each bug is caught, and correct
answers (including documented 400s for malformed input) are not reported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar, delete, get
from litestar.params import FromPath, Parameter
from litestar.response import Response
from schemathesis import GenerationMode

from tests.fuzz.findings import Caller, CredentialsLost, Findings

pytestmark = pytest.mark.fuzz

Small = Annotated[int, Parameter(ge=0, le=1000)]


@dataclass
class Square:
    square: int


@get("/square", sync_to_thread=False)
def square(n: Small) -> Square:
    return Square(n * n)


@get("/broken", sync_to_thread=False)
def broken(n: Small) -> Square:
    if n % 2:
        raise RuntimeError("a bug for odd numbers")  # a 500
    return Square(n * n)


@get("/lying", sync_to_thread=False)
def lying(n: Small) -> Square:
    return Response({"square": str(n * n)})  # type: ignore[return-value]  # a string, not an int


@get("/teapot", sync_to_thread=False)
def teapot(n: Small) -> Square:
    return Response({"square": n}, status_code=418)  # type: ignore[return-value]  # undocumented


REVOKED: list[int] = []


@delete("/api/v1/tokens/{token_id:int}", sync_to_thread=False)
def revoke(token_id: FromPath[int]) -> None:
    REVOKED.append(token_id)


@get("/refused", sync_to_thread=False)
def refused() -> Square:
    return Response({"status_code": 401}, status_code=401)  # type: ignore[return-value]


TESTER = Caller("tester")  # the toy app has no authentication
TOY = Litestar([square, broken, lying, teapot, revoke, refused], debug=False)


def fuzz(path: str) -> Findings:
    """Fuzz ``GET path`` of the toy app with valid and malformed data, surveying every answer."""
    operation = schemathesis.openapi.from_asgi("/schema/openapi.json", TOY)[path]["GET"]
    findings = Findings("toy", {}, survey=True)
    cases = st.one_of(*[operation.as_strategy(generation_mode=mode) for mode in GenerationMode])

    @given(case=cases)
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        findings.judge(TESTER, case)

    run()
    return findings


def titles(findings: Findings) -> set[tuple[int, str]]:
    return {(status, title) for _, status, title in findings.items}


def test_correct_answers_and_documented_400s_are_not_reported() -> None:
    assert titles(fuzz("/square")) == set()


def test_a_server_error_is_caught() -> None:
    assert (500, "Server error") in titles(fuzz("/broken"))


def test_a_body_that_breaks_the_documented_schema_is_caught() -> None:
    assert (200, "Response violates schema") in titles(fuzz("/lying"))


def test_an_undocumented_status_is_caught() -> None:
    assert (418, "Undocumented status code") in titles(fuzz("/teapot"))


def test_outside_a_survey_the_first_failure_is_raised() -> None:
    operation = schemathesis.openapi.from_asgi("/schema/openapi.json", TOY)["/teapot"]["GET"]
    findings = Findings("toy", {})
    with pytest.raises(schemathesis.errors.FailureGroup):
        findings.judge(TESTER, operation.Case(query={"n": 2}))
    assert titles(findings) == {(418, "Undocumented status code")}


def test_the_callers_own_token_is_never_revoked() -> None:
    operation = schemathesis.openapi.from_asgi("/schema/openapi.json", TOY)
    revoking = operation["/api/v1/tokens/{token_id}"]["DELETE"]
    caller = Caller("member", token="secret", token_id=1)
    REVOKED.clear()
    for token_id in ("1", "01", " 1", "2"):
        Findings("toy", {}, survey=True).judge(
            caller, revoking.Case(path_parameters={"token_id": token_id})
        )
    assert REVOKED == [2]


def test_a_refused_token_stops_the_run_even_in_a_survey() -> None:
    operation = schemathesis.openapi.from_asgi("/schema/openapi.json", TOY)["/refused"]["GET"]
    with pytest.raises(CredentialsLost):
        Findings("toy", {}, survey=True).judge(Caller("member", token="secret"), operation.Case())
