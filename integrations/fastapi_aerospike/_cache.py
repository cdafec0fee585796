"""Response caching for endpoints, on the app's shared cache engine.

    @app.get("/items/{item_id}")
    @cached(ttl=300, vary=["Accept-Language"])
    async def read_item(item_id: int, db: Annotated[DB, Depends(get_db)]) -> Item:
        ...

What is cached is the response FastAPI would have sent (status, headers,
body after the response model), one record per key in
``AerospikeSettings.cache_set``. Only answers with status 200 are
stored. A cached GET route also answers HEAD from the same entry (the
GET answer's status and headers, without its body), filling it on a miss.

Keys come from the request, never from the endpoint's arguments, so an
injected dependency (a database session, the current user) cannot make
every key unique: the default key is the endpoint's qualified name, the
path and the sorted query string, plus a digest of the ``vary`` headers.

One user's answer never reaches another. The key does not say who asks,
so answers that depend on it stay out of the cache:

- a request with an ``Authorization`` header bypasses the cache (no
  lookup, nothing stored) unless ``vary`` names ``Authorization``;
- an answer whose request read the session (``request.session``, a
  dependency such as ``load_session``) is not stored unless ``vary``
  names ``Cookie``; a request whose session was read before the endpoint
  ran (by a dependency) bypasses the cache altogether.

Such answers go out with ``Cache-Control: private, no-store`` unless the
endpoint set a Cache-Control of its own. With ``vary=["Authorization"]``
or ``vary=["Cookie"]`` the header's value (its digest) is part of the
key, the answer is stored per user and sent as ``private, max-age=...``.
A session middleware whose session does not record its use (it has no
``accessed`` attribute; Starlette's and this package's both do) counts
as read on every request.

TTL, as fastapi-cache users expect:

    ttl omitted, None or 0   AerospikeSettings.cache_ttl (default 60 s)
    ttl > 0 (int, timedelta) that many seconds
    ttl < 0                  refused when decorating

From the client, ``Cache-Control: no-store`` bypasses the cache and
``no-cache`` recomputes and stores a fresh answer. Answers carry a strong
``ETag`` (128 bits of the body's SHA-256, the same in every worker process),
and a matching ``If-None-Match`` gets ``304 Not Modified``.

A cache outage is a miss: the lookup finds nothing (logged by the engine;
with ``cache_ignore_exceptions=False`` it answers 503 or 504 instead). An
answer that cannot be stored, because of an outage or because the
namespace refuses TTLs (nsup-period 0), is logged and sent all the same.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import inspect
import logging
import math
import time
import typing
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi.datastructures import DefaultPlaceholder
from fastapi.encoders import jsonable_encoder
from fastapi.routing import serialize_response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aerospike_py.cache import AsyncCacheEngine, AsyncCacheLock
from aerospike_py.exception import AerospikeError
from fastapi_aerospike._errors import http_errors
from fastapi_aerospike._lifespan import runtime_of

log = logging.getLogger("fastapi_aerospike.cache")

F = TypeVar("F", bound=Callable[..., Any])
KeyBuilder = Callable[[Request], str]

CACHED_METHODS = frozenset({"GET", "HEAD"})
# Recomputed on every answer, so never stored.
UNSTORED_HEADERS = frozenset({"content-length", "etag", "x-cache"})
PRIVATE_VARY = frozenset({"authorization", "cookie"})
PRIVATE = "private, no-store"  # for answers that belong to one user
FILL_POLL = 0.02  # seconds between looks while another request fills a key
REQUEST_PARAM = "_aerospike_cache_request"
RESPONSE_PARAM = "_aerospike_cache_response"


# -- keys and validators -------------------------------------------------------


def default_key_builder(request: Request) -> str:
    """The path and the query string with its parameters sorted."""
    query = urlencode(sorted(request.query_params.multi_items()))
    return f"{request.url.path}?{query}"


def vary_suffix(request: Request, vary: Sequence[str]) -> str:
    """A digest of the ``vary`` headers' values (they may hold secrets)."""
    if not vary:
        return ""
    values = "\n".join(
        f"{name}:{','.join(request.headers.getlist(name))}" for name in vary
    )
    return "|vary=" + hashlib.sha256(values.encode()).hexdigest()[:32]


def etag_of(body: bytes) -> str:
    """A strong ETag: the first 128 bits of the body's SHA-256 (the same
    in every process)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (weak comparison, RFC 9110)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def read_session(request: Request) -> bool:
    """Whether the request used its session (True when that is unknown)."""
    if "session" not in request.scope:
        return False
    return bool(getattr(request.scope["session"], "accessed", True))


def cache_directives(request: Request) -> set[str]:
    header = request.headers.get("cache-control", "")
    return {part.strip().split("=")[0].lower() for part in header.split(",")}


def resolve_ttl(ttl: int | timedelta | None) -> int | None:
    """Seconds > 0, or None for "the configured default"; ValueError else."""
    if isinstance(ttl, timedelta):
        seconds = ttl.total_seconds()
        if seconds < 0:
            raise ValueError(f"cached(ttl=...) must not be negative, not {ttl!r}")
        ttl = math.ceil(seconds)  # half a second is one, not "the default"
    if ttl is None or ttl == 0:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
        raise ValueError(
            f"cached(ttl=...) must be seconds >= 0 (0 or None: the default), "
            f"not {ttl!r}"
        )
    return ttl


# -- stored answers ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CachedAnswer:
    """A response as stored: status, headers and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def to_value(self) -> dict[str, Any]:
        headers = [[name, value] for name, value in self.headers]
        return {"status": self.status, "headers": headers, "body": self.body}

    @classmethod
    def from_value(cls, value: Any) -> CachedAnswer | None:
        try:
            headers = [(str(name), str(text)) for name, text in value["headers"]]
            return cls(int(value["status"]), headers, bytes(value["body"]))
        except (TypeError, KeyError, ValueError):
            return None

    @classmethod
    def from_response(cls, response: Response) -> CachedAnswer | None:
        """The answer to store, or None when it must not be cached."""
        body = getattr(response, "body", None)
        if response.status_code != 200 or not isinstance(body, bytes):
            return None
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw
            if name.decode("latin-1").lower() not in UNSTORED_HEADERS
        ]
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return None  # one user's cookie must never reach another
        return cls(response.status_code, headers, body)


# -- the decorator -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CachePolicy:
    """How one endpoint is cached."""

    namespace: str
    ttl: int | None
    key_builder: KeyBuilder
    vary: tuple[str, ...]
    lock_timeout: int | None

    def key(self, request: Request) -> str:
        built = self.key_builder(request)
        return f"{self.namespace}:{built}{vary_suffix(request, self.vary)}"

    def varies_on(self, header: str) -> bool:
        return header in (name.lower() for name in self.vary)

    def personal(self, request: Request) -> bool:
        """Whether the answer belongs to the user asking, and the key
        does not tell users apart (see the module's docstring)."""
        if "authorization" in request.headers and not self.varies_on("authorization"):
            return True
        return read_session(request) and not self.varies_on("cookie")

    def answer(
        self, request: Request, stored: CachedAnswer, ttl: int | None, state: str
    ) -> Response:
        """The response for ``stored``: 304 when the client has it already."""
        etag = etag_of(stored.body)
        response = Response(stored.body, stored.status)
        response.raw_headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in stored.headers
        ] + [(b"content-length", str(len(stored.body)).encode())]
        headers = response.headers
        headers["ETag"] = etag
        headers["X-Cache"] = state
        for name in self.vary:
            headers.add_vary_header(name)
        if ttl is not None and "cache-control" not in headers:
            private = PRIVATE_VARY.intersection(v.lower() for v in self.vary)
            headers["Cache-Control"] = (
                f"private, max-age={ttl}" if private else f"max-age={ttl}"
            )
        if etag_matches(request.headers.get("if-none-match"), etag):
            return not_modified(response.headers)
        if request.method == "HEAD":
            response.body = b""  # Content-Length stays the GET answer's
        return response


def not_modified(headers: MutableHeaders) -> Response:
    keep = ("etag", "cache-control", "vary", "x-cache", "expires", "content-location")
    return Response(
        status_code=304, headers={k: v for k, v in headers.items() if k in keep}
    )


def cached(
    ttl: int | timedelta | None = None,
    *,
    key_builder: KeyBuilder | None = None,
    vary: Sequence[str] = (),
    namespace: str | None = None,
    lock_timeout: int | None = None,
) -> Callable[[F], F]:
    """Cache an endpoint's responses in Aerospike.

    Put it below the route decorator. ``key_builder(request)`` replaces
    the path-and-query part of the key; ``vary`` names request headers the
    answer depends on; ``namespace`` prefixes every key (default: the
    endpoint's module and name). With ``lock_timeout`` (seconds) one
    request computes a missing answer while the others wait for it.

    Answers that belong to one user are neither stored nor served from
    the cache, and go out as ``Cache-Control: private, no-store``: a
    request carrying ``Authorization`` bypasses the cache unless ``vary``
    names ``Authorization``, and an answer whose request read the session
    is not stored unless ``vary`` names ``Cookie``. Naming the header
    puts its value in the key, so each user gets an entry of their own.
    """
    resolved_ttl = resolve_ttl(ttl)
    if lock_timeout is not None and lock_timeout <= 0:
        raise ValueError(f"lock_timeout must be seconds > 0, not {lock_timeout!r}")

    def decorate(func: F) -> F:
        policy = CachePolicy(
            namespace=namespace or f"{func.__module__}.{func.__qualname__}",
            ttl=resolved_ttl,
            key_builder=key_builder or default_key_builder,
            vary=tuple(vary),
            lock_timeout=lock_timeout,
        )
        return _wrap(func, policy)

    return decorate


def _wrap(func: F, policy: CachePolicy) -> F:
    signature, request_name, response_name = _signature_with_request(func)
    is_async = inspect.iscoroutinefunction(func)

    async def call(kwargs: dict[str, Any]) -> Any:
        if is_async:
            return await func(**kwargs)
        return await run_in_threadpool(func, **kwargs)

    @functools.wraps(func)
    async def endpoint(**kwargs: Any) -> Any:
        request: Request = kwargs[request_name]
        sub_response: Response = kwargs[response_name]
        for injected in (REQUEST_PARAM, RESPONSE_PARAM):
            kwargs.pop(injected, None)
        if request.method not in CACHED_METHODS:
            return await call(kwargs)
        if "no-store" in cache_directives(request) or policy.personal(request):
            return _bypass(policy, request, await call(kwargs), sub_response)
        cached_request = CachedRequest.of(policy, request, sub_response)
        return await cached_request.serve(lambda: call(kwargs))

    endpoint.__signature__ = signature  # type: ignore[attr-defined]
    endpoint.cache_namespace = policy.namespace  # type: ignore[attr-defined]
    return typing.cast(F, endpoint)


def _signature_with_request(
    func: Callable[..., Any],
) -> tuple[inspect.Signature, str, str]:
    """The endpoint's signature, plus Request and Response if it lacks them.

    Annotations are resolved here, in the endpoint's own module, since
    FastAPI may look them up in this one.
    """
    signature = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError):
        hints = {}
    params = [
        param.replace(annotation=hints.get(param.name, param.annotation))
        for param in signature.parameters.values()
    ]
    request_name = _param_of_type(params, Request) or REQUEST_PARAM
    response_name = _param_of_type(params, Response) or RESPONSE_PARAM
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind)
        for name, kind in ((REQUEST_PARAM, Request), (RESPONSE_PARAM, Response))
        if name in (request_name, response_name)
    ]
    variadic = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    plain = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    returns = hints.get("return", signature.return_annotation)
    return (
        signature.replace(
            parameters=plain + extra + variadic, return_annotation=returns
        ),
        request_name,
        response_name,
    )


def _param_of_type(params: list[inspect.Parameter], kind: type) -> str | None:
    for param in params:
        if isinstance(param.annotation, type) and issubclass(param.annotation, kind):
            return param.name
    return None


def _bypass(
    policy: CachePolicy, request: Request, result: Any, sub_response: Response
) -> Any:
    """Send ``result`` uncached: marked BYPASS, and private if personal."""
    target = result if isinstance(result, Response) else sub_response
    target.headers["X-Cache"] = "BYPASS"
    if policy.personal(request):  # also when the endpoint read the session
        _keep_private(target)
    return result


def _keep_private(response: Response) -> None:
    """Tell shared caches to keep out, unless the endpoint said otherwise."""
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = PRIVATE


# -- serving ---------------------------------------------------------------------

Compute = Callable[[], Awaitable[Any]]


@dataclasses.dataclass
class CachedRequest:
    """One request to a cached endpoint, served from the cache or filled."""

    policy: CachePolicy
    request: Request
    sub_response: Response
    engine: AsyncCacheEngine
    key: str
    ttl: int | None
    refresh: bool

    @classmethod
    def of(
        cls, policy: CachePolicy, request: Request, sub_response: Response
    ) -> CachedRequest:
        runtime = runtime_of(request.scope)
        ttl = policy.ttl or runtime.settings.cache_ttl
        refresh = "no-cache" in cache_directives(request)
        key = policy.key(request)
        return cls(policy, request, sub_response, runtime.cache, key, ttl, refresh)

    async def serve(self, compute: Compute) -> Response:
        hit = None if self.refresh else await self.lookup()
        if hit is not None:
            return hit
        if self.policy.lock_timeout is None:
            return await self.fill(compute)
        lock = self.engine.lock(f"fill:{self.key}", self.policy.lock_timeout)
        hit, held = await self.wait_for_lock(lock, self.policy.lock_timeout)
        if hit is not None:
            return hit
        try:
            # Another request may have filled it just before releasing.
            hit = await self.lookup() if held and not self.refresh else None
            return hit if hit is not None else await self.fill(compute)
        finally:
            if held:
                await _release(lock)

    async def wait_for_lock(
        self, lock: AsyncCacheLock, timeout: float
    ) -> tuple[Response | None, bool]:
        """Take the fill lock, or meet the answer its holder stores.

        Returns ``(hit, held)``; neither after ``timeout`` seconds or when
        the lock cannot be reached, and then the caller computes anyway.
        """
        deadline = time.monotonic() + timeout
        while True:
            held = await _acquire(lock)
            if held is not False:
                return None, bool(held)
            hit = None if self.refresh else await self.lookup()
            if hit is not None:
                return hit, False
            if time.monotonic() >= deadline:
                return None, False
            await asyncio.sleep(FILL_POLL)

    async def lookup(self) -> Response | None:
        """The cached answer (with HIT), or None on a miss."""
        try:
            async with http_errors():
                found, value, ttl = await self.engine.get_with_ttl(self.key)
        except ValueError as exc:  # a record this code did not write
            log.warning("cached answer %r does not decode (%s)", self.key, exc)
            return None
        stored = CachedAnswer.from_value(value) if found else None
        if stored is None:
            return None
        return self.policy.answer(self.request, stored, ttl, "HIT")

    async def fill(self, compute: Compute) -> Response:
        """Compute the answer, store it when cacheable, and send it."""
        response = await _render(self.request, self.sub_response, await compute())
        if self.policy.personal(self.request):
            _keep_private(response)
            stored = None
        else:
            stored = CachedAnswer.from_response(response)
        if stored is None:
            response.headers["X-Cache"] = "MISS"
            return response
        await self.store(stored)
        return self.policy.answer(self.request, stored, self.ttl, "MISS")

    async def store(self, stored: CachedAnswer) -> None:
        """Keep the answer; the response goes out whether this works or not."""
        try:
            await self.engine.set(self.key, stored.to_value(), self.ttl)
        except AerospikeError as exc:
            log.warning("answer %r not cached: %s", self.key, exc)


async def _acquire(lock: AsyncCacheLock) -> bool | None:
    """Try the fill lock once; None when the lock cannot be stored."""
    try:
        return await lock.acquire(blocking=False)
    except AerospikeError as exc:
        log.warning("cache fill lock %r unavailable (%s)", lock.name, exc)
        return None


async def _release(lock: AsyncCacheLock) -> None:
    try:
        await lock.release()
    except AerospikeError as exc:
        log.warning("cache fill lock %r not released, it expires (%s)", lock.name, exc)


async def _render(request: Request, sub_response: Response, result: Any) -> Response:
    """The response FastAPI would send for ``result``."""
    if isinstance(result, Response):
        return result
    route = request.scope.get("route")
    content = await serialize_response(
        field=getattr(route, "response_field", None),
        response_content=result,
        include=getattr(route, "response_model_include", None),
        exclude=getattr(route, "response_model_exclude", None),
        by_alias=getattr(route, "response_model_by_alias", True),
        exclude_unset=getattr(route, "response_model_exclude_unset", False),
        exclude_defaults=getattr(route, "response_model_exclude_defaults", False),
        exclude_none=getattr(route, "response_model_exclude_none", False),
    )
    response_class = getattr(route, "response_class", JSONResponse)
    if isinstance(response_class, DefaultPlaceholder):
        response_class = response_class.value
    status = sub_response.status_code or getattr(route, "status_code", None) or 200
    response: Response = response_class(jsonable_encoder(content), status_code=status)
    response.raw_headers.extend(
        (name, value)
        for name, value in sub_response.headers.raw
        if name.lower() != b"content-length"
    )
    return response
