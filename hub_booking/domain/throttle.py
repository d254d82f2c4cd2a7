"""Login throttling: how many recent failures lock an account or an address."""

from datetime import timedelta

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20


def login_allowed(account_failures: int, address_failures: int) -> bool:
    """Refuse further tries once an account or an IP address failed too often in ``WINDOW``."""
    return account_failures < ACCOUNT_FAILURES and address_failures < ADDRESS_FAILURES
