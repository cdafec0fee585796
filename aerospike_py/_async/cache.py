"""The framework-free cache engine that Django, Flask and FastAPI wrap.

One record per cache key, in one namespace and set; the record TTL is the
entry's lifetime. Times are Aerospike-plain: ``ttl`` is a number of
seconds, or ``None`` for "never expires"; each framework translates its
own timeout conventions before calling in. ``CacheEngine`` (blocking) is
generated from this file.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aerospike_py import _constants as C
from aerospike_py import exp
from aerospike_py._async._backend import monotonic, sleep
from aerospike_py._async.client import AsyncClient
from aerospike_py._cache_codec import (
    FORMAT_BIN,
    KEEP,
    NEVER,
    VALUE_BIN,
    CacheMiss,
    Codec,
    Serializer,
    TTLForbiddenError,
    storage_key,
    ttl_forbidden,
)
from aerospike_py.exception import (
    AerospikeError,
    AerospikeTimeoutError,
    BinTypeError,
    ClusterError,
    FilteredOut,
    ForbiddenError,
    InvalidArgError,
    RecordExistsError,
    RecordGenerationError,
    RecordNotFound,
    RecordTooBig,
)

log = logging.getLogger("aerospike_py.cache")

NEVER_EXPIRES = 0xFFFFFFFF
# Errors that mean "the cache is unreachable", which ignore_exceptions hides.
OUTAGES = (ClusterError, AerospikeTimeoutError)
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

ClientSource = AsyncClient | Callable[[], Awaitable[AsyncClient]]


class AsyncCacheEngine:
    """Cache operations on one namespace and set of an Aerospike cluster."""

    def __init__(
        self,
        client: ClientSource,
        *,
        namespace: str = "test",
        set_name: str = "cache",
        serializer: str | Serializer = "pickle",
        compress_min_length: int = 0,
        ignore_exceptions: bool = False,
        native: bool = True,
    ) -> None:
        if not isinstance(namespace, str) or not namespace:
            raise InvalidArgError("the cache needs a namespace name")
        if not isinstance(set_name, str) or not set_name:
            raise InvalidArgError(
                "the cache needs its own set: clear() truncates that set, and "
                "without one it would empty the whole namespace"
            )
        self._client_source = client
        self.namespace = namespace
        self.set_name = set_name
        self.codec = Codec(
            serializer, compress_min_length=compress_min_length, native=native
        )
        self.ignore_exceptions = ignore_exceptions

    # -- plumbing ----------------------------------------------------------------

    async def client(self) -> AsyncClient:
        """The client this engine talks through (created lazily if needed)."""
        source = self._client_source
        if isinstance(source, AsyncClient):
            return source
        return await source()

    def record_key(self, key: str) -> tuple[str, str, str]:
        if not isinstance(key, str):
            raise InvalidArgError(f"cache keys are str, not {type(key).__name__}")
        return (self.namespace, self.set_name, storage_key(key))

    def _meta(self, ttl: int | None) -> dict[str, int]:
        if ttl is None:
            return {"ttl": NEVER}
        if (
            isinstance(ttl, bool)
            or not isinstance(ttl, int)
            or (ttl <= 0 and ttl != KEEP)
        ):
            raise InvalidArgError(
                f"cache ttl must be seconds > 0 or None (never expires), not {ttl!r}"
            )
        return {"ttl": ttl}

    def _outage(self, exc: AerospikeError, action: str, key: str) -> None:
        """Swallow an outage when configured to, logging the real error."""
        if not self.ignore_exceptions or not isinstance(exc, OUTAGES):
            raise self._explain(exc)
        log.warning("cache %s of %r failed, treated as a miss: %s", action, key, exc)

    def _explain(self, exc: AerospikeError) -> AerospikeError:
        if isinstance(exc, ForbiddenError) and exc.code == 22:
            return ttl_forbidden(
                self.namespace, "cache entries", ", or cache without a timeout"
            )
        return exc

    # -- single keys -------------------------------------------------------------

    async def get(self, key: str, default: Any = None) -> Any:
        """The cached value, or ``default`` on a miss."""
        found, value, _ = await self.get_with_ttl(key)
        return value if found else default

    async def get_with_ttl(self, key: str) -> tuple[bool, Any, int | None]:
        """``(found, value, remaining seconds or None if it never expires)``."""
        found, value, ttl, _ = await self._lookup(key)
        return found, value, ttl

    async def _lookup(self, key: str) -> tuple[bool, Any, int | None, bool]:
        """As get_with_ttl, plus whether the cluster answered at all (False
        only for an outage swallowed under ``ignore_exceptions``)."""
        record_key = self.record_key(key)
        try:
            record = await (await self.client()).get(record_key)
        except RecordNotFound:
            return False, None, None, True
        except AerospikeError as exc:
            self._outage(exc, "get", key)
            return False, None, None, False
        value = self.codec.decode(record.bins or {})
        return True, value, _ttl_of(record.meta), True

    async def set(self, key: str, value: Any, ttl: int | None) -> bool:
        """Store ``value``; True when it was stored.

        A value the server refuses as too big also removes the old entry,
        so readers never see a stale value.
        """
        record_key = self.record_key(key)
        bins = self.codec.encode(value, key)
        policy = {"exists": C.POLICY_EXISTS_REPLACE, "key": C.POLICY_KEY_SEND}
        try:
            await (await self.client()).put(record_key, bins, self._meta(ttl), policy)
        except RecordTooBig as exc:
            log.warning("cache value of %r refused (%s); old entry removed", key, exc)
            await self.delete(key)
            return False
        except AerospikeError as exc:
            self._outage(exc, "set", key)
            return False
        return True

    async def add(self, key: str, value: Any, ttl: int | None) -> bool:
        """Store ``value`` only when the key holds nothing; True if stored.

        A value the server refuses as too big is not stored (False), as
        with set().
        """
        record_key = self.record_key(key)
        bins = self.codec.encode(value, key)
        policy = {"exists": C.POLICY_EXISTS_CREATE_ONLY, "key": C.POLICY_KEY_SEND}
        try:
            await (await self.client()).put(record_key, bins, self._meta(ttl), policy)
        except RecordExistsError:
            return False
        except RecordTooBig as exc:
            log.warning("cache value of %r refused (%s); not added", key, exc)
            return False
        except AerospikeError as exc:
            self._outage(exc, "add", key)
            return False
        return True

    async def delete(self, key: str) -> bool:
        """Remove a key; True when there was something to remove."""
        try:
            await (await self.client()).remove(self.record_key(key))
        except RecordNotFound:
            return False
        except AerospikeError as exc:
            raise self._explain(exc) from exc
        return True

    async def has(self, key: str) -> bool:
        try:
            result = await (await self.client()).exists(self.record_key(key))
        except AerospikeError as exc:
            self._outage(exc, "has", key)
            return False
        return result.meta is not None

    async def touch(self, key: str, ttl: int | None) -> bool:
        """Give an entry a new lifetime; False when the key holds nothing."""
        try:
            await (await self.client()).touch(self.record_key(key), 0, self._meta(ttl))
        except RecordNotFound:
            return False
        except AerospikeError as exc:
            self._outage(exc, "touch", key)
            return False
        return True

    async def incr(self, key: str, delta: int = 1, *, create: bool = False) -> int:
        """Add ``delta`` atomically on the server and return the new value.

        The entry keeps its remaining TTL. A missing key raises CacheMiss,
        or with ``create`` starts from 0; a key holding anything but an
        integer raises TypeError; a result outside the signed 64-bit range
        raises OverflowError and leaves the value as it was (the server's
        own add would wrap around).
        """
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise InvalidArgError(f"incr needs an int delta, not {delta!r}")
        if not -UINT64_MAX <= delta <= UINT64_MAX:
            raise _overflow(key, delta)  # no 64-bit value survives such a step
        ops = [
            {"op": C.OPERATOR_INCR, "bin": VALUE_BIN, "val": step}
            for step in _int64_steps(delta)
        ]
        ops.append({"op": C.OPERATOR_READ, "bin": VALUE_BIN})
        # Serialized values carry a format bin; never add to those. The
        # bound refuses, in the same step, an add that would wrap.
        guard = exp.not_(exp.bin_exists(FORMAT_BIN))
        if delta > 0:
            guard = exp.and_(guard, exp.le(exp.int_bin(VALUE_BIN), INT64_MAX - delta))
        elif delta < 0:
            guard = exp.and_(guard, exp.ge(exp.int_bin(VALUE_BIN), INT64_MIN - delta))
        policy: dict[str, Any] = {"key": C.POLICY_KEY_SEND, "expressions": guard}
        if not create:
            policy["exists"] = C.POLICY_EXISTS_UPDATE_ONLY
        client = await self.client()
        record_key = self.record_key(key)
        try:
            record = await client.operate(record_key, ops, {"ttl": KEEP}, policy)
        except RecordNotFound:
            raise CacheMiss(key) from None
        except (BinTypeError, FilteredOut):
            found, held, _ = await self.get_with_ttl(key)
            if found and type(held) is int:
                raise _overflow(key, delta) from None
            raise TypeError(f"cache key {key!r} does not hold an integer") from None
        except AerospikeError as exc:
            raise self._explain(exc) from exc
        value: int = (record.bins or {})[VALUE_BIN]
        return value

    async def ttl(self, key: str) -> int | None:
        """Remaining seconds: None when it never expires, 0 when missing."""
        try:
            result = await (await self.client()).exists(self.record_key(key))
        except AerospikeError as exc:
            self._outage(exc, "ttl", key)
            return 0
        if result.meta is None:
            return 0
        return _ttl_of(result.meta)

    async def expire(self, key: str, ttl: int | None) -> bool:
        """Set a new lifetime (the same as touch); False when missing."""
        return await self.touch(key, ttl)

    async def persist(self, key: str) -> bool:
        """Make an entry never expire; False when missing."""
        return await self.touch(key, None)

    # -- many keys ---------------------------------------------------------------

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Found keys mapped to their values (one batch command)."""
        keys = list(keys)
        if not keys:
            return {}
        record_keys = [self.record_key(key) for key in keys]
        try:
            batch = await (await self.client()).batch_read(record_keys)
        except AerospikeError as exc:
            self._outage(exc, "get_many", ",".join(keys[:3]))
            return {}
        found: dict[str, Any] = {}
        for key, entry in zip(keys, batch.batch_records, strict=True):
            if entry.result == 0 and entry.record is not None:
                found[key] = self.codec.decode(entry.record.bins or {})
        return found

    async def set_many(self, mapping: Mapping[str, Any], ttl: int | None) -> list[str]:
        """Store many values (one batch command); return the keys that failed."""
        if not mapping:
            return []
        meta = self._meta(ttl) | {
            "exists": C.POLICY_EXISTS_REPLACE,
            "key": C.POLICY_KEY_SEND,
        }
        records = [
            (self.record_key(key), self.codec.encode(value, key), meta)
            for key, value in mapping.items()
        ]
        try:
            result = await (await self.client()).batch_write(records)
        except AerospikeError as exc:
            self._outage(exc, "set_many", ",".join(list(mapping)[:3]))
            return list(mapping)
        failed = []
        too_big = []
        for key, entry in zip(mapping, result.batch_records, strict=True):
            if entry.result != 0:
                failed.append(key)
            if entry.result == RecordTooBig.default_code:
                too_big.append(key)
        codes = {entry.result for entry in result.batch_records}
        if 22 in codes:
            raise self._explain(ForbiddenError("ttl forbidden", 22))
        if too_big:
            # As with set(): no reader may keep seeing the value replaced.
            log.warning(
                "cache values of %r refused as too big; old entries removed",
                too_big[:10],
            )
            await self.delete_many(too_big)
        return failed

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove many keys (one batch command); return how many existed."""
        keys = list(keys)
        if not keys:
            return 0
        record_keys = [self.record_key(key) for key in keys]
        try:
            records = await (await self.client()).batch_remove(record_keys)
        except AerospikeError as exc:
            raise self._explain(exc) from exc
        entries = records.batch_records  # type: ignore[attr-defined]
        return sum(1 for entry in entries if entry.result == 0)

    async def clear(self) -> None:
        """Remove every entry of this cache's set (a server-side truncate)."""
        await (await self.client()).truncate(self.namespace, self.set_name, 0)

    async def iter_keys(self, pattern: str = "*") -> list[str]:
        """Keys matching a glob pattern (``*``, ``?``, ``[...]``).

        The match runs on the server: a scan of the set with a regular
        expression on the stored key, so only matching keys travel.
        """
        client = await self.client()
        query = client.query(self.namespace, self.set_name)
        policy: dict[str, Any] = {"include_bin_data": False}
        if pattern != "*":
            regex = _glob_to_regex(pattern)
            policy["expressions"] = exp.regex_compare(
                regex, C.REGEX_EXTENDED, exp.key(exp.EXP_TYPE_STRING)
            )
        records = await query.results(policy)
        return sorted(
            record.key.user_key
            for record in records
            if record.key is not None and isinstance(record.key.user_key, str)
        )

    async def delete_pattern(self, pattern: str) -> int:
        """Delete every key matching a glob pattern; return the count."""
        keys = await self.iter_keys(pattern)
        return await self.delete_many(keys)

    # -- locks and stampede protection ------------------------------------------

    def lock(
        self, name: str, timeout: int = 10, *, blocking_timeout: float | None = None
    ) -> AsyncCacheLock:
        """A lock held in the cluster: a create-only record that expires."""
        return AsyncCacheLock(self, name, timeout, blocking_timeout)

    async def get_or_set(
        self,
        key: str,
        default: Any,
        ttl: int | None,
        *,
        lock_timeout: int | None = None,
    ) -> Any:
        """The cached value; on a miss compute ``default()`` and store it.

        With ``lock_timeout`` only one caller computes a missing value while
        the others wait for it (stampede protection); TimeoutError if the
        lock stays taken that long. With ``ignore_exceptions``, an outage
        met on the first read, or on the lock, means the value is computed
        and returned without storing it.
        """
        found, value, _, answered = await self._lookup(key)
        if found:
            return value
        if not answered:
            # An outage, already logged: compute the value and spend no more
            # timeouts on storing it.
            return default() if callable(default) else default
        if lock_timeout is None:
            value = default() if callable(default) else default
            await self.add(key, value, ttl)
            found, stored, _ = await self.get_with_ttl(key)
            return stored if found else value
        lock = self.lock(f"fill:{key}", lock_timeout, blocking_timeout=lock_timeout)
        try:
            acquired = await lock.acquire()
        except TTLForbiddenError as exc:
            raise ttl_forbidden(
                self.namespace,
                "the lock of get_or_set(lock_timeout=...)",
                ", or call get_or_set() without lock_timeout",
            ) from exc
        except OUTAGES as exc:
            if not self.ignore_exceptions:
                raise
            log.warning(
                "cache get_or_set of %r could not lock (%s); computed without the lock",
                key,
                exc,
            )
            return default() if callable(default) else default
        if not acquired:
            raise TimeoutError(
                f"could not take lock {lock.name!r} within {lock_timeout} s"
            )
        try:
            found, value, _ = await self.get_with_ttl(key)
            if found:
                return value
            value = default() if callable(default) else default
            await self.set(key, value, ttl)
            return value
        finally:
            await lock.release(quiet=self.ignore_exceptions)


class AsyncCacheLock:
    """A cluster-wide lock: a create-only record with a TTL.

    ``timeout`` bounds how long a holder keeps it (a crashed holder cannot
    block others forever); ``blocking_timeout`` bounds the wait to get it
    (None waits up to ``timeout``). Release deletes the record only if it is
    still ours, checked by generation.
    """

    POLL = 0.02

    def __init__(
        self,
        engine: AsyncCacheEngine,
        name: str,
        timeout: int,
        blocking_timeout: float | None,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
            raise InvalidArgError(
                f"lock timeout must be whole seconds > 0, not {timeout!r}"
            )
        self._engine = engine
        self.name = name
        self.timeout = timeout
        self.blocking_timeout = (
            timeout if blocking_timeout is None else blocking_timeout
        )
        self._token: str | None = None
        self._generation = 0

    def _key(self) -> tuple[str, str, str]:
        return self._engine.record_key(f"lock:{self.name}")

    async def acquire(self, blocking: bool = True) -> bool:
        client = await self._engine.client()
        token = secrets.token_hex(8)
        deadline = monotonic() + self.blocking_timeout
        policy = {"exists": C.POLICY_EXISTS_CREATE_ONLY}
        while True:
            try:
                await client.put(
                    self._key(), {"token": token}, {"ttl": self.timeout}, policy
                )
            except RecordExistsError:
                if not blocking or monotonic() >= deadline:
                    return False
                await sleep(self.POLL)
                continue
            except ForbiddenError as exc:
                if exc.code != 22:
                    raise
                raise ttl_forbidden(
                    self._engine.namespace,
                    "cache locks",
                    "; a lock always has a TTL, so that a crashed holder "
                    "cannot keep it",
                ) from exc
            self._token = token
            self._generation = 1
            return True

    async def release(self, *, quiet: bool = False) -> None:
        """Give the lock up; ``quiet`` logs an outage instead of raising
        (the lock then ends with its timeout)."""
        if self._token is None:
            raise RuntimeError(f"lock {self.name!r} is not held")
        try:
            client = await self._engine.client()
            await client.remove(self._key(), {"gen": self._generation})
        except (RecordNotFound, RecordGenerationError):
            log.warning("lock %r expired before it was released", self.name)
        except OUTAGES as exc:
            if not quiet:
                raise
            log.warning(
                "lock %r not released (%s); it ends with its timeout", self.name, exc
            )
        finally:
            self._token = None

    async def locked(self) -> bool:
        client = await self._engine.client()
        return (await client.exists(self._key())).meta is not None

    async def __aenter__(self) -> AsyncCacheLock:
        if not await self.acquire():
            raise TimeoutError(
                f"could not take lock {self.name!r} within {self.blocking_timeout} s"
            )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.release()


def _overflow(key: str, delta: int) -> OverflowError:
    return OverflowError(
        f"cache key {key!r} cannot change by {delta}: the result would not fit "
        "a signed 64-bit integer, Aerospike's integer; the value is unchanged"
    )


def _ttl_of(meta: Any) -> int | None:
    if meta is None:
        return None
    ttl: int = meta.ttl
    return None if ttl == NEVER_EXPIRES else ttl


UINT64_MAX = (1 << 64) - 1


def _int64_steps(delta: int) -> list[int]:
    """Split ``delta`` into adds that each fit a signed 64-bit operand.

    All steps share the sign of ``delta``, so when the end value fits
    (the guard's check) every value on the way fits too.
    """
    steps = []
    while True:
        step = max(INT64_MIN, min(INT64_MAX, delta))
        steps.append(step)
        delta -= step
        if not delta:
            return steps


def _glob_to_regex(pattern: str) -> str:
    """Translate a glob into an anchored POSIX extended regular expression,
    where every other character stands for itself."""
    out = ["^"]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                out.append("\\[")
            else:
                body = pattern[index + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                index = end
        elif char in ".^$+{}()|\\":
            out.append("\\" + char)
        else:
            out.append(char)
        index += 1
    out.append("$")
    return "".join(out)
