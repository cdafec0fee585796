"""The lifespan helper, get_client, and the app's client across event loops."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from contextlib import asynccontextmanager

import httpx
import itsdangerous
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from aerospike_py.exception import ClusterError, InvalidArgError
from fastapi_aerospike import (
    AerospikeClient,
    AerospikeLifespan,
    AerospikeRequest,
    AerospikeSettings,
    SessionMiddleware,
    cached,
    health_router,
    lifespan,
)
from fastapi_aerospike._sessions import SALT as SESSION_SALT

SECRET = "test-secret"
UNAVAILABLE = {"detail": "Aerospike is unavailable"}


def add_reader(app: FastAPI, set_name: str) -> None:
    @app.get("/records/{key}")
    async def read(key: str, client: AerospikeClient) -> dict:
        return (await client.get(("test", set_name, key))).bins


def test_get_client_reads_what_another_client_wrote(
    make_app, serve, aerospike_client, aerospike_set
):
    aerospike_client.put(("test", aerospike_set, "ada"), {"name": "Ada"})
    app = make_app()
    add_reader(app, aerospike_set)

    response = serve(app).get("/records/ada")

    assert response.status_code == 200
    assert response.json() == {"name": "Ada"}


def test_client_connects_at_startup_and_closes_at_shutdown(make_app):
    app = make_app()
    with TestClient(app):
        runtime = app.state.aerospike
        assert runtime.client.is_connected()
    assert not runtime.client.is_connected()
    assert not hasattr(app.state, "aerospike")


def test_app_lifespan_runs_inside_with_its_state_merged(settings, serve):
    seen = {}

    @asynccontextmanager
    async def app_lifespan(app: FastAPI):
        seen["connected_at_startup"] = app.state.aerospike.client.is_connected()
        yield {"greeting": "hello"}
        seen["connected_at_shutdown"] = app.state.aerospike.client.is_connected()

    app = FastAPI(lifespan=lifespan(settings, app_lifespan))

    @app.get("/state")
    async def state(request: Request) -> dict:
        return {
            "greeting": request.state.greeting,
            "namespace": request.state.aerospike.settings.namespace,
        }

    with TestClient(app) as client:
        assert client.get("/state").json() == {"greeting": "hello", "namespace": "test"}
    assert seen == {"connected_at_startup": True, "connected_at_shutdown": True}


def test_async_generator_app_lifespan_is_accepted(settings, serve):
    async def app_lifespan(app: FastAPI):
        yield {"answer": 42}

    app = FastAPI(lifespan=lifespan(settings, app_lifespan))

    @app.get("/answer")
    async def answer(request: Request) -> int:
        return request.state.answer

    assert serve(app).get("/answer").json() == 42


def test_lifespan_can_be_entered_inside_the_apps_own(settings, aerospike_set, serve):
    aerospike = lifespan(settings)

    @asynccontextmanager
    async def app_lifespan(app: FastAPI):
        async with aerospike(app) as state:
            client = state["aerospike"].client
            await client.put(("test", aerospike_set, "seed"), {"n": 1})
            yield state

    app = FastAPI(lifespan=app_lifespan)
    add_reader(app, aerospike_set)

    assert serve(app).get("/records/seed").json() == {"n": 1}


def test_app_run_twice_under_two_event_loops_gets_a_fresh_client(
    make_app, aerospike_client, aerospike_set
):
    aerospike_client.put(("test", aerospike_set, "k"), {"v": 1})
    app = make_app()
    add_reader(app, aerospike_set)
    clients = []

    for _ in range(2):
        with TestClient(app) as client:
            assert client.get("/records/k").json() == {"v": 1}
            clients.append(app.state.aerospike.client)

    assert clients[0] is not clients[1]
    assert not clients[0].is_connected()


def test_app_run_twice_with_asyncio_run_and_httpx(
    make_app, aerospike_client, aerospike_set
):
    aerospike_client.put(("test", aerospike_set, "k"), {"v": 2})
    app = make_app()
    add_reader(app, aerospike_set)

    async def one_run() -> dict:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://app"
            ) as client:
                return (await client.get("/records/k")).json()

    assert asyncio.run(one_run()) == {"v": 2}
    assert asyncio.run(one_run()) == {"v": 2}


def test_settings_may_be_any_object_with_client_config(aerospike_server, serve):
    class MySettings:
        def client_config(self):
            return aerospike_server.client_config()

    app = FastAPI(lifespan=lifespan(MySettings()))

    @app.get("/ns")
    async def ns(request: Request) -> str:
        return request.state.aerospike.settings.namespace

    assert serve(app).get("/ns").json() == "test"
    assert isinstance(app.router.lifespan_context, AerospikeLifespan)


def test_a_bad_client_config_fails_when_the_lifespan_is_built():
    with pytest.raises(InvalidArgError, match="hostz"):
        lifespan({"hostz": [("127.0.0.1", 3000)]})


@pytest.mark.parametrize(
    "field, value",
    [
        ("cache_ttl", 0),
        ("request_timeout_ms", -5),
        ("namespace", ""),
        ("connect_at_startup", "no"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(aerospike_config, field, value):
    with pytest.raises(ValueError, match=field):
        AerospikeSettings(client=aerospike_config, **{field: value})


def test_sessions_may_not_share_the_response_caches_set(aerospike_config):
    with pytest.raises(ValueError, match="clearing the cache would end every session"):
        AerospikeSettings(client=aerospike_config, cache_set="s", session_set="s")


def test_without_the_lifespan_the_error_says_how_to_fix_it(aerospike_set):
    app = FastAPI()
    add_reader(app, aerospike_set)
    client = TestClient(app)  # not entered: the lifespan never runs

    with pytest.raises(RuntimeError, match=r"lifespan=fastapi_aerospike\.lifespan"):
        client.get("/records/k")


def test_startup_fails_loudly_when_the_cluster_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = FastAPI(lifespan=lifespan({"hosts": [("127.0.0.1", port)], "timeout": 200}))

    with pytest.raises(ClusterError), TestClient(app):
        pass


def lazy(settings: AerospikeSettings) -> AerospikeSettings:
    """``settings`` that connect on first use, failing fast while down."""
    client = {**settings.client, "timeout": 300}
    return dataclasses.replace(settings, client=client, connect_at_startup=False)


def signed_session_id(session_id: str) -> str:
    """A session cookie as SessionMiddleware(secret_key=SECRET) signs it."""
    signer = itsdangerous.Signer(SECRET, salt=SESSION_SALT)
    return signer.sign(session_id.encode()).decode()


def add_outage_routes(app: FastAPI) -> None:
    app.include_router(health_router)
    app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.put("/counter")
    async def count(db: AerospikeRequest) -> int:
        await db.increment("counter", "n", 1)
        return (await db.get("counter")).bins["n"]

    @app.get("/raw")
    async def raw(client: AerospikeClient) -> bool:
        return (await client.exists(("test", "s", "k"))).meta is None

    @app.get("/visitor")
    async def visitor(request: Request) -> str:
        return request.session.get("name", "guest")

    @app.get("/static")
    @cached()
    async def static() -> str:
        return "no Aerospike needed"


def test_an_app_that_connects_on_first_use_starts_while_aerospike_is_down(
    private_server, private_settings, serve
):
    private_server.stop_node(0)
    app = FastAPI(lifespan=lifespan(lazy(private_settings)))
    add_outage_routes(app)

    client = serve(app)  # startup does not raise

    health = client.get("/health")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "nodes": 0, "latency_ms": None}
    for method, path in (("PUT", "/counter"), ("GET", "/raw")):
        response = client.request(method, path)
        assert response.status_code == 503 and response.json() == UNAVAILABLE
    client.cookies.set("session", signed_session_id("s1"))
    visitor = client.get("/visitor")
    assert visitor.status_code == 503 and visitor.json() == UNAVAILABLE
    assert client.get("/static").json() == "no Aerospike needed"
    client.cookies.clear()

    private_server.start_node(0)

    assert client.get("/health").json()["status"] == "ok"
    assert client.put("/counter").json() == 1
    assert client.get("/raw").json() is True
    assert app.state.aerospike.client.is_connected()


def test_a_client_connecting_on_first_use_is_closed_at_shutdown(settings):
    app = FastAPI(lifespan=lifespan(lazy(settings)))
    app.include_router(health_router)

    with TestClient(app) as client:
        runtime = app.state.aerospike
        assert not runtime.client.is_connected()
        assert client.get("/health").json()["nodes"] == 1
        assert runtime.client.is_connected()
    assert not runtime.client.is_connected()


def test_requests_arriving_during_an_outage_share_one_connect_attempt(
    private_server, private_settings
):
    private_server.stop_answering()  # every attempt waits out its timeout
    app = FastAPI(lifespan=lifespan(lazy(private_settings)))
    app.include_router(health_router)

    async def burst() -> list[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://app"
            ) as client:
                requests = [client.get("/health") for _ in range(8)]
                return [r.status_code for r in await asyncio.gather(*requests)]

    start = time.perf_counter()
    statuses = asyncio.run(burst())
    elapsed = time.perf_counter() - start
    private_server.resume_answering()

    assert statuses == [503] * 8
    assert elapsed < 1.5  # one 300 ms attempt, not eight in a row
