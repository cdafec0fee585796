"""aerospike_py: a pure-Python Aerospike client, sync and asyncio.

    import aerospike_py

    client = aerospike_py.client({"hosts": [("127.0.0.1", 3000)]}).connect()
    client.put(("test", "demo", "user:1"), {"name": "Ada", "visits": 1})
    record = client.get(("test", "demo", "user:1"))
    print(record.bins)
    client.close()

``AsyncClient`` offers the same methods as coroutines. Everything runs
against a real Aerospike cluster, or against the embedded server in
:mod:`aerospike_py.server`.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aerospike_py import (
    _constants,
    bit_operations,
    cdt_ctx,
    exception,
    exp,
    expression_operations,
    hll_operations,
    list_operations,
    map_operations,
    operations,
    predicates,
    types,
)
from aerospike_py._async.client import AsyncClient
from aerospike_py._async.query import AsyncQuery
from aerospike_py._constants import *  # noqa: F403
from aerospike_py._sync.client import Client
from aerospike_py._sync.query import Query
from aerospike_py.exception import (
    AdminError,
    AerospikeError,
    AerospikeIndexError,
    AerospikeTimeoutError,
    BackpressureError,
    BinExistsError,
    BinNameError,
    BinNotFound,
    BinTypeError,
    ClientError,
    ClusterError,
    ConnectionFailure,
    ElementExistsError,
    ElementNotFoundError,
    ExpiredSessionError,
    FilteredOut,
    ForbiddenError,
    IndexFoundError,
    IndexNotFound,
    InvalidArgError,
    InvalidCredentialError,
    InvalidHostError,
    InvalidPasswordError,
    InvalidPrivilegeError,
    InvalidRoleError,
    InvalidUserError,
    NoMoreConnectionsError,
    NotAllowlistedError,
    NotAuthenticatedError,
    QueryAbortedError,
    QueryError,
    QuotaExceededError,
    RecordError,
    RecordExistsError,
    RecordGenerationError,
    RecordNotFound,
    RecordTooBig,
    RoleExistsError,
    RoleViolationError,
    RustPanicError,
    ServerError,
    ServerTimeoutError,
    UDFError,
    UserExistsError,
)
from aerospike_py.numpy_batch import NumpyBatchRecords
from aerospike_py.observability import (
    dropped_log_count,
    get_metrics,
    init_tracing,
    internal_stage_profiling,
    is_internal_stage_metrics_enabled,
    is_metrics_enabled,
    set_internal_stage_metrics_enabled,
    set_log_level,
    set_metrics_enabled,
    shutdown_tracing,
    start_metrics_server,
    stop_metrics_server,
)
from aerospike_py.partition_filter import (
    PartitionFilter,
    partition_filter_all,
    partition_filter_by_id,
    partition_filter_by_range,
)
from aerospike_py.types import (
    AdminPolicy,
    AerospikeKey,
    AerospikeRecord,
    BatchDeleteMeta,
    BatchDeletePolicy,
    BatchPolicy,
    BatchReadPolicy,
    BatchRecord,
    BatchRecords,
    BatchRetryInfo,
    BatchUDFMeta,
    BatchUDFPolicy,
    BatchWriteResult,
    Bins,
    BinTuple,
    ClientConfig,
    ExistsResult,
    HLLPolicy,
    InfoNodeResult,
    ListPolicy,
    MapPolicy,
    OperateOrderedResult,
    Operation,
    Privilege,
    QueryPolicy,
    ReadPolicy,
    Record,
    RecordMetadata,
    RoleInfo,
    ScanPolicy,
    UserInfo,
    UserKey,
    WriteMeta,
    WritePolicy,
)
from aerospike_py.wire.values import (
    HLL,
    INFINITY,
    WILDCARD,
    GeoJSON,
    KeyOrderedDict,
    KeyValueOrderedDict,
    OrderedList,
)

try:
    __version__ = version("aerospike-py-toolkit")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

# batch_read's result; aerospike-py 0.14 names it LazyBatchRecords.
LazyBatchRecords = BatchRecords

# Deprecated aliases; the names in aerospike_py.exception warn, these do not.
TimeoutError = AerospikeTimeoutError
IndexError = AerospikeIndexError

logger = logging.getLogger("aerospike_py")
logger.addHandler(logging.NullHandler())


def client(config: ClientConfig | dict[str, Any]) -> Client:
    """Return a Client for ``config``; call ``connect()`` before using it."""
    return Client(config)


def async_client(config: ClientConfig | dict[str, Any]) -> AsyncClient:
    """Return an AsyncClient for ``config``; await ``connect()`` first."""
    return AsyncClient(config)


_CONSTANTS = [name for name in vars(_constants) if name.isupper()]

__all__ = [
    "HLL",
    "INFINITY",
    "WILDCARD",
    "AdminError",
    "AdminPolicy",
    "AerospikeError",
    "AerospikeIndexError",
    "AerospikeKey",
    "AerospikeRecord",
    "AerospikeTimeoutError",
    "AsyncClient",
    "AsyncQuery",
    "BackpressureError",
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
    "BinExistsError",
    "BinNameError",
    "BinNotFound",
    "BinTuple",
    "BinTypeError",
    "Bins",
    "Client",
    "ClientConfig",
    "ClientError",
    "ClusterError",
    "ConnectionFailure",
    "ElementExistsError",
    "ElementNotFoundError",
    "ExistsResult",
    "ExpiredSessionError",
    "FilteredOut",
    "ForbiddenError",
    "GeoJSON",
    "HLLPolicy",
    "IndexFoundError",
    "IndexNotFound",
    "InfoNodeResult",
    "InvalidArgError",
    "InvalidCredentialError",
    "InvalidHostError",
    "InvalidPasswordError",
    "InvalidPrivilegeError",
    "InvalidRoleError",
    "InvalidUserError",
    "KeyOrderedDict",
    "KeyValueOrderedDict",
    "LazyBatchRecords",
    "ListPolicy",
    "MapPolicy",
    "NoMoreConnectionsError",
    "NotAllowlistedError",
    "NotAuthenticatedError",
    "NumpyBatchRecords",
    "OperateOrderedResult",
    "Operation",
    "OrderedList",
    "PartitionFilter",
    "Privilege",
    "Query",
    "QueryAbortedError",
    "QueryError",
    "QueryPolicy",
    "QuotaExceededError",
    "ReadPolicy",
    "Record",
    "RecordError",
    "RecordExistsError",
    "RecordGenerationError",
    "RecordMetadata",
    "RecordNotFound",
    "RecordTooBig",
    "RoleExistsError",
    "RoleInfo",
    "RoleViolationError",
    "RustPanicError",
    "ScanPolicy",
    "ServerError",
    "ServerTimeoutError",
    "UDFError",
    "UserExistsError",
    "UserInfo",
    "UserKey",
    "WriteMeta",
    "WritePolicy",
    "__version__",
    "async_client",
    "bit_operations",
    "cdt_ctx",
    "client",
    "dropped_log_count",
    "get_metrics",
    "init_tracing",
    "internal_stage_profiling",
    "is_internal_stage_metrics_enabled",
    "is_metrics_enabled",
    "set_internal_stage_metrics_enabled",
    "set_log_level",
    "set_metrics_enabled",
    "shutdown_tracing",
    "start_metrics_server",
    "stop_metrics_server",
    "exception",
    "exp",
    "expression_operations",
    "hll_operations",
    "list_operations",
    "map_operations",
    "operations",
    "partition_filter_all",
    "partition_filter_by_id",
    "partition_filter_by_range",
    "predicates",
    "types",
    *_CONSTANTS,
]
