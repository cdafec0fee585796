"""Response caching: keys, TTLs, validators, client directives, failures."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from aerospike_py.server import EmbeddedServer, NamespaceConfig
from fastapi_aerospike import AerospikeCache, AerospikeSettings, cached, lifespan


class Item(BaseModel):
    id: int
    name: str


class Database:
    """Stands for a per-request resource such as a DB session."""


def get_db():
    yield Database()  # a new object for every request


@pytest.fixture
def calls():
    return itertools.count(1)


@pytest.fixture
def app(make_app, calls) -> FastAPI:
    app = make_app()

    @app.get("/items/{item_id}")
    @cached(ttl=60)
    async def read_item(item_id: int, q: str = "") -> dict:
        return {"id": item_id, "q": q, "call": next(calls)}

    @app.get("/private/{item_id}")
    @cached()
    async def filtered(item_id: int) -> Item:
        # The response model drops the secret, on a miss and on a hit.
        return {"id": item_id, "name": "thing", "secret": "s3cr3t"}  # type: ignore[return-value]

    @app.get("/with-db")
    @cached()
    async def with_db(db: Annotated[Database, Depends(get_db)]) -> int:
        return next(calls)

    @app.get("/lang")
    @cached(vary=["Accept-Language"])
    async def lang(request: Request) -> dict:
        return {"lang": request.headers.get("accept-language"), "call": next(calls)}

    @app.get("/me")
    @cached(vary=["Authorization"])
    async def me(request: Request) -> str:
        return request.headers["authorization"]

    @app.get("/missing")
    @cached()
    async def missing() -> None:
        next(calls)
        raise HTTPException(404, "nothing here")

    @app.get("/cookie")
    @cached()
    async def cookie(response: Response) -> int:
        response.set_cookie("seen", "yes")
        return next(calls)

    @app.get("/sync")
    @cached()
    def sync_endpoint() -> int:
        return next(calls)

    @app.post("/items")
    @cached()
    async def post_item() -> int:
        return next(calls)

    return app


def test_second_request_is_served_from_the_cache(app, serve):
    client = serve(app)

    first = client.get("/items/1")
    second = client.get("/items/1")

    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    assert first.json() == second.json() == {"id": 1, "q": "", "call": 1}
    assert first.headers["content-type"] == second.headers["content-type"]


def test_query_parameters_change_the_key_but_not_their_order(app, serve):
    client = serve(app)

    a = client.get("/items/1?q=x&z=1").json()
    b = client.get("/items/1?z=1&q=x").json()
    c = client.get("/items/1?q=y").json()

    assert a == b and c["call"] != a["call"]


def test_the_response_model_applies_to_cached_answers(app, serve):
    client = serve(app)

    for state in ("MISS", "HIT"):
        response = client.get("/private/7")
        assert response.headers["X-Cache"] == state
        assert response.json() == {"id": 7, "name": "thing"}


def test_an_injected_dependency_does_not_make_every_key_unique(app, serve):
    client = serve(app)

    assert client.get("/with-db").json() == 1
    response = client.get("/with-db")

    assert response.json() == 1 and response.headers["X-Cache"] == "HIT"


def test_etag_is_the_bodys_sha256_and_if_none_match_gets_304(app, serve):
    client = serve(app)
    response = client.get("/items/3")
    etag = response.headers["ETag"]

    assert etag == '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        revalidated = client.get("/items/3", headers={"If-None-Match": header})
        assert revalidated.status_code == 304
        assert revalidated.content == b""
        assert revalidated.headers["ETag"] == etag
    assert client.get("/items/3", headers={"If-None-Match": '"x"'}).status_code == 200


ETAG_SCRIPT = textwrap.dedent(
    """
    import sys
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from fastapi_aerospike import AerospikeSettings, cached, lifespan

    settings = AerospikeSettings(
        client={"hosts": [("127.0.0.1", int(sys.argv[1]))]}, cache_set=sys.argv[2]
    )
    app = FastAPI(lifespan=lifespan(settings))

    @app.get("/report")
    @cached()
    async def report() -> dict:
        return {"rows": [{"n": n, "name": f"row {n}"} for n in range(20)]}

    with TestClient(app) as client:
        response = client.get("/report", headers={"Cache-Control": "no-cache"})
        assert response.headers["X-Cache"] == "MISS"
        print(response.headers["ETag"])
    """
)


def test_etags_are_identical_across_worker_processes(aerospike_server, settings):
    etags = set()
    for seed in ("1", "2"):
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                ETAG_SCRIPT,
                str(aerospike_server.port),
                settings.cache_set,
            ],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        etags.add(result.stdout.strip())

    assert len(etags) == 1 and next(iter(etags)).startswith('"')


def test_no_store_bypasses_the_cache(app, serve, calls):
    client = serve(app)

    bypassed = client.get("/items/1", headers={"Cache-Control": "no-store"})
    after = client.get("/items/1")

    assert bypassed.headers["X-Cache"] == "BYPASS"
    assert bypassed.json()["call"] == 1
    assert after.headers["X-Cache"] == "MISS" and after.json()["call"] == 2


def test_no_cache_recomputes_and_stores_the_fresh_answer(app, serve):
    client = serve(app)
    client.get("/items/1")

    refreshed = client.get("/items/1", headers={"Cache-Control": "no-cache"})
    after = client.get("/items/1")

    assert refreshed.headers["X-Cache"] == "MISS" and refreshed.json()["call"] == 2
    assert after.headers["X-Cache"] == "HIT" and after.json()["call"] == 2


def cache_ttl(aerospike_client, settings, path_key: str) -> int:
    engine_keys = [
        record.key.user_key
        for record in aerospike_client.query("test", settings.cache_set).results()
        if path_key in str(record.key.user_key)
    ]
    assert len(engine_keys) == 1, engine_keys
    meta = aerospike_client.exists(("test", settings.cache_set, engine_keys[0])).meta
    return meta.ttl


@pytest.mark.parametrize("ttl", [None, 0])
def test_ttl_none_or_zero_means_the_configured_default(
    settings, serve, aerospike_client, ttl
):
    app = FastAPI(lifespan=lifespan(dataclasses.replace(settings, cache_ttl=123)))

    @app.get("/default")
    @cached(ttl=ttl)
    async def default() -> str:
        return "x"

    response = serve(app).get("/default")

    assert response.headers["Cache-Control"] == "max-age=123"
    assert 120 <= cache_ttl(aerospike_client, settings, "/default") <= 123


def test_an_explicit_ttl_wins_and_may_be_a_timedelta(
    make_app, settings, serve, aerospike_client
):
    app = make_app()

    @app.get("/short")
    @cached(ttl=timedelta(seconds=30))
    async def short() -> str:
        return "x"

    assert serve(app).get("/short").headers["Cache-Control"] == "max-age=30"
    assert 27 <= cache_ttl(aerospike_client, settings, "/short") <= 30


def test_a_negative_ttl_is_refused_when_decorating():
    with pytest.raises(ValueError, match="ttl"):
        cached(ttl=-1)
    with pytest.raises(ValueError, match="must not be negative"):
        cached(ttl=timedelta(seconds=-5))


def test_a_sub_second_timedelta_rounds_up_to_one_second(make_app, serve):
    app = make_app()

    @app.get("/blink")
    @cached(ttl=timedelta(milliseconds=500))
    async def blink() -> str:
        return "x"

    assert serve(app).get("/blink").headers["Cache-Control"] == "max-age=1"


def test_vary_headers_keep_answers_apart(app, serve):
    client = serve(app)

    en = client.get("/lang", headers={"Accept-Language": "en"})
    fr = client.get("/lang", headers={"Accept-Language": "fr"})
    en_again = client.get("/lang", headers={"Accept-Language": "en"})

    assert en.json()["lang"] == "en" and fr.json()["lang"] == "fr"
    assert en_again.json() == en.json() and en_again.headers["X-Cache"] == "HIT"
    assert "accept-language" in en.headers["Vary"].lower()


def test_varying_on_authorization_keeps_users_apart_and_tokens_out_of_keys(
    app, serve, aerospike_client, settings
):
    client = serve(app)

    alice = client.get("/me", headers={"Authorization": "Bearer alice-token"})
    bob = client.get("/me", headers={"Authorization": "Bearer bob-token"})

    assert alice.json() == "Bearer alice-token" and bob.json() == "Bearer bob-token"
    assert alice.headers["Cache-Control"].startswith("private")
    keys = [
        str(record.key.user_key)
        for record in aerospike_client.query("test", settings.cache_set).results()
    ]
    assert len(keys) == 2 and not any("token" in key for key in keys)


def test_errors_and_cookies_are_never_stored(app, serve, calls):
    client = serve(app)

    assert [client.get("/missing").status_code for _ in range(2)] == [404, 404]
    assert [client.get("/cookie").json() for _ in range(2)] == [3, 4]
    assert next(calls) == 5


def test_only_safe_methods_are_cached(app, serve):
    client = serve(app)

    assert [client.post("/items").json() for _ in range(2)] == [1, 2]


def test_sync_endpoints_are_cached_too(app, serve):
    client = serve(app)

    assert [client.get("/sync").json() for _ in range(2)] == [1, 1]


def test_entries_can_be_invalidated_through_the_cache_dependency(
    make_app, serve, calls
):
    app = make_app()

    @app.get("/listing")
    @cached()
    async def listing() -> int:
        return next(calls)

    @app.post("/listing/refresh")
    async def refresh(cache: AerospikeCache) -> int:
        return await cache.delete_pattern(f"{listing.cache_namespace}:*")

    client = serve(app)
    assert client.get("/listing").json() == 1
    assert client.post("/listing/refresh").json() == 1
    assert client.get("/listing").json() == 2


@pytest.mark.parametrize("lock_timeout", [None, 5])
def test_a_cache_outage_is_a_miss_not_an_error(
    private_server, private_settings, serve, lock_timeout
):
    app = FastAPI(lifespan=lifespan(private_settings))
    served = itertools.count(1)

    @app.get("/resilient")
    @cached(lock_timeout=lock_timeout)
    async def resilient() -> int:
        return next(served)

    client = serve(app)
    private_server.stop()

    start = time.perf_counter()
    responses = [client.get("/resilient") for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 200]
    assert [r.json() for r in responses] == [1, 2]
    assert time.perf_counter() - start < 2  # no waiting for an unreachable lock


def test_without_fail_open_an_outage_is_a_503(private_server, private_settings, serve):
    settings = dataclasses.replace(private_settings, cache_ignore_exceptions=False)
    app = FastAPI(lifespan=lifespan(settings))

    @app.get("/strict")
    @cached()
    async def strict() -> int:
        return 1

    client = serve(app)
    private_server.stop()

    response = client.get("/strict")
    assert response.status_code == 503
    assert response.json() == {"detail": "Aerospike is unavailable"}


def test_head_is_answered_like_get_without_a_body(app, serve, calls):
    client = serve(app)

    first = client.head("/items/1")
    get = client.get("/items/1")
    again = client.head("/items/1")

    assert first.status_code == 200 and first.content == b""
    assert get.json()["call"] == 1  # HEAD filled the entry GET reads
    assert again.status_code == 200 and again.content == b""
    assert again.headers["x-cache"] == "HIT"
    assert again.headers["etag"] == get.headers["etag"]
    assert again.headers["content-length"] == str(len(get.content))
    assert next(calls) == 2


def test_head_twins_stay_out_of_the_schema(app):
    for _ in range(2):  # a second run of the lifespan adds no second twin
        with TestClient(app) as client:
            paths = client.get("/openapi.json").json()["paths"]

    assert set(paths["/items/{item_id}"]) == {"get"}
    heads = [r for r in app.routes if getattr(r, "methods", None) == {"HEAD"}]
    assert len(heads) == len({r.path for r in heads})


@pytest.fixture
def plain_settings(aerospike_set):
    """Settings on a namespace without expiry (nsup-period 0)."""
    namespaces = ["test", NamespaceConfig("plain", nsup_period=0)]
    with EmbeddedServer(port=0, namespaces=namespaces) as server:
        yield AerospikeSettings(
            client=server.client_config(),
            namespace="plain",
            cache_set=aerospike_set,
        )


@pytest.mark.parametrize("lock_timeout", [None, 5])
def test_a_namespace_refusing_ttls_serves_answers_uncached(
    plain_settings, serve, caplog, lock_timeout
):
    app = FastAPI(lifespan=lifespan(plain_settings))
    served = itertools.count(1)

    @app.get("/uncacheable")
    @cached(ttl=60, lock_timeout=lock_timeout)
    async def uncacheable() -> int:
        return next(served)

    client = serve(app)
    with caplog.at_level("WARNING"):
        responses = [client.get("/uncacheable") for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 200]
    assert [r.json() for r in responses] == [1, 2]
    assert "nsup-period" in caplog.text
