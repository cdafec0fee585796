"""Many requests at once, through httpx's AsyncClient on one event loop."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from aerospike_py import operations as op
from fastapi_aerospike import AerospikeRequest, cached

pytestmark = pytest.mark.anyio
REQUESTS = 100


@asynccontextmanager
async def running(app: FastAPI):
    """Run the app's lifespan and give an httpx client talking to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as c:
            yield c


async def test_100_concurrent_requests_each_get_their_own_increment(
    make_app, aerospike_client, aerospike_set
):
    app = make_app()

    @app.put("/counter")
    async def bump(db: AerospikeRequest) -> int:
        record = await db.operate("hits", [op.increment("n", 1), op.read("n")])
        return record.bins["n"]

    async with running(app) as client:
        responses = await asyncio.gather(
            *(client.put("/counter") for _ in range(REQUESTS))
        )

    assert all(response.status_code == 200 for response in responses)
    assert sorted(response.json() for response in responses) == list(
        range(1, REQUESTS + 1)
    )
    assert aerospike_client.get(("test", aerospike_set, "hits")).bins["n"] == REQUESTS


async def test_100_concurrent_misses_compute_once_with_the_fill_lock(make_app):
    app = make_app()
    computed = itertools.count(1)

    @app.get("/report")
    @cached(ttl=60, lock_timeout=10)
    async def report(db: AerospikeRequest) -> dict:
        await asyncio.sleep(0.05)  # a slow query
        return {"computed": next(computed)}

    async with running(app) as client:
        responses = await asyncio.gather(
            *(client.get("/report") for _ in range(REQUESTS))
        )

    assert {response.status_code for response in responses} == {200}
    assert {response.json()["computed"] for response in responses} == {1}
    assert len({response.headers["ETag"] for response in responses}) == 1
    states = Counter(response.headers["X-Cache"] for response in responses)
    assert states == {"MISS": 1, "HIT": REQUESTS - 1}


async def test_100_concurrent_requests_over_many_keys_stay_consistent(
    make_app, aerospike_client, aerospike_set
):
    app = make_app()

    @app.get("/square/{n}")
    @cached(ttl=60)
    async def square(n: int, db: AerospikeRequest) -> dict:
        await db.put(f"seen-{n}", {"n": n})
        return {"n": n, "square": n * n}

    async with running(app) as client:
        responses = await asyncio.gather(
            *(client.get(f"/square/{i % 25}") for i in range(REQUESTS))
        )
        after = await client.get("/square/7")

    assert {response.status_code for response in responses} == {200}
    for i, response in enumerate(responses):
        assert response.json() == {"n": i % 25, "square": (i % 25) ** 2}
    assert after.headers["X-Cache"] == "HIT"
    assert aerospike_client.get(("test", aerospike_set, "seen-24")).bins == {"n": 24}
