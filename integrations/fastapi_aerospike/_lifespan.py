"""Connect at startup, close at shutdown, and hand the client to requests.

    app = FastAPI(lifespan=fastapi_aerospike.lifespan(settings))

    @app.get("/users/{uid}")
    async def user(uid: str, client: AerospikeClient): ...

Each run of the lifespan creates its own ``AsyncClient`` on the running
event loop and closes it at shutdown, so an app started twice in one
process (two ``TestClient`` blocks, two loops) never reuses a client bound
to a dead loop. The client connects at startup, which fails when the
cluster is unreachable, or with ``AerospikeSettings(connect_at_startup=
False)`` on first use: everything of the run (the dependencies, the cache
and session engines, the health check) reaches it through one
``ClientConnector``, so requests arriving together share one attempt, and
a failed attempt is retried by the next use.

The run is published as lifespan state (``request.state``) and, for
servers that do not pass lifespan state on (httpx's ``ASGITransport``),
as ``app.state.aerospike``. At startup, every GET route of a ``cached``
endpoint gets a HEAD twin, kept out of the OpenAPI schema, since FastAPI
registers ``@app.get`` for GET alone.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection
from starlette.types import Scope

from aerospike_py._async.client import AsyncClient
from aerospike_py.cache import AsyncCacheEngine
from aerospike_py.exception import AerospikeError, ClientError
from aerospike_py.sessions import AsyncSessionEngine
from fastapi_aerospike._errors import http_errors
from fastapi_aerospike._settings import (
    AerospikeSettings,
    SettingsSource,
    resolve_settings,
)

STATE_KEY = "aerospike"
NOT_STARTED = (
    "no Aerospike client for this app: pass "
    "lifespan=fastapi_aerospike.lifespan(settings) to FastAPI(...), and enter "
    "TestClient with 'with TestClient(app) as client:' so the lifespan runs"
)
SHUT_DOWN = "the app has shut down; its Aerospike client is closed"

# Set on the endpoints that fastapi_aerospike.cached wraps.
CACHED_MARK = "cache_namespace"

AppLifespan = Callable[[Any], AbstractAsyncContextManager[Mapping[str, Any] | None]]


class ClientConnector:
    """The app's client, connected when first asked for (a ClientSource).

    Calls that find the client unconnected wait for one attempt at a
    time; those that waited while an attempt failed get its error instead
    of trying again at once, so a burst of requests during an outage makes
    one attempt, not one each. The next call after a failure tries again.
    After ``close()`` it never connects again.
    """

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self._lock = asyncio.Lock()
        self._attempts = 0
        self._failure: AerospikeError | None = None
        self._closed = False

    async def __call__(self) -> AsyncClient:
        if not self.client.is_connected():
            await self._connect()
        return self.client

    async def _connect(self) -> None:
        attempts = self._attempts
        async with self._lock:
            if self._closed:
                raise ClientError(SHUT_DOWN)
            if self.client.is_connected():
                return
            if self._attempts != attempts and self._failure is not None:
                raise self._failure  # the attempt made while this call waited
            self._failure = None
            try:
                await self.client.connect()
            except AerospikeError as exc:
                self._failure = exc
                raise
            finally:
                self._attempts += 1

    async def close(self) -> None:
        """Close the client, after an attempt in progress; never reconnect."""
        self._closed = True
        async with self._lock:
            await self.client.close()


@dataclass(frozen=True)
class AerospikeRuntime:
    """What one run of the app shares between its requests.

    ``client`` is connected only once ``connected_client()`` returned it
    (at startup, unless ``AerospikeSettings.connect_at_startup`` is False).
    """

    settings: AerospikeSettings
    client: AsyncClient
    cache: AsyncCacheEngine
    sessions: AsyncSessionEngine
    loop: asyncio.AbstractEventLoop
    connector: ClientConnector

    async def connected_client(self) -> AsyncClient:
        """The client, connected first if it is not (ClusterError when the
        cluster is unreachable)."""
        return await self.connector()


async def start_runtime(settings: AerospikeSettings) -> AerospikeRuntime:
    """Create the client for ``settings`` on the running loop.

    It connects here, raising if the cluster is unreachable, unless
    ``settings.connect_at_startup`` is False.
    """
    client = AsyncClient(settings.client_config())
    connector = ClientConnector(client)
    if settings.connect_at_startup:
        await connector()
    cache = AsyncCacheEngine(
        connector,
        namespace=settings.namespace,
        set_name=settings.cache_set,
        serializer="msgpack",
        ignore_exceptions=settings.cache_ignore_exceptions,
    )
    sessions = AsyncSessionEngine(
        connector, namespace=settings.namespace, set_name=settings.session_set
    )
    loop = asyncio.get_running_loop()
    return AerospikeRuntime(settings, client, cache, sessions, loop, connector)


class AerospikeLifespan:
    """A FastAPI lifespan that owns one ``AsyncClient`` per run.

    ``app_lifespan``, the app's own lifespan, runs inside it: after the
    client connects (or, without ``connect_at_startup``, is created) and
    before it closes, with its state merged in.
    """

    def __init__(
        self, config: SettingsSource, app_lifespan: AppLifespan | None = None
    ) -> None:
        self.settings = resolve_settings(config)
        if inspect.isasyncgenfunction(app_lifespan):
            app_lifespan = asynccontextmanager(app_lifespan)
        self.app_lifespan = app_lifespan

    @asynccontextmanager
    async def __call__(self, app: Any) -> AsyncIterator[dict[str, Any]]:
        add_head_routes(app)
        runtime = await start_runtime(self.settings)
        app.state.aerospike = runtime
        try:
            if self.app_lifespan is None:
                yield {STATE_KEY: runtime}
            else:
                async with self.app_lifespan(app) as app_state:
                    yield {**(app_state or {}), STATE_KEY: runtime}
        finally:
            if getattr(app.state, "aerospike", None) is runtime:
                del app.state.aerospike
            await runtime.connector.close()


def add_head_routes(app: Any) -> None:
    """Route HEAD to each cached GET endpoint that has no HEAD route yet."""
    routes = getattr(getattr(app, "router", None), "routes", None)
    if not isinstance(routes, list):
        return
    api_routes = [route for route in routes if isinstance(route, APIRoute)]
    answered = {route.path for route in api_routes if "HEAD" in (route.methods or ())}
    with_twins: list[Any] = []
    for route in routes:
        with_twins.append(route)
        if isinstance(route, APIRoute) and _needs_head_twin(route, answered):
            twin = copy.copy(route)
            twin.methods = {"HEAD"}
            twin.include_in_schema = False
            with_twins.append(twin)
    routes[:] = with_twins


def _needs_head_twin(route: APIRoute, answered: set[str]) -> bool:
    return (
        "GET" in (route.methods or ())
        and route.path not in answered
        and hasattr(route.endpoint, CACHED_MARK)
    )


def lifespan(
    config: SettingsSource, app_lifespan: AppLifespan | None = None
) -> AerospikeLifespan:
    """Return a lifespan that connects Aerospike for the app's lifetime.

    ``config`` is an :class:`AerospikeSettings`, a ClientConfig dict, or an
    object with ``client_config()``. Startup fails while the cluster is
    unreachable unless the settings say ``connect_at_startup=False``.
    Compose with your own lifespan by passing it as ``app_lifespan``, or
    by entering this one inside yours::

        aerospike = fastapi_aerospike.lifespan(settings)

        @asynccontextmanager
        async def app_lifespan(app):
            async with aerospike(app) as state:
                yield {**state, "other": ...}
    """
    return AerospikeLifespan(config, app_lifespan)


def runtime_of(scope: Scope) -> AerospikeRuntime:
    """The running app's Aerospike runtime; RuntimeError when not started."""
    runtime = (scope.get("state") or {}).get(STATE_KEY)
    if runtime is None:
        app_state = getattr(scope.get("app"), "state", None)
        runtime = getattr(app_state, "aerospike", None)
    if not isinstance(runtime, AerospikeRuntime):
        raise RuntimeError(NOT_STARTED)
    if runtime.loop is not asyncio.get_running_loop():
        raise RuntimeError(
            "the Aerospike client of this app was connected on another event "
            "loop; run the app's lifespan on the loop that serves requests"
        )
    return runtime


async def get_client(connection: HTTPConnection) -> AsyncIterator[AsyncClient]:
    """Yield the app's connected ``AsyncClient`` (a FastAPI dependency).

    This is the shared client of the whole app, with no deadline of the
    request's (see ``AerospikeRequest`` for that). An Aerospike timeout
    while the request uses it answers 504, an unreachable cluster 503
    (also when the client, not connected at startup, cannot connect now).
    """
    runtime = runtime_of(connection.scope)
    async with http_errors():
        yield await runtime.connected_client()


async def get_cache(connection: HTTPConnection) -> AsyncIterator[AsyncCacheEngine]:
    """Yield the app's response cache engine, e.g. to invalidate entries."""
    runtime = runtime_of(connection.scope)
    async with http_errors():
        yield runtime.cache


AerospikeClient = Annotated[AsyncClient, Depends(get_client)]
AerospikeCache = Annotated[AsyncCacheEngine, Depends(get_cache)]
