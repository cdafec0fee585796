"""A node's connection pool, bounded by ``max_conns_per_node``.

Decisions (take an idle socket, reserve a slot for a new one, or wait) are
made under the pool's condition; opening and closing sockets happen outside
it. A socket that failed or was left half-read is discarded, never put back.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable

from aerospike_py._async._backend import Condition, Connection, monotonic
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
        self._total = 0
        self._condition = Condition()
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

        Waits for a connection to be released until ``deadline``, then
        raises :class:`NoMoreConnectionsError`.
        """
        while True:
            connection = None
            async with self._condition:
                while True:
                    if self._closed:
                        raise NoMoreConnectionsError(
                            f"the pool of {self.host} is closed"
                        )
                    if self._idle:
                        connection = self._idle.pop()
                        break
                    if self._total < self._settings.max_conns_per_node:
                        self._total += 1
                        break
                    remaining = None if deadline is None else deadline - monotonic()
                    if remaining is not None and remaining <= 0:
                        raise self._exhausted()
                    if not await self._condition.wait(remaining):
                        raise self._exhausted()
            if connection is None:
                return await self._open_reserved()
            if self._usable(connection):
                return connection
            await self.discard(connection)

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
            await self._free_slot()
            raise
        try:
            if self._authenticate is not None:
                await self._authenticate(connection)
        except BaseException:
            connection.close()
            self.stats.failed += 1
            await self._free_slot()
            raise
        self.stats.opened += 1
        log.debug("opened connection to %s", self.host)
        return connection

    async def release(self, connection: Connection) -> None:
        """Return a healthy connection to the pool."""
        async with self._condition:
            if self._closed:
                self._total -= 1
                connection.close()
                self.stats.closed += 1
                return
            self._idle.append(connection)
            self._condition.notify()

    async def discard(self, connection: Connection) -> None:
        """Close a connection that must not be reused and free its slot."""
        connection.close()
        self.stats.closed += 1
        await self._free_slot()

    async def _free_slot(self) -> None:
        async with self._condition:
            self._total -= 1
            self._condition.notify()

    async def trim_idle(self) -> None:
        """Close connections idle past ``idle_timeout``."""
        idle_timeout = self._settings.idle_timeout
        if idle_timeout is None:
            return
        now = monotonic()
        stale = []
        async with self._condition:
            keep: deque[Connection] = deque()
            for connection in self._idle:
                if now - connection.last_used > idle_timeout or connection.is_closed:
                    stale.append(connection)
                else:
                    keep.append(connection)
            self._idle = keep
            self._total -= len(stale)
            for _ in stale:
                self._condition.notify()
        for connection in stale:
            connection.close()
            self.stats.closed += 1

    async def fill(self, count: int) -> None:
        """Open connections until ``count`` exist (``min_conns_per_node``)."""
        opened = []
        while True:
            async with self._condition:
                if self._closed or self._total >= min(
                    count, self._settings.max_conns_per_node
                ):
                    break
                self._total += 1
            opened.append(await self._open_reserved())
        for connection in opened:
            await self.release(connection)

    def abandon(self) -> list[Connection]:
        """Refuse new work and hand over the idle connections to close."""
        self._closed = True
        idle = list(self._idle)
        self._idle.clear()
        self._total -= len(idle)
        return idle

    async def close(self) -> None:
        """Close every idle connection; busy ones close when released."""
        async with self._condition:
            self._closed = True
            idle = list(self._idle)
            self._idle.clear()
            self._total -= len(idle)
            self._condition.notify_all()
        for connection in idle:
            connection.close()
            self.stats.closed += 1
