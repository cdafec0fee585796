"""In-memory record storage: namespaces of 4096 partitions of records.

Times follow the server: a record's void time is in seconds since the
"citrusleaf epoch" (2010-01-01 UTC; 0 = never expires), its last-update time
in nanoseconds since the Unix epoch.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from aerospike_py.wire.digest import N_PARTITIONS, partition_id

CITRUSLEAF_EPOCH = 1262304000
MAX_TTL = 315_360_000  # ten years, the server's limit
TTL_NEVER_EXPIRE = 0xFFFFFFFF
TTL_DONT_UPDATE = 0xFFFFFFFE
TTL_USE_DEFAULT = 0


class Clock:
    """Wall time with an offset that tests may move forward."""

    def __init__(self) -> None:
        self.offset_ns = 0

    def now_ns(self) -> int:
        return time.time_ns() + self.offset_ns

    def now_cl(self) -> int:
        """Seconds since the citrusleaf epoch."""
        return self.now_ns() // 1_000_000_000 - CITRUSLEAF_EPOCH

    def advance(self, seconds: float) -> None:
        self.offset_ns += int(seconds * 1_000_000_000)

    def to_wire(self, void_time: int) -> int:
        """``void_time`` as clients must see it: clients compute a record's
        TTL from their own (unadvanced) clock, so replies carry void times
        moved back by the advance."""
        if not void_time or not self.offset_ns:
            return void_time
        return max(1, void_time - self.offset_ns // 1_000_000_000)


# The clock of the node serving the current connection (each connection is
# served by its own task), for the replies that carry void times.
serving_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar(
    "serving_clock", default=None
)


def void_time_on_wire(void_time: int) -> int:
    clock = serving_clock.get()
    return void_time if clock is None else clock.to_wire(void_time)


_TRUE_WORDS = ("true", "yes", "on", "1")
_FALSE_WORDS = ("false", "no", "off", "0")


@dataclass
class NamespaceConfig:
    """Settings of one namespace, named as in aerospike.conf."""

    name: str
    default_ttl: int = 0
    nsup_period: int = 120
    allow_ttl_without_nsup: bool = False
    max_record_size: int = 1024 * 1024
    replication_factor: int = 1
    default_read_touch_ttl_pct: int = 0

    @property
    def expiry_enabled(self) -> bool:
        return self.nsup_period > 0 or self.allow_ttl_without_nsup

    @classmethod
    def parse(cls, spec: str) -> NamespaceConfig:
        """``NAME[:setting=value,...]``, settings named as in aerospike.conf
        (``cache:default-ttl=3600,nsup-period=60``); ValueError if unknown."""
        name, _, rest = spec.partition(":")
        config = cls(name.strip())
        settings = {
            f.name.replace("_", "-"): f for f in fields(cls) if f.name != "name"
        }
        for item in filter(None, rest.split(",")):
            key, sep, value = item.partition("=")
            setting = settings.get(key.strip())
            if setting is None or not sep:
                known = ", ".join(sorted(settings))
                raise ValueError(
                    f"unknown namespace setting {key.strip()!r} in {spec!r}; "
                    f"known: {known}"
                )
            parsed: object
            if setting.type in (bool, "bool"):
                word = value.strip().lower()
                if word not in _TRUE_WORDS + _FALSE_WORDS:
                    raise ValueError(
                        f"namespace setting {key.strip()!r} in {spec!r} needs "
                        f"true or false, got {value!r}"
                    )
                parsed = word in _TRUE_WORDS
            else:
                try:
                    parsed = int(value)
                except ValueError:
                    raise ValueError(
                        f"namespace setting {key.strip()!r} in {spec!r} needs an "
                        f"integer, got {value!r}"
                    ) from None
            setattr(config, setting.name, parsed)
        return config


class StoredRecord:
    """One record: its bins and metadata."""

    __slots__ = (
        "bins",
        "digest",
        "generation",
        "key",
        "last_update_ns",
        "set_name",
        "void_time",
    )

    def __init__(
        self,
        digest: bytes,
        set_name: str,
        bins: dict[str, Any],
        generation: int,
        void_time: int,
        last_update_ns: int,
        key: bytes | None,
    ) -> None:
        self.digest = digest
        self.set_name = set_name
        self.bins = bins
        self.generation = generation
        self.void_time = void_time
        self.last_update_ns = last_update_ns
        self.key = key

    def copy(self) -> StoredRecord:
        return StoredRecord(
            self.digest,
            self.set_name,
            dict(self.bins),
            self.generation,
            self.void_time,
            self.last_update_ns,
            self.key,
        )


@dataclass
class SetState:
    """What the server remembers of a set besides its records."""

    truncate_lut_ns: int = 0
    default_ttl: int | None = None


class RecordWatcher(Protocol):
    """Told of every record stored into or removed from a namespace.

    Secondary indexes keep themselves current this way; a namespace
    without an index has no watcher, so the write path pays nothing.
    """

    def stored(self, record: StoredRecord) -> None: ...

    def removed(self, record: StoredRecord) -> None: ...


@dataclass
class Namespace:
    """A namespace's records, split into partitions by digest."""

    config: NamespaceConfig
    clock: Clock
    partitions: list[dict[bytes, StoredRecord]] = field(
        default_factory=lambda: [{} for _ in range(N_PARTITIONS)]
    )
    sets: dict[str, SetState] = field(default_factory=dict)
    truncate_lut_ns: int = 0
    last_sweep: float = field(default_factory=time.monotonic)
    watchers: list[RecordWatcher] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.name

    def set_state(self, set_name: str) -> SetState:
        state = self.sets.get(set_name)
        if state is None:
            state = self.sets[set_name] = SetState()
        return state

    def effective_default_ttl(self, set_name: str) -> int:
        state = self.sets.get(set_name)
        if state is not None and state.default_ttl is not None:
            return state.default_ttl
        return self.config.default_ttl

    def is_doomed(self, record: StoredRecord, now_cl: int) -> bool:
        """True when a record has expired or been truncated."""
        if record.void_time and record.void_time <= now_cl:
            return True
        if record.last_update_ns <= self.truncate_lut_ns:
            return True
        state = self.sets.get(record.set_name)
        return state is not None and record.last_update_ns <= state.truncate_lut_ns

    def find(self, digest: bytes) -> StoredRecord | None:
        """Return the live record with this digest, dropping a dead one."""
        partition = self.partitions[partition_id(digest)]
        record = partition.get(digest)
        if record is not None and self.is_doomed(record, self.clock.now_cl()):
            del partition[digest]
            self._removed(record)
            return None
        return record

    def store(self, record: StoredRecord) -> None:
        self.partitions[partition_id(record.digest)][record.digest] = record
        if record.set_name and record.set_name not in self.sets:
            self.sets[record.set_name] = SetState()
        for watcher in self.watchers:
            watcher.stored(record)

    def remove(self, digest: bytes) -> None:
        record = self.partitions[partition_id(digest)].pop(digest, None)
        if record is not None:
            self._removed(record)

    def _removed(self, record: StoredRecord) -> None:
        for watcher in self.watchers:
            watcher.removed(record)

    def live_records(self, pid: int) -> Iterator[StoredRecord]:
        """Yield the live records of one partition, in digest order."""
        now_cl = self.clock.now_cl()
        partition = self.partitions[pid]
        for digest in sorted(partition):
            record = partition.get(digest)
            if record is not None and not self.is_doomed(record, now_cl):
                yield record

    def sweep(self) -> int:
        """Delete expired and truncated records; return how many went."""
        now_cl = self.clock.now_cl()
        removed = 0
        for partition in self.partitions:
            dead = [r for r in partition.values() if self.is_doomed(r, now_cl)]
            for record in dead:
                del partition[record.digest]
                self._removed(record)
            removed += len(dead)
        return removed

    def sweep_due(self) -> int:
        """Sweep when ``nsup_period`` seconds passed since the last sweep."""
        now = time.monotonic()
        if now - self.last_sweep < self.config.nsup_period:
            return 0
        self.last_sweep = now
        return self.sweep()

    def count(self, set_name: str | None = None) -> int:
        now_cl = self.clock.now_cl()
        total = 0
        for partition in self.partitions:
            for record in partition.values():
                if set_name is not None and record.set_name != set_name:
                    continue
                if not self.is_doomed(record, now_cl):
                    total += 1
        return total

    def void_time_for(self, ttl: int, set_name: str, now_cl: int) -> int:
        """Turn a write's TTL field into a void time."""
        if ttl == TTL_NEVER_EXPIRE:
            return 0
        if ttl == TTL_USE_DEFAULT:
            ttl = self.effective_default_ttl(set_name)
            if ttl == 0:
                return 0
        return now_cl + ttl
