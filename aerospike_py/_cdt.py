"""Payloads of CDT, bit and HLL operations, and CDT contexts.

Every such operation travels as one msgpack array, ``[op_code, args...]``;
a CDT operation on a nested list or map is wrapped with its context as
``[0xff, [ctx_id, ctx_value, ...], [op_code, args...]]`` (PROTOCOL.md 9.3,
9.6). Client builders, expressions and index definitions share these
helpers so that the bytes are produced in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire import packer

CTX_MARKER = 0xFF


class CDTContext:
    """One step into a nested list or map: an id and its value.

    Ids (PROTOCOL.md 9.6): 0x10 list index, 0x11 list rank, 0x13 list value,
    0x20 map index, 0x21 map rank, 0x22 map key, 0x23 map value; create
    flags may be OR-ed into the id of the last step.
    """

    __slots__ = ("id", "value")

    def __init__(self, ctx_id: int, value: Any) -> None:
        self.id = ctx_id
        self.value = value

    def __repr__(self) -> str:
        return f"CDTContext(0x{self.id:x}, {self.value!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CDTContext)
            and other.id == self.id
            and other.value == self.value
        )

    def __hash__(self) -> int:
        return hash((self.id, repr(self.value)))


def pack_ctx(ctx: Sequence[CDTContext]) -> bytes:
    """The flat msgpack array ``[id1, v1, id2, v2, ...]`` of a context."""
    out = bytearray()
    packer.pack_array_header(out, len(ctx) * 2)
    for step in ctx:
        if not isinstance(step, CDTContext):
            raise InvalidArgError(
                f"a ctx item must come from aerospike_py.cdt_ctx, not "
                f"{type(step).__name__}"
            )
        packer.pack_int(out, step.id)
        packer.pack_into(out, step.value)
    return bytes(out)


def cdt_payload(
    op_code: int, args: Sequence[Any] = (), ctx: Sequence[CDTContext] | None = None
) -> bytes:
    """The msgpack payload of one CDT (or bit / HLL) operation.

    ``args`` are packed in order as given; callers drop trailing optional
    arguments they do not send.
    """
    out = bytearray()
    if ctx:
        out.append(0x93)
        packer.pack_int(out, CTX_MARKER)
        out += pack_ctx(ctx)
    packer.pack_array_header(out, len(args) + 1)
    packer.pack_int(out, op_code)
    try:
        for arg in args:
            packer.pack_into(out, arg)
    except packer.PackError as exc:
        raise InvalidArgError(f"operation argument: {exc}") from None
    return bytes(out)


# -- operation dicts of the list and map builders ----------------------------


def op_ctx(op: Mapping[str, Any], name: str) -> list[CDTContext] | None:
    """The checked ``ctx`` of an operation dict; None when it has none."""
    ctx = op.get("ctx")
    if ctx is None:
        return None
    if not isinstance(ctx, (list, tuple)):
        raise InvalidArgError(
            f"{name}: ctx must be a list of aerospike_py.cdt_ctx steps, not "
            f"{type(ctx).__name__}"
        )
    for step in ctx:
        if not isinstance(step, CDTContext):
            raise InvalidArgError(
                f"{name}: a ctx item must come from aerospike_py.cdt_ctx, not "
                f"{type(step).__name__} ({step!r:.40})"
            )
    return list(ctx) or None


def with_create_flag(ctx: Sequence[CDTContext], flag: int) -> list[CDTContext]:
    """``ctx`` with ``flag`` OR-ed into the id of its last step."""
    last = ctx[-1]
    return [*ctx[:-1], CDTContext(last.id | flag, last.value)]


def op_int(op: Mapping[str, Any], key: str, name: str) -> int:
    """A required integer field of an operation dict."""
    if key not in op:
        raise InvalidArgError(f"{name} needs the key {key!r}: {op!r:.80}")
    value = op[key]
    if type(value) is not int:
        raise InvalidArgError(
            f"{name}: {key} must be an int, not {type(value).__name__} ({value!r:.40})"
        )
    return value


def op_optional_int(op: Mapping[str, Any], key: str, name: str) -> int | None:
    """An integer field that may be absent or None."""
    if op.get(key) is None:
        return None
    return op_int(op, key, name)
