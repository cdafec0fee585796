"""Public types: result NamedTuples, policy and config TypedDicts, aliases.

Every NamedTuple supports attribute access and tuple unpacking::

    record = client.get(key)
    _, meta, bins = record
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple, TypedDict

__all__ = [
    "AdminPolicy",
    "AerospikeKey",
    "AerospikeRecord",
    "BatchDeleteMeta",
    "BatchDeletePolicy",
    "BatchPolicy",
    "BatchReadPolicy",
    "BatchRecord",
    "BatchRecords",
    "BatchRetryInfo",
    "BatchUDFMeta",
    "BatchUDFPolicy",
    "BatchWriteResult",
    "BinTuple",
    "Bins",
    "ClientConfig",
    "ExistsResult",
    "HLLPolicy",
    "InfoNodeResult",
    "Key",
    "ListPolicy",
    "MapPolicy",
    "OperateOrderedResult",
    "Operation",
    "Privilege",
    "QueryPolicy",
    "ReadPolicy",
    "Record",
    "RecordMetadata",
    "RoleInfo",
    "ScanPolicy",
    "TLSConfig",
    "UserInfo",
    "UserKey",
    "WriteMeta",
    "WritePolicy",
]

UserKey = str | int | bytes
Bins = dict[str, Any]
AerospikeRecord = dict[str, Any]
Operation = dict[str, Any]
Key = tuple[str, str, Any] | tuple[str, str, Any, bytes]


# -- results ------------------------------------------------------------------


class AerospikeKey(NamedTuple):
    """The key of a returned record."""

    namespace: str
    set_name: str
    user_key: str | int | bytes | None
    digest: bytes


class RecordMetadata(NamedTuple):
    """Generation and remaining TTL (seconds; 4294967295 = never expires)."""

    gen: int
    ttl: int


class Record(NamedTuple):
    """A record: its key, metadata and bins."""

    key: AerospikeKey | None
    meta: RecordMetadata | None
    bins: dict[str, Any] | None


class ExistsResult(NamedTuple):
    """The answer of ``exists``: ``meta`` is None when there is no record."""

    key: AerospikeKey | None
    meta: RecordMetadata | None


class InfoNodeResult(NamedTuple):
    """One node's answer to an info command."""

    node_name: str
    error_code: int
    response: str


class BinTuple(NamedTuple):
    """One ordered result of ``operate_ordered``."""

    name: str
    value: Any


class OperateOrderedResult(NamedTuple):
    """The answer of ``operate_ordered``: results in operation order."""

    key: AerospikeKey | None
    meta: RecordMetadata | None
    ordered_bins: list[BinTuple]


class BatchRecord(NamedTuple):
    """One key's outcome in a batch: result 0 is success."""

    key: AerospikeKey | None
    result: int
    record: Record | None
    in_doubt: bool = False


class BatchRetryInfo(NamedTuple):
    """What the retries of a batch write did."""

    attempts: int = 1
    max_attempts: int = 1
    truncated_by_timeout: bool = False
    unresolved: int = 0


class BatchWriteResult(NamedTuple):
    """Per-record outcomes of a batch write, operate, remove or apply."""

    batch_records: list[BatchRecord]
    retry: BatchRetryInfo = BatchRetryInfo()


class BatchRecords(Mapping[Any, AerospikeRecord]):
    """The answer of ``batch_read``: one BatchRecord per requested key.

    ``batch_records`` follows the request: same length, same order, the
    same key twice gives two entries. The object is also a read-only
    mapping from user key to bins over the records that were found (the
    ``to_dict()`` view; a digest-only key has no user key and is left out,
    and a user key requested twice keeps its last record)::

        result = client.batch_read(keys)
        for entry in result.batch_records:
            if entry.result == 0:
                print(entry.key.user_key, entry.record.bins)
        bins = result.get("user:1")
    """

    __slots__ = ("_view", "batch_records")

    def __init__(self, batch_records: list[BatchRecord]) -> None:
        self.batch_records = batch_records
        self._view: dict[Any, AerospikeRecord] | None = None

    def __repr__(self) -> str:
        count, found = len(self.batch_records), self.found_count()
        return f"BatchRecords(count={count}, found={found})"

    def _found(self) -> Iterator[tuple[Any, AerospikeRecord]]:
        for entry in self.batch_records:
            record = entry.record
            if entry.result or record is None or record.bins is None:
                continue
            user_key = entry.key.user_key if entry.key is not None else None
            if user_key is not None:
                yield user_key, record.bins

    def to_dict(self) -> dict[Any, AerospikeRecord]:
        """Return ``{user_key: bins}`` of the found records (cached)."""
        if self._view is None:
            self._view = dict(self._found())
        return self._view

    def to_list(self) -> list[AerospikeRecord | None]:
        """Return the bins per requested key; None where none were found."""
        return [
            entry.record.bins if not entry.result and entry.record else None
            for entry in self.batch_records
        ]

    def to_numpy(self, dtype: Any) -> Any:
        """Return the records as a NumpyBatchRecords of structured ``dtype``."""
        from aerospike_py.numpy_batch import _batch_records_to_numpy

        return _batch_records_to_numpy(self, dtype, self.all_user_keys())

    def iter_records(self) -> Iterator[BatchRecord]:
        """Iterate over every BatchRecord, failures included."""
        return iter(self.batch_records)

    def all_user_keys(self) -> list[Any]:
        """Return the user key of each requested key (None if digest-only)."""
        return [
            entry.key.user_key if entry.key is not None else None
            for entry in self.batch_records
        ]

    def found_count(self) -> int:
        """Return how many requested keys were found."""
        return sum(1 for entry in self.batch_records if entry.result == 0)

    def release_cache(self) -> None:
        """Forget the cached ``to_dict()`` view; the records stay."""
        self._view = None

    @staticmethod
    def merge_to_dict(handles: list[BatchRecords]) -> list[dict[Any, AerospikeRecord]]:
        """Return ``to_dict()`` of each result."""
        return [handle.to_dict() for handle in handles]

    def __getitem__(self, user_key: Any) -> AerospikeRecord:
        return self.to_dict()[user_key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        if self._view is not None:
            return len(self._view)
        return len({user_key for user_key, _ in self._found()})


# -- config and policies --------------------------------------------------------


class TLSConfig(TypedDict, total=False):
    """TLS settings of a ClientConfig."""

    enable: bool
    cafile: str
    capath: str
    certfile: str
    keyfile: str
    keyfile_password: str
    protocols: str
    cipher_suite: str
    for_login_only: bool
    verify: bool


class ReadPolicy(TypedDict, total=False):
    socket_timeout: int
    total_timeout: int
    max_retries: int
    sleep_between_retries: int
    timeout_delay: int
    expressions: Any
    filter_expression: Any
    replica: int
    read_mode_ap: int
    read_touch_ttl_percent: int
    deserialize: bool


class WritePolicy(TypedDict, total=False):
    socket_timeout: int
    total_timeout: int
    max_retries: int
    sleep_between_retries: int
    timeout_delay: int
    durable_delete: bool
    key: int
    exists: int
    gen: int
    commit_level: int
    ttl: int
    expressions: Any
    filter_expression: Any
    read_mode_ap: int
    read_touch_ttl_percent: int


class BatchPolicy(TypedDict, total=False):
    socket_timeout: int
    total_timeout: int
    max_retries: int
    sleep_between_retries: int
    timeout_delay: int
    expressions: Any
    filter_expression: Any
    allow_inline: bool
    allow_inline_ssd: bool
    respond_all_keys: bool
    replica: int
    read_mode_ap: int
    read_touch_ttl_percent: int
    concurrency: int
    key: int
    exists: int
    gen: int
    commit_level: int
    durable_delete: bool
    ttl: int


class BatchReadPolicy(TypedDict, total=False):
    read_touch_ttl_percent: int
    expressions: Any
    filter_expression: Any


class BatchDeletePolicy(TypedDict, total=False):
    gen: int
    key: int
    commit_level: int
    durable_delete: bool
    expressions: Any
    filter_expression: Any


class BatchUDFPolicy(TypedDict, total=False):
    commit_level: int
    ttl: int
    key: int
    durable_delete: bool
    expressions: Any
    filter_expression: Any


class QueryPolicy(TypedDict, total=False):
    socket_timeout: int
    total_timeout: int
    max_retries: int
    sleep_between_retries: int
    timeout_delay: int
    expressions: Any
    filter_expression: Any
    max_records: int
    records_per_second: int
    max_concurrent_nodes: int
    record_queue_size: int
    expected_duration: int
    include_bin_data: bool
    replica: int
    read_mode_ap: int
    read_touch_ttl_percent: int
    partition_filter: Any


class ScanPolicy(TypedDict, total=False):
    socket_timeout: int
    total_timeout: int
    max_retries: int
    sleep_between_retries: int
    timeout_delay: int
    expressions: Any
    filter_expression: Any
    replica: int
    read_mode_ap: int
    records_per_second: int
    max_records: int
    durable_delete: bool
    ttl: int
    partition_filter: Any


class AdminPolicy(TypedDict, total=False):
    timeout: int


class WriteMeta(TypedDict, total=False):
    """Per-call write metadata: expected generation and TTL, and more."""

    gen: int
    ttl: int
    key: int
    exists: int
    commit_level: int
    durable_delete: bool


class BatchDeleteMeta(TypedDict, total=False):
    gen: int
    key: int
    commit_level: int
    durable_delete: bool


class BatchUDFMeta(TypedDict, total=False):
    module: str
    function: str
    args: list[Any]
    ttl: int
    commit_level: int
    key: int
    durable_delete: bool


class Privilege(TypedDict, total=False):
    code: int | str
    ns: str
    set: str


class UserInfo(TypedDict):
    user: str
    roles: list[str]
    conns_in_use: int


class RoleInfo(TypedDict):
    name: str
    privileges: list[Privilege]
    allowlist: list[str]
    read_quota: int
    write_quota: int


class ListPolicy(TypedDict, total=False):
    order: int
    flags: int


class MapPolicy(TypedDict, total=False):
    order: int
    write_mode: int
    flags: int
    persist_index: bool


class HLLPolicy(TypedDict, total=False):
    flags: int


class ClientConfig(TypedDict, total=False):
    """Everything a connection needs; the same dict in every framework."""

    hosts: list[Any]
    cluster_name: str
    auth_mode: int
    user: str
    password: str
    timeout: int
    login_timeout: int
    idle_timeout: int
    max_conns_per_node: int
    min_conns_per_node: int
    conn_pools_per_node: int
    tend_interval: int
    use_services_alternate: bool
    max_concurrent_operations: int
    operation_queue_timeout_ms: int
    max_error_rate: int
    tls: TLSConfig
    policies: dict[str, dict[str, Any]]
    app_id: str
