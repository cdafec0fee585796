"""Secondary indexes: definitions, entries kept current, info commands.

An index is defined by namespace, optional set, bin, key type (numeric,
string, blob, geo2dsphere), collection type (default, list, mapkeys,
mapvalues) and an optional CDT context that picks a value nested in the
bin (aerospike-server as/src/sindex/sindex.c, sindex_manager.c). Each
indexed value becomes a *bval*: the integer itself, or a 64-bit hash of a
string, blob or GeoJSON text. Entries ``(bval, digest)`` are kept sorted per
partition, so a query walks one partition in bval order and can resume
after the last ``(bval, digest)`` it returned, as clients expect.

Indexes follow every write, delete, expiry and truncation through the
namespace's record watchers (server/storage.py). A new index is filled
from the existing records before it becomes readable: at once when the
namespace is small, otherwise in the background, reporting ``load_pct``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from aerospike_py.server.cdt import context as cdt_context
from aerospike_py.server.errors import Failure
from aerospike_py.server.info import InfoError, Params, command
from aerospike_py.server.storage import Namespace, StoredRecord
from aerospike_py.wire import packer
from aerospike_py.wire import particle as pt
from aerospike_py.wire.digest import N_PARTITIONS, partition_id
from aerospike_py.wire.values import GeoJSON

if TYPE_CHECKING:
    from aerospike_py.server.cluster import ServerCluster
    from aerospike_py.server.node import ServerNode

# Collection types (INDEX_TYPE field values and sindex-create names).
ITYPE_DEFAULT = 0
ITYPE_LIST = 1
ITYPE_MAPKEYS = 2
ITYPE_MAPVALUES = 3
ITYPE_NAMES = {
    ITYPE_DEFAULT: "default",
    ITYPE_LIST: "list",
    ITYPE_MAPKEYS: "mapkeys",
    ITYPE_MAPVALUES: "mapvalues",
}
_ITYPES_BY_NAME = {name: itype for itype, name in ITYPE_NAMES.items()}

# Key types are particle types.
KTYPE_NAMES = {
    pt.INTEGER: "numeric",
    pt.STRING: "string",
    pt.BLOB: "blob",
    pt.GEOJSON: "geo2dsphere",
}
_KTYPES_BY_NAME = {name: ktype for ktype, name in KTYPE_NAMES.items()}

# Limits (as/include/sindex/sindex.h, sindex_manager.h, base/datamodel.h);
# sizes include the C string terminator.
MAX_N_SINDEXES = 256
INAME_MAX_SZ = 64
NAMESPACE_MAX_SZ = 32
SET_MAX_SZ = 64
BIN_MAX_SZ = 16
KTYPE_MAX_SZ = 12
INDEXTYPE_MAX_SZ = 10
INDEXDATA_MAX_SZ = BIN_MAX_SZ + KTYPE_MAX_SZ
CTX_B64_MAX_SZ = 2048

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
SMALL_NAMESPACE = 20_000  # records; bigger ones are filled in the background
POPULATE_BATCH = 64  # partitions filled between two yields to the loop

_MISSING = object()


def bval_hash(data: bytes) -> int:
    """A signed 64-bit hash standing for a string, blob or GeoJSON value.

    Clients only echo bvals back to resume a query, so any stable hash
    serves; the server itself uses wyhash (as/include/sindex/sindex.h).
    """
    return int.from_bytes(
        hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True
    )


# -- value extraction ----------------------------------------------------------


def _is_numeric(value: Any) -> bool:
    return type(value) is int


def _is_string(value: Any) -> bool:
    return type(value) is str


def _is_blob(value: Any) -> bool:
    return type(value) is bytes


def _is_geo(value: Any) -> bool:
    return isinstance(value, GeoJSON)


_KEEPS: dict[int, Callable[[Any], bool]] = {
    pt.INTEGER: _is_numeric,
    pt.STRING: _is_string,
    pt.BLOB: _is_blob,
    pt.GEOJSON: _is_geo,
}


def _default_items(value: Any) -> list[Any]:
    return [value]


def _list_items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _map_keys(value: Any) -> list[Any]:
    return list(value) if isinstance(value, dict) else []


def _map_values(value: Any) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else []


_ITEMS: dict[int, Callable[[Any], list[Any]]] = {
    ITYPE_DEFAULT: _default_items,
    ITYPE_LIST: _list_items,
    ITYPE_MAPKEYS: _map_keys,
    ITYPE_MAPVALUES: _map_values,
}


def _bval_of(ktype: int, value: Any) -> int:
    if ktype == pt.INTEGER:
        result: int = value
        return result
    if ktype == pt.BLOB:
        return bval_hash(value)
    return bval_hash(str(value).encode())


# -- CDT context -------------------------------------------------------------------

CTX_LIST = cdt_context.LIST
CTX_MAP = cdt_context.MAP
_CTX_TYPE_MASK = CTX_LIST | CTX_MAP
# Steps an index context may take: (list or map, how to look).
_VALID_STEPS = {
    (CTX_LIST, cdt_context.BY_INDEX),
    (CTX_LIST, cdt_context.BY_RANK),
    (CTX_LIST, cdt_context.BY_VALUE),
    (CTX_MAP, cdt_context.BY_INDEX),
    (CTX_MAP, cdt_context.BY_RANK),
    (CTX_MAP, cdt_context.BY_KEY),
    (CTX_MAP, cdt_context.BY_VALUE),
}


def parse_ctx(data: bytes) -> list[cdt_context.Step]:
    """Decode a context into its steps; ValueError if it is not one."""
    try:
        steps = cdt_context.parse_steps(packer.unpack(data))
    except (packer.UnpackError, ValueError, Failure) as exc:
        raise ValueError("not a CDT context") from exc
    for step in steps:
        if (step.id & _CTX_TYPE_MASK, step.base) not in _VALID_STEPS:
            raise ValueError(f"unknown context id 0x{step.id:x}")
    return steps


def _read(target: Any) -> tuple[Any, Any]:
    return target, target


def resolve_ctx(value: Any, steps: list[cdt_context.Step]) -> Any:
    """The element a context points at, or ``_MISSING``."""
    if not isinstance(value, (list, dict)):
        return _MISSING
    try:
        found, _ = cdt_context.apply(value, steps, _read, modify=False)
    except Failure:
        return _MISSING  # the path does not exist in this record
    return found


# -- the index -------------------------------------------------------------------


class IndexDefinition:
    """What an index covers; two indexes with equal definitions are one."""

    __slots__ = ("bin_name", "ctx", "ctx_steps", "itype", "ktype", "set_name")

    def __init__(
        self,
        set_name: str | None,
        bin_name: str,
        ktype: int,
        itype: int,
        ctx: bytes | None,
    ) -> None:
        self.set_name = set_name
        self.bin_name = bin_name
        self.ktype = ktype
        self.itype = itype
        self.ctx = ctx
        self.ctx_steps = parse_ctx(ctx) if ctx else []

    @property
    def identity(self) -> tuple[Any, ...]:
        return (self.set_name, self.bin_name, self.ktype, self.itype, self.ctx)

    def values(self, record: StoredRecord) -> list[Any]:
        """The values of a record this index holds."""
        if self.set_name is not None and record.set_name != self.set_name:
            return []
        value = record.bins.get(self.bin_name)
        if value is None:
            return []
        if self.ctx_steps:
            value = resolve_ctx(value, self.ctx_steps)
            if value is _MISSING:
                return []
        keep = _KEEPS[self.ktype]
        return [item for item in _ITEMS[self.itype](value) if keep(item)]

    def bvals(self, record: StoredRecord) -> tuple[int, ...]:
        ktype = self.ktype
        return tuple(sorted({_bval_of(ktype, v) for v in self.values(record)}))


Entry = tuple[int, bytes]


class SecondaryIndex:
    """One index: its definition and its sorted entries per partition."""

    def __init__(self, namespace: str, name: str, definition: IndexDefinition):
        self.namespace = namespace
        self.name = name
        self.definition = definition
        self.trees: list[list[Entry]] = [[] for _ in range(N_PARTITIONS)]
        self.by_digest: dict[bytes, tuple[int, ...]] = {}
        self.entries = 0
        self.readable = False
        self.load_pct = 0
        self.load_time_ms = 0
        self.dropped = False

    @property
    def set_name(self) -> str | None:
        return self.definition.set_name

    def update(self, record: StoredRecord) -> None:
        """Make the entries of one record match its current bins."""
        digest = record.digest
        new = self.definition.bvals(record)
        old = self.by_digest.get(digest, ())
        if new == old:
            return
        tree = self.trees[partition_id(digest)]
        for bval in old:
            _delete(tree, (bval, digest))
        for bval in new:
            insort(tree, (bval, digest))
        if new:
            self.by_digest[digest] = new
        else:
            del self.by_digest[digest]
        self.entries += len(new) - len(old)

    def drop_record(self, digest: bytes) -> None:
        old = self.by_digest.pop(digest, ())
        tree = self.trees[partition_id(digest)]
        for bval in old:
            _delete(tree, (bval, digest))
        self.entries -= len(old)

    def candidates(
        self, pid: int, start: int, end: int, resume: Entry | None
    ) -> list[Entry]:
        """Entries of a partition with bvals in [start, end], after resume."""
        tree = self.trees[pid]
        if resume is not None and resume[0] >= start:
            low = bisect_right(tree, resume)
        else:
            low = bisect_left(tree, (start, b""))
        high = bisect_left(tree, (end + 1, b"")) if end < INT64_MAX else len(tree)
        return tree[low:high]

    def stats(self) -> dict[str, int]:
        records = len(self.by_digest)
        distinct = len({bval for tree in self.trees for bval, _ in tree})
        return {
            "entries": self.entries,
            "used_bytes": self.entries * 32,
            "entries_per_bval": round(self.entries / distinct) if distinct else 0,
            "entries_per_rec": round(self.entries / records) if records else 0,
            "load_pct": self.load_pct,
            "load_time": self.load_time_ms,
            "stat_gc_recs": 0,
        }


def _delete(tree: list[Entry], entry: Entry) -> None:
    position = bisect_left(tree, entry)
    if position < len(tree) and tree[position] == entry:
        del tree[position]


class IndexMaintainer:
    """The record watcher of one namespace: feeds every index of it."""

    def __init__(self) -> None:
        self.indexes: list[SecondaryIndex] = []

    def stored(self, record: StoredRecord) -> None:
        for index in self.indexes:
            index.update(record)

    def removed(self, record: StoredRecord) -> None:
        for index in self.indexes:
            index.drop_record(record.digest)


def _maintainer(namespace: Namespace) -> IndexMaintainer:
    for watcher in namespace.watchers:
        if isinstance(watcher, IndexMaintainer):
            return watcher
    maintainer = IndexMaintainer()
    namespace.watchers.append(maintainer)
    return maintainer


# -- registry ----------------------------------------------------------------------


def indexes_of(cluster: ServerCluster, namespace: str) -> list[SecondaryIndex]:
    return [index for (ns, _), index in cluster.sindexes.items() if ns == namespace]


def by_name(cluster: ServerCluster, namespace: str, name: str) -> SecondaryIndex | None:
    index: SecondaryIndex | None = cluster.sindexes.get((namespace, name))
    return index


def by_definition(
    cluster: ServerCluster, namespace: str, identity: tuple[Any, ...]
) -> SecondaryIndex | None:
    for index in indexes_of(cluster, namespace):
        if index.definition.identity == identity:
            return index
    return None


def find_for_query(
    cluster: ServerCluster,
    namespace: str,
    set_name: str,
    wanted: tuple[str, int, int, bytes | None],
) -> SecondaryIndex | None:
    """The index a query on a bin uses: the set's own, else a set-less one
    (as/src/sindex/sindex.c ``as_sindex_lookup_by_defn``)."""
    sets = [set_name, None] if set_name else [None]
    for candidate in sets:
        index = by_definition(cluster, namespace, (candidate, *wanted))
        if index is not None:
            return index
    return None


def _add(cluster: ServerCluster, namespace: Namespace, index: SecondaryIndex) -> None:
    cluster.sindexes[(namespace.name, index.name)] = index
    _maintainer(namespace).indexes.append(index)


def _remove(
    cluster: ServerCluster, namespace: Namespace, index: SecondaryIndex
) -> None:
    del cluster.sindexes[(namespace.name, index.name)]
    index.dropped = True
    maintainer = _maintainer(namespace)
    maintainer.indexes.remove(index)
    if not maintainer.indexes:
        namespace.watchers.remove(maintainer)


def _rename(cluster: ServerCluster, index: SecondaryIndex, name: str) -> None:
    del cluster.sindexes[(index.namespace, index.name)]
    index.name = name
    cluster.sindexes[(index.namespace, name)] = index


# -- population ----------------------------------------------------------------------


def _populate_steps(namespace: Namespace, index: SecondaryIndex) -> Iterator[None]:
    """Index the existing records, one batch of partitions per step."""
    started = time.monotonic()
    now_cl = namespace.clock.now_cl()
    for pid, partition in enumerate(namespace.partitions):
        if index.dropped:
            return
        for record in list(partition.values()):
            if not namespace.is_doomed(record, now_cl):
                index.update(record)
        index.load_pct = (pid + 1) * 100 // N_PARTITIONS
        if (pid + 1) % POPULATE_BATCH == 0:
            yield
    index.load_time_ms = int((time.monotonic() - started) * 1000)
    index.readable = True


def _start_population(
    cluster: ServerCluster, namespace: Namespace, index: SecondaryIndex
) -> None:
    steps = _populate_steps(namespace, index)
    if sum(len(p) for p in namespace.partitions) <= SMALL_NAMESPACE:
        for _ in steps:
            pass
        return
    asyncio.get_running_loop().create_task(_populate_in_background(cluster, steps))


async def _populate_in_background(
    cluster: ServerCluster, steps: Iterator[None]
) -> None:
    while True:
        with cluster.lock:
            finished = next(steps, _MISSING) is _MISSING
        if finished:
            return
        await asyncio.sleep(0)


# -- info parameters, checked as the server checks them --------------------------------


def _param(
    params: Params, name: str, size: int, *, required: bool, code: int = 4
) -> str | None:
    """A parameter value (thr_info.c ``as_info_required_param_is_ok``)."""
    value = params.get(name)
    if value is None:
        if required:
            raise InfoError(code, f"missing '{name}'")
        return None
    if len(value.encode()) >= size:
        raise InfoError(code, f"'{name}' value too long")
    if not value:
        raise InfoError(code, f"missing '{name}' value")
    return value


def _namespace_param(params: Params) -> str:
    name = "namespace" if "namespace" in params else "ns"
    value = params.get(name)
    if value is None:
        raise InfoError(20, "missing 'namespace'")
    if len(value.encode()) >= NAMESPACE_MAX_SZ:
        raise InfoError(20, "'namespace' value too long")
    if not value:
        raise InfoError(20, "missing 'namespace' value")
    return value


def _local_namespace(node: ServerNode, params: Params) -> Namespace:
    namespace = node.cluster.namespaces.get(_namespace_param(params))
    if namespace is None:
        raise InfoError(20, "namespace not found on node")
    return namespace


def _itype(params: Params) -> int:
    text = _param(params, "indextype", INDEXTYPE_MAX_SZ, required=False)
    if text is None:
        return ITYPE_DEFAULT
    itype = _ITYPES_BY_NAME.get(text.lower())
    if itype is None:
        raise InfoError(
            4,
            "bad 'indextype' - must be one of 'default', 'list', 'mapkeys', "
            "'mapvalues'",
        )
    return itype


def _ctx(params: Params) -> bytes | None:
    text = _param(params, "context", CTX_B64_MAX_SZ, required=False)
    if text is None:
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InfoError(4, "'context' invalid base64") from None
    try:
        parse_ctx(data)
    except ValueError:
        raise InfoError(4, "'context' invalid cdt context") from None
    return data


_KTYPE_ERROR = "must be one of 'numeric', 'string', 'blob', 'geo2dsphere'"


def _bin_and_ktype(params: Params) -> tuple[str, int]:
    """Bin and key type from ``bin=..;type=..`` (8.1) or ``indexdata=bin,type``."""
    indexdata = _param(params, "indexdata", INDEXDATA_MAX_SZ, required=False)
    ktype_text = _param(params, "type", KTYPE_MAX_SZ, required=False)
    if indexdata is None and ktype_text is None:
        raise InfoError(4, "both 'indexdata' and 'type' are missing")
    if indexdata is not None and ktype_text is not None:
        raise InfoError(4, "both 'indexdata' and 'type' are specified")
    if ktype_text is not None:
        return _new_syntax(params, ktype_text)
    return _legacy_syntax(indexdata or "")


def _new_syntax(params: Params, ktype_text: str) -> tuple[str, int]:
    ktype = _KTYPES_BY_NAME.get(ktype_text.lower())
    if ktype is None:
        raise InfoError(4, f"bad 'type' - {_KTYPE_ERROR}")
    bin_name = _param(params, "bin", BIN_MAX_SZ, required=False)
    has_exp = _param(params, "exp", 16 * 1024, required=False) is not None
    if bin_name is not None and has_exp:
        raise InfoError(4, "both 'bin' and 'exp' are specified")
    if bin_name is None and not has_exp:
        raise InfoError(4, "both 'bin' and 'exp' are missing")
    if bin_name is None:
        raise InfoError(16, "expression indexes are not supported")
    return bin_name, ktype


def _legacy_syntax(indexdata: str) -> tuple[str, int]:
    bin_name, sep, ktype_text = indexdata.partition(",")
    if not sep:
        raise InfoError(4, "'indexdata' missing bin type")
    if not bin_name:
        raise InfoError(4, "'indexdata' missing bin name")
    if len(bin_name.encode()) >= BIN_MAX_SZ:
        raise InfoError(4, "'indexdata' bin name too long")
    ktype = _KTYPES_BY_NAME.get(ktype_text.lower())
    if ktype is None:
        raise InfoError(4, f"bad 'indexdata' bin type - {_KTYPE_ERROR}")
    return bin_name, ktype


# -- info commands ---------------------------------------------------------------------


@command("sindex-create")
def _sindex_create(node: ServerNode, params: Params, args: list[str]) -> str:
    name = _param(params, "indexname", INAME_MAX_SZ, required=True) or ""
    ns_name = _namespace_param(params)
    set_name = _param(params, "set", SET_MAX_SZ, required=False)
    ctx = _ctx(params)
    itype = _itype(params)
    bin_name, ktype = _bin_and_ktype(params)
    if itype == ITYPE_MAPKEYS and ktype == pt.GEOJSON:
        raise InfoError(
            4,
            "bad 'indexdata' bin type for 'indextype' 'mapkeys' - must be one "
            "of 'numeric', 'string', 'blob'",
        )
    definition = IndexDefinition(set_name, bin_name, ktype, itype, ctx)
    cluster = node.cluster
    with cluster.lock:
        namespace = cluster.namespaces.get(ns_name)
        if namespace is None:
            # The server accepts the request and its metadata layer then
            # skips the unknown namespace (sindex_manager.c).
            return "ok"
        return _create(cluster, namespace, name, definition)


def _create(
    cluster: ServerCluster,
    namespace: Namespace,
    name: str,
    definition: IndexDefinition,
) -> str:
    existing = by_name(cluster, namespace.name, name)
    if existing is not None:
        if existing.definition.identity != definition.identity:
            raise InfoError(200, "'indexname' already exists with different definition")
        return "ok"
    same = by_definition(cluster, namespace.name, definition.identity)
    if same is not None:
        # The same definition under a new name renames the index.
        _rename(cluster, same, name)
        return "ok"
    if len(indexes_of(cluster, namespace.name)) >= MAX_N_SINDEXES:
        raise InfoError(206, "already at sindex definition limit")
    if definition.set_name:
        namespace.set_state(definition.set_name)
    index = SecondaryIndex(namespace.name, name, definition)
    _add(cluster, namespace, index)
    _start_population(cluster, namespace, index)
    return "ok"


@command("sindex-delete")
def _sindex_delete(node: ServerNode, params: Params, args: list[str]) -> str:
    name = _param(params, "indexname", INAME_MAX_SZ, required=True) or ""
    ns_name = _namespace_param(params)
    cluster = node.cluster
    with cluster.lock:
        namespace = cluster.namespaces.get(ns_name)
        index = by_name(cluster, ns_name, name)
        # Deleting a missing index is not an error on 8.1.
        if namespace is not None and index is not None:
            _remove(cluster, namespace, index)
    return "ok"


@command("sindex-exists")
def _sindex_exists(node: ServerNode, params: Params, args: list[str]) -> str:
    name = _param(params, "indexname", INAME_MAX_SZ, required=True) or ""
    namespace = _local_namespace(node, params)
    return "true" if by_name(node.cluster, namespace.name, name) else "false"


def _stat_text(index: SecondaryIndex) -> str:
    return ";".join(f"{key}={value}" for key, value in index.stats().items())


@command("sindex-stat")
def _sindex_stat(node: ServerNode, params: Params, args: list[str]) -> str:
    name = _param(params, "indexname", INAME_MAX_SZ, required=True) or ""
    namespace = _local_namespace(node, params)
    with node.cluster.lock:
        index = by_name(node.cluster, namespace.name, name)
        if index is None:
            raise InfoError(201, "no index")
        return _stat_text(index)


def _list_entry(index: SecondaryIndex, b64: bool) -> str:
    definition = index.definition
    if definition.ctx is None:
        ctx = "null"
    elif b64:
        ctx = base64.b64encode(definition.ctx).decode()
    else:
        ctx = _ctx_text(definition.ctx_steps)
    state = "RW" if index.readable else "WO"
    return (
        f"ns={index.namespace}:indexname={index.name}"
        f":set={definition.set_name or 'null'}:bin={definition.bin_name}"
        f":type={KTYPE_NAMES[definition.ktype]}"
        f":indextype={ITYPE_NAMES[definition.itype]}"
        f":context={ctx}:exp=null:state={state}"
    )


_CTX_NAMES = {
    cdt_context.BY_INDEX: "index",
    cdt_context.BY_RANK: "rank",
    cdt_context.BY_KEY: "key",
    cdt_context.BY_VALUE: "value",
}


def _ctx_text(steps: list[cdt_context.Step]) -> str:
    parts = []
    for step in steps:
        prefix = "list_" if step.id & CTX_LIST else "map_"
        parts.append(f"{prefix}{_CTX_NAMES[step.base]}({step.value!r})")
    return "[" + ", ".join(parts) + "]"


def _list_value(node: ServerNode, params: Params) -> str:
    b64_text = params.get("b64")
    if b64_text not in (None, "true", "false"):
        raise InfoError(4, "bad b64")
    names = list(node.cluster.namespaces)
    if "namespace" in params or "ns" in params:
        names = [_local_namespace(node, params).name]
    with node.cluster.lock:
        entries = [
            _list_entry(index, b64_text == "true")
            for ns_name in names
            for index in indexes_of(node.cluster, ns_name)
        ]
    return ";".join(entries)


@command("sindex-list")
def _sindex_list(node: ServerNode, params: Params, args: list[str]) -> str:
    return _list_value(node, params)


@command("sindex")
def _sindex(node: ServerNode, params: Params, args: list[str]) -> str:
    # Deprecated form: ``sindex``, ``sindex/<ns>``, ``sindex/<ns>/<name>``.
    cluster = node.cluster
    if not args:
        return _list_value(node, {})
    namespace = cluster.namespaces.get(args[0])
    if namespace is None:
        return "ns_type=unknown"
    if len(args) == 1:
        return _list_value(node, {"namespace": namespace.name})
    with cluster.lock:
        index = by_name(cluster, namespace.name, args[1])
        if index is None:
            raise InfoError(201, "no index")
        return _stat_text(index)
