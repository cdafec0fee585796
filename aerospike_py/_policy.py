"""Parse and check policy dicts, config dicts and write metadata.

Policies arrive as plain dicts. Each kind has a table of known keys with
their type, default and allowed values; an unknown key, a value of the wrong
type or out of range is an ``InvalidArgError`` that names the key and the
policy. Parsed policies are immutable and the defaults are parsed once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from aerospike_py import _constants as C
from aerospike_py.exception import InvalidArgError

MAX_TTL = 315_360_000  # the server refuses longer TTLs (ten years)

T = TypeVar("T")


# Milliseconds, counts and rates travel as unsigned 32-bit fields.
_U32_MAX = 0xFFFFFFFF
_I64_MAX = (1 << 63) - 1


def _int(name: str, low: int, high: int) -> Callable[[str, Any], int]:
    def check(policy: str, value: Any) -> int:
        if type(value) is not int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidArgError(
                    f"{policy}[{name!r}] must be an int, not "
                    f"{type(value).__name__} ({value!r:.40})"
                )
            value = int(value)
        result: int = value
        if not low <= value <= high:
            raise InvalidArgError(
                f"{policy}[{name!r}] is {value}; allowed: {low}..{high}"
            )
        return result

    return check


def _choice(name: str, allowed: Mapping[int, str]) -> Callable[[str, Any], int]:
    def check(policy: str, value: Any) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value not in allowed
        ):
            options = ", ".join(f"{v} ({n})" for v, n in allowed.items())
            raise InvalidArgError(
                f"{policy}[{name!r}] is {value!r}; allowed: {options}"
            )
        return int(value)

    return check


def _bool(name: str) -> Callable[[str, Any], bool]:
    def check(policy: str, value: Any) -> bool:
        if not isinstance(value, (bool, int)):
            raise InvalidArgError(
                f"{policy}[{name!r}] must be a bool, not {type(value).__name__}"
            )
        return bool(value)

    return check


def _ttl(policy: str, value: Any) -> int:
    ttl = _int("ttl", -3, 0xFFFFFFFF)(policy, value)
    if ttl in (0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD):
        return ttl - (1 << 32)  # the official client's unsigned spellings
    if ttl > MAX_TTL:
        raise InvalidArgError(
            f"{policy}['ttl'] is {ttl} seconds; the server allows at most "
            f"{MAX_TTL} (ten years), or -1 for never"
        )
    return ttl


def _read_touch(policy: str, value: Any) -> int:
    percent = _int("read_touch_ttl_percent", -1, 100)(policy, value)
    return percent


def _expression(policy: str, value: Any) -> bytes | None:
    if value is None:
        return None
    from aerospike_py._expression import compile_filter

    return compile_filter(value, where=f"{policy}['filter_expression']")


def _partition_filter(policy: str, value: Any) -> Any:
    from aerospike_py.partition_filter import PartitionFilter

    if value is None or isinstance(value, PartitionFilter):
        return value
    raise InvalidArgError(
        f"{policy}['partition_filter'] must come from partition_filter_all(), "
        f"partition_filter_by_id() or partition_filter_by_range(), not "
        f"{type(value).__name__}"
    )


_KEY = {C.POLICY_KEY_DIGEST: "POLICY_KEY_DIGEST", C.POLICY_KEY_SEND: "POLICY_KEY_SEND"}
_EXISTS = {
    C.POLICY_EXISTS_IGNORE: "POLICY_EXISTS_IGNORE",
    C.POLICY_EXISTS_UPDATE_ONLY: "POLICY_EXISTS_UPDATE_ONLY",
    C.POLICY_EXISTS_REPLACE: "POLICY_EXISTS_REPLACE",
    C.POLICY_EXISTS_REPLACE_ONLY: "POLICY_EXISTS_REPLACE_ONLY",
    C.POLICY_EXISTS_CREATE_ONLY: "POLICY_EXISTS_CREATE_ONLY",
    C.POLICY_EXISTS_UPDATE: "POLICY_EXISTS_UPDATE",
}
_GEN = {
    C.POLICY_GEN_IGNORE: "POLICY_GEN_IGNORE",
    C.POLICY_GEN_EQ: "POLICY_GEN_EQ",
    C.POLICY_GEN_GT: "POLICY_GEN_GT",
}
_REPLICA = {
    C.POLICY_REPLICA_MASTER: "POLICY_REPLICA_MASTER",
    C.POLICY_REPLICA_SEQUENCE: "POLICY_REPLICA_SEQUENCE",
    C.POLICY_REPLICA_PREFER_RACK: "POLICY_REPLICA_PREFER_RACK",
}
_COMMIT = {
    C.POLICY_COMMIT_LEVEL_ALL: "POLICY_COMMIT_LEVEL_ALL",
    C.POLICY_COMMIT_LEVEL_MASTER: "POLICY_COMMIT_LEVEL_MASTER",
}
_READ_MODE = {
    C.POLICY_READ_MODE_AP_ONE: "POLICY_READ_MODE_AP_ONE",
    C.POLICY_READ_MODE_AP_ALL: "POLICY_READ_MODE_AP_ALL",
}
_CONCURRENCY = {
    C.BATCH_CONCURRENCY_SEQUENTIAL: "BATCH_CONCURRENCY_SEQUENTIAL",
    C.BATCH_CONCURRENCY_PARALLEL: "BATCH_CONCURRENCY_PARALLEL",
}
_DURATION = {
    C.QUERY_DURATION_LONG: "QUERY_DURATION_LONG",
    C.QUERY_DURATION_SHORT: "QUERY_DURATION_SHORT",
    C.QUERY_DURATION_LONG_RELAX_AP: "QUERY_DURATION_LONG_RELAX_AP",
}

Check = Callable[[str, Any], Any]

_BASE: dict[str, Check] = {
    "socket_timeout": _int("socket_timeout", 0, _U32_MAX),
    "total_timeout": _int("total_timeout", 0, _U32_MAX),
    "max_retries": _int("max_retries", 0, _U32_MAX),
    "sleep_between_retries": _int("sleep_between_retries", 0, _U32_MAX),
    "timeout_delay": _int("timeout_delay", 0, _U32_MAX),
    "filter_expression": _expression,
}

_READ: dict[str, Check] = {
    **_BASE,
    "replica": _choice("replica", _REPLICA),
    "read_mode_ap": _choice("read_mode_ap", _READ_MODE),
    "read_touch_ttl_percent": _read_touch,
    "deserialize": _bool("deserialize"),
}

_WRITE: dict[str, Check] = {
    **_BASE,
    "durable_delete": _bool("durable_delete"),
    "key": _choice("key", _KEY),
    "exists": _choice("exists", _EXISTS),
    "gen": _choice("gen", _GEN),
    "commit_level": _choice("commit_level", _COMMIT),
    "ttl": _ttl,
    "read_mode_ap": _choice("read_mode_ap", _READ_MODE),
    "read_touch_ttl_percent": _read_touch,
}

_BATCH: dict[str, Check] = {
    **_READ,
    "allow_inline": _bool("allow_inline"),
    "allow_inline_ssd": _bool("allow_inline_ssd"),
    "respond_all_keys": _bool("respond_all_keys"),
    "concurrency": _choice("concurrency", _CONCURRENCY),
    "key": _choice("key", _KEY),
    "exists": _choice("exists", _EXISTS),
    "gen": _choice("gen", _GEN),
    "commit_level": _choice("commit_level", _COMMIT),
    "durable_delete": _bool("durable_delete"),
    "ttl": _ttl,
}

_QUERY: dict[str, Check] = {
    **_READ,
    "max_records": _int("max_records", 0, _I64_MAX),
    "records_per_second": _int("records_per_second", 0, _U32_MAX),
    "max_concurrent_nodes": _int("max_concurrent_nodes", 0, _U32_MAX),
    "record_queue_size": _int("record_queue_size", 1, _U32_MAX),
    "expected_duration": _choice("expected_duration", _DURATION),
    "include_bin_data": _bool("include_bin_data"),
    "partition_filter": _partition_filter,
    "durable_delete": _bool("durable_delete"),
    "ttl": _ttl,
}

_ADMIN: dict[str, Check] = {"timeout": _int("timeout", 0, _U32_MAX)}

_TABLES: dict[str, dict[str, Check]] = {
    "ReadPolicy": _READ,
    "WritePolicy": _WRITE,
    "BatchPolicy": _BATCH,
    "QueryPolicy": _QUERY,
    "AdminPolicy": _ADMIN,
}

# Aliases accepted for the same setting.
_ALIASES = {"expressions": "filter_expression"}


@dataclass(frozen=True)
class Policy:
    """A parsed policy of any kind; unused fields keep their defaults."""

    socket_timeout: int = 30000
    total_timeout: int = 1000
    max_retries: int = 2
    sleep_between_retries: int = 0
    timeout_delay: int = 0
    filter_expression: bytes | None = None
    replica: int = C.POLICY_REPLICA_SEQUENCE
    read_mode_ap: int = C.POLICY_READ_MODE_AP_ONE
    read_touch_ttl_percent: int = 0
    deserialize: bool = True
    durable_delete: bool = False
    key: int = C.POLICY_KEY_DIGEST
    exists: int = C.POLICY_EXISTS_IGNORE
    gen: int = C.POLICY_GEN_IGNORE
    commit_level: int = C.POLICY_COMMIT_LEVEL_ALL
    ttl: int = 0
    allow_inline: bool = True
    allow_inline_ssd: bool = False
    respond_all_keys: bool = True
    concurrency: int = C.BATCH_CONCURRENCY_PARALLEL
    max_records: int = 0
    records_per_second: int = 0
    max_concurrent_nodes: int = 0
    record_queue_size: int = 1024
    expected_duration: int = C.QUERY_DURATION_LONG
    include_bin_data: bool = True
    partition_filter: Any = None
    timeout: int = 1000
    kind: str = "ReadPolicy"

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Policy:
        """Return this policy with the keys of a user dict applied."""
        if not overrides:
            return self
        return replace(self, **parse_fields(self.kind, overrides))


_POLICY_FIELDS = {f.name for f in fields(Policy)}


def parse_fields(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a user policy dict and return its fields, values converted."""
    if not isinstance(values, Mapping):
        raise InvalidArgError(f"{kind} must be a dict, not {type(values).__name__}")
    table = _TABLES[kind]
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        name = _ALIASES.get(key, key)
        check = table.get(name)
        if check is None:
            known = ", ".join(sorted(table))
            raise InvalidArgError(f"unknown key {key!r} in {kind}; known keys: {known}")
        parsed[name] = check(kind, value)
    return parsed


DEFAULTS: dict[str, Policy] = {
    "ReadPolicy": Policy(kind="ReadPolicy"),
    "WritePolicy": Policy(kind="WritePolicy", max_retries=0),
    "BatchPolicy": Policy(kind="BatchPolicy"),
    "QueryPolicy": Policy(
        kind="QueryPolicy", total_timeout=0, max_retries=2, read_touch_ttl_percent=-1
    ),
    "AdminPolicy": Policy(kind="AdminPolicy", timeout=1000),
}

# ClientConfig["policies"] sections and the policy kind each configures.
CONFIG_SECTIONS = {
    "read": "ReadPolicy",
    "write": "WritePolicy",
    "operate": "WritePolicy",
    "remove": "WritePolicy",
    "apply": "WritePolicy",
    "batch": "BatchPolicy",
    "query": "QueryPolicy",
    "scan": "QueryPolicy",
    "info": "AdminPolicy",
    "admin": "AdminPolicy",
}


class PolicySet:
    """The defaults of one client: built-in defaults plus its config."""

    def __init__(self, sections: Mapping[str, Any] | None) -> None:
        self._by_section: dict[str, Policy] = {
            section: DEFAULTS[kind] for section, kind in CONFIG_SECTIONS.items()
        }
        if sections is None:
            return
        if not isinstance(sections, Mapping):
            raise InvalidArgError("ClientConfig['policies'] must be a dict")
        for section, values in sections.items():
            kind = CONFIG_SECTIONS.get(section)
            if kind is None:
                known = ", ".join(CONFIG_SECTIONS)
                raise InvalidArgError(
                    f"unknown section {section!r} in ClientConfig['policies']; "
                    f"known: {known}"
                )
            self._by_section[section] = DEFAULTS[kind].with_overrides(values)
        # A configured 'write' default also applies where no closer section was.
        write = self._by_section["write"]
        for section in ("operate", "remove", "apply"):
            if section not in sections:
                self._by_section[section] = write

    def get(self, section: str, overrides: Mapping[str, Any] | None) -> Policy:
        return self._by_section[section].with_overrides(overrides)


# -- write metadata -------------------------------------------------------------

_META: dict[str, Check] = {
    "gen": _int("gen", 0, 0xFFFFFFFF),
    "ttl": _ttl,
    "key": _choice("key", _KEY),
    "exists": _choice("exists", _EXISTS),
    "commit_level": _choice("commit_level", _COMMIT),
    "durable_delete": _bool("durable_delete"),
}


@dataclass(frozen=True)
class WriteSettings:
    """Everything a single-record write header needs."""

    policy: Policy
    generation: int
    gen_mode: int
    ttl: int


def write_settings(
    policy: Policy, meta: Mapping[str, Any] | None, explicit: Mapping[str, Any] | None
) -> WriteSettings:
    """Merge metadata into a write policy; explicit policy keys win."""
    generation = 0
    gen_mode = policy.gen
    ttl = policy.ttl
    if meta:
        if not isinstance(meta, Mapping):
            raise InvalidArgError(f"meta must be a dict, not {type(meta).__name__}")
        updates: dict[str, Any] = {}
        for key, value in meta.items():
            check = _META.get(key)
            if check is None:
                known = ", ".join(sorted(_META))
                raise InvalidArgError(
                    f"unknown key {key!r} in meta; known keys: {known}"
                )
            updates[key] = check("meta", value)
        explicit = explicit or {}
        if "gen" in updates:
            generation = updates.pop("gen")
            if "gen" not in explicit:
                gen_mode = C.POLICY_GEN_EQ
        if "ttl" in updates:
            meta_ttl = updates.pop("ttl")
            if "ttl" not in explicit:
                ttl = meta_ttl
        for key in [k for k in updates if k in explicit]:
            del updates[key]
        if updates:
            policy = replace(policy, **updates)
    if ttl == C.TTL_CLIENT_DEFAULT:
        ttl = policy.ttl if policy.ttl != C.TTL_CLIENT_DEFAULT else 0
    return WriteSettings(policy, generation, gen_mode, ttl)
