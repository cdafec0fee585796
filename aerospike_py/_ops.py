"""Turn operation dicts (``{"op": code, "bin": name, ...}``) into wire ops.

Each operation code maps to an encoder in ``ENCODERS``; the CDT, bit and
HLL modules register theirs with :func:`register`. An encoder returns the
wire op and its kind, which decides the header flags and whether the op
yields a value in the reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aerospike_py import _constants as C
from aerospike_py.exception import InvalidArgError
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle
from aerospike_py.wire.packer import utf8

# What an op does, for the header flags and for reading the reply.
READ = "read"  # reads: READ flag; always yields a result with RESPOND_ALL_OPS
WRITE = "write"  # plain writes: yield nothing the caller wants
MODIFY = "modify"  # CDT/bit/HLL/expression writes: may yield a value
TOUCH = "touch"  # the server answers a touch with nothing, not even a placeholder

Encoder = Callable[[Mapping[str, Any]], msg.Op]


class OpSpec:
    """How to encode one operation code, and what kind of op it is."""

    __slots__ = ("encode", "kind")

    def __init__(self, encode: Encoder, kind: str) -> None:
        self.encode = encode
        self.kind = kind


ENCODERS: dict[int, OpSpec] = {}


def register(code: int, encode: Encoder, kind: str) -> None:
    ENCODERS[code] = OpSpec(encode, kind)


def check_bin_name(name: Any) -> str:
    """Return a bin name, refusing what the server would refuse."""
    if not isinstance(name, str):
        raise InvalidArgError(
            f"bin name must be a str, not {type(name).__name__} ({name!r:.40})"
        )
    size = len(utf8(name, "bin name"))
    if size > msg.MAX_BIN_NAME:
        raise InvalidArgError(
            f"bin name {name!r} is {size} bytes; Aerospike allows {msg.MAX_BIN_NAME}"
        )
    return name


def bin_value_op(op_type: int, name: str, value: Any) -> msg.Op:
    """Encode a bin value, naming the bin if the value is refused."""
    try:
        ptype, data = particle.encode(value)
    except InvalidArgError as exc:  # unsupported types, text that is not UTF-8
        raise InvalidArgError(f"bin {name!r}: {exc}") from None
    return msg.Op(op_type, ptype, name, data)


def required(op: Mapping[str, Any], key: str) -> Any:
    if key not in op:
        raise InvalidArgError(
            f"op code {op.get('op')!r} needs the key {key!r}: {op!r:.80}"
        )
    return op[key]


def op_bin(op: Mapping[str, Any]) -> str:
    return check_bin_name(required(op, "bin"))


def _read(op: Mapping[str, Any]) -> msg.Op:
    name = op.get("bin")
    if name is None:
        return msg.Op(msg.OP_READ, particle.NULL, "", b"")
    return msg.read_op(check_bin_name(name))


def _write(op: Mapping[str, Any]) -> msg.Op:
    return bin_value_op(msg.OP_WRITE, op_bin(op), required(op, "val"))


def _incr(op: Mapping[str, Any]) -> msg.Op:
    name = op_bin(op)
    value = op.get("val", 1)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgError(
            f"increment of bin {name!r} needs an int or float, not "
            f"{type(value).__name__} ({value!r:.40})"
        )
    return bin_value_op(msg.OP_INCR, name, value)


def _concat(op_type: int) -> Encoder:
    def encode(op: Mapping[str, Any]) -> msg.Op:
        name = op_bin(op)
        value = required(op, "val")
        if not isinstance(value, (str, bytes, bytearray)):
            raise InvalidArgError(
                f"append/prepend to bin {name!r} needs a str or bytes, not "
                f"{type(value).__name__}"
            )
        return bin_value_op(op_type, name, value)

    return encode


def _touch(op: Mapping[str, Any]) -> msg.Op:
    return msg.Op(msg.OP_TOUCH, particle.NULL, "", b"")


def _delete(op: Mapping[str, Any]) -> msg.Op:
    return msg.Op(msg.OP_DELETE, particle.NULL, "", b"")


register(C.OPERATOR_READ, _read, READ)
register(C.OPERATOR_WRITE, _write, WRITE)
register(C.OPERATOR_INCR, _incr, WRITE)
register(C.OPERATOR_APPEND, _concat(msg.OP_APPEND), WRITE)
register(C.OPERATOR_PREPEND, _concat(msg.OP_PREPEND), WRITE)
register(C.OPERATOR_TOUCH, _touch, TOUCH)
register(C.OPERATOR_DELETE, _delete, WRITE)


class EncodedOps:
    """The wire ops of an ``operate`` call and what they need."""

    __slots__ = ("has_read", "has_write", "kinds", "ops", "read_all")

    def __init__(self, ops: list[msg.Op], kinds: list[str]) -> None:
        self.ops = ops
        self.kinds = kinds
        self.has_read = READ in kinds
        self.has_write = WRITE in kinds or MODIFY in kinds or TOUCH in kinds
        self.read_all = any(op.op_type == msg.OP_READ and not op.name for op in ops)


def encode_ops(ops: Any) -> EncodedOps:
    """Encode a list of operation dicts."""
    if not isinstance(ops, (list, tuple)):
        raise InvalidArgError(
            f"ops must be a list of operations, not {type(ops).__name__}"
        )
    if not ops:
        raise InvalidArgError("ops is empty: give at least one operation")
    wire_ops: list[msg.Op] = []
    kinds: list[str] = []
    for position, op in enumerate(ops):
        if not isinstance(op, Mapping):
            raise InvalidArgError(
                f"operation {position} must be a dict from an *_operations module, "
                f"not {type(op).__name__}"
            )
        code = op.get("op")
        if code is None:
            raise InvalidArgError(f"operation {position} has no 'op' key: {op!r:.80}")
        spec = ENCODERS.get(code) if type(code) is int else None
        if spec is None:
            raise InvalidArgError(
                f"operation {position} has an unknown op code {code!r}"
            )
        try:
            wire_ops.append(spec.encode(op))
        except InvalidArgError as exc:
            raise InvalidArgError(f"operation {position}: {exc}") from None
        kinds.append(spec.kind)
    return EncodedOps(wire_ops, kinds)
