"""Server-side sessions: a signed session id in a cookie, the data in Aerospike.

    app.add_middleware(SessionMiddleware, secret_key=os.environ["SECRET"])

    @app.post("/login")
    async def login(request: Request):
        request.session["user"] = "ada"          # as with Starlette's
        regenerate_session_id(request)           # against session fixation

``request.session`` is a plain dict, as with Starlette's SessionMiddleware,
and the constructor takes the same words (``session_cookie``, ``max_age``,
``path``, ``same_site``, ``https_only``, ``domain``, ``partitioned``), so
existing code keeps working. What changes: the cookie carries only a
signed random id, the data lives in ``AerospikeSettings.session_set`` with
the record TTL as its lifetime, and

- nothing is stored, and no cookie set, until a session holds data;
- a session is written only when its data changed (nested changes too);
- an emptied session is deleted and its cookie expired;
- a write never resurrects a session deleted meanwhile (a logout racing
  a slow request): the late request's cookie is expired instead;
- ``rolling=True`` extends the lifetime on every request by a touch,
  without rewriting the data;
- ``max_age=None`` makes a browser-session cookie, stored for ``gc_ttl``.

Loading happens only for requests that carry the cookie. An Aerospike
outage answers 503 (504 on a timeout) with a short JSON body; the
middleware sits outside FastAPI's error handling, so it answers itself.

Without ``fastapi_aerospike.lifespan``, pass ``config=`` (the same
settings): the middleware then uses the registry's client of the running
loop, and closes it when the app shuts down.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import itsdangerous
from starlette.datastructures import MutableHeaders, Secret
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aerospike_py._async.client import AsyncClient
from aerospike_py.exception import AerospikeError
from aerospike_py.registry import registry
from aerospike_py.sessions import AsyncSessionEngine, SessionMissing
from fastapi_aerospike._errors import error_response
from fastapi_aerospike._lifespan import runtime_of
from fastapi_aerospike._settings import SettingsSource, resolve_settings

log = logging.getLogger("fastapi_aerospike.sessions")

STATE_KEY = "fastapi_aerospike.session"
SALT = "fastapi_aerospike.session"
TWO_WEEKS = 14 * 24 * 60 * 60
ONE_DAY = 24 * 60 * 60
EXPIRED = "expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; "


@dataclass
class SessionState:
    """What the middleware remembers about one request's session."""

    engine: AsyncSessionEngine
    session_id: str | None
    had_cookie: bool
    snapshot: bytes
    regenerate: bool = False


def regenerate_session_id(connection: HTTPConnection) -> None:
    """Give the session a new id when the response is sent.

    The data moves to a fresh record and the old one is deleted: call it
    after a login, so an id planted before the login is worth nothing.
    """
    state = connection.scope.get(STATE_KEY)
    if not isinstance(state, SessionState):
        raise RuntimeError("fastapi_aerospike.SessionMiddleware is not installed")
    state.regenerate = True


class SessionMiddleware:
    """Keep ``request.session`` in Aerospike, its id in a signed cookie."""

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | Secret | Sequence[str],
        session_cookie: str = "session",
        max_age: int | None = TWO_WEEKS,
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
        *,
        rolling: bool = False,
        gc_ttl: int = ONE_DAY,
        config: SettingsSource | None = None,
    ) -> None:
        if (max_age is not None and max_age <= 0) or gc_ttl <= 0:
            raise ValueError(
                "max_age must be seconds > 0 (None: a browser-session cookie) "
                f"and gc_ttl seconds > 0, not {max_age!r} and {gc_ttl!r}"
            )
        self.app = app
        keys = [secret_key] if isinstance(secret_key, (str, Secret)) else secret_key
        # itsdangerous signs with the last key and accepts every one.
        self.signer = itsdangerous.Signer([str(key) for key in keys], salt=SALT)
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.ttl = max_age or gc_ttl
        self.path = path
        self.rolling = rolling
        self.flags = f"httponly; samesite={same_site}"
        if https_only:
            self.flags += "; secure"
        if domain is not None:
            self.flags += f"; domain={domain}"
        if partitioned:
            self.flags += "; partitioned"
        self.engine = None if config is None else _registry_engine(config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            if scope["type"] == "lifespan" and self.engine is not None:
                await registry.aclose()  # the clients of this loop, at shutdown
            return
        try:
            state, data = await self.load(scope)
        except AerospikeError as exc:
            await self.refuse(exc, scope, receive, send)
            return
        scope[STATE_KEY] = state
        scope["session"] = data
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.saving_send(scope, receive, send))

    async def load(self, scope: Scope) -> tuple[SessionState, dict[str, Any]]:
        """Read the session named by the request's cookie, if any."""
        engine = self.engine or runtime_of(scope).sessions
        cookie = HTTPConnection(scope).cookies.get(self.session_cookie)
        session_id = self.unsign(cookie) if cookie else None
        data = await engine.load(session_id) if session_id else None
        if data is None:
            session_id, data = None, {}
        snapshot = engine.serializer.dumps(data)
        return SessionState(engine, session_id, cookie is not None, snapshot), data

    def saving_send(self, scope: Scope, receive: Receive, send: Send) -> Send:
        """Wrap ``send`` to store the session as the response starts."""
        replaced = False

        async def send_with_session(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the app's body belongs to the response we replaced
            if message["type"] == "http.response.start":
                try:
                    cookie = await self.commit(scope[STATE_KEY], scope["session"])
                except AerospikeError as exc:
                    replaced = True
                    await self.refuse(exc, scope, receive, send)
                    return
                headers = MutableHeaders(scope=message)
                if cookie is not None:
                    headers.append("Set-Cookie", cookie)
                if cookie is not None or scope[STATE_KEY].had_cookie:
                    headers.add_vary_header("Cookie")
            await send(message)

        return send_with_session

    async def commit(self, state: SessionState, data: dict[str, Any]) -> str | None:
        """Store what changed; return the Set-Cookie value, if one is due."""
        engine = state.engine
        if not data:
            if state.session_id is not None:
                await engine.delete(state.session_id)
            return self.expired_cookie() if state.had_cookie else None
        if state.regenerate or state.session_id is None:
            new_id = await engine.create(data, self.ttl)
            if state.session_id is not None:
                await engine.delete(state.session_id)
            return self.cookie(new_id)
        if engine.serializer.dumps(data) != state.snapshot:
            try:
                await engine.save(state.session_id, data, self.ttl, must_exist=True)
            except SessionMissing:
                log.info("session ended while a request changed it; not recreated")
                return self.expired_cookie()
            return self.cookie(state.session_id)
        if self.rolling:
            if await engine.touch(state.session_id, self.ttl):
                return self.cookie(state.session_id)
            return self.expired_cookie()
        return None

    async def refuse(
        self, exc: AerospikeError, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer for the app when the session store failed."""
        response = error_response(exc)
        if response is None:
            raise exc
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1011})
            return
        await response(scope, receive, send)

    # -- cookies -------------------------------------------------------------------

    def unsign(self, cookie: str) -> str | None:
        try:
            return self.signer.unsign(cookie.encode()).decode()
        except (itsdangerous.BadSignature, UnicodeError):
            return None

    def cookie(self, session_id: str) -> str:
        signed = self.signer.sign(session_id.encode()).decode()
        max_age = f"Max-Age={self.max_age}; " if self.max_age is not None else ""
        return (
            f"{self.session_cookie}={signed}; path={self.path}; " + max_age + self.flags
        )

    def expired_cookie(self) -> str:
        return f"{self.session_cookie}=null; path={self.path}; {EXPIRED}{self.flags}"


def _registry_engine(config: SettingsSource) -> AsyncSessionEngine:
    """An engine reaching the registry's client of the running loop."""
    settings = resolve_settings(config)
    client_config = settings.client_config()

    async def client() -> AsyncClient:
        return await registry.async_client(client_config)

    return AsyncSessionEngine(
        client, namespace=settings.namespace, set_name=settings.session_set
    )
