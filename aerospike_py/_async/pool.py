"""A node's connection pool, bounded by ``max_conns_per_node``.

Decisions (take an idle socket, reserve a slot for a new one, or queue)
are made under the pool's mutex, which is never held across a wait or any
I/O. A released socket, or a freed slot, goes straight to the oldest
waiter, so callers are served in order. A socket that failed or was left
half-read is discarded, never put back.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aerospike_py._async._backend import Connection, Ticket, Waiters, monotonic
from aerospike_py._config import ClientSettings
from aerospike_py.cluster.hosts import Host
from aerospike_py.exception import NoMoreConnectionsError

log = logging.getLogger("aerospike_py.pool")

Authenticator = Callable[[Connection], Awaitable[None]]


class PoolStats:
    """Counters a user can read through the client's cluster statistics."""

    __slots__ = ("closed", "failed", "opened")

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.failed = 0


class ConnectionPool:
    """Pooled connections to one node."""

    def __init__(
        self,
        host: Host,
        settings: ClientSettings,
        authenticate: Authenticator | None = None,
    ) -> None:
        self.host = host
        self._settings = settings
        self._authenticate = authenticate
        self._idle: deque[Connection] = deque()
        self._total = 0  # connections open or being opened (slots taken)
        # Guards the fields above; held only for a few plain statements, so
        # an asyncio client never blocks on it.
        self._mutex = threading.Lock()
        self._waiters = Waiters()
        self._closed = False
        self.stats = PoolStats()

    @property
    def in_use(self) -> int:
        return self._total - len(self._idle)

    @property
    def total(self) -> int:
        return self._total

    async def acquire(self, deadline: float | None) -> Connection:
        """Return a connection, opening one if the pool has room.

        Waits, in turn with other callers, for a connection to be released
        until ``deadline``, then raises :class:`NoMoreConnectionsError`.
        """
        while True:
            ticket = None
            with self._mutex:
                if self._closed:
                    raise self._closed_error()
                item: Any
                if self._idle:
                    item = self._idle.pop()
                elif self._total < self._settings.max_conns_per_node:
                    self._total += 1
                    item = RESERVED
                else:
                    remaining = None if deadline is None else deadline - monotonic()
                    if remaining is not None and remaining <= 0:
                        raise self._exhausted()
                    ticket = self._waiters.enqueue()
            if ticket is not None:
                item = await self._wait(ticket, remaining)
            if item is RESERVED:
                return await self._open_reserved()
            if self._usable(item):
                connection: Connection = item
                return connection
            await self.discard(item)

    async def _wait(self, ticket: Ticket, timeout: float | None) -> Any:
        """What ``ticket`` is handed: a connection, or a slot to open one."""
        try:
            await ticket.wait(timeout)
        except BaseException:
            # Cancelled: whatever was handed over meanwhile goes on.
            with self._mutex:
                self._waiters.discard(ticket)
                if ticket.item is not None:
                    self._pass_on(ticket.item)
            raise
        with self._mutex:
            self._waiters.discard(ticket)
        if ticket.item is None:
            raise self._closed_error() if self._closed else self._exhausted()
        return ticket.item

    def _pass_on(self, item: Any) -> None:
        """Give a connection or a slot (RESERVED) to the oldest waiter, or
        keep it; the mutex is held."""
        if self._waiters.hand(item):
            return
        if item is RESERVED:
            self._total -= 1
        elif self._closed:
            self._total -= 1
            item.close()
            self.stats.closed += 1
        else:
            self._idle.append(item)

    def _closed_error(self) -> NoMoreConnectionsError:
        return NoMoreConnectionsError(f"the pool of {self.host} is closed")

    def _exhausted(self) -> NoMoreConnectionsError:
        return NoMoreConnectionsError(
            f"all {self._settings.max_conns_per_node} connections to {self.host} "
            "stayed busy until the deadline (max_conns_per_node)"
        )

    def _usable(self, connection: Connection) -> bool:
        idle_timeout = self._settings.idle_timeout
        if (
            idle_timeout is not None
            and monotonic() - connection.last_used > idle_timeout
        ):
            return False
        return not connection.is_stale()

    async def _open_reserved(self) -> Connection:
        """Open a connection for a slot already counted in ``_total``."""
        try:
            connection = await Connection.open(
                self.host.name,
                self.host.port,
                self._settings.connect_timeout,
                self._settings.tls,
                self.host.tls_name,
            )
        except BaseException:
            self.stats.failed += 1
            self._free_slot()
            raise
        try:
            if self._authenticate is not None:
                await self._authenticate(connection)
        except BaseException:
            connection.close()
            self.stats.failed += 1
            self._free_slot()
            raise
        self.stats.opened += 1
        log.debug("opened connection to %s", self.host)
        return connection

    async def release(self, connection: Connection) -> None:
        """Return a healthy connection to the pool (or to the next caller)."""
        with self._mutex:
            self._pass_on(connection)

    async def discard(self, connection: Connection) -> None:
        """Close a connection that must not be reused and free its slot."""
        connection.close()
        self.stats.closed += 1
        self._free_slot()

    def _free_slot(self) -> None:
        with self._mutex:
            self._pass_on(RESERVED)

    async def trim_idle(self) -> None:
        """Close connections idle past ``idle_timeout``."""
        idle_timeout = self._settings.idle_timeout
        if idle_timeout is None:
            return
        now = monotonic()
        stale = []
        with self._mutex:
            keep: deque[Connection] = deque()
            for connection in self._idle:
                if now - connection.last_used > idle_timeout or connection.is_closed:
                    stale.append(connection)
                else:
                    keep.append(connection)
            self._idle = keep
            self._total -= len(stale)
        for connection in stale:
            connection.close()
            self.stats.closed += 1

    async def fill(self, count: int) -> None:
        """Open connections until ``count`` exist (``min_conns_per_node``)."""
        opened = []
        try:
            while True:
                with self._mutex:
                    if self._closed or self._total >= min(
                        count, self._settings.max_conns_per_node
                    ):
                        break
                    self._total += 1
                opened.append(await self._open_reserved())
        finally:
            # Also when an open fails or the fill is cancelled: what did
            # open is pooled, never stranded outside the pool.
            for connection in opened:
                await self.release(connection)

    def abandon(self) -> list[Connection]:
        """Refuse new work and hand over the idle connections to close."""
        with self._mutex:
            self._closed = True
            idle = list(self._idle)
            self._idle.clear()
            self._total -= len(idle)
            self._waiters.wake_all()
        return idle

    async def close(self) -> None:
        """Close every idle connection; busy ones close when released."""
        for connection in self.abandon():
            connection.close()
            self.stats.closed += 1


# Handed to a waiter instead of a connection: a slot is free for it to
# open one.
RESERVED = object()
