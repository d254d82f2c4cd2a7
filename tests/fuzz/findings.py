"""What the fuzzer checks on every answer, and the distinct failures it found, as Markdown."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Never a 5xx; only documented status codes; the documented content type and body schema.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Sending this for the caller's own token would leave the rest of the run unauthenticated.
REVOKE_TOKEN = "DELETE /api/v1/tokens/{token_id}"
BODY_LIMIT = 600
MESSAGE_LIMIT = 800
TRACEBACK = re.compile(r"^Traceback \(most recent call last\):\n(?:[ \t].*\n|\n)*(\S.*)$", re.M)


class CredentialsLost(AssertionError):
    """The caller's token was refused: every later answer would be a 401, testing nothing."""


@dataclass(frozen=True)
class Caller:
    """Who the fuzzer speaks as: a role, its API token and that token's id."""

    role: str
    token: str = ""
    token_id: int | None = None

    def would_revoke_itself(self, case: Any) -> bool:
        """Whether ``case`` revokes this caller's own token (``01`` or ``+1`` name id 1 too)."""
        if case.operation.label != REVOKE_TOKEN or self.token_id is None:
            return False
        try:
            return int(str(case.path_parameters.get("token_id")).strip()) == self.token_id
        except ValueError:
            return False


@dataclass
class Finding:
    """One distinct failure (operation, status, check) with the first request that showed it."""

    operation: str
    status: int
    title: str
    phase: str
    mode: str
    request: str
    response: str
    message: str
    roles: set[str] = field(default_factory=set)
    count: int = 0


@dataclass
class Findings:
    """Distinct failures of one fuzzing run; in survey mode failing requests don't stop it."""

    engine: str
    tokens: dict[str, str]  # token -> role, to keep tokens out of the report
    survey: bool = False
    items: dict[tuple[str, int, str], Finding] = field(default_factory=dict)

    def judge(self, caller: Caller, case: Any) -> None:
        """Send ``case`` and run ``CHECKS`` on the answer; record failures, raise unless surveying."""
        if caller.would_revoke_itself(case):
            return
        response = case.call()
        if caller.token and response.status_code == 401:
            raise CredentialsLost(
                f"{caller.role}'s token was refused (401) by {self._request(response.request)}"
                f"\n{_text(response.content)}"
            )
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            self.record(caller.role, case, response, list(group.exceptions))
            if not self.survey:
                raise

    def record(self, role: str, case: Any, response: Any, failures: list[Any]) -> None:
        """Keep the first request of each distinct failure; count the others."""
        for failure in failures:
            title = str(getattr(failure, "title", "") or type(failure).__name__)
            key = (case.operation.label, response.status_code, title)
            if key not in self.items:
                self.items[key] = self._finding(case, response, failure, title)
            self.items[key].roles.add(role)
            self.items[key].count += 1

    def _finding(self, case: Any, response: Any, failure: Any, title: str) -> Finding:
        meta = getattr(case, "meta", None)
        return Finding(
            operation=case.operation.label,
            status=response.status_code,
            title=title,
            phase=meta.phase.name.value if meta is not None else "?",
            mode=meta.generation.mode.value if meta is not None else "?",
            request=self._request(response.request),
            response=_clip(_text(response.content), BODY_LIMIT),
            message=_clip(str(getattr(failure, "message", "")), MESSAGE_LIMIT),
        )

    def _request(self, request: Any) -> str:
        """The request as sent (method, URL, body), each caller's token replaced by its role."""
        body = _clip(_text(request.body), BODY_LIMIT)
        text = f"{request.method} {request.url}" + (f"\n{body}" if body else "")
        for token, role in self.tokens.items():
            text = text.replace(token, f"<{role} token>")
        return text

    def markdown(self, server_log: str = "") -> str:
        """The findings grouped by operation, then the server's distinct exceptions."""
        by_operation: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.items.values():
            by_operation[finding.operation].append(finding)
        lines = [f"\n# Fuzzing on {self.engine}: {len(self.items)} distinct failures\n"]
        for operation in sorted(by_operation):
            lines.append(f"\n## {operation}\n\n")
            for f in sorted(by_operation[operation], key=lambda f: (f.status, f.title)):
                roles = ", ".join(sorted(f.roles))
                lines.append(f"- **{f.status} {f.title}** as {roles} ({f.phase} phase, ")
                lines.append(f"{f.mode} data, {f.count} requests)\n")
                lines.append(_block("request", f.request))
                lines.append(_block("response", f.response))
                if f.message:
                    lines.append(_block("check", f.message))
        errors = sorted(set(TRACEBACK.findall(server_log)))
        if errors:
            lines.append(f"\n## Exceptions in the server log ({self.engine})\n\n")
            lines.extend(f"- `{error.strip()}`\n" for error in errors)
        return "".join(lines)


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more)"


def _text(data: Any) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return str(data)


def _block(label: str, text: str) -> str:
    indented = "\n".join("    " + line for line in (text or "(empty)").splitlines())
    return f"  - {label}:\n\n    ```\n{indented}\n    ```\n"
