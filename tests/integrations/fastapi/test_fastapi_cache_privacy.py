"""Response caching never hands one user's answer to another."""

from __future__ import annotations

import itertools
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request, Response
from starlette.middleware.sessions import SessionMiddleware as StarletteSessions

from fastapi_aerospike import SessionMiddleware, cached, load_session

SECRET = "test-secret"
PRIVATE = "private, no-store"
Session = Annotated[dict[str, Any], Depends(load_session)]


def add_login(app: FastAPI) -> None:
    @app.post("/login/{user}")
    async def login(user: str, request: Request) -> None:
        request.session["user"] = user


def log_in(client, user: str) -> dict[str, str]:
    """Log ``user`` in on a fresh cookie jar; return the jar's cookies."""
    client.cookies.clear()
    assert client.post(f"/login/{user}").status_code == 200
    return dict(client.cookies)


def as_user(client, cookies: dict[str, str]):
    client.cookies.clear()
    client.cookies.update(cookies)
    return client


def cache_records(aerospike_client, settings) -> list[Any]:
    return list(aerospike_client.query("test", settings.cache_set).results())


@pytest.mark.parametrize(
    "middleware", [SessionMiddleware, StarletteSessions], ids=["aerospike", "starlette"]
)
def test_an_answer_that_read_the_session_is_not_served_to_another_user(
    make_app, serve, aerospike_client, settings, middleware
):
    app = make_app()
    app.add_middleware(middleware, secret_key=SECRET)
    add_login(app)

    @app.get("/me")
    @cached(ttl=60)
    async def me(request: Request) -> dict:
        return {"user": request.session.get("user")}

    client = serve(app)
    alice = log_in(client, "alice")
    bob = log_in(client, "bob")

    for_alice = as_user(client, alice).get("/me")
    for_bob = as_user(client, bob).get("/me")

    assert for_alice.json() == {"user": "alice"}
    assert for_bob.json() == {"user": "bob"}
    assert [r.headers["X-Cache"] for r in (for_alice, for_bob)] == ["MISS", "MISS"]
    assert [r.headers["Cache-Control"] for r in (for_alice, for_bob)] == [PRIVATE] * 2
    assert cache_records(aerospike_client, settings) == []


def test_a_session_read_by_a_dependency_bypasses_the_cache(
    make_app, serve, aerospike_client, settings
):
    app = make_app()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    add_login(app)

    @app.get("/cart")
    @cached(ttl=60)
    async def cart(session: Session) -> dict:
        return {"user": session.get("user")}

    client = serve(app)
    alice, bob = log_in(client, "alice"), log_in(client, "bob")

    answers = [as_user(client, who).get("/cart") for who in (alice, bob)]

    assert [r.json()["user"] for r in answers] == ["alice", "bob"]
    assert [r.headers["X-Cache"] for r in answers] == ["BYPASS", "BYPASS"]
    assert [r.headers["Cache-Control"] for r in answers] == [PRIVATE] * 2
    assert cache_records(aerospike_client, settings) == []


def test_varying_on_cookie_caches_each_users_answer_apart(make_app, serve):
    app = make_app()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    add_login(app)
    calls = itertools.count(1)

    @app.get("/me")
    @cached(ttl=60, vary=["Cookie"])
    async def me(request: Request) -> dict:
        return {"user": request.session.get("user"), "call": next(calls)}

    client = serve(app)
    alice, bob = log_in(client, "alice"), log_in(client, "bob")

    first = as_user(client, alice).get("/me")
    again = as_user(client, alice).get("/me")
    for_bob = as_user(client, bob).get("/me")

    assert first.json() == again.json() == {"user": "alice", "call": 1}
    assert [first.headers["X-Cache"], again.headers["X-Cache"]] == ["MISS", "HIT"]
    assert for_bob.json() == {"user": "bob", "call": 2}
    assert for_bob.headers["Cache-Control"] == "private, max-age=60"


def test_a_request_with_authorization_bypasses_the_cache(
    make_app, serve, aerospike_client, settings
):
    app = make_app()
    calls = itertools.count(1)

    @app.get("/feed")
    @cached(ttl=60)
    async def feed() -> int:
        return next(calls)

    client = serve(app)
    token = {"Authorization": "Bearer alice-token"}

    with_token = [client.get("/feed", headers=token) for _ in range(2)]

    assert [r.json() for r in with_token] == [1, 2]
    assert [r.headers["X-Cache"] for r in with_token] == ["BYPASS", "BYPASS"]
    assert with_token[0].headers["Cache-Control"] == PRIVATE
    assert cache_records(aerospike_client, settings) == []
    anonymous = [client.get("/feed") for _ in range(2)]
    assert [r.json() for r in anonymous] == [3, 3]
    assert anonymous[1].headers["Cache-Control"] == "max-age=60"


def test_an_endpoints_own_cache_control_is_kept_on_a_personal_answer(make_app, serve):
    app = make_app()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.get("/greeting")
    @cached(ttl=60)
    async def greeting(request: Request, response: Response) -> str:
        response.headers["Cache-Control"] = "private, max-age=5"
        return f"hello {request.session.get('user', 'guest')}"

    response = serve(app).get("/greeting")

    assert response.json() == "hello guest"
    assert response.headers["Cache-Control"] == "private, max-age=5"
    assert response.headers["X-Cache"] == "MISS"
