"""The asyncio I/O backend: connections, locks, sleeping, concurrency.

This module and its twin ``aerospike_py._sync._backend`` are the only code
that touches sockets and scheduling; everything under ``_async`` is written
against the names defined here, and ``_sync`` is generated from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aerospike_py import _handoff
from aerospike_py.exception import (
    AerospikeTimeoutError,
    BackpressureError,
    ConnectionFailure,
)
from aerospike_py.wire.message import (
    MAX_PROTO_SIZE,
    PROTO_HEADER_SIZE,
    PROTO_VERSION,
    parse_proto_header,
)

T = TypeVar("T")

monotonic = time.monotonic


async def sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def within(awaitable: Awaitable[T], timeout: float | None) -> T:
    """Await ``awaitable`` for at most ``timeout`` seconds (TimeoutError).

    On Python 3.11+ the deadline is a timeout scope around the caller's own
    task. ``asyncio.wait_for`` before 3.12 runs the awaitable in a task of
    its own and can swallow a cancellation that lands as it finishes, so a
    cancelled caller would carry on.
    """
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(timeout):
            return await awaitable
    return await asyncio.wait_for(awaitable, timeout)  # pragma: no cover


def running_loop() -> Any:
    """The event loop running this code; None outside one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def call_in_loop(loop: Any, callbacks: Sequence[Callable[[], object]]) -> None:
    """Run ``callbacks`` on another thread's ``loop``; a closed loop has
    nothing left to run them, so they are dropped."""
    if loop is None or loop.is_closed():
        return
    for callback in callbacks:
        loop.call_soon_threadsafe(callback)


async def settle(value: Any) -> Any:
    """A callback's result, awaited when the callback was ``async def``."""
    if inspect.isawaitable(value):
        return await value
    return value


class Lock:
    """A lock usable with ``async with``."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> None:
        await self._lock.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self._lock.release()


class Condition:
    """A condition variable (the query stream's hand-off between readers and
    its consumer)."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()

    async def __aenter__(self) -> None:
        await self._condition.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self._condition.release()

    async def wait(self) -> None:
        """Wait for a notify (in the caller's own task, lock held around)."""
        await self._condition.wait()

    def notify(self) -> None:
        self._condition.notify()

    def notify_all(self) -> None:
        self._condition.notify_all()


class Ticket:
    """One caller's place in a :class:`Waiters` queue.

    ``item`` is what was handed over (None until then, or when woken
    without one: a timeout, a close).
    """

    __slots__ = ("_future", "item")

    def __init__(self) -> None:
        self.item: Any = None
        self._future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def give(self, item: Any) -> bool:
        """Hand ``item`` over; False if the caller stopped waiting."""
        future = self._future
        if future.done():  # timed out, or its task was cancelled
            return False
        loop = future.get_loop()
        if loop.is_closed():
            return False  # nothing will ever run the caller again
        self.item = item
        if running_loop() is loop:
            future.set_result(None)
        else:  # from another thread or loop (a client let go from elsewhere)
            loop.call_soon_threadsafe(_wake, future)
        return True

    async def wait(self, timeout: float | None) -> None:
        """Return once handed something, or after ``timeout`` seconds.

        A timer resolves the future: no task runs beside the caller, so a
        cancellation lands in the caller, which then owns any handed item.
        """
        future = self._future
        timer = None
        if timeout is not None:
            timer = asyncio.get_running_loop().call_later(timeout, _wake, future)
        try:
            await future
        finally:
            if timer is not None:
                timer.cancel()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Waiters(_handoff.Waiters[Ticket]):
    """The pool's queue of callers, each holding a :class:`Ticket`."""

    ticket_class = Ticket


class Gate:
    """Admit at most ``limit`` operations at once (0 = no limit).

    A caller that finds no free slot within ``timeout`` seconds (None =
    wait forever) gets a BackpressureError.
    """

    def __init__(self, limit: int, timeout: float | None) -> None:
        self._semaphore = asyncio.Semaphore(limit) if limit else None
        self._limit = limit
        self._timeout = timeout

    async def __aenter__(self) -> None:
        semaphore = self._semaphore
        if semaphore is None:
            return
        if not semaphore.locked():
            await semaphore.acquire()
            return
        try:
            await within(semaphore.acquire(), self._timeout)
        except asyncio.TimeoutError:
            raise BackpressureError(_gate_message(self._limit, self._timeout)) from None

    async def __aexit__(self, *exc: object) -> None:
        if self._semaphore is not None:
            self._semaphore.release()


def _gate_message(limit: int, timeout: float | None) -> str:
    return (
        f"{limit} operations were already running and none finished within "
        f"{(timeout or 0) * 1000:.0f} ms (max_concurrent_operations, "
        "operation_queue_timeout_ms)"
    )


async def gather(thunks: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the thunks concurrently; return their results in order.

    The first failure is raised once every thunk has finished.
    """
    if len(thunks) == 1:
        return [await thunks[0]()]
    results = await asyncio.gather(
        *(thunk() for thunk in thunks), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


class Periodic:
    """Run ``action`` every ``interval`` seconds until stopped."""

    def __init__(
        self, name: str, action: Callable[[], Awaitable[None]], interval: float
    ):
        self._action = action
        self._interval = interval
        self._stopped = False
        self._task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._run(), name=name
        )

    async def _run(self) -> None:
        # The flag ends the loop even if a cancellation gets lost on the way.
        while not self._stopped:
            await asyncio.sleep(self._interval)
            if not self._stopped:
                await self._action()

    def cancel(self) -> None:
        self._stopped = True
        self._task.cancel()

    async def stop(self) -> None:
        self._stopped = True
        task = self._task
        if task.done():
            return
        task.cancel()
        if task is asyncio.current_task():
            return
        with contextlib.suppress(asyncio.CancelledError):
            await task


# Bytes a connection buffers unread before it pauses the socket.
_READ_HIGH_WATER = 4 * 1024 * 1024


class _FrameProtocol(asyncio.Protocol):
    """Collect bytes and hand out one framed message per request."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False
        self.error: Exception | None = None
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._deliver()
        # Nobody is reading (a slow query consumer): stop taking bytes so
        # the server waits, instead of buffering a whole stream here.
        waiting = self.waiter is not None and not self.waiter.done()
        if not waiting and len(self.buffer) > _READ_HIGH_WATER and self.transport:
            self.transport.pause_reading()
            self.paused = True

    def want_more(self) -> None:
        """A reader waits for a frame: take bytes again if paused."""
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    def _deliver(self) -> None:
        waiter = self.waiter
        buffer = self.buffer
        if waiter is None or waiter.done() or len(buffer) < PROTO_HEADER_SIZE:
            return
        version, msg_type, size = parse_proto_header(buffer)
        if size > MAX_PROTO_SIZE or version != PROTO_VERSION:
            waiter.set_exception(
                ConnectionFailure(
                    "reply is not an Aerospike frame "
                    f"(protocol version {version}, {size} bytes)"
                )
            )
            return
        end = PROTO_HEADER_SIZE + size
        if len(buffer) < end:
            return
        body = bytes(buffer[PROTO_HEADER_SIZE:end])
        del buffer[:end]
        waiter.set_result((msg_type, body))

    def eof_received(self) -> bool:
        self._fail(ConnectionFailure("the server closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(
            ConnectionFailure(f"connection lost: {exc}" if exc else "connection closed")
        )

    def _fail(self, error: Exception) -> None:
        self.closed = True
        self.error = error
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)


class Connection:
    """One socket to a node, carrying one request at a time."""

    def __init__(
        self, transport: asyncio.Transport, protocol: _FrameProtocol, address: str
    ) -> None:
        self._transport = transport
        self._protocol = protocol
        self.address = address
        self.last_used = monotonic()
        self.session_token: bytes | None = None

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        timeout: float | None,
        tls: ssl.SSLContext | None = None,
        tls_name: str | None = None,
    ) -> Connection:
        """Connect to ``host:port`` within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        address = f"{host}:{port}"
        try:
            transport, protocol = await within(
                loop.create_connection(
                    _FrameProtocol,
                    host,
                    port,
                    ssl=tls,
                    server_hostname=(tls_name or host) if tls else None,
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            raise AerospikeTimeoutError(
                f"connecting to {address} timed out after {timeout:.3f}s"
            ) from None
        except ssl.SSLError as exc:
            raise ConnectionFailure(
                f"TLS handshake with {address} failed: {exc}"
            ) from exc
        except OSError as exc:
            raise ConnectionFailure(f"cannot connect to {address}: {exc}") from exc
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(transport, protocol, address)

    @property
    def is_closed(self) -> bool:
        return self._protocol.closed or self._transport.is_closing()

    def is_stale(self) -> bool:
        """True when an idle connection was closed or has unread bytes."""
        return self.is_closed or bool(self._protocol.buffer)

    async def request(self, data: bytes, timeout: float | None) -> tuple[int, bytes]:
        """Send a framed request; return the reply's ``(type, body)``."""
        await self.send(data)
        return await self.receive(timeout)

    async def send(self, data: bytes) -> None:
        protocol = self._protocol
        if protocol.closed:
            raise protocol.error or ConnectionFailure("connection is closed")
        self._transport.write(data)

    async def receive(self, timeout: float | None) -> tuple[int, bytes]:
        """Wait for the next framed message."""
        protocol = self._protocol
        if protocol.closed and not protocol.buffer:
            raise protocol.error or ConnectionFailure("connection is closed")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        protocol.waiter = waiter
        protocol._deliver()
        protocol.want_more()
        if not waiter.done() and protocol.closed:
            raise protocol.error or ConnectionFailure("connection is closed")
        handle = None
        if timeout is not None and not waiter.done():
            handle = loop.call_later(timeout, _expire, waiter, self.address, timeout)
        try:
            result = await waiter
        finally:
            protocol.waiter = None
            if handle is not None:
                handle.cancel()
        self.last_used = monotonic()
        return result

    def close(self) -> None:
        self._protocol.closed = True
        try:
            self._transport.close()
        except RuntimeError:
            pass  # its event loop has ended: nothing is left to close it

    async def aclose(self) -> None:
        self.close()


def _expire(waiter: asyncio.Future[Any], address: str, timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(
            AerospikeTimeoutError(f"no reply from {address} within {timeout:.3f}s")
        )
