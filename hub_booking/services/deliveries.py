"""Mails that failed for good, as a platform administrator sees and retries them.

A retry makes the row due again with a fresh count of attempts: the dispatcher sends it at
its next run, exactly as if it were new (its idempotency key and Message-ID unchanged).
"""

from __future__ import annotations

from datetime import datetime

from hub_booking.db import inbox as db
from hub_booking.db.engine import transaction
from hub_booking.domain.errors import N_, Forbidden, NotFound
from hub_booking.domain.model import Page, Principal
from hub_booking.services import audit

PAGE_SIZE = 50


def _admin_only(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise Forbidden(N_("Only a platform administrator can do this."))


async def failed(principal: Principal, page: int) -> Page[db.Failed]:
    """A page of the failed mails, the latest failure first."""
    _admin_only(principal)
    return await db.failed(PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE)


async def retry(principal: Principal, notification_id: int | None, now: datetime) -> int:
    """Send one failed mail (or all of them) again; how many were reset."""
    _admin_only(principal)
    async with transaction():
        ids = await db.retry(notification_id, now)
        if notification_id is not None and not ids:
            raise NotFound(N_("This failed mail does not exist (or was already retried)."))
        if ids:
            await audit.record(
                principal.user_id, "notification.retried", "notification", ids[0], now, ids=ids
            )
    return len(ids)
