"""The Django cache backend: each cache entry is one Aerospike record.

    CACHES = {"default": {
        "BACKEND": "django_aerospike.cache.AerospikeCache",
        "LOCATION": "default",        # AEROSPIKE alias or "host:port,..."
        "OPTIONS": {"namespace": "test", "set": "django_cache"},
    }}

Every CACHES alias should have a set of its own: ``clear()`` truncates that
set and nothing else. The work is done by
:class:`aerospike_py.cache.CacheEngine` (blocking) and
:class:`~aerospike_py.cache.AsyncCacheEngine` (the ``a*`` methods, on the
AsyncClient: no thread hop); this module translates Django's conventions -
key making, timeouts - into the engine's.

Timeouts, Django's meaning -> the record TTL the engine is given:

    DEFAULT_TIMEOUT   the alias' TIMEOUT (300 s unless configured)
    None              never expires (Aerospike TTL -1)
    0 or negative     nothing is stored, an existing entry is deleted
    n > 0             ceil(n) seconds (Aerospike TTLs are whole seconds),
                      at most ten years (315360000 s, the server's limit)

Aerospike's own TTL 0 ("the namespace default") is never sent.

With ``ignore_exceptions`` an outage turns reads and fills (get, add, set,
get_many, set_many, has_key, touch, ttl, get_or_set) into logged misses,
but invalidations (delete, delete_many, delete_pattern, clear, a timeout
of 0 or less) and counters (incr, decr) still raise: a swallowed
invalidation leaves stale data behind, a swallowed increment a wrong
count. Locks and key scans raise too, except the lock of
``get_or_set(..., lock_timeout=...)``, which then computes the value
without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.exceptions import ImproperlyConfigured

from aerospike_py._async.client import AsyncClient
from aerospike_py._cache_codec import glob_escape
from aerospike_py._sync.client import Client
from aerospike_py.cache import (
    MAX_TTL,
    AsyncCacheEngine,
    AsyncCacheLock,
    CacheEngine,
    CacheLock,
    CacheMiss,
)
from aerospike_py.exception import InvalidArgError
from django_aerospike import conf
from django_aerospike.connections import SharedClient

EXPIRED = 0  # get_backend_timeout(): Django asked for "expire now"


class AerospikeCache(BaseCache):
    """Django cache backend over an Aerospike namespace and set.

    Constructing one costs nothing and opens no connection: Django builds a
    backend per thread and per alias. The client is shared by the process
    (see :mod:`django_aerospike.connections`).
    """

    def __init__(self, server: str | Sequence[str], params: dict[str, Any]) -> None:
        super().__init__(params)
        self._location = server
        self._options: Mapping[str, Any] = params.get("OPTIONS") or {}

    @cached_property
    def settings(self) -> conf.CacheSettings:
        """The checked OPTIONS and client config of this cache."""
        where = f"the AerospikeCache at LOCATION {self._location!r}"
        return conf.cache_settings(where, self._location, self._options)

    @cached_property
    def _shared(self) -> SharedClient:
        return SharedClient(self.settings.client)

    @cached_property
    def _engine(self) -> CacheEngine:
        return CacheEngine(self._shared, **self._engine_options())

    @cached_property
    def _aengine(self) -> AsyncCacheEngine:
        return AsyncCacheEngine(self._shared.async_client, **self._engine_options())

    def _engine_options(self) -> dict[str, Any]:
        options = self.settings
        return {
            "namespace": options.namespace,
            "set_name": options.set_name,
            "serializer": options.serializer,
            "compress_min_length": options.compress_min_length,
            "ignore_exceptions": options.ignore_exceptions,
        }

    def get_client(self) -> Client:
        """Return the connected client this cache talks through."""
        return self._shared()

    async def aget_client(self) -> AsyncClient:
        """Return the connected AsyncClient of the running event loop."""
        return await self._shared.async_client()

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> int | None:
        """Return the record TTL for a Django timeout.

        None means never expires and EXPIRED (0) means "do not store":
        Django stores nothing for a timeout of 0 or less (ticket 21147).
        Longer than Aerospike's ten-year limit is cut to that limit, as a
        timeout Django's own backends accept must not fail here.
        """
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return None
        if isinstance(timeout, float) and not math.isfinite(timeout):
            if math.isnan(timeout):
                raise ValueError("cache timeout is NaN; give seconds or None")
            return None if timeout > 0 else EXPIRED  # inf: as long as None
        seconds: int = min(max(EXPIRED, math.ceil(timeout)), MAX_TTL)
        return seconds

    def _keys(self, keys: Iterable[str], version: int | None) -> dict[str, str]:
        """Map the made key of each of ``keys`` back to the caller's key."""
        return {self.make_and_validate_key(key, version=version): key for key in keys}

    # -- the Django cache API ------------------------------------------------

    def add(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            # Nothing is stored, yet add() reports whether the key was free.
            return not self._engine.has(key)
        return self._engine.add(key, value, ttl)

    async def aadd(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            return not await self._aengine.has(key)
        return await self._aengine.add(key, value, ttl)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        return self._engine.get(key, default)

    async def aget(
        self, key: str, default: Any = None, version: int | None = None
    ) -> Any:
        key = self.make_and_validate_key(key, version=version)
        return await self._aengine.get(key, default)

    def set(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            self._engine.delete(key)
        else:
            self._engine.set(key, value, ttl)

    async def aset(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            await self._aengine.delete(key)
        else:
            await self._aengine.set(key, value, ttl)

    def touch(
        self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            return self._engine.delete(key)
        return self._engine.touch(key, ttl)

    async def atouch(
        self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            return await self._aengine.delete(key)
        return await self._aengine.touch(key, ttl)

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._engine.delete(self.make_and_validate_key(key, version=version))

    async def adelete(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return await self._aengine.delete(key)

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._engine.has(self.make_and_validate_key(key, version=version))

    async def ahas_key(self, key: str, version: int | None = None) -> bool:
        return await self._aengine.has(self.make_and_validate_key(key, version=version))

    def get_many(
        self, keys: Iterable[str], version: int | None = None
    ) -> dict[str, Any]:
        made = self._keys(keys, version)
        return {made[key]: value for key, value in self._engine.get_many(made).items()}

    async def aget_many(
        self, keys: Iterable[str], version: int | None = None
    ) -> dict[str, Any]:
        made = self._keys(keys, version)
        found = await self._aengine.get_many(made)
        return {made[key]: value for key, value in found.items()}

    def set_many(
        self,
        data: Mapping[str, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[str]:
        """Store every value in one batch; return the keys that failed."""
        made = self._keys(data, version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            self._engine.delete_many(made)
            return []
        values = {key: data[original] for key, original in made.items()}
        return [made[key] for key in self._engine.set_many(values, ttl)]

    async def aset_many(
        self,
        data: Mapping[str, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[str]:
        made = self._keys(data, version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            await self._aengine.delete_many(made)
            return []
        values = {key: data[original] for key, original in made.items()}
        return [made[key] for key in await self._aengine.set_many(values, ttl)]

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        self._engine.delete_many(self._keys(keys, version))

    async def adelete_many(
        self, keys: Iterable[str], version: int | None = None
    ) -> None:
        await self._aengine.delete_many(self._keys(keys, version))

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """Add ``delta`` on the server in one operation; the TTL is kept.

        Raise ValueError for a missing key, TypeError for a value that is
        not an integer, and OverflowError (leaving the value as it was)
        when the result would not fit a signed 64-bit integer.
        """
        made = self.make_and_validate_key(key, version=version)
        with _counter_errors(key, delta):
            return self._engine.incr(made, delta)

    async def aincr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        made = self.make_and_validate_key(key, version=version)
        with _counter_errors(key, delta):
            return await self._aengine.incr(made, delta)

    async def adecr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return await self.aincr(key, -delta, version=version)

    def incr_version(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """Move the entry to version + delta, keeping its remaining TTL."""
        version = self.version if version is None else version
        old = self.make_and_validate_key(key, version=version)
        found, value, ttl = self._engine.get_with_ttl(old)
        if not found:
            raise ValueError(f"Key '{key}' not found")
        new = self.make_and_validate_key(key, version=version + delta)
        self._engine.set(new, value, _remaining(ttl))
        self._engine.delete(old)
        return version + delta

    async def aincr_version(
        self, key: str, delta: int = 1, version: int | None = None
    ) -> int:
        version = self.version if version is None else version
        old = self.make_and_validate_key(key, version=version)
        found, value, ttl = await self._aengine.get_with_ttl(old)
        if not found:
            raise ValueError(f"Key '{key}' not found")
        new = self.make_and_validate_key(key, version=version + delta)
        await self._aengine.set(new, value, _remaining(ttl))
        await self._aengine.delete(old)
        return version + delta

    async def adecr_version(
        self, key: str, delta: int = 1, version: int | None = None
    ) -> int:
        return await self.aincr_version(key, -delta, version)

    def get_or_set(
        self,
        key: str,
        default: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        lock_timeout: int | None = None,
    ) -> Any:
        """Return the cached value; on a miss store ``default`` (or its result).

        With ``lock_timeout`` (seconds) only one caller computes a missing
        value while the others wait for it (stampede protection). With
        ``ignore_exceptions``, a lock the outage makes unreachable is done
        without: the value is computed and returned, as without a lock.
        """
        made = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            value = self._engine.get(made, self._missing_key)
            return _resolve(default) if value is self._missing_key else value
        return self._engine.get_or_set(made, default, ttl, lock_timeout=lock_timeout)

    async def aget_or_set(
        self,
        key: str,
        default: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        lock_timeout: int | None = None,
    ) -> Any:
        made = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if ttl == EXPIRED:
            value = await self._aengine.get(made, self._missing_key)
            return _resolve(default) if value is self._missing_key else value
        return await self._aengine.get_or_set(
            made, default, ttl, lock_timeout=lock_timeout
        )

    def clear(self) -> None:
        """Remove every entry of this cache: a truncate of its own set."""
        self._engine.clear()

    async def aclear(self) -> None:
        await self._aengine.clear()

    def close(self, **kwargs: Any) -> None:
        """Keep the connection: the client is shared and outlives requests.

        Django calls this after every request (request_finished); closing
        here would reconnect on the next request.
        """

    async def aclose(self, **kwargs: Any) -> None:
        """Keep the connection (see close())."""

    # -- extras, named as in django-redis ------------------------------------

    def ttl(self, key: str, version: int | None = None) -> int | None:
        """Return the seconds left: None if it never expires, 0 if missing."""
        return self._engine.ttl(self.make_and_validate_key(key, version=version))

    async def attl(self, key: str, version: int | None = None) -> int | None:
        return await self._aengine.ttl(self.make_and_validate_key(key, version=version))

    def expire(self, key: str, timeout: Any, version: int | None = None) -> bool:
        """Give an entry a new Django timeout; False when it is missing."""
        return self.touch(key, timeout, version=version)

    async def aexpire(self, key: str, timeout: Any, version: int | None = None) -> bool:
        return await self.atouch(key, timeout, version=version)

    def persist(self, key: str, version: int | None = None) -> bool:
        """Make an entry never expire; False when it is missing."""
        return self.touch(key, None, version=version)

    async def apersist(self, key: str, version: int | None = None) -> bool:
        return await self.atouch(key, None, version=version)

    def lock(
        self,
        key: str,
        version: int | None = None,
        timeout: int = 10,
        blocking_timeout: float | None = None,
    ) -> CacheLock:
        """Return a cluster-wide lock (use it as a context manager).

        ``timeout`` bounds how long a holder keeps it; ``blocking_timeout``
        how long acquiring waits (None: up to ``timeout``). A lock always
        has a TTL, so a namespace without expiry refuses it (explained).
        """
        name = self.make_and_validate_key(key, version=version)
        return CacheLock(self._engine, name, timeout, blocking_timeout)

    def alock(
        self,
        key: str,
        version: int | None = None,
        timeout: int = 10,
        blocking_timeout: float | None = None,
    ) -> AsyncCacheLock:
        """Return the lock of :meth:`lock` for ``async with``."""
        name = self.make_and_validate_key(key, version=version)
        return AsyncCacheLock(self._aengine, name, timeout, blocking_timeout)

    def keys(self, search: str = "*", version: int | None = None) -> list[str]:
        """Return the keys matching a glob pattern (matched on the server)."""
        stored = self._engine.iter_keys(self._pattern(search, version))
        return self._unmade(stored, version)

    async def akeys(self, search: str = "*", version: int | None = None) -> list[str]:
        pattern = self._pattern(search, version)
        return self._unmade(await self._aengine.iter_keys(pattern), version)

    def iter_keys(self, search: str = "*", version: int | None = None) -> Iterator[str]:
        """Yield the keys matching a glob pattern."""
        yield from self.keys(search, version=version)

    def delete_pattern(self, pattern: str, version: int | None = None) -> int:
        """Delete every key matching a glob pattern; return how many."""
        return self._engine.delete_pattern(self._pattern(pattern, version))

    async def adelete_pattern(self, pattern: str, version: int | None = None) -> int:
        return await self._aengine.delete_pattern(self._pattern(pattern, version))

    def _pattern(self, search: str, version: int | None) -> str:
        """Make a stored-key pattern where only ``search`` is a glob."""
        version = self.version if version is None else version
        prefix = glob_escape(self.key_prefix)
        return str(self.key_func(search, prefix, glob_escape(str(version))))

    def _unmade(self, stored: list[str], version: int | None) -> list[str]:
        """Strip what the key function wrapped around each caller key.

        Works for any KEY_FUNCTION that keeps the key verbatim; keys it
        cannot unwrap are returned as stored.
        """
        marker = "\x00"
        version = self.version if version is None else version
        made = str(self.key_func(marker, self.key_prefix, version))
        head, _, tail = made.partition(marker)
        return [
            key[len(head) : len(key) - len(tail)]
            if key.startswith(head) and key.endswith(tail)
            else key
            for key in stored
        ]


def get_aerospike_client(alias: str = "default") -> Client:
    """Return the client behind the CACHES alias ``alias``.

    The analogue of django-redis' ``get_redis_connection``: raw access to
    the cluster the cache uses, shared with it.
    """
    cache = caches[alias]
    if not isinstance(cache, AerospikeCache):
        raise ImproperlyConfigured(
            f"CACHES[{alias!r}] uses {type(cache).__name__}, not AerospikeCache"
        )
    return cache.get_client()


def _remaining(ttl: int | None) -> int | None:
    # A record at its last second reports 0 left; keep it one more second
    # rather than pass Aerospike's 0 ("namespace default").
    return None if ttl is None else max(ttl, 1)


def _resolve(default: Any | Callable[[], Any]) -> Any:
    return default() if callable(default) else default


@contextmanager
def _counter_errors(key: str, delta: int) -> Iterator[None]:
    """Name the caller's key, not the stored one, in incr's errors."""
    try:
        yield
    except CacheMiss:
        raise ValueError(f"Key '{key}' not found") from None
    except InvalidArgError:
        raise
    except OverflowError:
        raise OverflowError(
            f"Key '{key}' cannot change by {delta}: the result would not fit a "
            "signed 64-bit integer, Aerospike's integer; the value is unchanged"
        ) from None
    except TypeError:
        raise TypeError(f"Key '{key}' does not hold an integer") from None
