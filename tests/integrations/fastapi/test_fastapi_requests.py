"""The request-scoped client: defaults, one deadline per request, counters,
release after the response, and Aerospike errors as HTTP answers."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Request

from aerospike_py import operations as op
from aerospike_py.exception import ClientError
from fastapi_aerospike import (
    AerospikeClient,
    AerospikeRequest,
    RequestClient,
    exception_handlers,
    lifespan,
    request_client,
)

OTHER_SET = "fastapi_requests_other"
OtherSet = Annotated[RequestClient, Depends(request_client(set_name=OTHER_SET))]
TIMED_OUT = {"detail": "Aerospike did not answer in time"}
UNAVAILABLE = {"detail": "Aerospike is unavailable"}


def add_routes(app: FastAPI) -> None:
    @app.put("/visits/{page}")
    async def visit(page: str, db: AerospikeRequest) -> int:
        record = await db.operate(page, [op.increment("n", 1), op.read("n")])
        return record.bins["n"]

    @app.get("/slow")
    async def three_reads(db: AerospikeRequest) -> str:
        for _ in range(3):
            await db.exists("anything")
        return "done"


def test_bare_keys_go_to_the_default_namespace_and_set(
    make_app, serve, aerospike_client, aerospike_set
):
    app = make_app()
    add_routes(app)
    client = serve(app)

    assert [client.put("/visits/home").json() for _ in range(3)] == [1, 2, 3]
    assert aerospike_client.get(("test", aerospike_set, "home")).bins == {"n": 3}


def test_request_client_factory_chooses_another_set(make_app, serve, aerospike_client):
    app = make_app()

    @app.post("/notes/{key}")
    async def note(key: str, text: str, db: OtherSet) -> None:
        await db.put(key, {"text": text})

    assert serve(app).post("/notes/n1", params={"text": "hi"}).status_code == 200
    assert aerospike_client.get(("test", OTHER_SET, "n1")).bins == {"text": "hi"}


def test_counters_report_the_calls_of_one_request(make_app, serve):
    app = make_app()

    @app.get("/work")
    async def work(db: AerospikeRequest) -> dict:
        await db.put("a", {"x": 1})
        await db.put("b", {"x": 2})
        await db.get("a")
        return dataclasses.asdict(db.stats)

    stats = serve(app).get("/work").json()

    assert stats["calls"] == 3 and stats["errors"] == 0
    assert stats["operations"] == {"put": 2, "get": 1}
    assert stats["elapsed_ms"] > 0


def test_handles_of_one_request_share_their_counters(make_app, serve):
    app = make_app()

    @app.get("/both")
    async def both(db: AerospikeRequest, other: OtherSet) -> int:
        await db.exists("a")
        await other.exists("b")
        return db.stats.calls

    assert serve(app).get("/both").json() == 2


def test_a_handle_refuses_calls_after_its_request_ended(make_app, serve):
    app = make_app()
    kept: list[RequestClient] = []

    @app.get("/keep")
    async def keep(db: AerospikeRequest) -> None:
        kept.append(db)

    serve(app).get("/keep")

    with pytest.raises(ClientError, match="request has ended"):
        asyncio.run(kept[0].get("a"))


def test_configured_deadline_turns_a_slow_cluster_into_504(
    private_server, private_settings, serve
):
    settings = dataclasses.replace(private_settings, request_timeout_ms=100)
    app = FastAPI(lifespan=lifespan(settings))
    add_routes(app)
    client = serve(app)
    private_server.delay_replies(0.5)

    start = time.perf_counter()
    response = client.put("/visits/home")

    assert response.status_code == 504
    assert response.json() == TIMED_OUT
    assert time.perf_counter() - start < 0.45


def test_the_deadline_bounds_all_calls_of_a_request_together(
    private_server, private_settings, serve
):
    settings = dataclasses.replace(private_settings, request_timeout_ms=250)
    app = FastAPI(lifespan=lifespan(settings))
    add_routes(app)
    client = serve(app)
    private_server.delay_replies(0.1)  # each call fits, three do not

    assert client.get("/slow").status_code == 504
    settings_ok = dataclasses.replace(private_settings, request_timeout_ms=1000)
    app_ok = FastAPI(lifespan=lifespan(settings_ok))
    add_routes(app_ok)
    assert serve(app_ok).get("/slow").json() == "done"


def test_a_header_shortens_the_deadline(private_server, private_settings, serve):
    settings = dataclasses.replace(private_settings, request_timeout_ms=5000)
    app = FastAPI(lifespan=lifespan(settings))
    add_routes(app)
    client = serve(app)
    private_server.delay_replies(0.2)

    assert client.put("/visits/p").status_code == 200
    response = client.put("/visits/p", headers={"X-Request-Timeout-Ms": "50"})
    assert response.status_code == 504


def test_a_header_cannot_extend_the_configured_deadline(
    private_server, private_settings, serve
):
    settings = dataclasses.replace(private_settings, request_timeout_ms=50)
    app = FastAPI(lifespan=lifespan(settings))
    add_routes(app)
    client = serve(app)
    private_server.delay_replies(0.2)

    response = client.put("/visits/p", headers={"X-Request-Timeout-Ms": "5000"})

    assert response.status_code == 504


def with_timeout(settings, section: str, total_timeout_ms: int, **changes):
    """``settings`` whose client has this default total_timeout for one
    section of its policies."""
    policies = {section: {"total_timeout": total_timeout_ms}}
    client = {**settings.client, "policies": policies}
    return dataclasses.replace(settings, client=client, **changes)


@pytest.mark.parametrize(
    ("section", "method", "path"),
    [("read", "GET", "/slow"), ("write", "PUT", "/visits/p")],
)
def test_the_deadline_keeps_a_shorter_configured_timeout(
    private_server, private_settings, serve, section, method, path
):
    settings = with_timeout(private_settings, section, 200, request_timeout_ms=5000)
    app = FastAPI(lifespan=lifespan(settings))
    add_routes(app)
    client = serve(app)
    private_server.delay_replies(2.5)

    start = time.perf_counter()
    response = client.request(method, path)

    assert response.status_code == 504
    assert time.perf_counter() - start < 1.5


def test_a_header_cannot_extend_the_configured_timeout(
    private_server, private_settings, serve
):
    app = FastAPI(lifespan=lifespan(with_timeout(private_settings, "read", 200)))
    add_routes(app)
    client = serve(app)
    private_server.delay_replies(2.5)

    start = time.perf_counter()
    response = client.get("/slow", headers={"X-Request-Timeout-Ms": "5000"})

    assert response.status_code == 504
    assert time.perf_counter() - start < 1.5


def test_a_calls_own_timeout_still_ends_by_the_deadline(
    private_server, private_settings, serve
):
    settings = dataclasses.replace(private_settings, request_timeout_ms=200)
    app = FastAPI(lifespan=lifespan(settings))

    @app.get("/patient")
    async def patient(db: AerospikeRequest) -> None:
        await db.get("anything", policy={"total_timeout": 5000})

    client = serve(app)
    private_server.delay_replies(2.5)

    start = time.perf_counter()
    assert client.get("/patient").status_code == 504
    assert time.perf_counter() - start < 1.5


@pytest.mark.parametrize("value", ["soon", "0", "-3"])
def test_a_malformed_deadline_header_is_a_422(make_app, serve, value):
    app = make_app()
    add_routes(app)

    response = serve(app).put("/visits/p", headers={"X-Request-Timeout-Ms": value})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "X-Request-Timeout-Ms"]


def test_an_unreachable_cluster_is_a_503_not_a_traceback(
    private_server, private_settings, serve
):
    app = FastAPI(lifespan=lifespan(private_settings))
    add_routes(app)

    @app.get("/raw")
    async def raw(client: AerospikeClient) -> None:
        await client.get(("test", "s", "k"))

    client = serve(app)
    private_server.stop()

    for path, method in (("/visits/p", "PUT"), ("/raw", "GET")):
        response = client.request(method, path)
        assert response.status_code == 503
        assert response.json() == UNAVAILABLE


def test_exception_handlers_cover_code_outside_the_dependencies(
    private_server, private_settings, serve
):
    app = FastAPI(
        lifespan=lifespan(private_settings), exception_handlers=exception_handlers
    )

    @app.get("/plain")
    async def plain(request: Request) -> None:
        await request.state.aerospike.client.get(("test", "s", "k"))

    client = serve(app)
    private_server.stop()

    response = client.get("/plain")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


def test_a_missing_record_is_a_404_told_apart_from_an_unknown_path(
    settings, aerospike_set, serve
):
    app = FastAPI(lifespan=lifespan(settings), exception_handlers=exception_handlers)

    @app.get("/records/{key}")
    async def read(key: str, client: AerospikeClient) -> dict:
        return (await client.get(("test", aerospike_set, key))).bins

    client = serve(app)
    missing_record = client.get("/records/nobody")
    unknown_path = client.get("/no/such/route")

    assert missing_record.status_code == unknown_path.status_code == 404
    assert missing_record.json() == {"detail": "record not found"}
    assert unknown_path.json() == {"detail": "Not Found"}


def test_invalid_bodies_are_fastapis_422_as_usual(make_app, serve):
    app = make_app()

    @app.post("/numbers")
    async def numbers(values: list[int], db: AerospikeRequest) -> int:
        await db.put("numbers", {"values": values})
        return len(values)

    client = serve(app)
    assert client.post("/numbers", json=[1, 2]).json() == 2
    response = client.post("/numbers", json=["x"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 0]
