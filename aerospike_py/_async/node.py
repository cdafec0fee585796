"""A server node as the client sees it: its pool, its tend connection and
the generations that tell the tender when to re-read peers and partitions.
"""

from __future__ import annotations

import logging

from aerospike_py._async._backend import Connection, Lock, monotonic
from aerospike_py._async.pool import Authenticator, ConnectionPool
from aerospike_py._config import ClientSettings
from aerospike_py.cluster.hosts import Host
from aerospike_py.exception import ClientError, ConnectionFailure, from_result_code
from aerospike_py.wire import info as info_codec
from aerospike_py.wire.message import MSG_INFO

NOT_AUTHENTICATED = 80

log = logging.getLogger("aerospike_py.cluster")


class NodeStats:
    """Per-node command counters."""

    __slots__ = ("commands", "errors", "timeouts")

    def __init__(self) -> None:
        self.commands = 0
        self.errors = 0
        self.timeouts = 0


class Node:
    """One node of the cluster."""

    def __init__(
        self,
        name: str,
        host: Host,
        settings: ClientSettings,
        features: set[str],
        authenticate: Authenticator | None = None,
    ) -> None:
        self.name = name
        self.host = host
        self.features = features
        self.pool = ConnectionPool(host, settings, authenticate)
        self.partition_generation = -1
        self.peers_generation = -1
        self.failures = 0
        self.active = True
        # Names of the other nodes this node listed in its last peers reply.
        self.peer_names: set[str] = set()
        self.stats = NodeStats()
        self._settings = settings
        self._authenticate = authenticate
        self._tend_connection: Connection | None = None
        self._tend_lock = Lock()

    def __repr__(self) -> str:
        return f"Node({self.name} {self.host})"

    async def info(self, commands: list[str], timeout: float | None) -> dict[str, str]:
        """Run info commands over a pooled connection; ``timeout`` covers
        the wait for a free connection too."""
        deadline = None if timeout is None else monotonic() + timeout
        connection = await self.pool.acquire(deadline)
        if deadline is not None:
            timeout = max(deadline - monotonic(), 0.001)
        try:
            reply = await request_info(connection, commands, timeout)
        except BaseException:
            await self.pool.discard(connection)
            raise
        await self.pool.release(connection)
        return reply

    async def tend_info(self, commands: list[str]) -> dict[str, str]:
        """Run info commands over the node's own tend connection."""
        async with self._tend_lock:
            connection = self._tend_connection
            if connection is None or connection.is_closed:
                connection = await Connection.open(
                    self.host.name,
                    self.host.port,
                    self._settings.connect_timeout,
                    self._settings.tls,
                    self.host.tls_name,
                )
                self._tend_connection = connection
                try:
                    if self._authenticate is not None:
                        await self._authenticate(connection)
                except BaseException:
                    self._tend_connection = None
                    connection.close()
                    raise
            try:
                return await request_info(
                    connection, commands, self._settings.connect_timeout
                )
            except BaseException:
                self._tend_connection = None
                connection.close()
                raise

    def abandon(self) -> list[Connection]:
        """Stop serving; return every connection still open, to be closed
        in the loop that owns them."""
        self.active = False
        connections = self.pool.abandon()
        if self._tend_connection is not None:
            connections.append(self._tend_connection)
            self._tend_connection = None
        return connections

    async def close(self) -> None:
        self.active = False
        async with self._tend_lock:
            if self._tend_connection is not None:
                self._tend_connection.close()
                self._tend_connection = None
        await self.pool.close()


async def request_info(
    connection: Connection, commands: list[str], timeout: float | None
) -> dict[str, str]:
    """Send info commands on a connection and return ``command -> value``."""
    msg_type, body = await connection.request(
        info_codec.encode_request(*commands), timeout
    )
    if msg_type != MSG_INFO:
        connection.close()
        raise ConnectionFailure(
            f"{connection.address} answered an info request with message "
            f"type {msg_type}"
        )
    return info_codec.parse_reply(body)


def check_node_reply(reply: dict[str, str], commands: list[str], address: str) -> None:
    """Make sure every info command was answered."""
    missing = [command for command in commands if command not in reply]
    if not missing:
        return
    for line in reply:
        # One error line in place of the answers refuses the whole request.
        refusal = info_codec.parse_value_error(line)
        if refusal is None:
            continue
        code, text = refusal
        detail = f"{address} refused info commands: {text}"
        if code == NOT_AUTHENTICATED:
            detail = (
                f"{address} needs a login: the cluster has security enabled, "
                "so set 'user' and 'password' in the ClientConfig"
            )
        raise from_result_code(code, detail)
    raise ClientError(f"{address} did not answer info command(s) {missing}")
