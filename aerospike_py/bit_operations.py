"""Builders of bit operations on blob (``bytes``) bins, for ``operate``.

    client.operate(key, [
        bit_operations.bit_set("flags", 0, 8, b"\\xff"),
        bit_operations.bit_count("flags", 0, 64),
    ])

Offsets and sizes are in bits unless the name says bytes; bit 0 is the
most significant bit of the first byte, and a negative offset counts from
the end of the blob. ``policy`` is an int of ``BIT_WRITE_*`` flags.

Each operation travels as op type 12 (reads) or 13 (modifies) with the
msgpack payload ``[op_code, args...]`` (PROTOCOL.md 10.1). Like the
official clients, every optional argument is sent (flags as 0), so the
bytes equal those of the official Python client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aerospike_py import _ops
from aerospike_py._cdt import cdt_payload
from aerospike_py.exception import InvalidArgError
from aerospike_py.types import Operation
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle

__all__ = [
    "Operation",
    "bit_add",
    "bit_and",
    "bit_count",
    "bit_get",
    "bit_get_int",
    "bit_insert",
    "bit_lscan",
    "bit_lshift",
    "bit_not",
    "bit_or",
    "bit_remove",
    "bit_resize",
    "bit_rscan",
    "bit_rshift",
    "bit_set",
    "bit_set_int",
    "bit_subtract",
    "bit_xor",
]

# Operation codes of the op dicts, and the server's bit op codes
# (as_bits_op_type in as/include/base/proto.h) they stand for.
OP_BIT_RESIZE = 4001
OP_BIT_INSERT = 4002
OP_BIT_REMOVE = 4003
OP_BIT_SET = 4004
OP_BIT_OR = 4005
OP_BIT_XOR = 4006
OP_BIT_AND = 4007
OP_BIT_NOT = 4008
OP_BIT_LSHIFT = 4009
OP_BIT_RSHIFT = 4010
OP_BIT_ADD = 4011
OP_BIT_SUBTRACT = 4012
OP_BIT_SET_INT = 4013
OP_BIT_GET = 4050
OP_BIT_COUNT = 4051
OP_BIT_LSCAN = 4052
OP_BIT_RSCAN = 4053
OP_BIT_GET_INT = 4054

# Integer sub-flags packed with ADD / SUBTRACT / GET_INT (as_bits_int_flags).
_SIGNED = 1
_MAX_INT_BITS = 64
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def _op(code: int, bin: str, **fields: Any) -> Operation:
    """An op dict, leaving out the optional fields that were not given."""
    op: Operation = {"op": code, "bin": bin}
    op.update((name, value) for name, value in fields.items() if value is not None)
    return op


# -- builders -----------------------------------------------------------------


def bit_resize(
    bin: str, byte_size: int, resize_flags: int = 0, policy: int | None = None
) -> Operation:
    """Resize the blob to ``byte_size`` bytes (``BIT_RESIZE_*`` flags)."""
    return _op(
        OP_BIT_RESIZE,
        bin,
        byte_size=byte_size,
        resize_flags=resize_flags,
        bit_policy=policy,
    )


def bit_insert(
    bin: str, byte_offset: int, value: bytes, policy: int | None = None
) -> Operation:
    """Insert ``value`` before the byte at ``byte_offset``."""
    return _op(
        OP_BIT_INSERT, bin, byte_offset=byte_offset, val=value, bit_policy=policy
    )


def bit_remove(
    bin: str, byte_offset: int, byte_size: int, policy: int | None = None
) -> Operation:
    """Remove ``byte_size`` bytes starting at ``byte_offset``."""
    return _op(
        OP_BIT_REMOVE,
        bin,
        byte_offset=byte_offset,
        byte_size=byte_size,
        bit_policy=policy,
    )


def bit_set(
    bin: str, bit_offset: int, bit_size: int, value: bytes, policy: int | None = None
) -> Operation:
    """Overwrite ``bit_size`` bits with the leading bits of ``value``."""
    return _range_op(OP_BIT_SET, bin, bit_offset, bit_size, value, policy)


def bit_or(
    bin: str, bit_offset: int, bit_size: int, value: bytes, policy: int | None = None
) -> Operation:
    """OR the leading ``bit_size`` bits of ``value`` into the bits."""
    return _range_op(OP_BIT_OR, bin, bit_offset, bit_size, value, policy)


def bit_xor(
    bin: str, bit_offset: int, bit_size: int, value: bytes, policy: int | None = None
) -> Operation:
    """XOR the leading ``bit_size`` bits of ``value`` into the bits."""
    return _range_op(OP_BIT_XOR, bin, bit_offset, bit_size, value, policy)


def bit_and(
    bin: str, bit_offset: int, bit_size: int, value: bytes, policy: int | None = None
) -> Operation:
    """AND the leading ``bit_size`` bits of ``value`` into the bits."""
    return _range_op(OP_BIT_AND, bin, bit_offset, bit_size, value, policy)


def _range_op(
    code: int,
    bin: str,
    bit_offset: int,
    bit_size: int,
    value: Any,
    policy: int | None,
) -> Operation:
    return _op(
        code,
        bin,
        bit_offset=bit_offset,
        bit_size=bit_size,
        val=value,
        bit_policy=policy,
    )


def bit_not(
    bin: str, bit_offset: int, bit_size: int, policy: int | None = None
) -> Operation:
    """Invert ``bit_size`` bits starting at ``bit_offset``."""
    return _op(
        OP_BIT_NOT, bin, bit_offset=bit_offset, bit_size=bit_size, bit_policy=policy
    )


def bit_lshift(
    bin: str, bit_offset: int, bit_size: int, shift: int, policy: int | None = None
) -> Operation:
    """Shift the bits left by ``shift`` within the range, filling with 0."""
    return _shift_op(OP_BIT_LSHIFT, bin, bit_offset, bit_size, shift, policy)


def bit_rshift(
    bin: str, bit_offset: int, bit_size: int, shift: int, policy: int | None = None
) -> Operation:
    """Shift the bits right by ``shift`` within the range, filling with 0."""
    return _shift_op(OP_BIT_RSHIFT, bin, bit_offset, bit_size, shift, policy)


def _shift_op(
    code: int, bin: str, bit_offset: int, bit_size: int, shift: int, policy: int | None
) -> Operation:
    return _op(
        code,
        bin,
        bit_offset=bit_offset,
        bit_size=bit_size,
        shift=shift,
        bit_policy=policy,
    )


def bit_add(
    bin: str,
    bit_offset: int,
    bit_size: int,
    value: int,
    signed: bool = False,
    action: int = 0,
    policy: int | None = None,
) -> Operation:
    """Add ``value`` to the integer in the bits (``bit_size`` <= 64).

    ``action`` (``BIT_OVERFLOW_*``) says what an overflow does: fail,
    saturate at the limit, or wrap around.
    """
    return _math_op(
        OP_BIT_ADD, bin, bit_offset, bit_size, value, signed, action, policy
    )


def bit_subtract(
    bin: str,
    bit_offset: int,
    bit_size: int,
    value: int,
    signed: bool = False,
    action: int = 0,
    policy: int | None = None,
) -> Operation:
    """Subtract ``value`` from the integer in the bits (``bit_size`` <= 64)."""
    return _math_op(
        OP_BIT_SUBTRACT, bin, bit_offset, bit_size, value, signed, action, policy
    )


def _math_op(
    code: int,
    bin: str,
    bit_offset: int,
    bit_size: int,
    value: int,
    signed: bool,
    action: int,
    policy: int | None,
) -> Operation:
    return _op(
        code,
        bin,
        bit_offset=bit_offset,
        bit_size=bit_size,
        val=value,
        signed=signed,
        action=action,
        bit_policy=policy,
    )


def bit_set_int(
    bin: str, bit_offset: int, bit_size: int, value: int, policy: int | None = None
) -> Operation:
    """Store ``value`` big-endian in ``bit_size`` bits (at most 64)."""
    return _range_op(OP_BIT_SET_INT, bin, bit_offset, bit_size, value, policy)


def bit_get(bin: str, bit_offset: int, bit_size: int) -> Operation:
    """Read ``bit_size`` bits as bytes, left-aligned and zero-padded."""
    return _op(OP_BIT_GET, bin, bit_offset=bit_offset, bit_size=bit_size)


def bit_count(bin: str, bit_offset: int, bit_size: int) -> Operation:
    """Count the bits set to 1 in the range."""
    return _op(OP_BIT_COUNT, bin, bit_offset=bit_offset, bit_size=bit_size)


def bit_lscan(bin: str, bit_offset: int, bit_size: int, value: bool) -> Operation:
    """Find the first bit equal to ``value`` from the left (-1 if none)."""
    return _op(OP_BIT_LSCAN, bin, bit_offset=bit_offset, bit_size=bit_size, val=value)


def bit_rscan(bin: str, bit_offset: int, bit_size: int, value: bool) -> Operation:
    """Find the last bit equal to ``value`` in the range (-1 if none)."""
    return _op(OP_BIT_RSCAN, bin, bit_offset=bit_offset, bit_size=bit_size, val=value)


def bit_get_int(
    bin: str, bit_offset: int, bit_size: int, signed: bool = False
) -> Operation:
    """Read ``bit_size`` bits (at most 64) as a big-endian integer."""
    return _op(
        OP_BIT_GET_INT, bin, bit_offset=bit_offset, bit_size=bit_size, signed=signed
    )


# -- encoders -----------------------------------------------------------------


def _int_arg(op: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = op.get(key)
    if value is None:
        if default is not None:
            return default
        value = _ops.required(op, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgError(
            f"bit operation on bin {op.get('bin')!r}: {key} must be an int, "
            f"not {type(value).__name__} ({value!r:.40})"
        )
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise InvalidArgError(
            f"bit operation on bin {op.get('bin')!r}: {key} {value} does not "
            "fit in a signed 64-bit integer"
        )
    return value


def _size_arg(op: Mapping[str, Any], key: str) -> int:
    size = _int_arg(op, key)
    if size < 0:
        raise InvalidArgError(
            f"bit operation on bin {op.get('bin')!r}: {key} is {size}; "
            "a size cannot be negative"
        )
    return size


def _int_size_arg(op: Mapping[str, Any]) -> int:
    size = _int_arg(op, "bit_size")
    if not 1 <= size <= _MAX_INT_BITS:
        raise InvalidArgError(
            f"integer bit operation on bin {op.get('bin')!r}: bit_size is "
            f"{size}; it must be within 1-{_MAX_INT_BITS}"
        )
    return size


def _bytes_arg(op: Mapping[str, Any]) -> bytes:
    value = _ops.required(op, "val")
    if not isinstance(value, (bytes, bytearray)):
        raise InvalidArgError(
            f"bit operation on bin {op.get('bin')!r}: value must be bytes, "
            f"not {type(value).__name__} ({value!r:.40})"
        )
    return bytes(value)


def _bool_arg(op: Mapping[str, Any], key: str, default: bool) -> bool:
    value = op.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidArgError(
            f"bit operation on bin {op.get('bin')!r}: {key} must be a bool, "
            f"not {type(value).__name__}"
        )
    return value


def _flags(op: Mapping[str, Any]) -> int:
    return _int_arg(op, "bit_policy", 0)


def _resize_args(op: Mapping[str, Any]) -> list[Any]:
    return [_size_arg(op, "byte_size"), _flags(op), _int_arg(op, "resize_flags", 0)]


def _insert_args(op: Mapping[str, Any]) -> list[Any]:
    return [_int_arg(op, "byte_offset"), _bytes_arg(op), _flags(op)]


def _remove_args(op: Mapping[str, Any]) -> list[Any]:
    return [_int_arg(op, "byte_offset"), _size_arg(op, "byte_size"), _flags(op)]


def _range_args(op: Mapping[str, Any]) -> list[Any]:
    return [_int_arg(op, "bit_offset"), _size_arg(op, "bit_size")]


def _bytes_range_args(op: Mapping[str, Any]) -> list[Any]:
    return [*_range_args(op), _bytes_arg(op), _flags(op)]


def _not_args(op: Mapping[str, Any]) -> list[Any]:
    return [*_range_args(op), _flags(op)]


def _shift_args(op: Mapping[str, Any]) -> list[Any]:
    return [*_range_args(op), _size_arg(op, "shift"), _flags(op)]


def _int_range_args(op: Mapping[str, Any]) -> list[Any]:
    return [_int_arg(op, "bit_offset"), _int_size_arg(op), _int_arg(op, "val")]


def _math_args(op: Mapping[str, Any]) -> list[Any]:
    # The overflow action and the signed flag share one argument.
    action = _int_arg(op, "action", 0)
    signed = _SIGNED if _bool_arg(op, "signed", False) else 0
    return [*_int_range_args(op), _flags(op), action | signed]


def _set_int_args(op: Mapping[str, Any]) -> list[Any]:
    return [*_int_range_args(op), _flags(op)]


def _scan_args(op: Mapping[str, Any]) -> list[Any]:
    value = _ops.required(op, "val")
    if not isinstance(value, bool):
        raise InvalidArgError(
            f"bit scan of bin {op.get('bin')!r}: value must be a bool, "
            f"not {type(value).__name__}"
        )
    return [*_range_args(op), value]


def _get_int_args(op: Mapping[str, Any]) -> list[Any]:
    args: list[Any] = [_int_arg(op, "bit_offset"), _int_size_arg(op)]
    # Unsigned reads leave the flags out, as the official clients do.
    if _bool_arg(op, "signed", False):
        args.append(_SIGNED)
    return args


ArgsEncoder = Callable[[Mapping[str, Any]], list[Any]]

# op dict code -> (server op code, argument encoder)
_MODIFY_OPS: dict[int, tuple[int, ArgsEncoder]] = {
    OP_BIT_RESIZE: (0, _resize_args),
    OP_BIT_INSERT: (1, _insert_args),
    OP_BIT_REMOVE: (2, _remove_args),
    OP_BIT_SET: (3, _bytes_range_args),
    OP_BIT_OR: (4, _bytes_range_args),
    OP_BIT_XOR: (5, _bytes_range_args),
    OP_BIT_AND: (6, _bytes_range_args),
    OP_BIT_NOT: (7, _not_args),
    OP_BIT_LSHIFT: (8, _shift_args),
    OP_BIT_RSHIFT: (9, _shift_args),
    OP_BIT_ADD: (10, _math_args),
    OP_BIT_SUBTRACT: (11, _math_args),
    OP_BIT_SET_INT: (12, _set_int_args),
}

_READ_OPS: dict[int, tuple[int, ArgsEncoder]] = {
    OP_BIT_GET: (50, _range_args),
    OP_BIT_COUNT: (51, _range_args),
    OP_BIT_LSCAN: (52, _scan_args),
    OP_BIT_RSCAN: (53, _scan_args),
    OP_BIT_GET_INT: (54, _get_int_args),
}


def _encoder(op_type: int, code: int, args: ArgsEncoder) -> _ops.Encoder:
    def encode(op: Mapping[str, Any]) -> msg.Op:
        name = _ops.op_bin(op)
        return msg.Op(op_type, particle.BLOB, name, cdt_payload(code, args(op)))

    return encode


def _register() -> None:
    for code, (server_code, args) in _MODIFY_OPS.items():
        encode = _encoder(msg.OP_BITS_MODIFY, server_code, args)
        _ops.register(code, encode, _ops.MODIFY)
    for code, (server_code, args) in _READ_OPS.items():
        _ops.register(code, _encoder(msg.OP_BITS_READ, server_code, args), _ops.READ)


_register()
