"""Login throttling: how many recent attempts lock an account or an address.

Every attempt is recorded as a failure *before* its password is checked (and turned into a
success afterwards), so attempts still being checked count too: a concurrent burst cannot
get more password checks than the limits allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hub_booking.domain.errors import N_

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
# Successful sign-ins are limited too: a stolen password must not open sessions at will, and
# many people behind one address (a hub's network) still sign in on a busy morning.
ACCOUNT_SIGN_INS = 10
ADDRESS_SIGN_INS = 100


@dataclass(frozen=True)
class RecentAttempts:
    """Attempts in ``WINDOW`` before this one (failures include those still being checked)."""

    account_failures: int
    address_failures: int
    account_sign_ins: int = 0
    address_sign_ins: int = 0


def refusal(recent: RecentAttempts) -> str | None:
    """Why a new attempt is refused now (a message to translate), or None when it may go on."""
    if not login_allowed(recent.account_failures, recent.address_failures):
        return N_("Too many failed attempts. Wait 15 minutes and try again.")
    if recent.account_sign_ins >= ACCOUNT_SIGN_INS or recent.address_sign_ins >= ADDRESS_SIGN_INS:
        return N_("Too many sign-ins in a short time. Wait 15 minutes and try again.")
    return None


def login_allowed(account_failures: int, address_failures: int) -> bool:
    """Refuse further tries once an account or an IP address failed too often in ``WINDOW``."""
    return account_failures < ACCOUNT_FAILURES and address_failures < ADDRESS_FAILURES
