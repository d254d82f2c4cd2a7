"""Answers already built, kept for reuse by a key that names everything they depend on.

A feed's bytes by its ETag, a hub calendar's grid by its version: the most recently used
are kept within a size, one store per app (process), so a second process simply builds its
own. Nothing here decides when an answer is stale: the key does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from litestar.datastructures import State

V = TypeVar("V")


class Recent(Generic[V]):
    """The most recently used answers whose sizes (``weigh``) add up to at most ``limit``;
    one bigger than a quarter of it is not kept."""

    def __init__(self, limit: int, weigh: Callable[[V], int]) -> None:
        self.limit, self.size, self._weigh = limit, 0, weigh
        self._answers: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        found = self._answers.get(key)
        if found is None:
            return None
        self._answers.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, answer: V) -> None:
        weight = self._weigh(answer)
        if weight > self.limit // 4 or key in self._answers:
            return
        self._answers[key] = (answer, weight)
        self.size += weight
        while self.size > self.limit:
            _, (_, dropped) = self._answers.popitem(last=False)
            self.size -= dropped


def kept(state: State, name: str, limit: int, weigh: Callable[[Any], int]) -> Recent[Any]:
    """The app's store called ``name`` (made on first use)."""
    found = state.get(name)
    if found is None:
        found = state[name] = Recent(limit, weigh)
    return found
