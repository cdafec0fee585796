"""Scans and secondary-index queries of the embedded server (PROTOCOL.md 8).

An AS_MSG without a digest is a query. A *basic* query reads records of
the requested partitions (PID_ARRAY from the start, DIGEST_ARRAY to resume
after a digest, with BVAL_ARRAY for index queries): every record of the
set, or, with an INDEX_RANGE, the records whose indexed value is in range.
The reply streams frames of about 1 MiB of record messages, a
partition-done marker for each partition this node cannot serve, and a
LAST trailer with the overall result (aerospike-server
as/src/query/query.c, ``basic_query_job_start``). Records are read one
partition at a time and sent as frames fill, so memory stays flat however
many records match. Errors found before streaming come back as one plain
reply without LAST.
"""

from __future__ import annotations

import asyncio
import struct
import time
from bisect import bisect_right
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from aerospike_py.server import commands, errors, geo, sindex
from aerospike_py.server.errors import Failure
from aerospike_py.server.node import Reply, multi_handlers
from aerospike_py.server.ops import NO_RESULT, READ_HANDLERS, OpContext, encode_result
from aerospike_py.server.storage import Namespace, StoredRecord, void_time_on_wire
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle as pt
from aerospike_py.wire.digest import DIGEST_SIZE, N_PARTITIONS, partition_id
from aerospike_py.wire.message import Message

if TYPE_CHECKING:
    from aerospike_py.server.node import ServerNode

CHUNK_LIMIT = 1024 * 1024  # QUERY_CHUNK_LIMIT in query.c
SET_MAX = 63
MAX_STRING_KEY = 2048
MAX_GEOJSON_KEY = 1024 * 1024
SHORT_QUERY_DEFAULT_S = 1.0
THROTTLE_MIN_S = 0.001  # query_job.c: sleeps shorter than 1 ms are skipped
UNAVAILABLE = 11
ERR_SINDEX_NOT_READABLE = 203

_U16_LE = struct.Struct("<H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")
_I64_LE = struct.Struct("<q")

Resume = tuple[int, bytes]  # (bval, digest) to continue after


# -- the query's range ---------------------------------------------------------


class QueryRange:
    """The INDEX_RANGE of a query: bval bounds and an exact value test."""

    __slots__ = ("end", "ktype", "shape", "start", "value")

    def __init__(self, ktype: int, start: int, end: int, value: Any = None) -> None:
        self.ktype = ktype
        self.start = start
        self.end = end
        self.value = value
        self.shape: geo.Shape | None = None

    def accepts(self, value: Any) -> bool:
        if self.ktype == pt.INTEGER:
            return bool(self.start <= value <= self.end)
        if self.ktype == pt.GEOJSON:
            return self._geo_match(value)
        return bool(value == self.value)

    def _geo_match(self, text: str) -> bool:
        assert self.shape is not None
        try:
            return geo.matches(geo.parse(str(text)), self.shape)
        except geo.GeoError:
            return False


def _take_sized(data: bytes, pos: int) -> tuple[bytes, int]:
    if len(data) - pos < 4:
        raise Failure(errors.ERR_PARAMETER, "cannot parse index range")
    size = _U32.unpack_from(data, pos)[0]
    pos += 4
    if len(data) - pos < size:
        raise Failure(errors.ERR_PARAMETER, "cannot parse index range")
    return data[pos : pos + size], pos + size


def _integer_range(data: bytes, pos: int) -> QueryRange:
    begin, pos = _take_sized(data, pos)
    end, pos = _take_sized(data, pos)
    if len(begin) != 8 or len(end) != 8:
        raise Failure(errors.ERR_PARAMETER, "can only handle 8 byte integers")
    start, stop = _I64.unpack(begin)[0], _I64.unpack(end)[0]
    if start > stop:
        raise Failure(errors.ERR_PARAMETER, f"invalid range - {start} ... {stop}")
    return QueryRange(pt.INTEGER, start, stop)


def _string_range(data: bytes, pos: int) -> QueryRange:
    # Clients send the value twice; the server reads only the first.
    value, _ = _take_sized(data, pos)
    if len(value) >= MAX_STRING_KEY:
        raise Failure(errors.ERR_PARAMETER, "query string too long")
    bval = sindex.bval_hash(value)
    return QueryRange(pt.STRING, bval, bval, value.decode(errors="surrogateescape"))


def _blob_range(data: bytes, pos: int) -> QueryRange:
    value, _ = _take_sized(data, pos)
    if len(value) >= MAX_STRING_KEY:
        raise Failure(errors.ERR_PARAMETER, "query blob too long")
    bval = sindex.bval_hash(value)
    return QueryRange(pt.BLOB, bval, bval, value)


def _geo_range(data: bytes, pos: int) -> QueryRange:
    text, _ = _take_sized(data, pos)
    if not text or len(text) >= MAX_GEOJSON_KEY:
        raise Failure(errors.ERR_PARAMETER, "invalid query key size")
    try:
        shape = geo.parse(text.decode())
    except (geo.GeoError, UnicodeDecodeError) as exc:
        raise Failure(errors.ERR_PARAMETER, f"bad GeoJSON: {exc}") from None
    # Entries of a geo index are walked whole; the shape test decides.
    query_range = QueryRange(pt.GEOJSON, sindex.INT64_MIN, sindex.INT64_MAX)
    query_range.shape = shape
    return query_range


_RANGE_PARSERS: dict[int, Callable[[bytes, int], QueryRange]] = {
    pt.INTEGER: _integer_range,
    pt.STRING: _string_range,
    pt.BLOB: _blob_range,
    pt.GEOJSON: _geo_range,
}


def parse_index_range(data: bytes, by_name: bool) -> tuple[str, QueryRange]:
    """Return the bin name and range of an INDEX_RANGE field (query.c
    ``get_range_field``)."""
    if not data:
        raise Failure(errors.ERR_PARAMETER, "cannot parse index range")
    if data[0] != 1:
        raise Failure(errors.ERR_PARAMETER, f"{data[0]} ranges - only 1 supported")
    if len(data) < 2:
        raise Failure(errors.ERR_PARAMETER, "cannot parse bin name length")
    name_len = data[1]
    pos = 2
    if name_len == 0 and not by_name:
        raise Failure(errors.ERR_PARAMETER, "missing index name and bin name")
    if name_len and by_name:
        raise Failure(errors.ERR_PARAMETER, "index name with bin name")
    if name_len > msg.MAX_BIN_NAME or len(data) < pos + name_len:
        raise Failure(errors.ERR_PARAMETER, "invalid bin name")
    bin_name = data[pos : pos + name_len].decode(errors="replace")
    pos += name_len
    if pos >= len(data):
        raise Failure(errors.ERR_PARAMETER, "cannot parse particle type")
    parser = _RANGE_PARSERS.get(data[pos])
    if parser is None:
        raise Failure(errors.ERR_PARAMETER, f"invalid particle type {data[pos]}")
    return bin_name, parser(data, pos + 1)


# -- the request -----------------------------------------------------------------


def _u32_field(fields: dict[int, bytes], field: int, name: str) -> int | None:
    data = fields.get(field)
    if data is None:
        return None
    if len(data) != 4:
        raise Failure(errors.ERR_PARAMETER, f"{name} field size not 4")
    value: int = _U32.unpack(data)[0]
    return value


def _partitions(message: Message, has_range: bool) -> dict[int, Resume | None] | None:
    """Requested partitions and where each resumes (query.c
    ``get_query_pids``), in the order they are served; None if none."""
    fields = message.fields
    pid_data = fields.get(msg.FIELD_PID_ARRAY)
    digest_data = fields.get(msg.FIELD_DIGEST_ARRAY)
    bval_data = fields.get(msg.FIELD_BVAL_ARRAY)
    if pid_data is None and digest_data is None:
        return None
    requested: dict[int, Resume | None] = {}
    if pid_data is not None:
        count = len(pid_data) // 2
        if count == 0 or count > N_PARTITIONS:
            raise Failure(errors.ERR_PARAMETER, "pid array empty or too big")
        for (pid,) in _U16_LE.iter_unpack(pid_data[: count * 2]):
            if pid >= N_PARTITIONS or pid in requested:
                raise Failure(errors.ERR_PARAMETER, f"bad or duplicate pid {pid}")
            requested[pid] = None
    if digest_data is not None:
        _add_resumes(requested, digest_data, bval_data if has_range else None)
        if has_range and bval_data is None:
            raise Failure(errors.ERR_PARAMETER, "got digests but no bval array")
    elif bval_data is not None:
        raise Failure(errors.ERR_PARAMETER, "got bval array but no digests")
    return dict(sorted(requested.items()))


def _add_resumes(
    requested: dict[int, Resume | None], digests: bytes, bvals: bytes | None
) -> None:
    count = len(digests) // DIGEST_SIZE
    if count == 0 or count > N_PARTITIONS:
        raise Failure(errors.ERR_PARAMETER, "digest array empty or too big")
    if bvals is not None and len(bvals) // 8 != count:
        raise Failure(errors.ERR_PARAMETER, "n_bvals != n_digests")
    for index in range(count):
        digest = digests[index * DIGEST_SIZE : (index + 1) * DIGEST_SIZE]
        pid = partition_id(digest)
        if pid in requested:
            raise Failure(errors.ERR_PARAMETER, f"bad or duplicate digest pid {pid}")
        bval = _I64_LE.unpack_from(bvals, index * 8)[0] if bvals else 0
        requested[pid] = (bval, digest)


def _read_ops(message: Message) -> list[msg.Op] | None:
    """The projection: READ-like ops, or the legacy bin list as READ ops."""
    binlist = message.fields.get(msg.FIELD_QUERY_BINLIST)
    if binlist is not None and message.ops:
        raise Failure(errors.ERR_PARAMETER, "both binlist and ops cannot be specified")
    if binlist is not None:
        return _binlist_ops(binlist)
    if not message.ops:
        return None
    for op in message.ops:
        if not op.name or len(op.name.encode()) > msg.MAX_BIN_NAME:
            raise Failure(errors.ERR_PARAMETER, f"bad bin name {op.name!r}")
        if op.op_type not in msg.READ_OPS:
            raise Failure(
                errors.ERR_PARAMETER,
                f"queries should only provide read ops - not {op.op_type}",
            )
    return message.ops


def _binlist_ops(data: bytes) -> list[msg.Op]:
    ops = []
    pos = 1
    for _ in range(data[0] if data else 0):
        size = data[pos]
        name = data[pos + 1 : pos + 1 + size].decode(errors="replace")
        pos += 1 + size
        if name and size <= msg.MAX_BIN_NAME:
            ops.append(msg.read_op(name))
    return ops


class QueryJob:
    """A checked basic query, ready to stream.

    The checks run in the server's order (query.c ``basic_query_job_start``):
    malformed fields first (4), then missing partitions (16), then the
    index (201, or 203 while it fills).
    """

    def __init__(self, node: ServerNode, message: Message, namespace: Namespace):
        fields = message.fields
        self.node = node
        self.namespace = namespace
        self.message = message
        self.set_name = _set_name(fields)
        self.set_known = not self.set_name or self.set_name in namespace.sets
        has_range = msg.FIELD_INDEX_RANGE in fields
        pids = _partitions(message, has_range)
        self.range: QueryRange | None = None
        wanted: tuple[Any, ...] | None = None
        if has_range:
            self.range, wanted = self._parse_range(fields)
        self.short = bool(message.info1 & msg.INFO1_SHORT_QUERY)
        self.rps = _u32_field(fields, msg.FIELD_RECORDS_PER_SECOND, "recs-per-sec")
        if self.rps is not None and self.short:
            raise Failure(errors.ERR_PARAMETER, "short query has recs-per-sec field")
        if pids is None:
            raise Failure(errors.ERR_UNSUPPORTED_FEATURE, "missing pids and digests")
        self.pids = pids
        self.index = self._find_index(wanted) if wanted is not None else None
        _u32_field(fields, msg.FIELD_SOCKET_TIMEOUT, "socket-timeout")
        self.max_records = _max_records(fields)
        self.no_bin_data = bool(message.info1 & msg.INFO1_GET_NO_BINS)
        self.ops = None if self.no_bin_data else _read_ops(message)
        self.filter = fields.get(msg.FIELD_FILTER_EXP)
        if self.filter is not None and not commands.filter_evaluator:
            raise Failure(errors.ERR_UNSUPPORTED_FEATURE, "filter expressions")
        self.relax = bool(message.info2 & msg.INFO2_RELAX_AP_LONG_QUERY)
        self.dedup = self.index is not None and (
            self.index.definition.itype != sindex.ITYPE_DEFAULT
        )

    def _parse_range(
        self, fields: dict[int, bytes]
    ) -> tuple[QueryRange, tuple[Any, ...]]:
        """The range, and what names the index: its name, or its definition."""
        name_field = fields.get(msg.FIELD_INDEX_NAME)
        if msg.FIELD_INDEX_EXPRESSION in fields:
            raise Failure(errors.ERR_SINDEX_NOT_FOUND, "no expression indexes")
        bin_name, query_range = parse_index_range(
            fields[msg.FIELD_INDEX_RANGE], name_field is not None
        )
        itype = _index_type(fields)
        ctx = fields.get(msg.FIELD_INDEX_CONTEXT)
        if ctx is not None and (name_field is not None or not ctx):
            raise Failure(errors.ERR_PARAMETER, "bad index context")
        if name_field is None:
            return query_range, (bin_name, query_range.ktype, itype, ctx)
        if not name_field or len(name_field) >= sindex.INAME_MAX_SZ:
            raise Failure(errors.ERR_PARAMETER, "bad index name size")
        return query_range, (name_field.decode(errors="replace"),)

    def _find_index(self, wanted: tuple[Any, ...]) -> sindex.SecondaryIndex:
        cluster = self.node.cluster
        ns_name = self.namespace.name
        if len(wanted) == 1:
            index = sindex.by_name(cluster, ns_name, wanted[0])
        else:
            index = sindex.find_for_query(cluster, ns_name, self.set_name, wanted)
        if index is None:
            raise Failure(errors.ERR_SINDEX_NOT_FOUND, "no index")
        if not index.readable:
            raise Failure(ERR_SINDEX_NOT_READABLE, "index not readable")
        return index


def _set_name(fields: dict[int, bytes]) -> str:
    data = fields.get(msg.FIELD_SET, b"")
    if len(data) > SET_MAX:
        raise Failure(errors.ERR_PARAMETER, "query msg set name too long")
    return data.decode(errors="replace")


def _index_type(fields: dict[int, bytes]) -> int:
    data = fields.get(msg.FIELD_INDEX_TYPE)
    if data is None:
        return sindex.ITYPE_DEFAULT
    if not data:
        raise Failure(errors.ERR_PARAMETER, "cannot parse itype")
    return data[0]


def _max_records(fields: dict[int, bytes]) -> int:
    data = fields.get(msg.FIELD_MAX_RECORDS)
    if data is None:
        return 0
    if len(data) != 8:
        raise Failure(errors.ERR_PARAMETER, "sample-max field size not 8")
    value: int = _U64.unpack(data)[0]
    return value


# -- reading records -------------------------------------------------------------


def _scan_partition(
    namespace: Namespace, pid: int, resume: Resume | None
) -> Iterator[tuple[StoredRecord, int | None]]:
    digests = sorted(namespace.partitions[pid])
    start = bisect_right(digests, resume[1]) if resume else 0
    for digest in digests[start:]:
        record = namespace.find(digest)
        if record is not None:
            yield record, None


def _index_partition(
    job: QueryJob, pid: int, resume: Resume | None
) -> Iterator[tuple[StoredRecord, int | None]]:
    index, query_range = job.index, job.range
    assert index is not None and query_range is not None
    entries = index.candidates(pid, query_range.start, query_range.end, resume)
    seen: set[bytes] = set()
    for bval, digest in entries:
        if job.dedup and digest in seen:
            continue
        record = job.namespace.find(digest)
        # The entry may lag the record: check the record's values again.
        if record is None or not _record_matches(index, query_range, record):
            continue
        seen.add(digest)
        yield record, bval


def _record_matches(
    index: sindex.SecondaryIndex, query_range: QueryRange, record: StoredRecord
) -> bool:
    return any(query_range.accepts(v) for v in index.definition.values(record))


def _passes_filter(job: QueryJob, record: StoredRecord) -> bool:
    if job.set_name and record.set_name != job.set_name:
        return False
    if job.filter is None:
        return True
    return commands.filter_evaluator[0](job.namespace, record, job.filter)


def _projected_bins(job: QueryJob, record: StoredRecord) -> list[msg.Op] | None:
    """The bins a record message carries; None means skip the record."""
    if job.no_bin_data:
        return []
    if job.ops is None:
        return [encode_result(name, value) for name, value in record.bins.items()]
    respond_all = bool(job.message.info2 & msg.INFO2_RESPOND_ALL_OPS)
    try:
        out = _apply_read_ops(job, record, respond_all)
    except Failure:
        return None  # query.c skips a record whose ops fail
    return out or None  # an empty record is not sent


def _apply_read_ops(
    job: QueryJob, record: StoredRecord, respond_all: bool
) -> list[msg.Op]:
    clock = job.namespace.clock
    ctx = OpContext(
        job.namespace, record, record.bins, True, clock.now_ns(), clock.now_cl()
    )
    out: list[msg.Op] = []
    for op in job.ops or ():
        if op.op_type == msg.OP_READ:
            value = record.bins.get(op.name)
            if value is not None:
                out.append(encode_result(op.name, value))
            elif respond_all:
                out.append(msg.Op(msg.OP_READ, pt.NULL, op.name, b""))
            continue
        handler = READ_HANDLERS.get(op.op_type)
        if handler is None:
            raise Failure(errors.ERR_PARAMETER, f"op {op.op_type} is not supported")
        result = handler(ctx, op)
        value = None if result is NO_RESULT else result
        out.append(encode_result(op.name, value, op.op_type))
    return out


def record_message(
    ns_name: bytes,
    record: StoredRecord,
    bins: list[msg.Op],
    bval: int | None,
    no_bin_data: bool,
) -> bytes:
    """One record of the stream (proto.c ``as_msg_make_response_bufbuilder``)."""
    fields = [(msg.FIELD_NAMESPACE, ns_name), (msg.FIELD_DIGEST, record.digest)]
    if record.set_name:
        fields.append((msg.FIELD_SET, record.set_name.encode()))
    if record.key:
        fields.append((msg.FIELD_KEY, record.key))
    if bval is not None:
        fields.append((msg.FIELD_BVAL_ARRAY, _I64_LE.pack(bval)))
    return msg.encode_message(
        info1=msg.INFO1_GET_NO_BINS if no_bin_data else 0,
        generation=record.generation,
        record_ttl=void_time_on_wire(record.void_time),
        fields=fields,
        ops=bins,
        framed=False,
    )


def _partition_done(pid: int, result: int) -> bytes:
    return msg.encode_message(
        info3=msg.INFO3_PARTITION_DONE, result_code=result, generation=pid, framed=False
    )


def _frame(body: bytes | bytearray) -> bytes:
    return msg.proto_header(msg.MSG_AS, len(body)) + bytes(body)


# -- streaming ---------------------------------------------------------------------


class _Throttle:
    """Hold a stream to ``rps`` records per second.

    The server sleeps after a record that came too early (query_job.c); it
    caps each sleep at 10 ms, which here would let a low rate run faster
    than asked, so the whole lead is slept off.
    """

    def __init__(self, rps: int | None) -> None:
        self.rps = rps or 0
        self.count = 0
        self.started = time.monotonic()

    def delay(self) -> float:
        """Seconds to wait after one more record."""
        if not self.rps:
            return 0.0
        self.count += 1
        ahead = self.count / self.rps - (time.monotonic() - self.started)
        return ahead if ahead >= THROTTLE_MIN_S else 0.0


RecordSource = Iterator[tuple[StoredRecord, "int | None"]]


class _Stream:
    """The frames of one basic query, built partition by partition."""

    def __init__(self, job: QueryJob) -> None:
        self.job = job
        self.chunk = bytearray()
        self.result = errors.OK
        self.sent = 0
        self.throttle = _Throttle(job.rps)
        self.deadline = _short_deadline(job)
        self.ns_name = job.namespace.name.encode()

    async def frames(self) -> AsyncIterator[bytes]:
        job = self.job
        for pid, resume in job.pids.items():
            if not _serves(job, pid):
                self.chunk += _partition_done(pid, UNAVAILABLE)
                continue
            if not job.set_known or self._full():
                continue
            source = (
                _index_partition(job, pid, resume)
                if job.index
                else (_scan_partition(job.namespace, pid, resume))
            )
            async for frame in self._partition(source):
                yield frame
            if self.result != errors.OK:
                break
            # Let other connections in between partitions, even when a
            # filter passes nothing and no frame was sent.
            await asyncio.sleep(0)
        if self.chunk:
            yield _frame(self.chunk)
        yield msg.encode_message(info3=msg.INFO3_LAST, result_code=self.result)

    async def _partition(self, source: RecordSource) -> AsyncIterator[bytes]:
        while not self._full():
            with self.job.node.cluster.lock:
                more = self._take(source)
            if not more:
                return
            if len(self.chunk) > CHUNK_LIMIT:
                yield self._flush()
            pause = self.throttle.delay()
            if pause:
                if self.chunk:
                    yield self._flush()
                await asyncio.sleep(pause)

    def _take(self, source: RecordSource) -> bool:
        """Add the next record that passes; False at the partition's end or
        when the query must stop."""
        job = self.job
        for record, bval in source:
            if self.deadline is not None and time.monotonic() > self.deadline:
                self.result = errors.ERR_TIMEOUT
                return False
            try:
                if not _passes_filter(job, record):
                    continue
            except Failure as failure:
                self.result = failure.code
                return False
            self.sent += 1
            bins = _projected_bins(job, record)
            if bins is not None:
                self.chunk += record_message(
                    self.ns_name, record, bins, bval, job.no_bin_data
                )
            return True
        return False

    def _full(self) -> bool:
        limit = self.job.max_records
        return bool(limit) and self.sent >= limit

    def _flush(self) -> bytes:
        frame = _frame(self.chunk)
        self.chunk = bytearray()
        return frame


def _serves(job: QueryJob, pid: int) -> bool:
    """True when this node holds the partition for the query: as master,
    or as any replica for a relaxed query."""
    cluster = job.node.cluster
    owners = cluster.owners[pid]
    if not owners:
        return False
    if job.relax:
        return job.node in owners
    return owners[0] is job.node


def _short_deadline(job: QueryJob) -> float | None:
    if not job.short:
        return None
    ttl_ms = job.message.transaction_ttl
    seconds = ttl_ms / 1000 if ttl_ms else SHORT_QUERY_DEFAULT_S
    return time.monotonic() + seconds


# -- dispatch ----------------------------------------------------------------------

QueryKind = Callable[["ServerNode", Message, Namespace], Reply]

# Query kinds by name; UDF and background queries register their own.
query_kinds: dict[str, QueryKind] = {}

_UDF_OPS = {1: "aggregate", 2: "udf-background"}


def _kind(message: Message) -> str:
    """Which query a message asks for (query.c ``get_query_type``)."""
    fields = message.fields
    if msg.FIELD_UDF_FILENAME not in fields and msg.FIELD_UDF_OP not in fields:
        return "ops-background" if message.info2 & msg.INFO2_WRITE else "basic"
    udf_op = fields.get(msg.FIELD_UDF_OP)
    if udf_op is None or len(udf_op) != 1 or udf_op[0] not in _UDF_OPS:
        raise Failure(errors.ERR_PARAMETER, "missing or unknown udf-op")
    return _UDF_OPS[udf_op[0]]


def basic_query(node: ServerNode, message: Message, namespace: Namespace) -> Reply:
    with node.cluster.lock:
        job = QueryJob(node, message, namespace)
    return _Stream(job).frames()


def handle_query(node: ServerNode, message: Message) -> Reply:
    """The ``multi_handlers["query"]`` entry: check, then stream."""
    try:
        ns_data = message.fields.get(msg.FIELD_NAMESPACE, b"")
        namespace = node.cluster.namespaces.get(ns_data.decode(errors="replace"))
        if namespace is None:
            raise Failure(errors.ERR_NAMESPACE, "namespace not found")
        handler = query_kinds.get(_kind(message))
        if handler is None:
            raise Failure(errors.ERR_UNSUPPORTED_FEATURE, "query kind")
        return handler(node, message, namespace)
    except Failure as failure:
        return commands.reply(failure.code)


query_kinds["basic"] = basic_query
multi_handlers["query"] = handle_query
