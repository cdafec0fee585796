"""Bin operations of the embedded server, and the table that dispatches them.

Each op type maps to a handler ``handler(ctx, op) -> value``. A handler
returns the value the reply carries for that op, or ``NO_RESULT`` when the
op produces no bin. It changes ``ctx.bins`` (a working copy: the command
stores it only when every op succeeded) and raises ``Failure`` to abort the
command. CDT, bit, HLL and expression modules add their handlers to the
tables with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aerospike_py.server import errors, geo
from aerospike_py.server.cdt.order import normalize
from aerospike_py.server.errors import Failure
from aerospike_py.server.storage import Namespace, StoredRecord
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle
from aerospike_py.wire.packer import PackError, UnpackError

INT64_MASK = (1 << 64) - 1


class _NoResult:
    def __repr__(self) -> str:
        return "NO_RESULT"


NO_RESULT: Any = _NoResult()


class EncodedBin:
    """A reply value that is already encoded (particle type + bytes)."""

    __slots__ = ("data", "particle_type")

    def __init__(self, particle_type: int, data: bytes) -> None:
        self.particle_type = particle_type
        self.data = data


class OpContext:
    """What an op sees: the working bins and the record around them."""

    __slots__ = ("bins", "existed", "namespace", "now_cl", "now_ns", "record")

    def __init__(
        self,
        namespace: Namespace,
        record: StoredRecord,
        bins: dict[str, Any],
        existed: bool,
        now_ns: int,
        now_cl: int,
    ) -> None:
        self.namespace = namespace
        self.record = record
        self.bins = bins
        self.existed = existed
        self.now_ns = now_ns
        self.now_cl = now_cl


Handler = Callable[[OpContext, msg.Op], Any]

READ_HANDLERS: dict[int, Handler] = {}
MODIFY_HANDLERS: dict[int, Handler] = {}


def register(op_type: int, handler: Handler, *, modify: bool) -> None:
    """Add the handler of an op type."""
    (MODIFY_HANDLERS if modify else READ_HANDLERS)[op_type] = handler


def decode_op_value(op: msg.Op) -> Any:
    """Decode the value an op carries, as a parameter error if malformed."""
    try:
        return particle.decode(op.particle_type, op.value)
    except (ValueError, UnpackError, PackError, UnicodeDecodeError) as exc:
        raise Failure(errors.ERR_PARAMETER, f"bad value for bin {op.name!r}") from exc


def _write(ctx: OpContext, op: msg.Op) -> Any:
    if op.particle_type == particle.NULL:
        ctx.bins.pop(op.name, None)
    elif op.particle_type in (particle.LIST, particle.MAP):
        # The server stores ordered lists and maps sorted, however written.
        ctx.bins[op.name] = normalize(decode_op_value(op))
    elif op.particle_type == particle.GEOJSON:
        value = decode_op_value(op)
        try:
            geo.parse(str(value))  # the server parses GeoJSON as it stores it
        except geo.GeoError as exc:
            raise Failure(errors.ERR_GEO_INVALID_GEOJSON, str(exc)) from None
        ctx.bins[op.name] = value
    else:
        ctx.bins[op.name] = decode_op_value(op)
    return NO_RESULT


def _incr(ctx: OpContext, op: msg.Op) -> Any:
    delta = decode_op_value(op)
    current = ctx.bins.get(op.name)
    if op.particle_type == particle.INTEGER:
        if current is None:
            ctx.bins[op.name] = delta
        elif type(current) is int:
            total = (current + delta) & INT64_MASK
            ctx.bins[op.name] = total - (1 << 64) if total >= 1 << 63 else total
        else:
            raise Failure(errors.ERR_INCOMPATIBLE_TYPE, "increment of a non-integer")
    elif op.particle_type == particle.FLOAT:
        if current is None:
            ctx.bins[op.name] = delta
        elif type(current) is float:
            ctx.bins[op.name] = current + delta
        else:
            raise Failure(
                errors.ERR_INCOMPATIBLE_TYPE, "float increment of a non-float"
            )
    else:
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, "increment by a non-number")
    return NO_RESULT


def _concat(ctx: OpContext, op: msg.Op, prepend: bool) -> Any:
    if op.particle_type not in (particle.STRING, particle.BLOB):
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, "append of a non-string")
    value = decode_op_value(op)
    current = ctx.bins.get(op.name)
    if current is None:
        ctx.bins[op.name] = value
    elif type(current) is not type(value):
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, "append of a different type")
    else:
        ctx.bins[op.name] = value + current if prepend else current + value
    return NO_RESULT


def _append(ctx: OpContext, op: msg.Op) -> Any:
    return _concat(ctx, op, prepend=False)


def _prepend(ctx: OpContext, op: msg.Op) -> Any:
    return _concat(ctx, op, prepend=True)


def _delete_all(ctx: OpContext, op: msg.Op) -> Any:
    ctx.bins.clear()
    return NO_RESULT


register(msg.OP_WRITE, _write, modify=True)
register(msg.OP_INCR, _incr, modify=True)
register(msg.OP_APPEND, _append, modify=True)
register(msg.OP_PREPEND, _prepend, modify=True)
register(msg.OP_DELETE, _delete_all, modify=True)


def encode_result(name: str, value: Any, op_type: int = msg.OP_READ) -> msg.Op:
    """Return the reply op that carries one result value."""
    if isinstance(value, EncodedBin):
        return msg.Op(op_type, value.particle_type, name, value.data)
    ptype, data = particle.encode(value)
    return msg.Op(op_type, ptype, name, data)
