"""The request-scoped client: default namespace and set, one deadline, counters.

    @app.get("/visits/{page}")
    async def visits(page: str, db: AerospikeRequest) -> int:
        record = await db.operate(page, [op.increment("n", 1), op.read("n")])
        return record.bins["n"]

All handles of one request share one deadline and one set of counters.
The deadline comes from ``AerospikeSettings.request_timeout_ms``, shortened
by the ``request_timeout_header`` header when a client sends one. A call
keeps its own ``total_timeout`` (the call's policy, or else the client's
configured default for that kind of command) unless less than that is
left of the deadline: then what is left becomes its ``total_timeout``. So
a request cannot spend more than its budget however many calls it makes,
and the deadline never lengthens a call. After the response the handles
are released: a handle kept past its request refuses further calls.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from fastapi.exceptions import RequestValidationError
from starlette.requests import HTTPConnection

from aerospike_py._async.client import AsyncClient
from aerospike_py.exception import (
    AerospikeError,
    AerospikeTimeoutError,
    ClientError,
)
from aerospike_py.types import BatchRecords, ExistsResult, Record
from fastapi_aerospike._errors import http_errors
from fastapi_aerospike._lifespan import runtime_of
from fastapi_aerospike._settings import MAX_HEADER_TIMEOUT_MS, AerospikeSettings

log = logging.getLogger("fastapi_aerospike")

T = TypeVar("T")
Policy = Mapping[str, Any] | None

# The ClientConfig["policies"] section whose defaults each call runs with,
# as AsyncClient picks them (a scan is a query without a filter).
SECTIONS = {
    "get": "read",
    "select": "read",
    "exists": "read",
    "put": "write",
    "touch": "write",
    "increment": "write",
    "remove": "remove",
    "operate": "operate",
    "batch_read": "batch",
    "batch_remove": "batch",
    "scan": "query",
}


@dataclass
class RequestStats:
    """What one request asked of Aerospike."""

    calls: int = 0
    errors: int = 0
    timeouts: int = 0
    elapsed_ms: float = 0.0
    operations: dict[str, int] = field(default_factory=dict)


@dataclass
class RequestContext:
    """The deadline and counters shared by every handle of one request."""

    timeout_ms: int | None
    deadline: float | None
    stats: RequestStats = field(default_factory=RequestStats)
    released: bool = False

    @classmethod
    def start(cls, timeout_ms: int | None) -> RequestContext:
        if timeout_ms is None:
            return cls(None, None)
        return cls(timeout_ms, time.monotonic() + timeout_ms / 1000)

    def remaining_ms(self, operation: str) -> int | None:
        """Milliseconds left; AerospikeTimeoutError when none are."""
        if self.deadline is None:
            return None
        left = math.ceil((self.deadline - time.monotonic()) * 1000)
        if left <= 0:
            raise AerospikeTimeoutError(
                f"the request's {self.timeout_ms} ms for Aerospike ran out "
                f"before {operation}"
            )
        return left


def timeout_ms(connection: HTTPConnection, settings: AerospikeSettings) -> int | None:
    """The request's budget: the setting, shortened by the header."""
    configured = settings.request_timeout_ms
    name = settings.request_timeout_header
    raw = connection.headers.get(name) if name else None
    if raw is None:
        return configured
    try:
        asked = int(raw)
    except ValueError:
        asked = 0
    if asked <= 0:
        raise RequestValidationError(
            [
                {
                    "type": "greater_than",
                    "loc": ("header", name),
                    "msg": "must be a whole number of milliseconds > 0",
                    "input": raw,
                }
            ]
        )
    return min(asked, configured or MAX_HEADER_TIMEOUT_MS)


async def request_context(
    connection: HTTPConnection,
) -> AsyncIterator[RequestContext]:
    """Yield the request's deadline and counters; release them afterwards.

    An Aerospike timeout inside the request answers 504, an unreachable
    cluster 503, a missing collection record 404.
    """
    runtime = runtime_of(connection.scope)
    context = RequestContext.start(timeout_ms(connection, runtime.settings))
    try:
        async with http_errors():
            yield context
    finally:
        context.released = True
        stats = context.stats
        log.debug(
            "%s %s: %d Aerospike call(s), %d error(s), %.1f ms",
            connection.scope.get("method", "WS"),
            connection.url.path,
            stats.calls,
            stats.errors,
            stats.elapsed_ms,
        )


class RequestClient:
    """The app's ``AsyncClient`` seen through one request.

    A key is a full ``(namespace, set, user_key)`` tuple, or a bare user
    key placed in the handle's namespace and set.
    """

    def __init__(
        self,
        client: AsyncClient,
        context: RequestContext,
        *,
        namespace: str,
        set_name: str | None,
    ) -> None:
        self.client = client
        self.context = context
        self.namespace = namespace
        self.set_name = set_name

    @property
    def stats(self) -> RequestStats:
        return self.context.stats

    def key(self, key: Any, set_name: str | None = None) -> tuple[Any, ...]:
        """A full key for ``key`` (returned as is when it already is one)."""
        if isinstance(key, tuple):
            return key
        return (self.namespace, set_name or self.set_name, key)

    def policy(self, policy: Policy, operation: str = "get") -> dict[str, Any]:
        """``policy`` with a total_timeout that ends by the request's deadline.

        ``operation`` is the name of a method of this class; its section
        of the client's configured policies gives the default timeout.
        """
        merged = dict(policy or {})
        left = self.context.remaining_ms(operation)
        if left is None:
            return merged
        section = SECTIONS.get(operation, "read")
        # The client's own resolution: the call's keys over its defaults.
        own = self.client._policy(section, policy).total_timeout
        merged["total_timeout"] = min(own, left) if own else left
        return merged

    async def _run(
        self,
        operation: str,
        call: Callable[[dict[str, Any]], Awaitable[T]],
        policy: Policy,
    ) -> T:
        if self.context.released:
            raise ClientError(
                f"{operation} on a RequestClient whose request has ended; "
                "depend on get_client for work that outlives the request"
            )
        stats = self.context.stats
        stats.calls += 1
        stats.operations[operation] = stats.operations.get(operation, 0) + 1
        start = time.perf_counter()
        try:
            return await call(self.policy(policy, operation))
        except AerospikeError as exc:
            stats.errors += 1
            stats.timeouts += isinstance(exc, AerospikeTimeoutError)
            raise
        finally:
            stats.elapsed_ms += (time.perf_counter() - start) * 1000

    async def get(self, key: Any, policy: Policy = None) -> Record:
        """Read a record; RecordNotFound when there is none."""
        return await self._run(
            "get", lambda p: self.client.get(self.key(key), p), policy
        )

    async def select(self, key: Any, bins: list[str], policy: Policy = None) -> Record:
        """Read the named bins of a record."""
        return await self._run(
            "select", lambda p: self.client.select(self.key(key), bins, p), policy
        )

    async def exists(self, key: Any, policy: Policy = None) -> ExistsResult:
        """A record's metadata; ``meta`` is None when it does not exist."""
        return await self._run(
            "exists", lambda p: self.client.exists(self.key(key), p), policy
        )

    async def put(
        self,
        key: Any,
        bins: Mapping[str, Any],
        meta: Mapping[str, Any] | None = None,
        policy: Policy = None,
    ) -> None:
        """Write bins to a record."""
        await self._run(
            "put", lambda p: self.client.put(self.key(key), bins, meta, p), policy
        )

    async def remove(
        self, key: Any, meta: Mapping[str, Any] | None = None, policy: Policy = None
    ) -> None:
        """Delete a record; RecordNotFound when there is none."""
        await self._run(
            "remove", lambda p: self.client.remove(self.key(key), meta, p), policy
        )

    async def touch(
        self,
        key: Any,
        val: int = 0,
        meta: Mapping[str, Any] | None = None,
        policy: Policy = None,
    ) -> None:
        """Reset a record's TTL."""
        await self._run(
            "touch", lambda p: self.client.touch(self.key(key), val, meta, p), policy
        )

    async def increment(
        self,
        key: Any,
        bin: str,
        offset: int | float,
        meta: Mapping[str, Any] | None = None,
        policy: Policy = None,
    ) -> None:
        """Add ``offset`` to a numeric bin (created when missing)."""
        await self._run(
            "increment",
            lambda p: self.client.increment(self.key(key), bin, offset, meta, p),
            policy,
        )

    async def operate(
        self,
        key: Any,
        ops: list[dict[str, Any]],
        meta: Mapping[str, Any] | None = None,
        policy: Policy = None,
    ) -> Record:
        """Run operations on one record atomically."""
        return await self._run(
            "operate",
            lambda p: self.client.operate(self.key(key), ops, meta, p),
            policy,
        )

    async def batch_read(
        self, keys: list[Any], bins: list[str] | None = None, policy: Policy = None
    ) -> BatchRecords:
        """Read many records in one batch; one BatchRecord per key, in order."""
        full = [self.key(key) for key in keys]

        async def call(p: dict[str, Any]) -> BatchRecords:
            records = await self.client.batch_read(full, bins, p)
            assert isinstance(records, BatchRecords)
            return records

        return await self._run("batch_read", call, policy)

    async def batch_remove(
        self, keys: list[Any], policy: Policy = None
    ) -> list[Record]:
        """Delete many records in one batch."""
        full = [self.key(key) for key in keys]
        return await self._run(
            "batch_remove", lambda p: self.client.batch_remove(full, p), policy
        )

    async def scan(
        self, set_name: str | None = None, policy: Policy = None
    ) -> list[Record]:
        """Every record of a set (the handle's set by default)."""
        query = self.client.query(self.namespace, set_name or self.set_name)
        return await self._run("scan", query.results, policy)


def request_client(
    *, namespace: str | None = None, set_name: str | None = None
) -> Callable[..., Awaitable[RequestClient]]:
    """Return a dependency giving a RequestClient on this namespace and set.

    Omitted, they default to ``AerospikeSettings.namespace`` and
    ``set_name``.
    """

    async def dependency(
        connection: HTTPConnection,
        context: Annotated[RequestContext, Depends(request_context)],
    ) -> RequestClient:
        """Give the request's client with its default namespace and set."""
        runtime = runtime_of(connection.scope)
        settings = runtime.settings
        async with http_errors():
            client = await runtime.connected_client()
        return RequestClient(
            client,
            context,
            namespace=namespace or settings.namespace,
            set_name=set_name or settings.set_name,
        )

    return dependency


get_request_client = request_client()
AerospikeRequest = Annotated[RequestClient, Depends(get_request_client)]
