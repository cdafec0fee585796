"""AS_MSG: the data command and its reply (PROTOCOL.md sections 1, 3, 6).

A frame is an 8-byte proto header followed by a body. An AS_MSG body is a
22-byte header, then fields (type + bytes), then ops (op type, particle
type, bin name, value). The same layout serves requests and replies, and
batch, scan and query streams are runs of AS_MSGs inside a frame body.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, NamedTuple

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire import particle

# -- proto header ------------------------------------------------------------

PROTO_VERSION = 2
PROTO_HEADER_SIZE = 8
MAX_PROTO_SIZE = 128 * 1024 * 1024

MSG_INFO = 1
MSG_ADMIN = 2
MSG_AS = 3
MSG_COMPRESSED = 4

_PROTO = struct.Struct(">Q")
_SIZE_MASK = (1 << 48) - 1


def proto_header(msg_type: int, size: int) -> bytes:
    """Return the 8-byte header of a frame whose body is ``size`` bytes."""
    return _PROTO.pack((PROTO_VERSION << 56) | (msg_type << 48) | size)


def parse_proto_header(data: bytes | bytearray | memoryview) -> tuple[int, int, int]:
    """Return ``(version, type, body size)`` of an 8-byte proto header."""
    word: int = _PROTO.unpack_from(data)[0]
    return word >> 56, (word >> 48) & 0xFF, word & _SIZE_MASK


_COMPRESSED_SIZE = struct.Struct(">Q")


def decompress_frame(body: bytes | memoryview) -> tuple[int, bytes]:
    """Inflate the body of a type-4 frame into ``(type, body)``.

    The body starts with the inflated size; inflation stops there, so a
    frame cannot inflate past what it declares (or past MAX_PROTO_SIZE).
    """
    if len(body) < 8:
        raise MessageError("compressed frame shorter than its size field")
    declared = _COMPRESSED_SIZE.unpack_from(body)[0]
    if declared > MAX_PROTO_SIZE + PROTO_HEADER_SIZE:
        raise MessageError(f"compressed frame declares {declared} bytes inflated")
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(bytes(body[8:]), declared + 1)
    except zlib.error as exc:
        raise MessageError(f"compressed frame does not inflate: {exc}") from None
    if len(inflated) != declared or inflater.unconsumed_tail:
        raise MessageError(
            f"compressed frame inflates to more or less than its {declared} bytes"
        )
    if declared < PROTO_HEADER_SIZE:
        raise MessageError("compressed frame holds no proto header")
    _, msg_type, size = parse_proto_header(inflated)
    return msg_type, inflated[PROTO_HEADER_SIZE : PROTO_HEADER_SIZE + size]


# -- AS_MSG header -----------------------------------------------------------

HEADER_SIZE = 22
_HEADER = struct.Struct(">BBBBBBIIIHH")

# info1
INFO1_READ = 0x01
INFO1_GET_ALL = 0x02
INFO1_SHORT_QUERY = 0x04
INFO1_BATCH = 0x08
INFO1_XDR = 0x10
INFO1_GET_NO_BINS = 0x20
INFO1_READ_MODE_AP_ALL = 0x40
INFO1_COMPRESS_RESPONSE = 0x80

# info2
INFO2_WRITE = 0x01
INFO2_DELETE = 0x02
INFO2_GENERATION = 0x04
INFO2_GENERATION_GT = 0x08
INFO2_DURABLE_DELETE = 0x10
INFO2_CREATE_ONLY = 0x20
INFO2_RELAX_AP_LONG_QUERY = 0x40
INFO2_RESPOND_ALL_OPS = 0x80

# info3
INFO3_LAST = 0x01
INFO3_COMMIT_MASTER = 0x02
INFO3_PARTITION_DONE = 0x04
INFO3_UPDATE_ONLY = 0x08
INFO3_CREATE_OR_REPLACE = 0x10
INFO3_REPLACE_ONLY = 0x20
INFO3_SC_READ_TYPE = 0x40
INFO3_SC_READ_RELAX = 0x80

# -- fields -------------------------------------------------------------------

FIELD_NAMESPACE = 0
FIELD_SET = 1
FIELD_KEY = 2
FIELD_RECORD_VERSION = 3
FIELD_DIGEST = 4
FIELD_TXN_ID = 5
FIELD_TXN_DEADLINE = 6
FIELD_TRID = 7
FIELD_SOCKET_TIMEOUT = 9
FIELD_RECORDS_PER_SECOND = 10
FIELD_PID_ARRAY = 11
FIELD_DIGEST_ARRAY = 12
FIELD_MAX_RECORDS = 13
FIELD_LUT = 14
FIELD_BVAL_ARRAY = 15
FIELD_INDEX_NAME = 21
FIELD_INDEX_RANGE = 22
FIELD_INDEX_CONTEXT = 23
FIELD_INDEX_EXPRESSION = 24
FIELD_INDEX_TYPE = 26
FIELD_UDF_FILENAME = 30
FIELD_UDF_FUNCTION = 31
FIELD_UDF_ARGLIST = 32
FIELD_UDF_OP = 33
FIELD_QUERY_BINLIST = 40
FIELD_BATCH = 41
FIELD_BATCH_WITH_SET = 42
FIELD_FILTER_EXP = 43

_FIELD_HEADER = struct.Struct(">IB")

# -- ops ----------------------------------------------------------------------

OP_READ = 1
OP_WRITE = 2
OP_CDT_READ = 3
OP_CDT_MODIFY = 4
OP_INCR = 5
OP_EXP_READ = 7
OP_EXP_MODIFY = 8
OP_APPEND = 9
OP_PREPEND = 10
OP_TOUCH = 11
OP_BITS_READ = 12
OP_BITS_MODIFY = 13
OP_DELETE = 14
OP_HLL_READ = 15
OP_HLL_MODIFY = 16

READ_OPS = frozenset({OP_READ, OP_CDT_READ, OP_EXP_READ, OP_BITS_READ, OP_HLL_READ})

_OP_HEADER = struct.Struct(">IBBBB")
MAX_BIN_NAME = 15


class Op(NamedTuple):
    """One operation of a request, or one bin of a reply."""

    op_type: int
    particle_type: int
    name: str
    value: bytes


class Message(NamedTuple):
    """A decoded AS_MSG."""

    info1: int
    info2: int
    info3: int
    info4: int
    result_code: int
    generation: int
    record_ttl: int
    transaction_ttl: int
    fields: dict[int, bytes]
    ops: list[Op]


class MessageError(ValueError):
    """Bytes that do not form a valid AS_MSG."""


def encode_message(
    *,
    info1: int = 0,
    info2: int = 0,
    info3: int = 0,
    info4: int = 0,
    result_code: int = 0,
    generation: int = 0,
    record_ttl: int = 0,
    transaction_ttl: int = 0,
    fields: list[tuple[int, bytes]] | tuple[tuple[int, bytes], ...] = (),
    ops: list[Op] | tuple[Op, ...] = (),
    framed: bool = True,
) -> bytes:
    """Return an AS_MSG, with its proto header unless ``framed`` is false."""
    check_counts(len(fields), len(ops))
    out = bytearray()
    if framed:
        out += b"\0" * PROTO_HEADER_SIZE
    out += _HEADER.pack(
        HEADER_SIZE,
        info1,
        info2,
        info3,
        info4,
        result_code,
        generation & 0xFFFFFFFF,
        record_ttl & 0xFFFFFFFF,
        transaction_ttl & 0xFFFFFFFF,
        len(fields),
        len(ops),
    )
    for field_type, data in fields:
        out += _FIELD_HEADER.pack(len(data) + 1, field_type)
        out += data
    for op in ops:
        name = op.name.encode()
        out += _OP_HEADER.pack(
            4 + len(name) + len(op.value), op.op_type, op.particle_type, 0, len(name)
        )
        out += name
        out += op.value
    if framed:
        out[:PROTO_HEADER_SIZE] = proto_header(MSG_AS, len(out) - PROTO_HEADER_SIZE)
    return bytes(out)


MAX_COUNT = 0xFFFF


def check_counts(n_fields: int, n_ops: int) -> None:
    """Refuse more fields or ops than the 16-bit counts of a message carry."""
    if n_ops > MAX_COUNT:
        raise InvalidArgError(
            f"{n_ops} bins or operations in one command; a message carries "
            f"at most {MAX_COUNT}"
        )
    if n_fields > MAX_COUNT:
        raise InvalidArgError(
            f"{n_fields} fields in one command; a message carries at most {MAX_COUNT}"
        )


def decode_message(data: bytes | memoryview, pos: int = 0) -> tuple[Message, int]:
    """Decode the AS_MSG at ``data[pos:]``; return it and the end offset."""
    if type(data) is not bytes:
        data = bytes(data)
    end = len(data)
    if end - pos < HEADER_SIZE:
        raise MessageError("AS_MSG shorter than its 22-byte header")
    header = _unpack_header(data, pos)
    if header[0] != HEADER_SIZE:
        raise MessageError(f"AS_MSG header size is {header[0]}, expected 22")
    pos += HEADER_SIZE
    fields: dict[int, bytes] = {}
    for _ in range(header[9]):
        if end - pos < 5:
            raise MessageError("field header runs past the end of the message")
        size, field_type = _unpack_field_header(data, pos)
        stop = pos + 4 + size
        if size < 1 or stop > end:
            raise MessageError(f"field {field_type} runs past the end of the message")
        fields[field_type] = data[pos + 5 : stop]
        pos = stop
    ops: list[Op] = []
    for _ in range(header[10]):
        if end - pos < 8:
            raise MessageError("op header runs past the end of the message")
        size, op_type, ptype, _flags, name_len = _unpack_op_header(data, pos)
        stop = pos + 4 + size
        name_end = pos + 8 + name_len
        if size < 4 + name_len or stop > end:
            raise MessageError("op runs past the end of the message")
        try:
            name = data[pos + 8 : name_end].decode()
        except UnicodeDecodeError as exc:
            raise MessageError("bin name is not valid UTF-8") from exc
        ops.append(_new_op(Op, (op_type, ptype, name, data[name_end:stop])))
        pos = stop
    message = _new_message(Message, (*header[1:9], fields, ops))
    return message, pos


_unpack_header = _HEADER.unpack_from
_unpack_field_header = _FIELD_HEADER.unpack_from
_unpack_op_header = _OP_HEADER.unpack_from
_new_op = tuple.__new__
_new_message = tuple.__new__


def read_op(name: str) -> Op:
    """Return the op that reads one bin."""
    return Op(OP_READ, particle.NULL, name, b"")


def value_op(op_type: int, name: str, value: Any) -> Op:
    """Return an op that carries a bin value (write, incr, append...)."""
    ptype, data = particle.encode(value)
    return Op(op_type, ptype, name, data)


def decode_bins(ops: list[Op]) -> dict[str, Any]:
    """Return the bins of a reply; a repeated name keeps its last value."""
    return {op.name: particle.decode(op.particle_type, op.value) for op in ops}
