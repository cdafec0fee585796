"""The queue behind both clients' connection pools: callers wait, oldest
first, for an item (a connection, or a slot to open one) that another
caller hands over. Each I/O backend supplies the ticket a caller waits on.
"""

from __future__ import annotations

import contextlib
from collections import deque
from typing import Any, Generic, Protocol, TypeVar


class TicketLike(Protocol):
    item: Any

    def give(self, item: Any) -> bool: ...


T = TypeVar("T", bound=TicketLike)


class Waiters(Generic[T]):
    """Callers waiting, oldest first, for an item another caller hands over.

    Handing straight to the oldest waiter keeps the order fair: a caller
    that gives an item back and asks again queues behind the others. The
    owner guards ``enqueue``, ``hand`` and ``discard`` with its own lock.
    """

    ticket_class: type[T]

    def __init__(self) -> None:
        self._queue: deque[T] = deque()

    def __bool__(self) -> bool:
        return bool(self._queue)

    def enqueue(self) -> T:
        ticket = self.ticket_class()
        self._queue.append(ticket)
        return ticket

    def hand(self, item: Any) -> bool:
        """Give ``item`` to the oldest caller still waiting; False if none."""
        queue = self._queue
        while queue:
            if queue.popleft().give(item):
                return True
        return False

    def discard(self, ticket: T) -> None:
        with contextlib.suppress(ValueError):
            self._queue.remove(ticket)

    def wake_all(self) -> None:
        """Wake every caller with nothing in hand (the owner closed)."""
        while self._queue:
            self._queue.popleft().give(None)
