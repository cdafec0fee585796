"""Batch commands of the embedded server (PROTOCOL.md section 7).

A batch is one AS_MSG with ``info1 & BATCH`` whose BATCH field (41, or its
legacy twin 42) holds ``u32 n_rows``, ``u8 parent_flags`` and the rows. A
row names a record by digest and either repeats the previous row (REPEAT)
or carries its own info bytes, generation, TTL, fields and ops.

Every row becomes a single-record AS_MSG and runs through
:func:`aerospike_py.server.commands.handle_single`, so a batch row obeys
exactly the rules of a lone get, operate or delete. Its reply goes back
with the row's index in ``transaction_ttl``. Replies are packed into frames
of at most 128 KiB, the server's batch buffer size, streamed one by one,
and the stream ends with a LAST trailer carrying the batch's result
(aerospike-server as/src/base/batch.c).
"""

from __future__ import annotations

import struct
import weakref
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from aerospike_py.server import commands, errors
from aerospike_py.server.cluster import ServerCluster
from aerospike_py.server.node import Reply, multi_handlers
from aerospike_py.wire import message as msg
from aerospike_py.wire.digest import partition_id

if TYPE_CHECKING:
    from aerospike_py.server.node import ServerNode
    from aerospike_py.server.storage import Namespace

# Parent flags (batch.c).
INLINE_DATA_IN_MEMORY = 0x01
INLINE_DATA_ON_DEVICE = 0x02
REPORT_ALL_ERRORS = 0x04
REPORT_ERROR_REC = 0x08

# Row flags (batch.c).
ROW_REPEAT = 0x01
ROW_INFO = 0x02
ROW_GENERATION = 0x04
ROW_TTL = 0x08
ROW_INFO4 = 0x10

BLOCK_SIZE = 128 * 1024
# Results that never stop a batch, even without REPORT_ALL_ERRORS.
_ALWAYS_REPORTED = frozenset({errors.OK, errors.ERR_NOT_FOUND, errors.ERR_FILTERED_OUT})
# Flags a sub-transaction may not keep: its reply is never compressed on its
# own, and it is not an XDR write (batch.c clears both).
_INFO1_CLEARED = msg.INFO1_COMPRESS_RESPONSE | msg.INFO1_XDR
_SC_READ_BITS = msg.INFO3_SC_READ_TYPE | msg.INFO3_SC_READ_RELAX

_ROW_START = struct.Struct(">I20sB")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_FIELD = struct.Struct(">IB")
_OP = struct.Struct(">IBBBB")

# batch-max-requests per cluster; the server's default, 0, means no limit.
_max_requests: weakref.WeakKeyDictionary[ServerCluster, int] = (
    weakref.WeakKeyDictionary()
)


def set_max_requests(cluster: ServerCluster, limit: int) -> None:
    """Refuse batches of more than ``limit`` rows with 151 (0 = no limit).

    The equivalent of the service setting ``batch-max-requests``.
    """
    if limit < 0:
        raise ValueError(f"batch-max-requests must be >= 0, not {limit}")
    _max_requests[cluster] = limit


class Row(NamedTuple):
    """One parsed row: its index and the single-record message it runs as."""

    batch_index: int
    message: msg.Message


class Batch(NamedTuple):
    """A parsed batch: its rows, and the result that ended parsing early."""

    parent_flags: int
    rows: list[Row]
    parse_error: int


class _RowError(Exception):
    """The rows cannot be read on from here; the batch ends."""


# -- parsing ------------------------------------------------------------------


class _Cursor:
    """Bounds-checked reads from the batch field."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise _RowError("row runs past the end of the batch field")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def unpack(self, layout: struct.Struct) -> tuple[Any, ...]:
        return layout.unpack(self.take(layout.size))

    def byte(self) -> int:
        return self.take(1)[0]


def parse_batch(
    message: msg.Message, namespaces: dict[str, Namespace], max_requests: int = 0
) -> Batch | int:
    """Parse the rows of a batch, or return the result code refusing it."""
    field = message.fields.get(msg.FIELD_BATCH)
    if field is None:
        field = message.fields.get(msg.FIELD_BATCH_WITH_SET)
    if field is None or len(field) < 5:
        return errors.ERR_PARAMETER
    count = _U32.unpack_from(field)[0]
    if count == 0:
        return errors.ERR_PARAMETER
    if max_requests and count > max_requests:
        return errors.ERR_BATCH_MAX_REQUESTS
    cursor = _Cursor(field, 5)
    rows: list[Row] = []
    previous: msg.Message | None = None
    try:
        while len(rows) < count:
            row = _parse_row(cursor, message, namespaces, previous)
            rows.append(row)
            previous = row.message
    except _RowError:
        # batch.c: a row that cannot be parsed ends the batch; the rows
        # before it still run, and the trailer carries a parameter error.
        return Batch(field[4], rows, errors.ERR_PARAMETER)
    return Batch(field[4], rows, errors.OK)


def _parse_row(
    cursor: _Cursor,
    parent: msg.Message,
    namespaces: dict[str, Namespace],
    previous: msg.Message | None,
) -> Row:
    index, digest, flags = cursor.unpack(_ROW_START)
    if flags & ROW_REPEAT:
        if previous is None:
            raise _RowError("REPEAT on the first row")
        if msg.FIELD_KEY in previous.fields:
            raise _RowError("REPEAT of a row that sent its key")
        fields = {**previous.fields, msg.FIELD_DIGEST: digest}
        return Row(index, previous._replace(fields=fields))
    return Row(index, _full_row(cursor, parent, namespaces, flags, digest))


def _full_row(
    cursor: _Cursor,
    parent: msg.Message,
    namespaces: dict[str, Namespace],
    flags: int,
    digest: bytes,
) -> msg.Message:
    info1 = cursor.byte() & ~_INFO1_CLEARED
    if flags & ROW_INFO:
        info2, info3 = cursor.byte(), cursor.byte()
    else:
        # Legacy rows: no write flags; SC read mode comes from the parent.
        info2, info3 = 0, parent.info3 & _SC_READ_BITS
    info4 = cursor.byte() if flags & ROW_INFO4 else 0
    generation = cursor.unpack(_U16)[0] if flags & ROW_GENERATION else 0
    record_ttl = cursor.unpack(_U32)[0] if flags & ROW_TTL else 0
    n_fields = cursor.unpack(_U16)[0] or 1  # old clients sent 0 (batch.c)
    n_ops = cursor.unpack(_U16)[0]

    # The first field is the namespace, whatever its type byte says.
    ns_name = _read_field(cursor)[1]
    if ns_name.decode(errors="replace") not in namespaces:
        raise _RowError("unknown namespace")
    fields: dict[int, bytes] = {msg.FIELD_NAMESPACE: ns_name}
    for _ in range(n_fields - 1):
        field_type, data = _read_field(cursor)
        fields.setdefault(field_type, data)
    fields[msg.FIELD_DIGEST] = digest
    parent_filter = parent.fields.get(msg.FIELD_FILTER_EXP)
    if parent_filter is not None:
        # The batch's filter applies to rows that carry none of their own.
        fields.setdefault(msg.FIELD_FILTER_EXP, parent_filter)
    ops = [_read_op(cursor) for _ in range(n_ops)]
    return msg.Message(
        info1,
        info2,
        info3,
        info4,
        0,
        generation,
        record_ttl,
        parent.transaction_ttl,
        fields,
        ops,
    )


def _read_field(cursor: _Cursor) -> tuple[int, bytes]:
    size, field_type = cursor.unpack(_FIELD)
    if size < 1:
        raise _RowError("field of size 0")
    return field_type, cursor.take(size - 1)


def _read_op(cursor: _Cursor) -> msg.Op:
    size, op_type, particle_type, _flags, name_len = cursor.unpack(_OP)
    if size < 4 + name_len:
        raise _RowError("op shorter than its bin name")
    try:
        name = cursor.take(name_len).decode()
    except UnicodeDecodeError:
        raise _RowError("bin name is not UTF-8") from None
    return msg.Op(op_type, particle_type, name, cursor.take(size - 4 - name_len))


# -- running ------------------------------------------------------------------


# Checks run before each row (the security module installs one): a
# non-zero result code answers the row alone, as the server refuses a row
# its user may not run while the other rows go ahead.
RowGuard = Callable[[Row], int]
row_guards: list[RowGuard] = []


def run_row(row: Row, namespaces: dict[str, Namespace]) -> tuple[int, bytes]:
    """Run one row; return its result code and its reply, index included."""
    for guard in row_guards:
        code = guard(row)
        if code:
            body = msg.encode_message(
                result_code=code, transaction_ttl=row.batch_index, framed=False
            )
            return code, body
    framed = commands.handle_single(row.message, namespaces)
    reply, _ = msg.decode_message(framed, msg.PROTO_HEADER_SIZE)
    body = msg.encode_message(
        result_code=reply.result_code,
        generation=reply.generation,
        record_ttl=reply.record_ttl,
        transaction_ttl=row.batch_index,
        fields=list(reply.fields.items()),
        ops=reply.ops,
        framed=False,
    )
    return reply.result_code, body


def _frame(body: bytes | bytearray) -> bytes:
    return msg.proto_header(msg.MSG_AS, len(body)) + body


def trailer(result: int) -> bytes:
    """The LAST message that ends a batch stream, or refuses a batch."""
    return msg.encode_message(info3=msg.INFO3_LAST, result_code=result)


async def stream_replies(node: ServerNode, batch: Batch) -> AsyncIterator[bytes]:
    """Yield the reply frames of a parsed batch, then the trailer.

    Every row runs, even after an error stopped the replies: the real server
    queues all rows before any answer, and only drops the buffers that were
    not sent yet (batch.c ``as_batch_send_response``).
    """
    cluster = node.cluster
    report_all = bool(batch.parent_flags & REPORT_ALL_ERRORS)
    report_error_rec = bool(batch.parent_flags & REPORT_ERROR_REC)
    pending = bytearray()
    result = errors.OK
    for row in batch.rows:
        _count_misroute(node, row.message)
        with cluster.lock:
            code, body = run_row(row, cluster.namespaces)
        if result:
            continue
        pending += body
        if not report_all and code not in _ALWAYS_REPORTED:
            result = code
            if report_error_rec:
                yield _frame(pending)
            pending = bytearray()
        elif len(pending) >= BLOCK_SIZE:
            yield _frame(pending)
            pending = bytearray()
    if batch.parse_error:
        # The buffer still being filled when parsing failed is never sent.
        result = batch.parse_error
    elif pending:
        yield _frame(pending)
    yield trailer(result)


def _count_misroute(node: ServerNode, row: msg.Message) -> None:
    """Count a row for a partition this node does not hold.

    A real node proxies such a row to its owner; the embedded cluster
    shares its data and serves it, counting it so misrouting shows.
    """
    pid = partition_id(row.fields[msg.FIELD_DIGEST])
    if not node.cluster.owns(node, pid, write=bool(row.info2 & msg.INFO2_WRITE)):
        node.stats["proxied"] += 1


def handle_batch(node: ServerNode, message: msg.Message) -> Reply:
    """Answer a batch AS_MSG: a refusal, or a stream of row replies."""
    cluster = node.cluster
    parsed = parse_batch(message, cluster.namespaces, _max_requests.get(cluster, 0))
    if isinstance(parsed, int):
        return trailer(parsed)
    return stream_replies(node, parsed)


multi_handlers["batch"] = handle_batch
