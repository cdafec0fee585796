"""Server-side sessions: request.session as with Starlette, data in Aerospike."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.testclient import TestClient

from aerospike_py.registry import registry
from aerospike_py.server import EmbeddedServer, NamespaceConfig
from aerospike_py.sessions import TTLForbiddenError
from fastapi_aerospike import (
    SessionMiddleware,
    lifespan,
    load_session,
    regenerate_session_id,
)

SECRET = "test-secret"


def add_routes(app: FastAPI, aerospike_client=None, session_set=None) -> None:
    @app.get("/")
    async def show(request: Request) -> dict:
        return dict(request.session)

    @app.post("/set/{name}/{value}")
    async def set_value(name: str, value: str, request: Request) -> dict:
        request.session[name] = value
        return dict(request.session)

    @app.post("/cart/{item}")
    async def add_to_cart(item: str, request: Request) -> list:
        request.session.setdefault("cart", [])
        request.session["cart"].append(item)  # a nested change
        return request.session["cart"]

    @app.post("/logout")
    async def logout(request: Request) -> None:
        request.session.clear()

    @app.post("/login/{user}")
    async def login(user: str, request: Request) -> None:
        request.session["user"] = user
        regenerate_session_id(request)

    @app.get("/health")
    async def health() -> str:
        return "ok"

    @app.get("/sync")
    def show_in_a_worker_thread(request: Request) -> dict:
        return dict(request.session)

    @app.post("/sync/set/{name}/{value}")
    def set_in_a_worker_thread(name: str, value: str, request: Request) -> None:
        request.session[name] = value

    @app.get("/loaded")
    async def show_loaded(
        session: Annotated[dict[str, Any], Depends(load_session)],
    ) -> dict:
        return dict(session)


@pytest.fixture
def make_session_app(make_app):
    def make(**options) -> FastAPI:
        app = make_app()
        options.setdefault("secret_key", SECRET)
        app.add_middleware(SessionMiddleware, **options)
        add_routes(app)
        return app

    return make


def session_id(response) -> str:
    value = response.cookies["session"]
    return value.rsplit(".", 1)[0]


def stored(aerospike_client, settings, sid):
    result = aerospike_client.exists(("test", settings.session_set, sid))
    return result.meta


def count_sessions(aerospike_client, settings) -> int:
    return len(aerospike_client.query("test", settings.session_set).results())


def test_untouched_sessions_store_nothing_and_set_no_cookie(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app())

    response = client.get("/")
    health = client.get("/health")

    assert response.json() == {} and "set-cookie" not in response.headers
    assert "set-cookie" not in health.headers and "vary" not in health.headers
    assert count_sessions(aerospike_client, settings) == 0


def test_data_lives_in_aerospike_and_the_cookie_holds_a_signed_id(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app())

    response = client.post("/set/user/ada")
    cookie = response.headers["set-cookie"]
    sid = session_id(response)

    assert "ada" not in cookie
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "Max-Age=1209600" in cookie
    assert "cookie" in response.headers["vary"].lower()
    record = aerospike_client.get(("test", settings.session_set, sid))
    assert 1209590 <= record.meta.ttl <= 1209600
    assert client.get("/").json() == {"user": "ada"}


def test_a_forged_cookie_starts_a_new_session_and_is_expired(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app())
    sid = session_id(client.post("/set/user/ada"))

    client.cookies.set("session", f"{sid}.forged-signature")
    response = client.get("/")

    assert response.json() == {}
    assert "session=null" in response.headers["set-cookie"]
    assert stored(aerospike_client, settings, sid) is not None


@pytest.mark.parametrize("cookie", ["garbage", "", "forged.signature", "stale"])
def test_routes_that_never_use_the_session_send_no_set_cookie(
    make_session_app, serve, aerospike_client, settings, cookie
):
    client = serve(make_session_app(rolling=True))
    if cookie == "stale":  # validly signed, its record gone
        sid = session_id(client.post("/set/user/ada"))
        aerospike_client.remove(("test", settings.session_set, sid))
    else:
        client.cookies.set("session", cookie)

    response = client.get("/health")

    assert response.text == '"ok"'
    assert "set-cookie" not in response.headers


def test_rolling_sessions_are_not_extended_by_requests_that_ignore_them(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app(max_age=100, rolling=True))
    sid = session_id(client.post("/set/user/ada"))
    aerospike_client.touch(("test", settings.session_set, sid), 10)

    response = client.get("/health")

    # A cacheable answer must not carry the user's session cookie.
    assert "set-cookie" not in response.headers
    assert stored(aerospike_client, settings, sid).ttl <= 10


def test_text_with_lone_surrogates_is_kept_as_starlette_keeps_it(make_app, serve):
    app = make_app()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)

    @app.post("/odd")
    async def odd(request: Request) -> None:
        request.session["s"] = "bad \ud800 text"

    @app.get("/odd")
    async def read_odd(request: Request) -> bool:
        return request.session.get("s") == "bad \ud800 text"

    client = serve(app)
    assert client.post("/odd").status_code == 200
    assert client.get("/odd").json() is True


def test_a_read_only_request_does_not_rewrite_the_session(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app())
    sid = session_id(client.post("/set/user/ada"))
    generation = stored(aerospike_client, settings, sid).gen

    response = client.get("/")

    assert response.json() == {"user": "ada"}
    assert "set-cookie" not in response.headers
    assert stored(aerospike_client, settings, sid).gen == generation


def test_nested_changes_are_saved(make_session_app, serve):
    client = serve(make_session_app())

    client.post("/cart/apple")
    client.post("/cart/pear")

    assert client.get("/").json() == {"cart": ["apple", "pear"]}


def test_clearing_the_session_deletes_it_and_expires_the_cookie(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app())
    sid = session_id(client.post("/set/user/ada"))

    response = client.post("/logout")

    assert "session=null" in response.headers["set-cookie"]
    assert stored(aerospike_client, settings, sid) is None
    assert client.get("/").json() == {}


def test_a_session_ended_meanwhile_is_not_resurrected(
    make_app, serve, aerospike_client, settings
):
    """A slow request that changes a session after a logout elsewhere must
    not bring the session back."""
    app = make_app()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    add_routes(app)

    @app.post("/slow-change")
    async def slow_change(request: Request) -> None:
        sid = request.cookies["session"].rsplit(".", 1)[0]
        aerospike_client.remove(("test", settings.session_set, sid))  # logout
        request.session["late"] = "write"

    client = serve(app)
    sid = session_id(client.post("/set/user/ada"))

    response = client.post("/slow-change")

    assert stored(aerospike_client, settings, sid) is None
    assert "session=null" in response.headers["set-cookie"]
    assert count_sessions(aerospike_client, settings) == 0


def test_regenerating_the_id_moves_the_data_and_drops_the_old_record(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app())
    old = session_id(client.post("/set/cart/full"))

    new = session_id(client.post("/login/ada"))

    assert new != old
    assert stored(aerospike_client, settings, old) is None
    assert client.get("/").json() == {"cart": "full", "user": "ada"}


def test_a_login_racing_a_logout_does_not_bring_the_session_back(
    make_app, serve, aerospike_client, settings
):
    app = make_app()
    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    add_routes(app)

    @app.post("/slow-login")
    async def slow_login(request: Request) -> None:
        request.session["user"] = "eve"
        sid = request.cookies["session"].rsplit(".", 1)[0]
        aerospike_client.remove(("test", settings.session_set, sid))  # logout
        regenerate_session_id(request)

    client = serve(app)
    client.post("/set/cart/full")

    response = client.post("/slow-login")

    assert "session=null" in response.headers["set-cookie"]
    assert count_sessions(aerospike_client, settings) == 0


def test_rolling_sessions_are_extended_by_every_request(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app(max_age=100, rolling=True))
    sid = session_id(client.post("/set/user/ada"))
    aerospike_client.touch(("test", settings.session_set, sid), 10)
    generation = stored(aerospike_client, settings, sid).gen

    response = client.get("/")

    assert "Max-Age=100" in response.headers["set-cookie"]
    meta = stored(aerospike_client, settings, sid)
    assert 95 <= meta.ttl <= 100
    assert meta.gen == generation + 1  # a touch, not a rewrite of the data


def test_fixed_sessions_keep_their_expiry_on_reads(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app(max_age=100))
    sid = session_id(client.post("/set/user/ada"))
    aerospike_client.touch(("test", settings.session_set, sid), 10)

    client.get("/")

    assert stored(aerospike_client, settings, sid).ttl <= 10


def test_browser_session_cookies_are_stored_for_gc_ttl(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app(max_age=None, gc_ttl=600))

    response = client.post("/set/user/ada")

    assert "max-age" not in response.headers["set-cookie"].lower()
    assert 590 <= stored(aerospike_client, settings, session_id(response)).ttl <= 600


@pytest.mark.parametrize("options", [{"max_age": 0}, {"gc_ttl": -1}])
def test_lifetimes_that_cannot_work_are_refused(options):
    with pytest.raises(ValueError, match="max_age"):
        SessionMiddleware(FastAPI(), secret_key=SECRET, **options)


def test_rotated_secret_keys_still_accept_old_cookies(make_session_app, serve):
    old_client = serve(make_session_app(secret_key="old"))
    cookie = old_client.post("/set/user/ada").cookies["session"]

    client = serve(make_session_app(secret_key=["old", "new"]))
    client.cookies.set("session", cookie)

    assert client.get("/").json() == {"user": "ada"}


def test_cookie_options_follow_starlettes_names(make_session_app, serve):
    client = serve(
        make_session_app(
            session_cookie="sid",
            path="/app",
            same_site="strict",
            https_only=True,
            domain="example.test",
        ),
        base_url="https://example.test",
    )

    cookie = client.post("/set/a/b").headers["set-cookie"]

    assert cookie.startswith("sid=")
    for part in ("path=/app", "samesite=strict", "secure", "domain=example.test"):
        assert part in cookie


def test_existing_starlette_session_code_behaves_the_same(aerospike_server, make_app):
    """The same routes under Starlette's cookie middleware and under ours."""
    from starlette.middleware.sessions import SessionMiddleware as CookieSessions

    def run(app: FastAPI) -> list:
        add_routes(app)
        with TestClient(app) as client:
            steps = [
                client.post("/set/user/ada"),
                client.post("/cart/tea"),
                client.get("/"),
                client.post("/logout"),
                client.get("/"),
            ]
            return [(step.status_code, step.json()) for step in steps]

    starlette_app = FastAPI()
    starlette_app.add_middleware(CookieSessions, secret_key=SECRET)
    ours = make_app()
    ours.add_middleware(SessionMiddleware, secret_key=SECRET)

    assert run(ours) == run(starlette_app)


def test_websockets_see_the_session(make_session_app, serve):
    app = make_session_app()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(dict(websocket.session))
        await websocket.close()

    client = serve(app)
    client.post("/set/user/ada")

    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == {"user": "ada"}


def outage_app(settings, **options) -> FastAPI:
    """An app on ``settings`` with the session middleware and the routes."""
    app = FastAPI(lifespan=lifespan(settings))
    app.add_middleware(SessionMiddleware, secret_key=SECRET, **options)
    add_routes(app)
    return app


def test_a_store_outage_is_a_503_with_a_short_body(
    private_server, private_settings, serve
):
    client = serve(outage_app(private_settings))
    client.post("/set/user/ada")
    private_server.stop()

    loading = client.get("/")

    assert loading.status_code == 503
    assert loading.json() == {"detail": "Aerospike is unavailable"}


def test_a_failed_save_replaces_the_response_with_a_503(
    private_server, private_settings, serve
):
    client = serve(outage_app(private_settings))
    private_server.stop()

    response = client.post("/set/user/ada")  # no cookie: nothing to load

    assert response.status_code == 503
    assert response.json() == {"detail": "Aerospike is unavailable"}
    assert "set-cookie" not in response.headers


def test_middleware_configured_directly_works_without_the_lifespan(
    settings, aerospike_client
):
    """With config=..., the middleware takes the registry's client of the
    running loop, so two runs under two loops both work."""
    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key=SECRET, config=settings)
    add_routes(app)

    async def one_run() -> dict:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as c:
            await c.post("/set/user/ada")
            answer = (await c.get("/")).json()
        await registry.aclose()  # httpx sends no lifespan events
        return answer

    assert asyncio.run(one_run()) == {"user": "ada"}
    assert asyncio.run(one_run()) == {"user": "ada"}
    for _ in range(2):
        with TestClient(app) as client:  # shutdown closes the loop's client
            client.post("/set/user/ada")
            assert client.get("/").json() == {"user": "ada"}


def test_routes_that_never_use_the_session_work_through_an_outage(
    private_server, private_settings, serve
):
    client = serve(outage_app(private_settings))
    client.post("/set/user/ada")
    private_server.stop()

    skipping = client.get("/health")
    using = client.get("/")

    assert skipping.status_code == 200 and skipping.json() == "ok"
    assert "set-cookie" not in skipping.headers
    assert using.status_code == 503
    assert using.json() == {"detail": "Aerospike is unavailable"}


def test_without_autoload_the_store_is_read_only_when_the_session_is_used(
    private_server, private_settings, serve
):
    client = serve(outage_app(private_settings, autoload=False))
    client.post("/sync/set/user/ada")
    private_server.delay_replies(2.5)  # a read would wait for its 1 s timeout

    start = time.perf_counter()
    skipping = client.get("/health")
    elapsed = time.perf_counter() - start
    using = client.get("/sync")

    assert skipping.status_code == 200 and elapsed < 0.8
    assert using.status_code == 504


def test_without_autoload_def_endpoints_read_and_save_on_first_use(
    make_session_app, serve, aerospike_client, settings
):
    client = serve(make_session_app(autoload=False))

    response = client.post("/sync/set/user/ada")

    assert stored(aerospike_client, settings, session_id(response)) is not None
    assert client.get("/sync").json() == {"user": "ada"}
    assert client.get("/loaded").json() == {"user": "ada"}


def test_without_autoload_async_code_must_load_the_session_first(
    make_session_app, serve
):
    client = serve(make_session_app(autoload=False), raise_server_exceptions=True)
    client.post("/sync/set/user/ada")

    with pytest.raises(RuntimeError, match="load_session"):
        client.get("/")


def test_vary_cookie_follows_every_use_of_the_session(make_session_app, serve):
    client = serve(make_session_app())

    anonymous = client.get("/")
    client.post("/set/user/ada")
    untouched = client.get("/health")

    assert "cookie" in anonymous.headers["vary"].lower()
    assert "vary" not in untouched.headers


@pytest.fixture
def no_expiry_settings(settings):
    """Settings on a namespace that refuses TTLs (nsup-period 0)."""
    namespaces = ["test", NamespaceConfig("plain", nsup_period=0)]
    with EmbeddedServer(port=0, namespaces=namespaces) as server:
        yield dataclasses.replace(
            settings, client=server.client_config(), namespace="plain"
        )


def test_a_namespace_refusing_ttls_fails_with_the_explanation(
    no_expiry_settings, serve
):
    client = serve(outage_app(no_expiry_settings), raise_server_exceptions=True)

    with pytest.raises(TTLForbiddenError, match="nsup-period"):
        client.post("/set/user/ada")
