"""JSON API for the caller's own personal API tokens: list, create, revoke."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, post
from litestar.params import JSONBody

from hub_booking.services import tokens
from hub_booking.web.api import shapes
from hub_booking.web.api.fields import IdParam, Limit, Offset, line
from hub_booking.web.auth import principal_of


class TokenBody(msgspec.Struct, forbid_unknown_fields=True):
    """A label to recognise the token by later (what uses it)."""

    label: Annotated[str, line(tokens.MAX_LABEL)] = ""


@get("/tokens", summary="The caller's API tokens (never their secrets)")
async def list_tokens(request: Request, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    mine = await tokens.tokens_page(principal_of(request).user_id, limit, offset)
    return shapes.page_of(mine, shapes.token)


@post("/tokens", summary="Create an API token; its secret is in this answer only")
async def create_token(request: Request, data: JSONBody[TokenBody]) -> dict[str, Any]:
    info, secret = await tokens.issue_token(
        principal_of(request).user_id,
        data.label,
        request.app.state.clock(),
        request.app.state.settings.secret_key,
    )
    return {**shapes.token(info), "token": secret}


@delete("/tokens/{token_id:int}", status_code=204, summary="Revoke one of the caller's tokens")
async def revoke_token(request: Request, token_id: IdParam) -> None:
    await tokens.revoke_token(principal_of(request).user_id, token_id, request.app.state.clock())


HANDLERS = [list_tokens, create_token, revoke_token]
