"""Password hashing off the event loop, in a small pool with a bounded queue.

Argon2 is deliberately slow (tens of milliseconds and 64 MiB per hash). Run on the event
loop it stalls every other request; run in an unbounded pool a burst of logins queues
without end. Here at most ``WORKERS`` hashes run at once and at most ``QUEUE`` wait; past
that the caller is told at once to try again (429) instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub_booking.domain.errors import N_, TooManyAttempts

WORKERS = 2
QUEUE = 64
# Hashing threads yield the CPU to the event loop (and to argon2's own lanes they start):
# a burst of logins then slows logins, not every other request.
HASHING_NICENESS = 10
_T = TypeVar("_T")

_hasher = PasswordHasher()
# Verified when the account has no password, so an unknown email costs as long as a wrong
# password and its answer time reveals nothing.
_DUMMY_HASH = _hasher.hash("not a real password")


class _Pool:
    """A thread pool that refuses work beyond ``workers + queue`` jobs in flight."""

    def __init__(self, workers: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._limit = workers + queue
        self._in_flight = 0
        self._lock = threading.Lock()  # the app may run several event loops (tests, threads)

    async def run(self, job: Callable[[], _T]) -> _T:
        with self._lock:
            if self._in_flight >= self._limit:
                raise TooManyAttempts(N_("Too many people are signing in. Try again in a moment."))
            self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, job)
        finally:
            with self._lock:
                self._in_flight -= 1


def _lower_priority() -> None:
    """Linux schedules threads one by one: this lowers the calling thread only."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


_pool = _Pool(WORKERS, QUEUE)


def hash_now(password: str) -> str:
    """Hash on the calling thread (command line, factories): never from a request handler."""
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    return await _pool.run(lambda: _hasher.hash(password))


async def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; a missing hash costs as long and never matches."""
    return await _pool.run(lambda: _matches(stored, password))


def _matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
