"""Logging connections in, and running admin commands (PROTOCOL.md 12).

With credentials, a connection that finds no reusable session sends LOGIN
and keeps the token it gets; every other new connection presents that
token with AUTHENTICATE, until 60 seconds before the session's TTL ends.
A refused token costs one more LOGIN. A server that answers 52 runs
without security, and the client carries on without logging in.

A failed LOGIN raises at once (InvalidCredentialError, InvalidUserError,
...): the caller sees it, nothing retries it.
"""

from __future__ import annotations

import logging
import threading
import weakref

from aerospike_py import _security
from aerospike_py._async._backend import Connection, Lock, monotonic
from aerospike_py._async.node import Node
from aerospike_py.exception import ConnectionFailure, from_result_code
from aerospike_py.wire import admin
from aerospike_py.wire.message import MSG_ADMIN

log = logging.getLogger("aerospike_py.cluster")


async def _exchange(
    connection: Connection, request: bytes, timeout: float | None
) -> admin.AdminMessage:
    """Send one admin request and decode the one-message reply."""
    msg_type, body = await connection.request(request, timeout)
    return _decode(connection, msg_type, body)[0]


def _decode(
    connection: Connection, msg_type: int, body: bytes
) -> list[admin.AdminMessage]:
    if msg_type != MSG_ADMIN:
        raise ConnectionFailure(
            f"{connection.address} answered an admin request with message type "
            f"{msg_type}"
        )
    try:
        return admin.decode_blocks(body)
    except admin.AdminMessageError as exc:
        raise ConnectionFailure(
            f"{connection.address} sent a malformed admin reply: {exc}"
        ) from exc


class Login:
    """Log new connections in and keep the session they share."""

    def __init__(self, credentials: _security.Credentials, timeout: float) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._session: _security.Session | None = None
        self._security_off = False
        self._lock = Lock()
        # Every connection logged in, so that a password change can retire
        # them: the server revokes their sessions. Blocking clients add to
        # it from many threads, hence the guard.
        self._connections: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._connections_guard = threading.Lock()

    @property
    def user(self) -> str | None:
        return self._credentials.user

    @property
    def credential(self) -> bytes:
        """The hash of the password in use (b"" in PKI mode)."""
        return self._credentials.credential

    async def __call__(self, connection: Connection) -> None:
        """Log ``connection`` in (the pool runs this on every new one)."""
        if self._security_off:
            return
        if not await self._resume(connection):
            async with self._lock:
                if not await self._resume(connection):
                    await self._login(connection)
        with self._connections_guard:
            self._connections.add(connection)

    async def _resume(self, connection: Connection) -> bool:
        """AUTHENTICATE with the current session; False to log in instead."""
        session = self._session
        if self._security_off:
            return True
        if session is None or not session.usable(monotonic()):
            return False
        request = self._credentials.authenticate_request(session.token)
        reply = await _exchange(connection, request, self._timeout)
        if reply.result in (admin.OK, admin.SECURITY_NOT_ENABLED):
            return True
        log.debug(
            "%s refused the session token (result %d); logging in again",
            connection.address,
            reply.result,
        )
        if self._session is session:
            self._session = None
        return False

    async def _login(self, connection: Connection) -> None:
        request = self._credentials.login_request()
        reply = await _exchange(connection, request, self._timeout)
        if reply.result == admin.SECURITY_NOT_ENABLED:
            log.debug("%s runs without security; not logging in", connection.address)
            self._security_off = True
            return
        if reply.result != admin.OK:
            raise from_result_code(reply.result, self._refusal(connection))
        self._session = _security.session_from_login(
            reply, monotonic(), connection.address
        )
        log.debug("logged in to %s as %r", connection.address, self.user)

    def _refusal(self, connection: Connection) -> str:
        who = "with the TLS client certificate" if self.user is None else "as"
        name = "" if self.user is None else f" {self.user!r}"
        return f"{connection.address} refused the login {who}{name}"

    def change_password(self, password: str) -> None:
        """Log in with ``password`` from now on.

        The server revoked the sessions of the old password, so the
        connections logged in with them are closed; the pools open fresh
        ones when next asked.
        """
        credentials = self._credentials
        self._credentials = _security.Credentials(
            credentials.mode, credentials.user, password
        )
        self._session = None
        with self._connections_guard:
            retired = list(self._connections)
        for connection in retired:
            connection.close()


async def execute(
    node: Node,
    request: bytes,
    timeout: float | None,
    action: str,
    *,
    query: bool = False,
) -> list[admin.AdminMessage]:
    """Run an admin command on ``node``; return its reply blocks.

    A query's reply is read until the QUERY_END block, which is dropped.
    A refusal raises the AdminError of its result code, naming ``action``.
    """
    deadline = None if timeout is None else monotonic() + timeout
    connection = await node.pool.acquire(deadline)
    try:
        blocks = await _read_reply(connection, request, timeout, query)
    except BaseException:
        await node.pool.discard(connection)
        raise
    await node.pool.release(connection)
    for block in blocks:
        if block.result != admin.OK:
            raise from_result_code(block.result, action, node=node.name)
    return blocks


async def _read_reply(
    connection: Connection, request: bytes, timeout: float | None, query: bool
) -> list[admin.AdminMessage]:
    msg_type, body = await connection.request(request, timeout)
    blocks = _decode(connection, msg_type, body)
    if not query:
        return blocks[:1]
    collected: list[admin.AdminMessage] = []
    while True:
        for block in blocks:
            if block.result == admin.QUERY_END:
                return collected
            collected.append(block)
            if block.result != admin.OK:
                return collected
        msg_type, body = await connection.receive(timeout)
        blocks = _decode(connection, msg_type, body)


def login_for(
    mode: int, user: str | None, password: str | None, timeout: float
) -> Login | None:
    """The login of a ClientConfig; None when it has no credentials."""
    credentials = _security.Credentials.from_settings(mode, user, password)
    return None if credentials is None else Login(credentials, timeout)
