"""Bit operations on blob bins: op types 12 (BITS_READ) and 13 (BITS_MODIFY).

An op carries the msgpack list ``[op_code, args...]`` (PROTOCOL.md 10.1).
The rules are the real server's (as/src/base/particle_blob.c): every op
code has a definition - its argument parsers, the write flags it accepts,
and how it is applied - and an op runs in four steps:

1. parse the arguments: anything malformed or out of range is result 4;
2. check the bin: a modify of a live bin with CREATE_ONLY is 6, of a
   non-blob bin 12; a missing bin may only be created by INSERT or RESIZE
   (otherwise 17), never with UPDATE_ONLY;
3. locate the bytes the op touches, refusing a range outside the blob
   (26 for bit ranges, 4 for byte ranges), or skipping the op silently
   with NO_FAIL;
4. apply it.

Offsets and sizes are in bits (bytes where the name says so); a negative
offset counts from the end of the blob. A bit range is handled as one
Python integer, most significant bit first, so that an op is a shift and
a mask.

:func:`bits_read` and :func:`bits_modify` take the bin value and the
decoded payload, so that expressions reuse them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aerospike_py.server import errors, ops
from aerospike_py.server.errors import Failure
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle
from aerospike_py.wire.packer import Unpacker, UnpackError

# Result codes errors.py has no name for (as/include/base/proto.h).
ERR_BIN_EXISTS = 6
ERR_BIN_NOT_FOUND = 17

PROTO_SIZE_MAX = 128 * 1024 * 1024  # as/include/base/proto.h
UINT64_MASK = (1 << 64) - 1

# Op codes (as_bits_op_type in proto.h).
RESIZE = 0
INSERT = 1
REMOVE = 2
SET = 3
OR = 4
XOR = 5
AND = 6
NOT = 7
LSHIFT = 8
RSHIFT = 9
ADD = 10
SUBTRACT = 11
SET_INT = 12
GET = 50
COUNT = 51
LSCAN = 52
RSCAN = 53
GET_INT = 54

# Write flags (as_bits_flags).
CREATE_ONLY = 1
UPDATE_ONLY = 2
NO_FAIL = 4
PARTIAL = 8

# Resize sub-flags (as_bits_resize_subflags).
FROM_FRONT = 1
GROW_ONLY = 2
SHRINK_ONLY = 4

# Integer sub-flags (as_bits_int_flags); no overflow flag means FAIL.
SIGNED = 1
SATURATE = 2
WRAP = 4


class BitsOp:
    """The parsed arguments of one bit op (``bits_op`` in the server)."""

    __slots__ = ("buf", "flags", "offset", "size", "subflags", "value")

    def __init__(self) -> None:
        self.offset = 0  # in bits; after locating: the bit within its byte
        self.size = 0  # in bits
        self.value = 0  # unsigned 64-bit integer argument
        self.buf = b""
        self.subflags = 0
        self.flags = 0


class Window:
    """``size`` bits starting ``start`` bits into ``region`` (whole bytes)."""

    __slots__ = ("mask", "region", "shift", "size", "start", "whole")

    def __init__(self, region: bytes, start: int, size: int) -> None:
        self.region = region
        self.start = start
        self.size = size
        self.whole = int.from_bytes(region, "big")
        self.shift = len(region) * 8 - start - size
        self.mask = (1 << size) - 1

    def bits(self) -> int:
        return (self.whole >> self.shift) & self.mask

    def replaced(self, bits: int) -> bytes:
        kept = self.whole & ~(self.mask << self.shift)
        whole = kept | ((bits & self.mask) << self.shift)
        return whole.to_bytes(len(self.region), "big")


class Inapplicable(Exception):
    """An integer overflow: result 26, or no change with NO_FAIL."""


# -- argument parsing (bits_parse_* in particle_blob.c) -----------------------

Parser = Callable[["OpDef", BitsOp, Any], None]


def _bad(spec: OpDef, why: str) -> Failure:
    return Failure(errors.ERR_PARAMETER, f"{spec.name}: {why}")


def _int(spec: OpDef, arg: Any, what: str) -> int:
    # msgpack booleans are not integers to the server's parser.
    if type(arg) is not int:
        raise _bad(spec, f"{what} must be an integer, not {type(arg).__name__}")
    return arg


def _uint64(spec: OpDef, arg: Any, what: str) -> int:
    # msgpack_get_uint64 reads negative integers as their two's complement.
    return _int(spec, arg, what) & UINT64_MASK


def _int64(spec: OpDef, arg: Any, what: str) -> int:
    value = _uint64(spec, arg, what)
    return value - (1 << 64) if value >> 63 else value


def _parse_offset(spec: OpDef, op: BitsOp, arg: Any) -> None:
    offset = _int64(spec, arg, "bit offset")
    if abs(offset) > PROTO_SIZE_MAX * 8:
        raise _bad(spec, f"bit offset {offset} is beyond the largest blob")
    op.offset = offset


def _parse_byte_offset(spec: OpDef, op: BitsOp, arg: Any) -> None:
    offset = _int64(spec, arg, "byte offset")
    if abs(offset) > PROTO_SIZE_MAX:
        raise _bad(spec, f"byte offset {offset} is beyond the largest blob")
    op.offset = offset * 8


def _parse_size(spec: OpDef, op: BitsOp, arg: Any) -> None:
    size = _uint64(spec, arg, "bit size")
    if size == 0 or size > PROTO_SIZE_MAX * 8:
        raise _bad(spec, f"bit size {size} is out of range")
    op.size = size


def _parse_integer_size(spec: OpDef, op: BitsOp, arg: Any) -> None:
    size = _uint64(spec, arg, "bit size")
    if size == 0 or size > 64:
        raise _bad(spec, f"integer bit size {size} is not within 1-64")
    op.size = size


def _parse_byte_size(spec: OpDef, op: BitsOp, arg: Any) -> None:
    size = _uint64(spec, arg, "byte size")
    if size == 0 or size > PROTO_SIZE_MAX:
        raise _bad(spec, f"byte size {size} is out of range")
    op.size = size * 8


def _parse_byte_size_allow_zero(spec: OpDef, op: BitsOp, arg: Any) -> None:
    size = _uint64(spec, arg, "byte size")
    if size > PROTO_SIZE_MAX:
        raise _bad(spec, f"byte size {size} is out of range")
    op.size = size * 8


def _parse_boolean_value(spec: OpDef, op: BitsOp, arg: Any) -> None:
    if type(arg) is not bool:
        raise _bad(spec, f"value must be a boolean, not {type(arg).__name__}")
    op.value = int(arg)


def _parse_integer_value(spec: OpDef, op: BitsOp, arg: Any) -> None:
    op.value = _uint64(spec, arg, "value")


def _parse_n_bits_value(spec: OpDef, op: BitsOp, arg: Any) -> None:
    _parse_integer_value(spec, op, arg)
    if op.value > PROTO_SIZE_MAX * 8:
        raise _bad(spec, f"shift of {op.value} bits is out of range")


def _parse_buf(spec: OpDef, op: BitsOp, arg: Any) -> None:
    # The server reads any msgpack string or bin and skips its type byte.
    if isinstance(arg, str):
        arg = arg.encode()
    if not isinstance(arg, (bytes, bytearray)) or not arg:
        raise _bad(spec, "value must be a non-empty byte string")
    size = len(arg) * 8
    if op.size == 0:
        op.size = size
    elif size < op.size:
        raise _bad(spec, f"value has {size} bits, fewer than the {op.size} to use")
    op.buf = bytes(arg)


def _parse_flags(spec: OpDef, op: BitsOp, arg: Any) -> None:
    flags = _uint64(spec, arg, "write flags")
    if flags & ~spec.allowed_flags:
        raise _bad(spec, f"write flags 0x{flags:x} are not allowed")
    if flags & CREATE_ONLY and flags & UPDATE_ONLY:
        raise _bad(spec, "CREATE_ONLY and UPDATE_ONLY exclude each other")
    op.flags = flags


def _parse_resize_subflags(spec: OpDef, op: BitsOp, arg: Any) -> None:
    subflags = _uint64(spec, arg, "resize flags")
    if subflags & ~(FROM_FRONT | GROW_ONLY | SHRINK_ONLY):
        raise _bad(spec, f"resize flags 0x{subflags:x} are unknown")
    if subflags & GROW_ONLY and subflags & SHRINK_ONLY:
        raise _bad(spec, "GROW_ONLY and SHRINK_ONLY exclude each other")
    op.subflags = subflags


def _parse_arithmetic_subflags(spec: OpDef, op: BitsOp, arg: Any) -> None:
    subflags = _uint64(spec, arg, "overflow flags")
    if subflags & ~(SIGNED | SATURATE | WRAP):
        raise _bad(spec, f"overflow flags 0x{subflags:x} are unknown")
    if subflags & SATURATE and subflags & WRAP:
        raise _bad(spec, "SATURATE and WRAP exclude each other")
    op.subflags = subflags


def _parse_get_integer_subflags(spec: OpDef, op: BitsOp, arg: Any) -> None:
    subflags = _uint64(spec, arg, "integer flags")
    if subflags & ~SIGNED:
        raise _bad(spec, f"integer flags 0x{subflags:x} are unknown")
    op.subflags = subflags


# -- bit-range transforms (bits_modify_op_* in particle_blob.c) ---------------

# A transform gets the bits of the range, its size and the op, and returns
# the new bits (masked by the caller); it raises Inapplicable on overflow.
Transform = Callable[[int, int, BitsOp], int]


def _buf_bits(op: BitsOp, size: int) -> int:
    """The first ``size`` bits of the op's byte string."""
    return int.from_bytes(op.buf, "big") >> (len(op.buf) * 8 - size)


def _set(bits: int, size: int, op: BitsOp) -> int:
    return _buf_bits(op, size)


def _or(bits: int, size: int, op: BitsOp) -> int:
    return bits | _buf_bits(op, size)


def _xor(bits: int, size: int, op: BitsOp) -> int:
    return bits ^ _buf_bits(op, size)


def _and(bits: int, size: int, op: BitsOp) -> int:
    return bits & _buf_bits(op, size)


def _not(bits: int, size: int, op: BitsOp) -> int:
    return ~bits


def _lshift(bits: int, size: int, op: BitsOp) -> int:
    return 0 if op.value >= size else bits << op.value


def _rshift(bits: int, size: int, op: BitsOp) -> int:
    return 0 if op.value >= size else bits >> op.value


def _sign_extend(value: int, size: int) -> int:
    value &= (1 << size) - 1
    return value - (1 << size) if value >> (size - 1) else value


def _signed_overflow(size: int, op: BitsOp, load: int, value: int, result: int) -> int:
    """``handle_signed_overflow``: the result, saturated, or Inapplicable.

    As on the server, only a positive result of two negative operands (or
    the reverse) counts as overflow: -128 + -128 in 8 bits gives 0.
    """
    s_result = _sign_extend(result, size)
    s_load = _sign_extend(load, size)
    s_value = _sign_extend(value, size)
    if s_load < 0 and s_value < 0 and s_result > 0:
        if not op.subflags & SATURATE:
            raise Inapplicable
        return 1 << (size - 1)  # the most negative value
    if s_load > 0 and s_value > 0 and s_result < 0:
        if not op.subflags & SATURATE:
            raise Inapplicable
        return (1 << (size - 1)) - 1  # the most positive value
    return result


def _add(bits: int, size: int, op: BitsOp) -> int:
    mask = (1 << size) - 1
    value = op.value & mask
    result = (bits + value) & mask
    if op.subflags & WRAP:
        return result
    if op.subflags & SIGNED:
        return _signed_overflow(size, op, bits, value, result)
    if result < bits:
        if not op.subflags & SATURATE:
            raise Inapplicable
        return mask
    return result


def _subtract(bits: int, size: int, op: BitsOp) -> int:
    mask = (1 << size) - 1
    value = op.value & mask
    result = (bits - value) & mask
    if op.subflags & WRAP:
        return result
    if op.subflags & SIGNED:
        negated = -value & UINT64_MASK
        return _signed_overflow(size, op, bits, negated, result)
    if result > bits:
        if not op.subflags & SATURATE:
            raise Inapplicable
        return 0
    return result


def _set_int(bits: int, size: int, op: BitsOp) -> int:
    return op.value


# -- reads (bits_read_op_* in particle_blob.c) --------------------------------

Reader = Callable[[Window, BitsOp], Any]


def _get(window: Window, op: BitsOp) -> bytes:
    n_bytes = (window.size + 7) // 8
    padded = window.bits() << (n_bytes * 8 - window.size)
    return padded.to_bytes(n_bytes, "big")


def _count(window: Window, op: BitsOp) -> int:
    return window.bits().bit_count()


def _lscan(window: Window, op: BitsOp) -> int:
    bits = window.bits() if op.value else ~window.bits() & window.mask
    if not bits:
        return -1
    return window.size - bits.bit_length()


def _rscan(window: Window, op: BitsOp) -> int:
    # The server masks only the end of the range before scanning back to
    # the first byte, so a matching bit in front of the range, in that
    # byte, is reported at a negative position (bits_read_op_rscan).
    lead = window.start
    span = Window(window.region, 0, lead + window.size)
    bits = span.bits() if op.value else ~span.bits() & span.mask
    if not bits:
        return -1
    lowest = (bits & -bits).bit_length() - 1
    return span.size - 1 - lowest - lead


def _get_int(window: Window, op: BitsOp) -> int:
    if op.subflags & SIGNED:
        return _sign_extend(window.bits(), window.size)
    # The result is a 64-bit integer bin: 64 unsigned bits may read negative.
    return _sign_extend(window.bits(), 64)


# -- locating and applying (bits_prepare_* in particle_blob.c) ----------------

# An applier gets the op, the old blob and the byte offset of the op, and
# returns the new blob, or None when the op changes nothing.
Applier = Callable[[BitsOp, bytes, int], "bytes | None"]


def _skip_or_fail(op: BitsOp, code: int, why: str) -> None:
    if not op.flags & NO_FAIL:
        raise Failure(code, why)


def _op_bytes(op: BitsOp) -> int:
    """Bytes from the op's first byte to its last (``op_size``)."""
    return (op.offset + op.size + 7) // 8


def _resize(op: BitsOp, old: bytes, byte_offset: int) -> bytes | None:
    size = _op_bytes(op)
    if size < len(old):
        if op.subflags & GROW_ONLY:
            _skip_or_fail(op, errors.ERR_PARAMETER, "resize would shrink: GROW_ONLY")
            return None
        return old[len(old) - size :] if op.subflags & FROM_FRONT else old[:size]
    if size > errors.MAX_RECORD_BYTES:
        raise errors.too_big("a resized blob", size)
    if size > len(old):
        if op.subflags & SHRINK_ONLY:
            _skip_or_fail(op, errors.ERR_PARAMETER, "resize would grow: SHRINK_ONLY")
            return None
        zeros = bytes(size - len(old))
        return zeros + old if op.subflags & FROM_FRONT else old + zeros
    return None


def _insert(op: BitsOp, old: bytes, byte_offset: int) -> bytes | None:
    if max(byte_offset, len(old)) + len(op.buf) > errors.MAX_RECORD_BYTES:
        raise errors.too_big("a blob", max(byte_offset, len(old)) + len(op.buf))
    if byte_offset >= len(old):
        return old + bytes(byte_offset - len(old)) + op.buf
    return old[:byte_offset] + op.buf + old[byte_offset:]


def _remove(op: BitsOp, old: bytes, byte_offset: int) -> bytes | None:
    if byte_offset >= len(old):
        _skip_or_fail(op, errors.ERR_PARAMETER, "remove starts past the blob")
        return None
    end = byte_offset + _op_bytes(op)
    if end > len(old) and not op.flags & PARTIAL:
        _skip_or_fail(op, errors.ERR_PARAMETER, "remove runs past the blob")
        return None
    return old[:byte_offset] + old[end:]


def _modify_window(transform: Transform) -> Applier:
    """SET, OR, XOR, AND, NOT and the shifts: rewrite a range in place."""

    def apply(op: BitsOp, old: bytes, byte_offset: int) -> bytes | None:
        if byte_offset >= len(old):
            _skip_or_fail(op, errors.ERR_OP_NOT_APPLICABLE, "range past the blob")
            return None
        end = byte_offset + _op_bytes(op)
        if end > len(old):
            if not op.flags & PARTIAL:
                _skip_or_fail(
                    op, errors.ERR_OP_NOT_APPLICABLE, "range runs past the blob"
                )
                return None
            # PARTIAL cuts the range at the end of the blob.
            end = len(old)
            op.size = (end - byte_offset) * 8 - op.offset
        return _rewrite(transform, op, old, byte_offset, end)

    return apply


def _modify_integer(transform: Transform) -> Applier:
    """ADD, SUBTRACT and SET_INT: ranges must lie within the blob."""

    def apply(op: BitsOp, old: bytes, byte_offset: int) -> bytes | None:
        if not _range_fits(op, old, byte_offset):
            return None
        end = byte_offset + _op_bytes(op)
        return _rewrite(transform, op, old, byte_offset, end)

    return apply


def _range_fits(op: BitsOp, old: bytes, byte_offset: int) -> bool:
    """``bits_prepare_read_op``: the whole range must lie within the blob."""
    if byte_offset >= len(old):
        _skip_or_fail(op, errors.ERR_OP_NOT_APPLICABLE, "range past the blob")
        return False
    if byte_offset + _op_bytes(op) > len(old):
        _skip_or_fail(op, errors.ERR_OP_NOT_APPLICABLE, "range runs past the blob")
        return False
    return True


def _rewrite(
    transform: Transform, op: BitsOp, old: bytes, byte_offset: int, end: int
) -> bytes | None:
    window = Window(old[byte_offset:end], op.offset, op.size)
    try:
        bits = transform(window.bits(), op.size, op)
    except Inapplicable:
        _skip_or_fail(op, errors.ERR_OP_NOT_APPLICABLE, "integer overflow")
        return None
    return old[:byte_offset] + window.replaced(bits) + old[end:]


# -- the op tables ------------------------------------------------------------


class OpDef:
    """What every op code has: a name, its argument parsers, its flags."""

    __slots__ = ("allowed_flags", "max_args", "min_args", "name", "parsers")

    def __init__(
        self,
        name: str,
        allowed_flags: int,
        min_args: int,
        parsers: Sequence[Parser],
    ) -> None:
        self.name = name
        self.allowed_flags = allowed_flags
        self.min_args = min_args
        self.max_args = len(parsers)
        self.parsers = parsers


class ModifyDef(OpDef):
    """A modify op code; only INSERT and RESIZE may create a missing bin."""

    __slots__ = ("apply", "creates")

    def __init__(
        self,
        name: str,
        apply: Applier,
        allowed_flags: int,
        min_args: int,
        parsers: Sequence[Parser],
        *,
        creates: bool = False,
    ) -> None:
        super().__init__(name, allowed_flags, min_args, parsers)
        self.apply = apply
        self.creates = creates


class ReadDef(OpDef):
    """A read op code; reads take no write flags."""

    __slots__ = ("read",)

    def __init__(
        self, name: str, read: Reader, min_args: int, parsers: Sequence[Parser]
    ) -> None:
        super().__init__(name, 0, min_args, parsers)
        self.read = read


_CREATE = CREATE_ONLY | UPDATE_ONLY | NO_FAIL
_UPDATE = UPDATE_ONLY | NO_FAIL | PARTIAL
_INTEGER = UPDATE_ONLY | NO_FAIL
_RANGE = (_parse_offset, _parse_size)
_BUF_RANGE = (*_RANGE, _parse_buf, _parse_flags)
_SHIFT = (*_RANGE, _parse_n_bits_value, _parse_flags)
_NOT = (*_RANGE, _parse_flags)
_SCAN = (*_RANGE, _parse_boolean_value)
_INT_RANGE = (_parse_offset, _parse_integer_size, _parse_integer_value, _parse_flags)
_MATH = (*_INT_RANGE, _parse_arithmetic_subflags)

MODIFY_OPS: dict[int, ModifyDef] = {
    RESIZE: ModifyDef(
        "bit_resize",
        _resize,
        _CREATE,
        1,
        (_parse_byte_size_allow_zero, _parse_flags, _parse_resize_subflags),
        creates=True,
    ),
    INSERT: ModifyDef(
        "bit_insert",
        _insert,
        _CREATE,
        2,
        (_parse_byte_offset, _parse_buf, _parse_flags),
        creates=True,
    ),
    REMOVE: ModifyDef(
        "bit_remove",
        _remove,
        _UPDATE,
        2,
        (_parse_byte_offset, _parse_byte_size, _parse_flags),
    ),
    SET: ModifyDef("bit_set", _modify_window(_set), _UPDATE, 3, _BUF_RANGE),
    OR: ModifyDef("bit_or", _modify_window(_or), _UPDATE, 3, _BUF_RANGE),
    XOR: ModifyDef("bit_xor", _modify_window(_xor), _UPDATE, 3, _BUF_RANGE),
    AND: ModifyDef("bit_and", _modify_window(_and), _UPDATE, 3, _BUF_RANGE),
    NOT: ModifyDef("bit_not", _modify_window(_not), _UPDATE, 2, _NOT),
    LSHIFT: ModifyDef("bit_lshift", _modify_window(_lshift), _UPDATE, 3, _SHIFT),
    RSHIFT: ModifyDef("bit_rshift", _modify_window(_rshift), _UPDATE, 3, _SHIFT),
    ADD: ModifyDef("bit_add", _modify_integer(_add), _INTEGER, 3, _MATH),
    SUBTRACT: ModifyDef("bit_subtract", _modify_integer(_subtract), _INTEGER, 3, _MATH),
    SET_INT: ModifyDef(
        "bit_set_int", _modify_integer(_set_int), _INTEGER, 3, _INT_RANGE
    ),
}

READ_OPS: dict[int, ReadDef] = {
    GET: ReadDef("bit_get", _get, 2, _RANGE),
    COUNT: ReadDef("bit_count", _count, 2, _RANGE),
    LSCAN: ReadDef("bit_lscan", _lscan, 3, _SCAN),
    RSCAN: ReadDef("bit_rscan", _rscan, 3, _SCAN),
    GET_INT: ReadDef(
        "bit_get_int",
        _get_int,
        2,
        (_parse_offset, _parse_integer_size, _parse_get_integer_subflags),
    ),
}

Def = TypeVar("Def", bound=OpDef)


def _lookup(payload: Any, table: dict[int, Def]) -> tuple[Def, Sequence[Any]]:
    """``bits_state_init``: the op definition and its arguments."""
    if not isinstance(payload, (list, tuple)) or not payload:
        raise Failure(errors.ERR_PARAMETER, "bit op payload must be [op, args...]")
    code = payload[0]
    spec = table.get(code) if type(code) is int else None
    if spec is None:
        kind = "modify" if table is MODIFY_OPS else "read"
        raise Failure(errors.ERR_PARAMETER, f"{code!r} is not a bit {kind} op")
    return spec, payload[1:]


def _parse(spec: OpDef, args: Sequence[Any]) -> BitsOp:
    if not spec.min_args <= len(args) <= spec.max_args:
        raise _bad(spec, f"takes {spec.min_args}-{spec.max_args} arguments")
    op = BitsOp()
    for parser, arg in zip(spec.parsers, args, strict=False):
        parser(spec, op, arg)
    return op


def _byte_offset(op: BitsOp, blob_size: int) -> int:
    """``bits_normalize_offset``: the op's first byte; keep the bit in it."""
    if op.offset < 0:
        if -op.offset > blob_size * 8:
            raise Failure(errors.ERR_PARAMETER, "negative offset before the blob")
        op.offset += blob_size * 8
    byte_offset, op.offset = divmod(op.offset, 8)
    return byte_offset


# -- entry points -------------------------------------------------------------


def bits_modify(value: Any, payload: Any) -> tuple[None, Any]:
    """Apply a bit modify op to a bin value; return (None, new value).

    ``value`` is the bin's value (None when the bin is missing); the new
    value is None when the bin stays missing. Bit modify ops yield no
    result. Raises Failure with the server's result code.
    """
    spec, args = _lookup(payload, MODIFY_OPS)
    op = _parse(spec, args)
    if value is not None:
        if op.flags & CREATE_ONLY:
            _skip_or_fail(op, ERR_BIN_EXISTS, f"{spec.name}: bin exists")
            return None, value
        if type(value) is not bytes:
            raise Failure(errors.ERR_INCOMPATIBLE_TYPE, f"{spec.name}: not a blob")
    elif not spec.creates or op.flags & UPDATE_ONLY:
        _skip_or_fail(op, ERR_BIN_NOT_FOUND, f"{spec.name}: bin not found")
        return None, None
    elif op.offset < 0:
        raise _bad(spec, "negative offset into a missing bin")
    old = value if value is not None else b""
    new = spec.apply(op, old, _byte_offset(op, len(old)))
    if new is None:
        return None, value
    if len(new) >= PROTO_SIZE_MAX:
        raise _bad(spec, f"the blob would grow to {len(new)} bytes")
    return None, new


def bits_read(value: Any, payload: Any) -> Any:
    """Return the result of a bit read op on a bin value (None if missing).

    Raises Failure with the server's result code.
    """
    if value is None:
        return None
    spec, args = _lookup(payload, READ_OPS)
    op = _parse(spec, args)
    if type(value) is not bytes:
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, f"{spec.name}: not a blob")
    byte_offset = _byte_offset(op, len(value))
    if not _range_fits(op, value, byte_offset):
        return None
    region = value[byte_offset : byte_offset + _op_bytes(op)]
    return spec.read(Window(region, op.offset, op.size), op)


# -- op handlers --------------------------------------------------------------


def _payload(op: msg.Op) -> Any:
    if op.particle_type != particle.BLOB:
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, "bit op payload must be a blob")
    try:
        return Unpacker(op.value).unpack()
    except (UnpackError, ValueError) as exc:
        raise Failure(errors.ERR_PARAMETER, f"bad bit op payload: {exc}") from None


def _read_handler(ctx: ops.OpContext, op: msg.Op) -> Any:
    result = bits_read(ctx.bins.get(op.name), _payload(op))
    return ops.NO_RESULT if result is None else result


def _modify_handler(ctx: ops.OpContext, op: msg.Op) -> Any:
    _, new = bits_modify(ctx.bins.get(op.name), _payload(op))
    if new is None:
        ctx.bins.pop(op.name, None)
    else:
        ctx.bins[op.name] = new
    return ops.NO_RESULT


ops.register(msg.OP_BITS_READ, _read_handler, modify=False)
ops.register(msg.OP_BITS_MODIFY, _modify_handler, modify=True)
