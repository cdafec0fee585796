"""The framework-free session store that Django, Flask and FastAPI wrap.

A session is one record in one configured set (never a set per session:
a namespace holds few sets), its data serialized into the bin ``d``. The
record TTL is the session's lifetime, so expired sessions vanish on the
server and no cleanup job is needed. Writes are atomic about existence:
creating never overwrites a live session, and updating never resurrects
one that was deleted (a logout racing with a slow request).
``SessionEngine`` (blocking) is generated from this file.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aerospike_py import _constants as C
from aerospike_py._async.client import AsyncClient
from aerospike_py._cache_codec import (
    Serializer,
    SessionExists,
    SessionMissing,
    get_serializer,
    new_session_key,
    retold,
    ttl_forbidden,
)
from aerospike_py._policy import MAX_TTL
from aerospike_py.exception import (
    ForbiddenError,
    InvalidArgError,
    RecordExistsError,
    RecordNotFound,
    RecordTooBig,
)

log = logging.getLogger("aerospike_py.sessions")

DATA_BIN = "d"
USER_BIN = "u"
MAX_CREATE_ATTEMPTS = 10

ClientSource = AsyncClient | Callable[[], Awaitable[AsyncClient]]


class AsyncSessionEngine:
    """Server-side sessions in one namespace and set."""

    def __init__(
        self,
        client: ClientSource,
        *,
        namespace: str = "test",
        set_name: str = "sessions",
        serializer: str | Serializer = "json",
    ) -> None:
        if not namespace or not set_name:
            raise InvalidArgError("sessions need a namespace and a set name")
        self._client_source = client
        self.namespace = namespace
        self.set_name = set_name
        self.serializer = get_serializer(serializer)

    async def client(self) -> AsyncClient:
        source = self._client_source
        if isinstance(source, AsyncClient):
            return source
        return await source()

    def record_key(self, session_key: str) -> tuple[str, str, str]:
        if not isinstance(session_key, str) or not session_key:
            raise InvalidArgError(
                f"a session key is a non-empty str, not {session_key!r}"
            )
        return (self.namespace, self.set_name, session_key)

    async def load(self, session_key: str) -> dict[str, Any] | None:
        """The session's data, or None when it does not exist (or expired).

        Data that no longer decodes (a changed secret or serializer) reads
        as a missing session, and is logged.
        """
        try:
            record = await (await self.client()).get(self.record_key(session_key))
        except RecordNotFound:
            return None
        raw = (record.bins or {}).get(DATA_BIN)
        try:
            data = self.serializer.loads(
                raw if isinstance(raw, bytes) else str(raw).encode()
            )
        except Exception as exc:
            log.warning("session data does not decode (%s); treated as empty", exc)
            return None
        if not isinstance(data, dict):
            log.warning(
                "session data is a %s, not a dict; treated as empty", type(data)
            )
            return None
        return data

    async def save(
        self,
        session_key: str,
        data: dict[str, Any],
        ttl: int,
        *,
        must_create: bool = False,
        must_exist: bool = False,
        user_id: str | int | None = None,
    ) -> None:
        """Write the session with a lifetime of ``ttl`` seconds.

        ``must_create`` raises SessionExists if the key is taken;
        ``must_exist`` raises SessionMissing if it is gone. A ``ttl`` of 0
        or less means the session already expired: it is deleted instead;
        one past ten years (the server's longest TTL) is cut to ten years.
        """
        ttl = min(ttl, MAX_TTL)
        if ttl <= 0:
            # Expiring a live session is a successful update; only a
            # session that was already gone is missing.
            if not await self.delete(session_key) and must_exist:
                raise SessionMissing(session_key)
            return
        try:
            payload = self.serializer.dumps(data)
        except Exception as exc:
            raise retold(exc, "session data cannot be serialized") from exc
        bins: dict[str, Any] = {DATA_BIN: payload}
        if user_id is not None:
            bins[USER_BIN] = user_id
        exists = C.POLICY_EXISTS_REPLACE
        if must_create:
            exists = C.POLICY_EXISTS_CREATE_ONLY
        elif must_exist:
            exists = C.POLICY_EXISTS_REPLACE_ONLY
        client = await self.client()
        try:
            await client.put(
                self.record_key(session_key), bins, {"ttl": ttl}, {"exists": exists}
            )
        except RecordExistsError:
            raise SessionExists(session_key) from None
        except RecordNotFound:
            raise SessionMissing(session_key) from None
        except ForbiddenError as exc:
            raise self._explain(exc) from exc
        except RecordTooBig as exc:
            raise RecordTooBig(
                f"the session holds {len(payload)} bytes once serialized, more "
                "than the namespace's record size limit; keep large data out "
                "of the session (store it under its own key)",
                exc.code,
            ) from exc

    def _explain(self, exc: ForbiddenError) -> ForbiddenError:
        if exc.code == 22:
            return ttl_forbidden(self.namespace, "sessions", "")
        return exc

    async def create(
        self,
        data: dict[str, Any],
        ttl: int,
        *,
        user_id: str | int | None = None,
        key_factory: Callable[[], str] = new_session_key,
    ) -> str:
        """Store a new session under a fresh key and return the key."""
        for _ in range(MAX_CREATE_ATTEMPTS):
            session_key = key_factory()
            try:
                await self.save(
                    session_key, data, ttl, must_create=True, user_id=user_id
                )
            except SessionExists:
                continue
            return session_key
        raise RuntimeError(
            f"no unused session key after {MAX_CREATE_ATTEMPTS} attempts; "
            "check the key factory"
        )

    async def exists(self, session_key: str) -> bool:
        result = await (await self.client()).exists(self.record_key(session_key))
        return result.meta is not None

    async def delete(self, session_key: str) -> bool:
        """Remove a session; True when there was one."""
        try:
            await (await self.client()).remove(self.record_key(session_key))
        except RecordNotFound:
            return False
        return True

    async def touch(self, session_key: str, ttl: int) -> bool:
        """Extend a session's lifetime without rewriting it (sliding expiry)."""
        try:
            await (await self.client()).touch(
                self.record_key(session_key), min(ttl, MAX_TTL)
            )
        except RecordNotFound:
            return False
        except ForbiddenError as exc:
            raise self._explain(exc) from exc
        return True

    async def ttl(self, session_key: str) -> int | None:
        """Seconds the session has left; None when it does not exist."""
        result = await (await self.client()).exists(self.record_key(session_key))
        if result.meta is None:
            return None
        ttl: int = result.meta.ttl
        return ttl

    async def count(self) -> int:
        """How many live sessions the set holds (a scan without bin data)."""
        query = (await self.client()).query(self.namespace, self.set_name)
        records = await query.results({"include_bin_data": False})
        return len(records)

    async def clear(self) -> None:
        """Remove every session (a server-side truncate of the set)."""
        await (await self.client()).truncate(self.namespace, self.set_name, 0)
