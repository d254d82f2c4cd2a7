"""The reader's language, for pages, the API and error answers alike."""

from __future__ import annotations

from litestar.connection import ASGIConnection


def language_of(connection: ASGIConnection) -> str:
    """The language the auth middleware chose for this request, or the default."""
    state = connection.scope.get("state", {})
    return state.get("language") or connection.app.state.settings.language
