"""The blocking I/O backend: connections, locks, sleeping, concurrency.

The twin of ``aerospike_py._async._backend`` with the same names, built on
sockets and threads. The generated code under ``_sync`` uses only these.
"""

from __future__ import annotations

import inspect
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aerospike_py import _handoff
from aerospike_py.exception import (
    AerospikeTimeoutError,
    BackpressureError,
    ConnectionFailure,
    InvalidArgError,
)
from aerospike_py.wire.message import (
    MAX_PROTO_SIZE,
    PROTO_VERSION,
    PROTO_HEADER_SIZE,
    parse_proto_header,
)

T = TypeVar("T")

_RECV_CHUNK = 65536

monotonic = time.monotonic
sleep = time.sleep


def running_loop() -> Any:
    """Blocking code runs in no event loop."""
    return None


def call_in_loop(loop: Any, callbacks: Sequence[Callable[[], object]]) -> None:
    for callback in callbacks:
        callback()


def settle(value: Any) -> Any:
    """A callback's result; an awaitable cannot be waited for here."""
    if inspect.isawaitable(value):
        close = getattr(value, "close", None)
        if close is not None:
            close()  # no "never awaited" warning on top of the error
        raise InvalidArgError(
            "the callback returned an awaitable (is it an async def?); the "
            "blocking client cannot await it: use AsyncClient or a plain function"
        )
    return value


class Lock:
    """A lock usable with ``with``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class Condition:
    """A condition variable (the query stream's hand-off between readers and
    its consumer)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()

    def __enter__(self) -> None:
        self._condition.acquire()

    def __exit__(self, *exc: object) -> None:
        self._condition.release()

    def wait(self) -> None:
        """Wait for a notify."""
        self._condition.wait()

    def notify(self) -> None:
        self._condition.notify()

    def notify_all(self) -> None:
        self._condition.notify_all()


class Ticket:
    """One caller's place in a :class:`Waiters` queue.

    ``item`` is what was handed over (None until then, or when woken
    without one: a close).
    """

    __slots__ = ("_event", "item")

    def __init__(self) -> None:
        self.item: Any = None
        self._event = threading.Event()

    def give(self, item: Any) -> bool:
        """Hand ``item`` over; False if it already holds something."""
        if self._event.is_set():
            return False
        self.item = item
        self._event.set()
        return True

    def wait(self, timeout: float | None) -> None:
        """Return once handed something, or after ``timeout`` seconds.

        Something may still be handed after a timeout, until the owner
        discards the ticket: the owner then finds it in ``item``.
        """
        self._event.wait(timeout)


class Waiters(_handoff.Waiters[Ticket]):
    """The pool's queue of callers, each holding a :class:`Ticket`."""

    ticket_class = Ticket


class Gate:
    """Admit at most ``limit`` operations at once (0 = no limit).

    A caller that finds no free slot within ``timeout`` seconds (None =
    wait forever) gets a BackpressureError.
    """

    def __init__(self, limit: int, timeout: float | None) -> None:
        self._semaphore = threading.BoundedSemaphore(limit) if limit else None
        self._limit = limit
        self._timeout = timeout

    def __enter__(self) -> None:
        semaphore = self._semaphore
        if semaphore is None:
            return
        if not semaphore.acquire(timeout=self._timeout):
            raise BackpressureError(_gate_message(self._limit, self._timeout))

    def __exit__(self, *exc: object) -> None:
        if self._semaphore is not None:
            self._semaphore.release()


def _gate_message(limit: int, timeout: float | None) -> str:
    return (
        f"{limit} operations were already running and none finished within "
        f"{(timeout or 0) * 1000:.0f} ms (max_concurrent_operations, "
        "operation_queue_timeout_ms)"
    )


def gather(thunks: Sequence[Callable[[], T]]) -> list[T]:
    """Run the thunks concurrently on threads; return results in order.

    The first failure is raised once every thunk has finished.
    """
    if len(thunks) <= 1:
        return [thunk() for thunk in thunks]
    results: list[Any] = [None] * len(thunks)
    failures: list[BaseException | None] = [None] * len(thunks)

    def run(index: int) -> None:
        try:
            results[index] = thunks[index]()
        except BaseException as exc:
            failures[index] = exc

    threads = [
        threading.Thread(target=run, args=(i,), name="aerospike-batch", daemon=True)
        for i in range(1, len(thunks))
    ]
    for thread in threads:
        thread.start()
    run(0)
    for thread in threads:
        thread.join()
    for failure in failures:
        if failure is not None:
            raise failure
    return results


class Periodic:
    """Run ``action`` every ``interval`` seconds on a daemon thread."""

    def __init__(self, name: str, action: Callable[[], None], interval: float):
        self._action = action
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._action()

    def cancel(self) -> None:
        self._stopped.set()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join()


class Connection:
    """One socket to a node, carrying one request at a time."""

    def __init__(self, sock: socket.socket, address: str) -> None:
        self._sock = sock
        self.address = address
        self.last_used = monotonic()
        self.session_token: bytes | None = None
        self._closed = False
        self._pending = bytearray()

    @classmethod
    def open(
        cls,
        host: str,
        port: int,
        timeout: float | None,
        tls: ssl.SSLContext | None = None,
        tls_name: str | None = None,
    ) -> Connection:
        """Connect to ``host:port`` within ``timeout`` seconds."""
        address = f"{host}:{port}"
        try:
            sock = socket.create_connection((host, port), timeout)
        except socket.timeout:
            raise AerospikeTimeoutError(
                f"connecting to {address} timed out after {timeout:.3f}s"
            ) from None
        except OSError as exc:
            raise ConnectionFailure(f"cannot connect to {address}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            try:
                sock = tls.wrap_socket(sock, server_hostname=tls_name or host)
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                raise ConnectionFailure(
                    f"TLS handshake with {address} failed: {exc}"
                ) from exc
        return cls(sock, address)

    @property
    def is_closed(self) -> bool:
        return self._closed

    def is_stale(self) -> bool:
        """True when an idle connection was closed or has unread bytes."""
        if self._closed:
            return True
        if self._pending:
            return True
        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def request(self, data: bytes, timeout: float | None) -> tuple[int, bytes]:
        """Send a framed request; return the reply's ``(type, body)``."""
        self.send(data)
        return self.receive(timeout)

    def send(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionFailure(f"connection to {self.address} is closed")
        try:
            self._sock.sendall(data)
        except OSError as exc:
            self.close()
            raise ConnectionFailure(f"sending to {self.address} failed: {exc}") from exc

    def receive(self, timeout: float | None) -> tuple[int, bytes]:
        """Wait for the next framed message.

        Bytes that arrive beyond one frame (the next frames of a batch or
        scan stream) stay buffered for the next call.
        """
        deadline = None if timeout is None else monotonic() + timeout
        pending = self._pending
        while len(pending) < PROTO_HEADER_SIZE:
            self._fill(PROTO_HEADER_SIZE - len(pending), deadline, timeout)
        version, msg_type, size = parse_proto_header(pending)
        if size > MAX_PROTO_SIZE or version != PROTO_VERSION:
            self.close()
            raise ConnectionFailure(
                f"reply from {self.address} is not an Aerospike frame "
                f"(protocol version {version}, {size} bytes)"
            )
        end = PROTO_HEADER_SIZE + size
        while len(pending) < end:
            self._fill(end - len(pending), deadline, timeout)
        body = bytes(pending[PROTO_HEADER_SIZE:end])
        del pending[:end]
        self.last_used = monotonic()
        return msg_type, body

    def _fill(self, wanted: int, deadline: float | None, timeout: float | None) -> None:
        """Append at least one byte (up to a large chunk) to the buffer."""
        sock = self._sock
        if deadline is not None:
            remaining = deadline - monotonic()
            if remaining <= 0:
                self._time_out(timeout)
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            data = sock.recv(max(wanted, _RECV_CHUNK))
        except socket.timeout:
            self._time_out(timeout)
        except OSError as exc:
            self.close()
            raise ConnectionFailure(
                f"receiving from {self.address} failed: {exc}"
            ) from exc
        if not data:
            self.close()
            raise ConnectionFailure(f"{self.address} closed the connection")
        self._pending += data

    def _time_out(self, timeout: float | None) -> None:
        self.close()
        raise AerospikeTimeoutError(
            f"no reply from {self.address} within {timeout:.3f}s"
        )

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._sock.close()
            except OSError:
                pass

    def aclose(self) -> None:
        self.close()
