"""The session engine: ``SESSION_ENGINE = "django_aerospike.sessions"``.

One record per session in the set named by ``AEROSPIKE_SESSIONS`` (alias
"default", namespace "test", set "django_sessions" unless configured),
holding the session dict encoded and signed by Django's own
``SessionBase.encode`` (so SESSION_SERIALIZER applies). The record TTL is
``get_expiry_age()``, at most Aerospike's ten years: the server drops
expired sessions, and there is nothing for ``clearsessions`` to do.
Writes are atomic about existence, as the database backend's
force_insert / force_update are: creating never overwrites a session,
saving never resurrects one deleted meanwhile (a logout racing a slow
request). The work is done by
:class:`aerospike_py.sessions.SessionEngine` and, for the ``a*`` methods,
:class:`~aerospike_py.sessions.AsyncSessionEngine`.
"""

from __future__ import annotations

import functools
import logging
import math
from functools import cached_property
from typing import Any

from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    SessionBase,
    UpdateError,
)
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.crypto import get_random_string

from aerospike_py.cache import MAX_TTL, Serializer
from aerospike_py.sessions import (
    AsyncSessionEngine,
    SessionEngine,
    SessionExists,
    SessionMissing,
)
from django_aerospike import conf
from django_aerospike.connections import SharedClient

log = logging.getLogger("django_aerospike.sessions")

SESSION_KEY_LENGTH = 32  # Django's own length and alphabet


@functools.cache
def _store() -> tuple[conf.SessionSettings, SharedClient]:
    """Read the settings once, not per request (a store lives one request)."""
    found = conf.session_settings()
    return found, SharedClient(found.client)


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("AEROSPIKE", "AEROSPIKE_SESSIONS"):
        _store.cache_clear()


class SessionStore(SessionBase):
    """Sessions kept in Aerospike, one record each."""

    @cached_property
    def _settings(self) -> conf.SessionSettings:
        return _store()[0]

    @cached_property
    def _engine(self) -> SessionEngine:
        return SessionEngine(_store()[1], **self._options())

    @cached_property
    def _aengine(self) -> AsyncSessionEngine:
        return AsyncSessionEngine(_store()[1].async_client, **self._options())

    def _options(self) -> dict[str, Any]:
        # Django's encode() signs and compresses with SESSION_SERIALIZER;
        # decode() logs tampered data (django.security.SuspiciousSession)
        # and returns an empty session, as every Django backend does.
        return {
            "namespace": self._settings.namespace,
            "set_name": self._settings.set_name,
            "serializer": Serializer("django", "d", self._dumps, self._loads),
        }

    def _dumps(self, session: dict[str, Any]) -> bytes:
        return self.encode(session).encode("ascii")

    def _loads(self, payload: bytes) -> dict[str, Any]:
        # Signed payloads are ASCII; latin-1 lets any garbage reach the
        # signature check, which logs it, instead of failing here.
        data: dict[str, Any] = self.decode(payload.decode("latin-1"))
        return data

    @staticmethod
    def _new_key() -> str:
        # The create-only write detects a taken key, so no exists() probe.
        return get_random_string(SESSION_KEY_LENGTH, VALID_KEY_CHARS)

    def _loaded(self, data: dict[str, Any] | None) -> dict[str, Any]:
        if data is None:
            # A missing or expired session: start afresh under a new key.
            self._session_key = None
            return {}
        return data

    # -- SessionBase ---------------------------------------------------------

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        return self._engine.exists(session_key)

    async def aexists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        return await self._aengine.exists(session_key)

    def load(self) -> dict[str, Any]:
        key = self.session_key
        return self._loaded(self._engine.load(key) if key else None)

    async def aload(self) -> dict[str, Any]:
        key = self.session_key
        return self._loaded(await self._aengine.load(key) if key else None)

    def create(self) -> None:
        data = self._get_session(no_load=True)  # type: ignore[attr-defined]
        self._session_key = self._engine.create(
            data, _ttl(self.get_expiry_age()), key_factory=self._new_key
        )
        self.modified = True

    async def acreate(self) -> None:
        data = await self._aget_session(no_load=True)  # type: ignore[attr-defined]
        ttl = _ttl(await self.aget_expiry_age())
        self._session_key = await self._aengine.create(
            data, ttl, key_factory=self._new_key
        )
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        """Write the session; with ``must_create`` only if the key is new.

        Raise CreateError when creating over an existing session, and
        UpdateError when the session was deleted since it was loaded.
        """
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]
        try:
            self._engine.save(
                self.session_key,
                data,
                _ttl(self.get_expiry_age()),
                must_create=must_create,
                must_exist=not must_create,
            )
        except SessionExists as exc:
            raise CreateError from exc
        except SessionMissing as exc:
            raise UpdateError from exc

    async def asave(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return await self.acreate()
        data = await self._aget_session(no_load=must_create)  # type: ignore[attr-defined]
        try:
            await self._aengine.save(
                self.session_key,
                data,
                _ttl(await self.aget_expiry_age()),
                must_create=must_create,
                must_exist=not must_create,
            )
        except SessionExists as exc:
            raise CreateError from exc
        except SessionMissing as exc:
            raise UpdateError from exc

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key:
            self._engine.delete(session_key)

    async def adelete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key:
            await self._aengine.delete(session_key)

    @classmethod
    def clear_expired(cls) -> None:
        """Do nothing: Aerospike drops each session when its TTL runs out."""
        log.info("Aerospike expires sessions itself; there is nothing to clear")

    @classmethod
    async def aclear_expired(cls) -> None:
        cls.clear_expired()


def _ttl(expiry_age: float) -> int:
    """The record TTL of a session expiring in ``expiry_age`` seconds.

    Past Aerospike's ten-year limit it is that limit, so a long
    ``set_expiry()`` that Django's other backends accept stores here too.
    An age of 0 or less stays as it is: the session has expired.
    """
    return min(math.ceil(expiry_age), MAX_TTL)
