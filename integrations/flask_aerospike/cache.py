"""A Flask-Caching backend on the shared Aerospike cache engine.

    app.config["AEROSPIKE"] = {"hosts": [("127.0.0.1", 3000)]}
    app.config["CACHE_TYPE"] = "flask_aerospike.cache.AerospikeCache"
    app.config["CACHE_OPTIONS"] = {"set": "flask_cache"}
    cache = Cache(app)

The connection is the app's ``AEROSPIKE`` ClientConfig (the same client
the extension uses); ``CACHE_OPTIONS`` may hold ``namespace`` (default
``AEROSPIKE_NAMESPACE``), ``set`` (default ``"flask_cache"``),
``serializer`` (``"pickle"``, ``"json"`` or ``"msgpack"``; default
pickle, as in Flask-Caching), ``compress_min_length`` and
``ignore_exceptions``. ``CACHE_KEY_PREFIX`` and ``CACHE_DEFAULT_TIMEOUT``
work as for every Flask-Caching backend, and ``CACHE_SERIALIZER``
replaces the serializer.

With ``ignore_exceptions`` an outage turns reads and fills (get, has,
set, add, get_many, set_many) into logged misses, while invalidations
(delete, delete_many, clear, a negative timeout) and counters (inc, dec)
still raise: swallowing them would leave stale data or wrong counts.

Each cache needs a set of its own: ``clear()`` truncates that set, and
nothing else in the namespace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_caching.backends.base import BaseCache

from aerospike_py._cache_codec import glob_escape
from aerospike_py.cache import (
    MAX_TTL,
    SERIALIZERS,
    CacheEngine,
    CacheMiss,
    Serializer,
)
from aerospike_py.registry import registry
from flask_aerospike._config import (
    ConfigError,
    client_config,
    default_namespace,
    namespace_name,
    set_name,
)

DEFAULT_SET = "flask_cache"
OPTIONS = ("namespace", "set", "serializer", "compress_min_length", "ignore_exceptions")
# A serializer handed over through CACHE_SERIALIZER is tagged with this.
CUSTOM_TAG = "c"

Timeout = int | dt.timedelta | None


class AerospikeCache(BaseCache):
    """Flask-Caching's contract over :class:`aerospike_py.cache.CacheEngine`.

    Timeouts mean what they mean in Flask-Caching: None is the default
    timeout, 0 never expires, a positive number (or a ``timedelta``) is a
    lifetime, at most Aerospike's ten years (longer ones are cut to it),
    and a negative one has already expired. Building it only describes the
    cache; the client connects on first use.
    """

    def __init__(
        self,
        connection: Mapping[str, Any],
        *,
        namespace: str = "test",
        set_name: str = DEFAULT_SET,
        serializer: str | Serializer = "pickle",
        compress_min_length: int = 0,
        ignore_exceptions: bool = False,
        key_prefix: str = "",
        default_timeout: int = 300,
        ignore_delete_many_errors: bool = False,
    ) -> None:
        super().__init__(
            default_timeout=default_timeout,
            ignore_delete_many_errors=ignore_delete_many_errors,
        )
        self.key_prefix = key_prefix
        self._connection = dict(connection)
        self._options: dict[str, Any] = {
            "namespace": namespace,
            "set_name": set_name,
            "compress_min_length": compress_min_length,
            "ignore_exceptions": ignore_exceptions,
        }
        self.engine = self._engine(serializer)

    @classmethod
    def factory(
        cls,
        app: Flask,
        config: dict[str, Any],
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> AerospikeCache:
        """Build the backend from the app's config (Flask-Caching calls this).

        ``kwargs`` holds ``default_timeout``, ``ignore_delete_many_errors``
        and the ``CACHE_OPTIONS`` entries.
        """
        options = dict(kwargs)
        default_timeout = options.pop("default_timeout", 300)
        ignore_delete_many_errors = options.pop("ignore_delete_many_errors", False)
        if args:
            raise ConfigError(
                "AerospikeCache takes no CACHE_ARGS; put its settings in "
                f"CACHE_OPTIONS ({', '.join(OPTIONS)})"
            )
        _check_options(options)
        if "namespace" in options:
            namespace = namespace_name(
                options["namespace"], "CACHE_OPTIONS['namespace']"
            )
        else:
            namespace = default_namespace(config)
        return cls(
            client_config(config),
            namespace=namespace,
            set_name=set_name(options.get("set", DEFAULT_SET), "CACHE_OPTIONS['set']"),
            serializer=options.get("serializer", "pickle"),
            compress_min_length=options.get("compress_min_length", 0),
            ignore_exceptions=options.get("ignore_exceptions", False),
            key_prefix=config.get("CACHE_KEY_PREFIX") or "",
            default_timeout=default_timeout,
            ignore_delete_many_errors=ignore_delete_many_errors,
        )

    def _engine(self, serializer: str | Serializer) -> CacheEngine:
        connection = self._connection
        return CacheEngine(
            lambda: registry.client(connection), serializer=serializer, **self._options
        )

    @property
    def serializer(self) -> Serializer:
        """How values that are not plain Aerospike types are stored.

        Assign a name (``"pickle"``, ``"json"``, ``"msgpack"``), an engine
        :class:`~aerospike_py.cache.Serializer`, or any object with
        ``dumps`` and ``loads`` (a cachelib serializer, as Flask-Caching's
        ``CACHE_SERIALIZER`` hands over).
        """
        return self.engine.codec.serializer

    @serializer.setter
    def serializer(self, value: Any) -> None:
        if not isinstance(value, (str, Serializer)):
            value = _adapt(value)
        self.engine = self._engine(value)

    # -- keys and timeouts -------------------------------------------------------

    def _key(self, key: str) -> str:
        return self.key_prefix + key

    def _ttl(self, timeout: Timeout) -> int | None:
        """The engine TTL of a Flask-Caching timeout; 0 means expired.

        None is the default timeout and 0 is "never expires" (None to the
        engine); neither may reach Aerospike as a TTL of its own. Past the
        server's ten-year limit the lifetime is that limit.
        """
        seconds = self._normalize_timeout(timeout)
        if seconds == 0:
            return None
        return min(seconds, MAX_TTL) if seconds > 0 else 0

    # -- single keys ---------------------------------------------------------------

    def get(self, key: str) -> Any:
        """Return the cached value, or None on a miss."""
        return self.engine.get(self._key(key))

    def has(self, key: str) -> bool:
        """Return True when ``key`` holds a value (without reading it)."""
        return self.engine.has(self._key(key))

    def set(self, key: str, value: Any, timeout: Timeout = None) -> bool:
        """Store ``value``; return False when the backend refused it."""
        ttl = self._ttl(timeout)
        if ttl == 0:
            self.engine.delete(self._key(key))
            return True
        return self.engine.set(self._key(key), value, ttl)

    def add(self, key: str, value: Any, timeout: Timeout = None) -> bool:
        """Store ``value`` only if ``key`` holds nothing (one atomic write).

        Return False when the key holds something, or when the value is
        too big to store (logged as a warning, as for set).
        """
        ttl = self._ttl(timeout)
        if ttl == 0:
            return not self.has(key)
        return self.engine.add(self._key(key), value, ttl)

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it held a value."""
        return self.engine.delete(self._key(key))

    def ttl(self, key: str) -> int | None:
        """Seconds the key has left: None if it never expires, 0 if missing."""
        return self.engine.ttl(self._key(key))

    def inc(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` on the server and return the new value.

        A missing key starts at ``delta`` with the default timeout; an
        existing one keeps its remaining lifetime.
        """
        try:
            return self.engine.incr(self._key(key), delta)
        except CacheMiss:
            if self.add(key, delta):
                return delta
        # Another request created the key between our two commands.
        return self.engine.incr(self._key(key), delta)

    def dec(self, key: str, delta: int = 1) -> int:
        """Subtract ``delta`` on the server and return the new value."""
        return self.inc(key, -delta)

    # -- many keys -----------------------------------------------------------------

    def get_many(self, *keys: str) -> list[Any]:
        """Return the values of ``keys`` in order, None for misses (one batch)."""
        found = self.engine.get_many(self._key(key) for key in keys)
        return [found.get(self._key(key)) for key in keys]

    def set_many(
        self, mapping: Mapping[str, Any], timeout: Timeout = None
    ) -> list[Any]:
        """Store many values in one batch; return the keys that were stored."""
        ttl = self._ttl(timeout)
        if ttl == 0:
            self.delete_many(*mapping)
            return list(mapping)
        stored = {self._key(key): value for key, value in mapping.items()}
        failed = set(self.engine.set_many(stored, ttl))
        return [key for key in mapping if self._key(key) not in failed]

    def delete_many(self, *keys: str) -> list[Any]:
        """Remove many keys in one batch; return them (missing ones too)."""
        self.engine.delete_many(self._key(key) for key in keys)
        return list(keys)

    def clear(self) -> bool:
        """Empty this cache and nothing else.

        With a ``CACHE_KEY_PREFIX`` (Flask-Caching's default is
        ``"flask_cache_"``) only the keys under it are deleted, found by a
        scan of the set, as Flask-Caching's Redis backend does: caches that
        share the set keep their entries. Without a prefix the whole set
        is truncated.
        """
        if self.key_prefix:
            self.engine.delete_pattern(glob_escape(self.key_prefix) + "*")
        else:
            self.engine.clear()
        return True


def _check_options(options: Mapping[str, Any]) -> None:
    """Refuse CACHE_OPTIONS the backend would misread, naming the key."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError(
            f"CACHE_OPTIONS has unknown key(s) {unknown} for AerospikeCache; "
            f"it knows {', '.join(OPTIONS)}"
        )
    serializer = options.get("serializer", "pickle")
    known = isinstance(serializer, str) and serializer in SERIALIZERS
    if not known and not isinstance(serializer, Serializer):
        raise ConfigError(
            f"CACHE_OPTIONS['serializer'] is {serializer!r}; use one of "
            f"{', '.join(sorted(SERIALIZERS))}"
        )
    length = options.get("compress_min_length", 0)
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ConfigError(
            "CACHE_OPTIONS['compress_min_length'] must be bytes >= 0 "
            f"(0 = never compress), not {length!r}"
        )
    if not isinstance(options.get("ignore_exceptions", False), bool):
        raise ConfigError("CACHE_OPTIONS['ignore_exceptions'] must be True or False")


def _adapt(serializer: Any) -> Serializer:
    """Wrap an object with ``dumps``/``loads`` as an engine serializer."""
    if not callable(getattr(serializer, "dumps", None)) or not callable(
        getattr(serializer, "loads", None)
    ):
        raise TypeError(
            "a cache serializer is 'pickle', 'json', 'msgpack' or an object "
            f"with dumps() and loads(), not {serializer!r}"
        )
    name = type(serializer).__name__

    def dumps(value: Any) -> bytes:
        data = serializer.dumps(value)
        if not isinstance(data, bytes):  # cachelib returns None on failure
            raise TypeError(f"{name}.dumps() could not serialize a {type(value)}")
        return data

    return Serializer(name, CUSTOM_TAG, dumps, serializer.loads)
