"""Server-side sessions: a signed session id in a cookie, the data in Aerospike.

    app.add_middleware(SessionMiddleware, secret_key=os.environ["SECRET"])

    @app.post("/login")
    async def login(request: Request):
        request.session["user"] = "ada"          # as with Starlette's
        regenerate_session_id(request)           # against session fixation

``request.session`` is a dict, as with Starlette's SessionMiddleware, and
the constructor takes the same words (``session_cookie``, ``max_age``,
``path``, ``same_site``, ``https_only``, ``domain``, ``partitioned``), so
existing code keeps working. What changes: the cookie carries only a
signed random id, the data lives in ``AerospikeSettings.session_set`` with
the record TTL as its lifetime, and

- nothing is stored, and no cookie set, until a session holds data;
- a session is written only when its data changed (nested changes too);
- an emptied session is deleted and its cookie expired;
- a write never resurrects a session deleted meanwhile (a logout racing
  a slow request): the late request's cookie is expired instead;
- ``rolling=True`` extends the lifetime of a session on every request
  that used it, by a touch, without rewriting the data;
- a request that never uses ``request.session`` gets no Set-Cookie, even
  when its cookie is stale or forged (as with Starlette's);
- ``max_age=None`` makes a browser-session cookie, stored for ``gc_ttl``;
- ``Vary: Cookie`` is sent whenever the app used ``request.session``.

Reading. Only a request whose cookie carries a valid signature reads the
store, and a failed read does not fail the request: the session is then
unusable, and the app's first use of ``request.session`` raises the
HTTPException for the error (503, or 504 on a timeout), so routes that
never use the session keep working through an outage. ``request.session``
is synchronous and async code cannot wait for a read inside it, so by
default (``autoload=True``) the read happens before the app runs. With
``autoload=False`` the store is read only when the app first uses the
session: plain ``def`` endpoints and dependencies (run in worker threads)
read it on first use, and async code awaits ``load_session(request)``
first, or depends on it::

    @app.get("/cart")
    async def cart(session: Annotated[dict, Depends(load_session)]) -> list:
        return session.get("cart", [])

A store failure while saving answers 503 (504 on a timeout) with a short
JSON body; the middleware sits outside FastAPI's error handling, so it
answers itself. Other errors (a namespace refusing TTLs, say) propagate
to the server, which logs them.

Without ``fastapi_aerospike.lifespan``, pass ``config=`` (the same
settings): the middleware then uses the registry's client of the running
loop, and closes it when the app shuts down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Literal

import anyio.from_thread
import itsdangerous
from fastapi import HTTPException
from starlette.datastructures import MutableHeaders, Secret
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aerospike_py._async.client import AsyncClient
from aerospike_py.exception import AerospikeError
from aerospike_py.registry import registry
from aerospike_py.sessions import AsyncSessionEngine, SessionMissing
from fastapi_aerospike._errors import error_response, http_status
from fastapi_aerospike._lifespan import runtime_of
from fastapi_aerospike._settings import SettingsSource, resolve_settings

log = logging.getLogger("fastapi_aerospike.sessions")

SALT = "fastapi_aerospike.session"
TWO_WEEKS = 14 * 24 * 60 * 60
ONE_DAY = 24 * 60 * 60
EXPIRED = "expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; "
NOT_INSTALLED = "fastapi_aerospike.SessionMiddleware is not installed"
NOT_LOADED = (
    "request.session is not read yet, and async code cannot wait for it "
    "there: await fastapi_aerospike.load_session(request) first (or depend "
    "on it), or add SessionMiddleware with autoload=True"
)


class Session(dict[str, Any]):
    """``request.session``: the data, and what the request did with it.

    Starlette's ``request.session`` calls ``mark_accessed`` on every use;
    that is when a session not read yet is read, or a failed read is
    raised.
    """

    def __init__(
        self, engine: AsyncSessionEngine, session_id: str | None, *, had_cookie: bool
    ) -> None:
        super().__init__()
        self.engine = engine
        self.session_id = session_id
        self.had_cookie = had_cookie
        self.snapshot = engine.serializer.dumps({})
        self.loaded = session_id is None  # no id, nothing to read
        self.error: AerospikeError | None = None
        self.accessed = False
        self.regenerate = False

    async def load(self) -> None:
        """Read the data (once); a failure is kept for the first use."""
        if self.loaded or self.error is not None:
            return
        assert self.session_id is not None
        try:
            data = await self.engine.load(self.session_id)
        except AerospikeError as exc:
            log.warning("session not read (%s); using it will fail", exc)
            self.error = exc
            return
        if data is None:
            self.session_id = None  # expired or deleted: a new session
        else:
            super().update(data)
            self.snapshot = self.engine.serializer.dumps(data)
        self.loaded = True

    def mark_accessed(self) -> None:
        """Note a use of ``request.session``, reading it first if needed."""
        self.accessed = True
        if not self.loaded and self.error is None:
            if _on_event_loop():
                raise RuntimeError(NOT_LOADED)
            anyio.from_thread.run(self.load)
        if self.error is not None:
            answer = http_status(self.error)
            if answer is None:
                raise self.error
            raise HTTPException(*answer) from self.error

    def changed(self) -> bool:
        return self.engine.serializer.dumps(dict(self)) != self.snapshot


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _session_of(connection: HTTPConnection) -> Session:
    session = connection.scope.get("session")
    if not isinstance(session, Session):
        raise RuntimeError(NOT_INSTALLED)
    return session


async def load_session(connection: HTTPConnection) -> dict[str, Any]:
    """Read the request's session and return it (also a FastAPI dependency).

    Needed before async code uses ``request.session`` under
    ``SessionMiddleware(autoload=False)``; harmless otherwise.
    """
    session = _session_of(connection)
    await session.load()
    session.mark_accessed()
    return session


def regenerate_session_id(connection: HTTPConnection) -> None:
    """Give the session a new id when the response is sent.

    The data moves to a fresh record and the old one is deleted: call it
    after a login, so an id planted before the login is worth nothing.
    """
    _session_of(connection).regenerate = True


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
        autoload: bool = True,
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
        self.autoload = autoload
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
        session = self.session(scope)
        if self.autoload:
            await session.load()
        scope["session"] = session
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.saving_send(session, scope, receive, send))

    def session(self, scope: Scope) -> Session:
        """The session named by the request's cookie, not read yet."""
        engine = self.engine or runtime_of(scope).sessions
        cookie = HTTPConnection(scope).cookies.get(self.session_cookie)
        session_id = self.unsign(cookie) if cookie else None
        return Session(engine, session_id, had_cookie=cookie is not None)

    def saving_send(
        self, session: Session, scope: Scope, receive: Receive, send: Send
    ) -> Send:
        """Wrap ``send`` to store the session as the response starts."""
        replaced = False

        async def send_with_session(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the app's body belongs to the response we replaced
            if message["type"] == "http.response.start":
                try:
                    cookie = await self.commit(session)
                except AerospikeError as exc:
                    replaced = True
                    await self.refuse(exc, scope, receive, send)
                    return
                headers = MutableHeaders(scope=message)
                if cookie is not None:
                    headers.append("Set-Cookie", cookie)
                if cookie is not None or session.accessed:
                    headers.add_vary_header("Cookie")
            await send(message)

        return send_with_session

    async def commit(self, session: Session) -> str | None:
        """Store what changed; return the Set-Cookie value, if one is due."""
        if not session.accessed and not session.regenerate:
            # The app never used the session: nothing to store, and no
            # Set-Cookie on a response that does not depend on it.
            return None
        if session.regenerate:
            await session.load()  # the data moves to the new id
        if not session.loaded:
            return None  # unreadable: nothing to store
        engine = session.engine
        data = dict(session)
        if not data:
            if session.session_id is not None:
                await engine.delete(session.session_id)
            return self.expired_cookie() if session.had_cookie else None
        if session.regenerate and session.session_id is not None:
            if not await engine.delete(session.session_id):
                # Ended by another request (a logout) while this one logged
                # in under a new id: its data must not come back.
                log.info("session ended while a request regenerated it; not saved")
                return self.expired_cookie()
            return self.cookie(await engine.create(data, self.ttl))
        if session.session_id is None:
            return self.cookie(await engine.create(data, self.ttl))
        if session.changed():
            try:
                await engine.save(session.session_id, data, self.ttl, must_exist=True)
            except SessionMissing:
                log.info("session ended while a request changed it; not recreated")
                return self.expired_cookie()
            return self.cookie(session.session_id)
        if self.rolling:
            if await engine.touch(session.session_id, self.ttl):
                return self.cookie(session.session_id)
            return self.expired_cookie()
        return None

    async def refuse(
        self, exc: AerospikeError, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer for the app when the session could not be stored."""
        response = error_response(exc)
        if response is None:
            raise exc
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
