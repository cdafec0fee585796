"""One node of the embedded server: a TCP listener that speaks the protocol.

Each connection reads one frame at a time: the 8-byte proto header, then the
body. Frames with a bad version, an unknown type or a body over 128 MiB
close the connection without a reply, as the real server does; a body that
does not parse as an AS_MSG gets a parameter-error reply. A fault while
serving one connection never touches the others.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from aerospike_py.server import commands, errors, info, tls
from aerospike_py.server.cluster import ServerCluster
from aerospike_py.server.storage import serving_clock
from aerospike_py.wire import info as info_codec
from aerospike_py.wire import message as msg
from aerospike_py.wire.digest import partition_id

log = logging.getLogger("aerospike_py.server")

Reply = bytes | AsyncIterator[bytes] | None

# Handlers for AS_MSGs that are not single-record commands (batch, scan,
# query), keyed by a classifier; installed by their modules.
MultiHandler = Callable[["ServerNode", msg.Message], Reply]
multi_handlers: dict[str, MultiHandler] = {}
# Handler of security (type 2) messages; the security module replaces it.
AdminHandler = Callable[["ServerNode", "Connection", bytes], Awaitable[bytes | None]]
admin_handler: list[AdminHandler] = []


class Guard(Protocol):
    """Security checks at the dispatch points (server/security.py).

    Each returns a refusal (a whole reply, or an info value) or None to let
    the request through.
    """

    def refuse_info(self, node: ServerNode, connection: Connection) -> bytes | None: ...

    def check_info(
        self, node: ServerNode, connection: Connection, command: str
    ) -> str | None: ...

    def check_message(
        self, node: ServerNode, connection: Connection, message: msg.Message
    ) -> bytes | None: ...


# Installed by the security module once a server runs with security on.
guards: list[Guard] = []
# The connection whose request is being served, for handlers that are not
# handed it (batch, query): each connection is served by its own task.
current_connection: contextvars.ContextVar[Connection | None] = contextvars.ContextVar(
    "current_connection", default=None
)

_WRITE_HIGH_WATER = 1 << 20
_SECURITY_NOT_ENABLED = 52


class Connection:
    """Per-connection state the security layer may fill in."""

    __slots__ = ("open", "peer", "tls_subject", "user")

    def __init__(self, peer: Any, tls_subject: str | None = None) -> None:
        self.peer = peer
        # The common name of a verified TLS client certificate (PKI login).
        self.tls_subject = tls_subject
        self.user: Any = None
        self.open = True


class ServerNode:
    """A listening node of a :class:`ServerCluster`."""

    def __init__(
        self,
        cluster: ServerCluster,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        index: int = 0,
    ) -> None:
        self.cluster = cluster
        self.host = host
        self.port = port
        self.index = index
        self.node_id = ""
        self.running = False
        self.started_at = time.monotonic()
        self.open_connections = 0
        self.connections_opened = 0
        self.stats: dict[str, int] = {"info": 0, "commands": 0, "proxied": 0}
        self.reply_delay = 0.0
        self.answering = asyncio.Event()
        self.answering.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        # A deep accept queue: a client opening a hundred connections at
        # once must not see refused or dropped connects.
        self._server = await asyncio.start_server(
            self._serve,
            self.host,
            self.port,
            reuse_address=True,
            backlog=4096,
            ssl=tls.context_for(self.cluster),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if not self.node_id:
            self.node_id = f"BB9{self.index:02X}{self.port:06X}A0"
        self.running = True
        self.started_at = time.monotonic()

    async def stop(self) -> None:
        self.running = False
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                if writer.get_extra_info("ssl_object") is not None:
                    # A TLS close waits for the peer's close_notify; a
                    # stopping server does not wait for anyone.
                    writer.transport.abort()
                else:
                    writer.close()
            await self._server.wait_closed()
            self._server = None

    def _count_misroute(self, message: msg.Message) -> None:
        """Count a command for a partition this node does not hold.

        A real node proxies such a command to the owner; the embedded
        cluster shares its data, so it serves it and counts it, which makes
        a client's misrouting visible.
        """
        digest = message.fields.get(msg.FIELD_DIGEST)
        if digest is None or len(digest) != 20:
            return
        pid = partition_id(digest)
        if not self.cluster.owns(self, pid, write=_is_write(message)):
            self.stats["proxied"] += 1

    def sindex_count(self, namespace: str, set_name: str) -> int:
        return sum(
            1
            for index in self.cluster.sindexes.values()
            if index.namespace == namespace and index.set_name == set_name
        )

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        self.open_connections += 1
        self.connections_opened += 1
        connection = Connection(
            writer.get_extra_info("peername"),
            tls.client_common_name(writer.get_extra_info("peercert")),
        )
        current_connection.set(connection)
        serving_clock.set(self.cluster.clock)
        try:
            await self._serve_frames(reader, writer, connection)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping
        except Exception:  # a bug must cost one connection, not the server
            log.exception("embedded server: connection handler failed")
        finally:
            connection.open = False
            self.open_connections -= 1
            self._writers.discard(writer)
            writer.close()

    async def _serve_frames(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        connection: Connection,
    ) -> None:
        while True:
            header = await reader.readexactly(msg.PROTO_HEADER_SIZE)
            version, msg_type, size = msg.parse_proto_header(header)
            if not _acceptable(version, msg_type, size):
                return
            body = await reader.readexactly(size)
            await self.answering.wait()
            if self.reply_delay:
                await asyncio.sleep(self.reply_delay)
            result = await self._dispatch(msg_type, body, connection)
            if result is None:
                return
            if isinstance(result, bytes):
                writer.write(result)
                if writer.transport.get_write_buffer_size() > _WRITE_HIGH_WATER:
                    await writer.drain()
                continue
            async for chunk in result:
                writer.write(chunk)
                await writer.drain()

    async def _dispatch(
        self, msg_type: int, body: bytes, connection: Connection
    ) -> Reply:
        if msg_type == msg.MSG_INFO:
            self.stats["info"] += 1
            return self._answer_info(body, connection)
        if msg_type == msg.MSG_AS:
            self.stats["commands"] += 1
            return self.handle_message(body)
        if msg_type == msg.MSG_ADMIN:
            if admin_handler:
                return await admin_handler[0](self, connection, body)
            return _admin_reply(_SECURITY_NOT_ENABLED)
        if msg_type == msg.MSG_COMPRESSED:
            return self._handle_compressed(body)
        return None

    def _answer_info(self, body: bytes, connection: Connection) -> bytes:
        names = info_codec.parse_request(body)
        if not guards:
            return info_codec.encode_reply([(n, info.answer(self, n)) for n in names])
        refusal = guards[0].refuse_info(self, connection)
        if refusal is not None:
            return refusal
        pairs = []
        for name in names:
            error = guards[0].check_info(self, connection, name)
            pairs.append((name, info.answer(self, name) if error is None else error))
        return info_codec.encode_reply(pairs)

    def _handle_compressed(self, body: bytes) -> Reply:
        try:
            inner_type, inner = msg.decompress_frame(body)
        except Exception:
            return commands.reply(errors.ERR_PARAMETER)
        if inner_type != msg.MSG_AS:
            return None
        return self.handle_message(inner)

    def handle_message(self, body: bytes) -> Reply:
        """Answer one AS_MSG body."""
        try:
            message, _ = msg.decode_message(body)
        except msg.MessageError:
            return commands.reply(errors.ERR_PARAMETER)
        if self.cluster.recorder is not None:
            self.cluster.recorder.append(message)
        connection = current_connection.get()
        if guards and connection is not None:
            refusal = guards[0].check_message(self, connection, message)
            if refusal is not None:
                return refusal
        if message.info1 & msg.INFO1_BATCH:
            handler = multi_handlers.get("batch")
        elif msg.FIELD_DIGEST not in message.fields:
            handler = multi_handlers.get("query")
            if not message.info3 & msg.INFO3_PARTITION_DONE:
                return commands.reply(errors.ERR_UNSUPPORTED_FEATURE)
        else:
            self._count_misroute(message)
            with self.cluster.lock:
                try:
                    return commands.handle_single(message, self.cluster.namespaces)
                except _UNDECODABLE as exc:
                    return _parameter_error(exc)
        if handler is None:
            return commands.reply(errors.ERR_UNSUPPORTED_FEATURE)
        try:
            return handler(self, message)
        except _UNDECODABLE as exc:
            return _parameter_error(exc)


# What decoding a request's values raises when they break the protocol (a
# float of three bytes, a map as a map key, an unknown msgpack extension):
# the request is answered with a parameter error, as the real server does,
# rather than the connection dropped.
_UNDECODABLE = (ValueError, TypeError, OverflowError, struct.error)


def _parameter_error(exc: Exception) -> bytes:
    log.warning("embedded server: request refused as malformed: %s", exc)
    return commands.reply(errors.ERR_PARAMETER)


def _is_write(message: msg.Message) -> bool:
    return bool(message.info2 & msg.INFO2_WRITE)


def _acceptable(version: int, msg_type: int, size: int) -> bool:
    if size > msg.MAX_PROTO_SIZE:
        return False
    if version == msg.PROTO_VERSION:
        return msg.MSG_INFO <= msg_type <= msg.MSG_COMPRESSED
    return version == 0 and msg_type == msg.MSG_ADMIN


def _admin_reply(result: int) -> bytes:
    body = bytes([0, result, 0, 0]) + bytes(12)
    return msg.proto_header(msg.MSG_ADMIN, len(body)) + body
