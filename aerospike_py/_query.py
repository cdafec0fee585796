"""Scans and secondary-index queries without I/O (PROTOCOL.md 8).

A query runs as rounds. Each round, :class:`PartitionTracker` groups the
partitions still to read by the node that masters them; every node gets
one request (:func:`request`) listing its partitions: PID_ARRAY for those
read from the start, DIGEST_ARRAY (+ BVAL_ARRAY for index queries) for
those resumed after the last record seen. The node streams frames of
records; :func:`parse_frame` turns each into records and notes, per
partition, the last digest / bval returned and whether the node could
not serve it. After the round the tracker decides which partitions are
done, which resume, and whether another round is needed: partitions a node
could not serve (it no longer owned them) or a node that failed on the
way, and ``max_records`` spread over nodes that stopped at their share.
"""

from __future__ import annotations

import base64
import random
import struct
from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from aerospike_py import _constants as C
from aerospike_py._cdt import pack_ctx
from aerospike_py._command import ttl_from_void_time
from aerospike_py._ops import check_bin_name
from aerospike_py._policy import Policy
from aerospike_py.exception import AerospikeError, InvalidArgError, from_result_code
from aerospike_py.partition_filter import PartitionFilter, partition_filter_all
from aerospike_py.types import AerospikeKey, Record, RecordMetadata
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle
from aerospike_py.wire.digest import partition_id
from aerospike_py.wire.packer import utf8

N = TypeVar("N")

_U16_LE = struct.Struct("<H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")
_I64_LE = struct.Struct("<q")

RESULT_OK = 0
RESULT_NOT_FOUND = 2  # old servers end a scan of an empty set with it
RESULT_UNAVAILABLE = 11


# -- the filter (INDEX_RANGE) ----------------------------------------------------


class Filter(NamedTuple):
    """A ``where`` predicate as the request carries it."""

    bin_name: str
    particle_type: int
    begin: bytes
    end: bytes
    index_type: int
    ctx: bytes | None

    def index_range(self) -> bytes:
        """The INDEX_RANGE field: one range over one bin."""
        name = self.bin_name.encode()
        return b"".join(
            (
                bytes((1, len(name))),
                name,
                bytes((self.particle_type,)),
                _U32.pack(len(self.begin)),
                self.begin,
                _U32.pack(len(self.end)),
                self.end,
            )
        )


def _value_filter(bin_name: str, value: Any, index_type: int, ctx: Any) -> Filter:
    if isinstance(value, int) and not isinstance(value, bool):
        data = _I64.pack(value)
        return Filter(bin_name, particle.INTEGER, data, data, index_type, ctx)
    if isinstance(value, str):
        data = utf8(value, "predicate value")
        return Filter(bin_name, particle.STRING, data, data, index_type, ctx)
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"unsupported predicate value {value!r:.40}")
    data = bytes(value)
    return Filter(bin_name, particle.BLOB, data, data, index_type, ctx)


def _range_filter(bin_name: str, low: int, high: int, itype: int, ctx: Any) -> Filter:
    begin, end = _I64.pack(low), _I64.pack(high)
    return Filter(bin_name, particle.INTEGER, begin, end, itype, ctx)


def _geo_filter(bin_name: str, text: str, itype: int, ctx: Any) -> Filter:
    data = utf8(text, "GeoJSON predicate")
    return Filter(bin_name, particle.GEOJSON, data, data, itype, ctx)


def _circle(lat: float, lng: float, radius: float) -> str:
    return f'{{"type":"AeroCircle","coordinates":[[{lng!r},{lat!r}],{radius!r}]}}'


def _point(lat: float, lng: float) -> str:
    return f'{{"type":"Point","coordinates":[{lng!r},{lat!r}]}}'


def _equals(p: Sequence[Any], ctx: Any) -> Filter:
    return _value_filter(p[1], p[2], C.INDEX_TYPE_DEFAULT, ctx)


def _between(p: Sequence[Any], ctx: Any) -> Filter:
    return _range_filter(p[1], p[2], p[3], C.INDEX_TYPE_DEFAULT, ctx)


def _contains(p: Sequence[Any], ctx: Any) -> Filter:
    return _value_filter(p[1], p[3], p[2], ctx)


def _range(p: Sequence[Any], ctx: Any) -> Filter:
    return _range_filter(p[1], p[3], p[4], p[2], ctx)


def _geo_region(p: Sequence[Any], ctx: Any) -> Filter:
    return _geo_filter(p[1], p[2], _geo_itype(p, 3), ctx)


def _geo_radius(p: Sequence[Any], ctx: Any) -> Filter:
    return _geo_filter(p[1], _circle(p[2], p[3], p[4]), _geo_itype(p, 5), ctx)


def _geo_point(p: Sequence[Any], ctx: Any) -> Filter:
    return _geo_filter(p[1], _point(p[2], p[3]), _geo_itype(p, 4), ctx)


def _geo_itype(p: Sequence[Any], position: int) -> int:
    return int(p[position]) if len(p) > position else C.INDEX_TYPE_DEFAULT


# predicate name -> (positional items without ctx, builder)
_PREDICATES: dict[
    str, tuple[tuple[int, ...], Callable[[Sequence[Any], Any], Filter]]
] = {
    "equals": ((3,), _equals),
    "between": ((4,), _between),
    "contains": ((4,), _contains),
    "range": ((5,), _range),
    "geo_within_geojson_region": ((3, 4), _geo_region),
    "geo_contains_geojson_point": ((3, 4), _geo_region),
    "geo_within_radius": ((5, 6), _geo_radius),
    "geo_contains_point": ((4, 5), _geo_point),
}


def filter_from_predicate(predicate: Any) -> Filter:
    """Check a tuple built by :mod:`aerospike_py.predicates`."""
    if not isinstance(predicate, tuple) or not predicate:
        raise InvalidArgError(
            f"where() takes a tuple from aerospike_py.predicates, not "
            f"{type(predicate).__name__} ({predicate!r:.60})"
        )
    entry = _PREDICATES.get(predicate[0]) if isinstance(predicate[0], str) else None
    if entry is None:
        known = ", ".join(sorted(_PREDICATES))
        raise InvalidArgError(f"unknown predicate {predicate[0]!r}; known: {known}")
    sizes, build = entry
    items, ctx = _split_ctx(predicate, sizes)
    check_bin_name(items[1])
    try:
        return build(items, ctx)
    except (TypeError, ValueError, IndexError, struct.error):
        raise InvalidArgError(
            f"malformed {predicate[0]} predicate {predicate!r:.80}; build it "
            "with aerospike_py.predicates"
        ) from None


def _split_ctx(
    predicate: tuple[Any, ...], sizes: tuple[int, ...]
) -> tuple[tuple[Any, ...], bytes | None]:
    if len(predicate) in sizes:
        return predicate, None
    if len(predicate) - 1 in sizes and isinstance(predicate[-1], list):
        return predicate[:-1], pack_ctx(predicate[-1])
    raise InvalidArgError(
        f"{predicate[0]} predicate has {len(predicate)} items: {predicate!r:.80}"
    )


# -- partitions ----------------------------------------------------------------------


class PartitionStatus:
    """Where the read of one partition stands."""

    __slots__ = ("bval", "digest", "done", "pid", "unavailable")

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.digest: bytes | None = None
        self.bval: int | None = None
        self.done = False
        self.unavailable = False


class NodeTask(Generic[N]):
    """One node's share of a round: its partitions and record budget."""

    def __init__(self, node: N, partitions: list[PartitionStatus], record_max: int):
        self.node = node
        self.partitions = partitions
        self.record_max = record_max
        self.record_count = 0
        self.failure: AerospikeError | None = None
        self.by_pid = {status.pid: status for status in partitions}

    def saw_record(self, digest: bytes, bval: int | None) -> None:
        status = self.by_pid.get(partition_id(digest))
        if status is not None:
            status.digest = digest
            status.bval = bval
        self.record_count += 1

    def partition_done(self, pid: int, result: int) -> None:
        status = self.by_pid.get(pid)
        if status is None:
            return
        if result == RESULT_OK:
            status.done = True  # servers before 6 marked every partition
        else:
            status.unavailable = True


class PartitionTracker(Generic[N]):
    """The partitions of one query run and the records delivered so far."""

    def __init__(self, partition_filter: PartitionFilter | None, max_records: int):
        chosen = partition_filter or partition_filter_all()
        self.partitions = [PartitionStatus(pid) for pid in chosen.partition_ids()]
        self.max_records = max_records
        self.delivered = 0
        self.unavailable: list[int] = []

    def remaining(self) -> int | None:
        """Records still wanted; None when there is no limit."""
        if not self.max_records:
            return None
        return max(self.max_records - self.delivered, 0)

    def plan(self, owner: Callable[[int], N | None]) -> list[NodeTask[N]]:
        """Group the partitions still to read by the node that serves them."""
        groups: dict[N, list[PartitionStatus]] = {}
        self.unavailable = []
        for status in self.partitions:
            if status.done:
                continue
            status.unavailable = False
            node = owner(status.pid)
            if node is None:
                self.unavailable.append(status.pid)
                continue
            groups.setdefault(node, []).append(status)
        shares = self._shares(len(groups))
        return [
            NodeTask(node, statuses, share)
            for (node, statuses), share in zip(groups.items(), shares, strict=True)
        ]

    def _shares(self, count: int) -> list[int]:
        """Split what is left of max_records between ``count`` nodes."""
        remaining = self.remaining()
        if remaining is None:
            return [0] * count
        base, extra = divmod(remaining, count) if count else (0, 0)
        return [max(base + (1 if i < extra else 0), 1) for i in range(count)]

    def finish_round(self, tasks: Sequence[NodeTask[N]]) -> None:
        """Mark what the round completed.

        A node that answered everything without reaching its record budget
        finished every partition it could serve. A node that stopped at its
        budget, or failed on the way, leaves its partitions to resume after
        their last record (or from the start when none came).
        """
        for task in tasks:
            if task.failure is not None:
                continue
            complete = not task.record_max or task.record_count < task.record_max
            for status in task.partitions:
                if status.unavailable:
                    self.unavailable.append(status.pid)
                elif complete:
                    status.done = True

    def finished(self) -> bool:
        if self.max_records and self.delivered >= self.max_records:
            return True
        return all(status.done for status in self.partitions)


# -- the request ---------------------------------------------------------------------


class QuerySpec(NamedTuple):
    """What the user built: where to read, which bins, which filter."""

    namespace: str
    set_name: str
    bins: tuple[str, ...] | None
    filter: Filter | None


def _info_bits(policy: Policy) -> tuple[int, int]:
    info1 = msg.INFO1_READ
    if not policy.include_bin_data:
        info1 |= msg.INFO1_GET_NO_BINS
    if policy.read_mode_ap == C.POLICY_READ_MODE_AP_ALL:
        info1 |= msg.INFO1_READ_MODE_AP_ALL
    info2 = 0
    if policy.expected_duration == C.QUERY_DURATION_SHORT:
        info1 |= msg.INFO1_SHORT_QUERY
    elif policy.expected_duration == C.QUERY_DURATION_LONG_RELAX_AP:
        info2 |= msg.INFO2_RELAX_AP_LONG_QUERY
    return info1, info2


def _partition_fields(task: NodeTask[Any], with_bvals: bool) -> list[tuple[int, bytes]]:
    fresh = [s.pid for s in task.partitions if s.digest is None]
    resumed = [s for s in task.partitions if s.digest is not None]
    fields = []
    if fresh:
        fields.append(
            (msg.FIELD_PID_ARRAY, b"".join(_U16_LE.pack(pid) for pid in fresh))
        )
    if resumed:
        digests = b"".join(s.digest or b"" for s in resumed)
        fields.append((msg.FIELD_DIGEST_ARRAY, digests))
        if with_bvals:
            bvals = b"".join(_I64_LE.pack(s.bval or 0) for s in resumed)
            fields.append((msg.FIELD_BVAL_ARRAY, bvals))
    return fields


def _filter_fields(spec_filter: Filter) -> list[tuple[int, bytes]]:
    fields = []
    if spec_filter.index_type != C.INDEX_TYPE_DEFAULT:
        fields.append((msg.FIELD_INDEX_TYPE, bytes((spec_filter.index_type,))))
    fields.append((msg.FIELD_INDEX_RANGE, spec_filter.index_range()))
    if spec_filter.ctx:
        fields.append((msg.FIELD_INDEX_CONTEXT, spec_filter.ctx))
    return fields


def request(spec: QuerySpec, policy: Policy, task: NodeTask[Any]) -> bytes:
    """The framed query for one node's partitions."""
    fields = [(msg.FIELD_NAMESPACE, spec.namespace.encode())]
    if spec.set_name:
        fields.append((msg.FIELD_SET, spec.set_name.encode()))
    if policy.records_per_second:
        fields.append(
            (msg.FIELD_RECORDS_PER_SECOND, _U32.pack(policy.records_per_second))
        )
    fields.append((msg.FIELD_SOCKET_TIMEOUT, _U32.pack(policy.socket_timeout)))
    fields.append((msg.FIELD_TRID, _U64.pack(random.getrandbits(64))))
    if spec.filter is not None:
        fields.extend(_filter_fields(spec.filter))
    if policy.filter_expression is not None:
        fields.append((msg.FIELD_FILTER_EXP, policy.filter_expression))
    fields.extend(_partition_fields(task, spec.filter is not None))
    if task.record_max:
        fields.append((msg.FIELD_MAX_RECORDS, _U64.pack(task.record_max)))
    ops: list[msg.Op] = []
    if spec.bins is not None and policy.include_bin_data:
        ops = [msg.read_op(name) for name in spec.bins]
    info1, info2 = _info_bits(policy)
    return msg.encode_message(
        info1=info1,
        info2=info2,
        info3=msg.INFO3_PARTITION_DONE,
        record_ttl=policy.read_touch_ttl_percent & 0xFFFFFFFF,
        transaction_ttl=policy.total_timeout,
        fields=fields,
        ops=ops,
    )


# -- the reply -------------------------------------------------------------------------


class Frame(NamedTuple):
    """What one reply frame held."""

    records: list[Record]
    last: bool
    error: AerospikeError | None


def _user_key(data: bytes | None) -> Any:
    if not data:
        return None
    try:
        return particle.decode(data[0], data[1:])
    except (ValueError, UnicodeDecodeError):
        return bytes(data[1:])


def _record(message: msg.Message) -> Record:
    fields = message.fields
    digest = fields.get(msg.FIELD_DIGEST, b"")
    key = AerospikeKey(
        fields.get(msg.FIELD_NAMESPACE, b"").decode(),
        fields.get(msg.FIELD_SET, b"").decode(),
        _user_key(fields.get(msg.FIELD_KEY)),
        digest,
    )
    meta = RecordMetadata(message.generation, ttl_from_void_time(message.record_ttl))
    return Record(key, meta, msg.decode_bins(message.ops))


def _bval(message: msg.Message) -> int | None:
    data = message.fields.get(msg.FIELD_BVAL_ARRAY)
    if data is None or len(data) != 8:
        return None
    value: int = _I64_LE.unpack(data)[0]
    return value


def parse_frame(body: bytes, task: NodeTask[Any], node_name: str) -> Frame:
    """Read one frame of a node's stream, noting progress in ``task``."""
    records: list[Record] = []
    position = 0
    end = len(body)
    while position < end:
        message, position = msg.decode_message(body, position)
        if message.info3 & msg.INFO3_LAST:
            return Frame(records, True, _trailer_error(message, node_name))
        if message.info3 & msg.INFO3_PARTITION_DONE:
            task.partition_done(message.generation, message.result_code)
            continue
        if message.result_code:
            # An error before streaming comes as one message without LAST.
            error = from_result_code(
                message.result_code, f"query on node {node_name}", node=node_name
            )
            return Frame(records, True, error)
        record = _record(message)
        assert record.key is not None
        task.saw_record(record.key.digest, _bval(message))
        records.append(record)
    return Frame(records, False, None)


def _trailer_error(message: msg.Message, node_name: str) -> AerospikeError | None:
    if message.result_code in (RESULT_OK, RESULT_NOT_FOUND):
        return None
    return from_result_code(
        message.result_code, f"query on node {node_name}", node=node_name
    )


def unavailable_error(pids: list[int], namespace: str) -> AerospikeError:
    shown = ", ".join(str(pid) for pid in pids[:8])
    more = f" and {len(pids) - 8} more" if len(pids) > 8 else ""
    return from_result_code(
        RESULT_UNAVAILABLE,
        f"no node served partitions {shown}{more} of namespace {namespace!r}",
    )


_INDEX_CREATORS = {
    particle.INTEGER: "index_integer_create",
    particle.STRING: "index_string_create",
    particle.BLOB: "index_blob_create",
    particle.GEOJSON: "index_geo2dsphere_create",
}
RESULT_INDEX_NOT_FOUND = 201


def explain_failure(error: AerospikeError, spec: QuerySpec) -> AerospikeError:
    """Name the bin and set of a where() that no index serves."""
    if error.code != RESULT_INDEX_NOT_FOUND or spec.filter is None:
        return error
    where = spec.filter
    scope = f"{spec.namespace}.{spec.set_name}" if spec.set_name else spec.namespace
    creator = _INDEX_CREATORS.get(where.particle_type, "index_*_create")
    collection = INDEX_TYPE_NAMES.get(where.index_type, "DEFAULT")
    if collection != "DEFAULT":
        creator += f"(..., index_type=INDEX_TYPE_{collection})"
    return from_result_code(
        RESULT_INDEX_NOT_FOUND,
        f"no secondary index serves where() on bin {where.bin_name!r} of {scope}; "
        f"create one with {creator} first",
        node=error.node,
    )


# -- index and truncate info commands ----------------------------------------------

INDEX_DATATYPES = {
    C.INDEX_NUMERIC: "NUMERIC",
    C.INDEX_STRING: "STRING",
    C.INDEX_BLOB: "BLOB",
    C.INDEX_GEO2DSPHERE: "GEO2DSPHERE",
}
INDEX_TYPE_NAMES = {
    C.INDEX_TYPE_DEFAULT: "DEFAULT",
    C.INDEX_TYPE_LIST: "LIST",
    C.INDEX_TYPE_MAPKEYS: "MAPKEYS",
    C.INDEX_TYPE_MAPVALUES: "MAPVALUES",
}
MAX_INDEX_NAME = 63
# Characters that would split an info command's parameters.
_INFO_SEPARATORS = frozenset(";:=\n\t")
NEW_SINDEX_SYNTAX = (8, 1)  # servers from 8.1 take bin= and type=


def _info_name(kind: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgError(f"{kind} must be a non-empty str, not {value!r:.40}")
    size = len(utf8(value, kind))
    if size > limit:
        raise InvalidArgError(
            f"{kind} {value!r} is {size} bytes; Aerospike allows {limit}"
        )
    if _INFO_SEPARATORS.intersection(value):
        raise InvalidArgError(
            f"{kind} {value!r} contains one of ; : = or a line break, which the "
            "info protocol cannot carry"
        )
    return value


def set_name_or_none(set_name: Any) -> str | None:
    """A set name for an info command; None or "" means the whole namespace."""
    if set_name is None or set_name == "":
        return None
    return _info_name("set name", set_name, 63)


class IndexSpec(NamedTuple):
    """A secondary index to create."""

    namespace: str
    set_name: str | None
    bin_name: str
    index_name: str
    datatype: int
    index_type: int
    ctx: bytes | None


def index_spec(
    namespace: Any,
    set_name: Any,
    bin_name: Any,
    index_name: Any,
    datatype: Any,
    index_type: Any,
    ctx: Any,
) -> IndexSpec:
    """Check the arguments of an ``index_*_create`` call."""
    if isinstance(datatype, bool) or datatype not in INDEX_DATATYPES:
        raise InvalidArgError(
            f"index datatype is {datatype!r}; allowed: INDEX_NUMERIC, "
            "INDEX_STRING, INDEX_BLOB, INDEX_GEO2DSPHERE"
        )
    if isinstance(index_type, bool) or index_type not in INDEX_TYPE_NAMES:
        raise InvalidArgError(
            f"index_type is {index_type!r}; allowed: INDEX_TYPE_DEFAULT, "
            "INDEX_TYPE_LIST, INDEX_TYPE_MAPKEYS, INDEX_TYPE_MAPVALUES"
        )
    if index_type == C.INDEX_TYPE_MAPKEYS and datatype == C.INDEX_GEO2DSPHERE:
        raise InvalidArgError("a map-keys index cannot be a geo2dsphere index")
    return IndexSpec(
        _info_name("namespace", namespace, 31),
        set_name_or_none(set_name),
        _info_name("bin name", check_bin_name(bin_name), msg.MAX_BIN_NAME),
        _info_name("index name", index_name, MAX_INDEX_NAME),
        int(datatype),
        int(index_type),
        pack_ctx(list(ctx)) if ctx else None,
    )


def new_syntax(build: str) -> bool:
    """True when a server of this build takes the 8.1 sindex-create form."""
    parts = []
    for part in build.strip().split(".")[:2]:
        if not part.isdigit():
            return True
        parts.append(int(part))
    return tuple(parts) >= NEW_SINDEX_SYNTAX


def create_command(spec: IndexSpec, new: bool) -> str:
    """``sindex-create`` in the form the server understands (PROTOCOL 2.5)."""
    params = [
        f"namespace={spec.namespace}" if new else f"ns={spec.namespace}",
    ]
    if spec.set_name:
        params.append(f"set={spec.set_name}")
    params.append(f"indexname={spec.index_name}")
    if spec.ctx:
        params.append("context=" + base64.b64encode(spec.ctx).decode())
    if spec.index_type != C.INDEX_TYPE_DEFAULT:
        params.append(f"indextype={INDEX_TYPE_NAMES[spec.index_type]}")
    datatype = INDEX_DATATYPES[spec.datatype]
    if new:
        params += [f"bin={spec.bin_name}", f"type={datatype}"]
    else:
        params.append(f"indexdata={spec.bin_name},{datatype}")
    return "sindex-create:" + ";".join(params)


def index_command(verb: str, namespace: Any, index_name: Any) -> str:
    """``sindex-stat`` / ``-exists`` / ``-delete`` of one index."""
    ns = _info_name("namespace", namespace, 31)
    name = _info_name("index name", index_name, MAX_INDEX_NAME)
    return f"sindex-{verb}:namespace={ns};indexname={name}"


def load_pct(stat: str) -> int:
    """The ``load_pct`` of a sindex-stat reply (0 when missing)."""
    for item in stat.split(";"):
        key, _, value = item.partition("=")
        if key == "load_pct" and value.strip().isdigit():
            return int(value)
    return 0


def truncate_command(namespace: Any, set_name: Any, nanos: Any) -> str:
    """``truncate`` of a set, or ``truncate-namespace``, before ``nanos``."""
    ns = _info_name("namespace", namespace, 31)
    if isinstance(nanos, bool) or not isinstance(nanos, int):
        raise InvalidArgError(
            f"nanos must be an int (nanoseconds since 1970), not {type(nanos).__name__}"
        )
    if not 0 <= nanos < 1 << 64:
        raise InvalidArgError(f"nanos {nanos} must be 0 (now) or a positive time")
    name = set_name_or_none(set_name)
    command = (
        f"truncate-namespace:namespace={ns}"
        if name is None
        else (f"truncate:namespace={ns};set={name}")
    )
    return f"{command};lut={nanos}" if nanos else command
