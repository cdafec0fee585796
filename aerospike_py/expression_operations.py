"""Expression operations, for ``operate``: read or write the value of an
expression built with :mod:`aerospike_py.exp`.

    client.operate(key, [
        expression_operations.expression_write(
            "total", exp.num_add(exp.int_bin("a"), exp.int_bin("b"))
        ),
        expression_operations.expression_read(
            "is_big", exp.gt(exp.int_bin("total"), 100)
        ),
    ])

A read returns the value under ``bin_name`` (a name of your choice); a
write stores it in that bin. An expression that cannot be evaluated (a
missing bin, say) fails the command with result 26 unless
``EXP_READ_EVAL_NO_FAIL`` / ``EXP_WRITE_EVAL_NO_FAIL`` is given. Write flags
(``EXP_WRITE_*``) may also require the bin to exist or not, allow a nil
result to delete the bin, and turn those refusals into no-ops.

Each travels as op type 7 (read) or 8 (modify) whose value is the msgpack
``[expression, flags]`` (PROTOCOL.md 11.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aerospike_py import _constants as C
from aerospike_py import _ops
from aerospike_py._expression import compile_filter
from aerospike_py.exception import InvalidArgError
from aerospike_py.types import Operation
from aerospike_py.wire import message as msg
from aerospike_py.wire import packer, particle

__all__ = ["Operation", "expression_read", "expression_write"]

# Operation codes of the op dicts.
OP_EXPRESSION_READ = 5001
OP_EXPRESSION_WRITE = 5002

_READ_FLAGS = C.EXP_READ_EVAL_NO_FAIL
_WRITE_FLAGS = (
    C.EXP_WRITE_CREATE_ONLY
    | C.EXP_WRITE_UPDATE_ONLY
    | C.EXP_WRITE_ALLOW_DELETE
    | C.EXP_WRITE_POLICY_NO_FAIL
    | C.EXP_WRITE_EVAL_NO_FAIL
)


def expression_read(bin_name: str, expr: Any, flags: int = 0) -> Operation:
    """Return the value of ``expr`` under the name ``bin_name``.

    ``flags``: ``EXP_READ_DEFAULT`` or ``EXP_READ_EVAL_NO_FAIL`` (nil instead
    of an error when the expression cannot be evaluated).
    """
    return {"op": OP_EXPRESSION_READ, "bin": bin_name, "expr": expr, "flags": flags}


def expression_write(bin_name: str, expr: Any, flags: int = 0) -> Operation:
    """Store the value of ``expr`` in the bin ``bin_name``.

    ``flags``: an OR of ``EXP_WRITE_*`` - ``CREATE_ONLY`` (the bin must not
    exist), ``UPDATE_ONLY`` (it must exist), ``ALLOW_DELETE`` (a nil value
    deletes the bin), ``POLICY_NO_FAIL`` (skip instead of failing those
    checks), ``EVAL_NO_FAIL`` (skip when the expression cannot be evaluated).
    """
    return {"op": OP_EXPRESSION_WRITE, "bin": bin_name, "expr": expr, "flags": flags}


def _encoder(op_type: int, allowed: int, label: str) -> _ops.Encoder:
    def encode(op: Mapping[str, Any]) -> msg.Op:
        name = _ops.op_bin(op)
        expression = compile_filter(
            _ops.required(op, "expr"), where=f"{label} of bin {name!r}: expr"
        )
        flags = op.get("flags", 0)
        if isinstance(flags, bool) or not isinstance(flags, int) or flags & ~allowed:
            raise InvalidArgError(
                f"{label} of bin {name!r}: flags {flags!r} are not a combination "
                f"of the EXP_{label.split('_')[1].upper()}_* constants"
            )
        value = bytearray()
        packer.pack_array_header(value, 2)
        value += expression
        packer.pack_int(value, flags)
        return msg.Op(op_type, particle.BLOB, name, bytes(value))

    return encode


_ops.register(
    OP_EXPRESSION_READ,
    _encoder(msg.OP_EXP_READ, _READ_FLAGS, "expression_read"),
    _ops.READ,
)
_ops.register(
    OP_EXPRESSION_WRITE,
    _encoder(msg.OP_EXP_MODIFY, _WRITE_FLAGS, "expression_write"),
    _ops.MODIFY,
)
