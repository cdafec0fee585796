"""Builders of HyperLogLog operations, for ``operate``.

    client.operate(key, [
        hll_operations.hll_add("visitors", ["ada", "grace"], 14),
        hll_operations.hll_get_count("visitors"),
    ])

An HLL bin estimates how many distinct values were added to it, and how
much several such sets overlap. ``index_bit_count`` (4-16) sets its
precision, ``minhash_bit_count`` (0 or 4-51, with the index bits at most
64) improves intersection estimates. ``policy`` is an ``HLLPolicy`` dict,
``{"flags": HLL_WRITE_*}``. HLL values given to the union and similarity
operations are ``bytes`` (or :class:`aerospike_py.HLL`) read from HLL bins.

Each operation travels as op type 15 (reads) or 16 (modifies) with the
msgpack payload ``[op_code, args...]`` (PROTOCOL.md 10.2); like the
official clients, every optional argument is sent (-1 for a bit count
left to the bin, flags as 0), so the bytes equal the official client's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aerospike_py import _ops
from aerospike_py._cdt import cdt_payload
from aerospike_py.exception import InvalidArgError
from aerospike_py.types import HLLPolicy, Operation
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle

__all__ = [
    "Operation",
    "hll_add",
    "hll_describe",
    "hll_fold",
    "hll_get_count",
    "hll_get_intersect_count",
    "hll_get_similarity",
    "hll_get_union",
    "hll_get_union_count",
    "hll_init",
    "hll_refresh_count",
    "hll_set_union",
]

# Operation codes of the op dicts.
OP_HLL_INIT = 3001
OP_HLL_ADD = 3002
OP_HLL_GET_COUNT = 3003
OP_HLL_GET_UNION = 3004
OP_HLL_GET_UNION_COUNT = 3005
OP_HLL_GET_INTERSECT_COUNT = 3006
OP_HLL_GET_SIMILARITY = 3007
OP_HLL_DESCRIBE = 3008
OP_HLL_FOLD = 3009
OP_HLL_SET_UNION = 3010
OP_HLL_REFRESH_COUNT = 3011

_UNSET_BITS = -1  # "use the bin's bit count" on the wire


def _op(code: int, bin: str, **fields: Any) -> Operation:
    """An op dict, leaving out the optional fields that were not given."""
    op: Operation = {"op": code, "bin": bin}
    op.update((name, value) for name, value in fields.items() if value is not None)
    return op


# -- builders -----------------------------------------------------------------


def hll_init(
    bin: str,
    index_bit_count: int | None,
    minhash_bit_count: int | None = None,
    *,
    policy: HLLPolicy | None = None,
) -> Operation:
    """Create the HLL bin, or reset it, with the given bit counts."""
    return _op(
        OP_HLL_INIT,
        bin,
        index_bit_count=index_bit_count,
        minhash_bit_count=minhash_bit_count,
        hll_policy=policy,
    )


def hll_add(
    bin: str,
    values: list[Any],
    index_bit_count: int | None = None,
    minhash_bit_count: int | None = None,
    *,
    policy: HLLPolicy | None = None,
) -> Operation:
    """Add values; return how many changed the HLL.

    A missing bin is created with ``index_bit_count`` (required then);
    an existing one keeps its own bit counts.
    """
    return _op(
        OP_HLL_ADD,
        bin,
        val=values,
        index_bit_count=index_bit_count,
        minhash_bit_count=minhash_bit_count,
        hll_policy=policy,
    )


def hll_get_count(bin: str) -> Operation:
    """Return the estimated number of distinct values added."""
    return _op(OP_HLL_GET_COUNT, bin)


def hll_get_union(bin: str, values: list[bytes]) -> Operation:
    """Return the union of the bin with the HLL ``values``, as an HLL."""
    return _op(OP_HLL_GET_UNION, bin, val=values)


def hll_get_union_count(bin: str, values: list[bytes]) -> Operation:
    """Return the estimated count of the union with the HLL ``values``."""
    return _op(OP_HLL_GET_UNION_COUNT, bin, val=values)


def hll_get_intersect_count(bin: str, values: list[bytes]) -> Operation:
    """Return the estimated count of the intersection with ``values``."""
    return _op(OP_HLL_GET_INTERSECT_COUNT, bin, val=values)


def hll_get_similarity(bin: str, values: list[bytes]) -> Operation:
    """Return the estimated Jaccard similarity (float) with ``values``."""
    return _op(OP_HLL_GET_SIMILARITY, bin, val=values)


def hll_describe(bin: str) -> Operation:
    """Return ``[index_bit_count, minhash_bit_count]`` of the bin."""
    return _op(OP_HLL_DESCRIBE, bin)


def hll_fold(bin: str, index_bit_count: int) -> Operation:
    """Reduce the bin's index bits (allowed only with no minhash bits)."""
    return _op(OP_HLL_FOLD, bin, index_bit_count=index_bit_count)


def hll_set_union(
    bin: str, values: list[bytes], *, policy: HLLPolicy | None = None
) -> Operation:
    """Store the union of the bin with the HLL ``values`` in the bin."""
    return _op(OP_HLL_SET_UNION, bin, val=values, hll_policy=policy)


def hll_refresh_count(bin: str) -> Operation:
    """Recount the bin, store the count in it and return it."""
    return _op(OP_HLL_REFRESH_COUNT, bin)


# -- encoders -----------------------------------------------------------------


def _fail(op: Mapping[str, Any], why: str) -> InvalidArgError:
    return InvalidArgError(f"HLL operation on bin {op.get('bin')!r}: {why}")


def _bits_arg(op: Mapping[str, Any], key: str) -> int:
    value = op.get(key)
    if value is None:
        return _UNSET_BITS
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(op, f"{key} must be an int, not {type(value).__name__}")
    return value


def _required_bits(op: Mapping[str, Any], key: str) -> int:
    _ops.required(op, key)
    return _bits_arg(op, key)


def _flags(op: Mapping[str, Any]) -> int:
    policy = op.get("hll_policy")
    if policy is None:
        return 0
    if not isinstance(policy, Mapping):
        raise _fail(
            op, f"policy must be an HLLPolicy dict, not {type(policy).__name__}"
        )
    unknown = set(policy) - {"flags"}
    if unknown:
        raise _fail(op, f"unknown HLLPolicy keys {sorted(unknown)}; it has 'flags'")
    flags = policy.get("flags", 0)
    if isinstance(flags, bool) or not isinstance(flags, int) or flags < 0:
        raise _fail(op, f"policy flags must be HLL_WRITE_* ints, not {flags!r}")
    return flags


def _values(op: Mapping[str, Any]) -> list[Any]:
    values = _ops.required(op, "val")
    if not isinstance(values, (list, tuple)):
        raise _fail(op, f"values must be a list, not {type(values).__name__}")
    return list(values)


def _items(op: Mapping[str, Any]) -> list[Any]:
    items = _values(op)
    for item in items:
        if isinstance(item, (list, tuple, dict)):
            raise _fail(op, f"an HLL cannot hold a list or map ({item!r:.40})")
    return items


def _hlls(op: Mapping[str, Any]) -> list[Any]:
    # HLL instances keep their particle type (0x12) and plain bytes go as
    # blobs (0x04), as the official client sends them; the server reads
    # either.
    hlls = _values(op)
    for value in hlls:
        if not isinstance(value, (bytes, bytearray)):
            raise _fail(op, f"values must be HLL bytes, not {type(value).__name__}")
    return hlls


def _init_args(op: Mapping[str, Any]) -> list[Any]:
    index_bits = _bits_arg(op, "index_bit_count")
    return [index_bits, _bits_arg(op, "minhash_bit_count"), _flags(op)]


def _add_args(op: Mapping[str, Any]) -> list[Any]:
    index_bits = _bits_arg(op, "index_bit_count")
    minhash_bits = _bits_arg(op, "minhash_bit_count")
    return [_items(op), index_bits, minhash_bits, _flags(op)]


def _set_union_args(op: Mapping[str, Any]) -> list[Any]:
    return [_hlls(op), _flags(op)]


def _fold_args(op: Mapping[str, Any]) -> list[Any]:
    return [_required_bits(op, "index_bit_count")]


def _no_args(op: Mapping[str, Any]) -> list[Any]:
    return []


def _hlls_args(op: Mapping[str, Any]) -> list[Any]:
    return [_hlls(op)]


ArgsEncoder = Callable[[Mapping[str, Any]], list[Any]]

# op dict code -> (server op code, as_hll_op_type in proto.h; arguments)
_MODIFY_OPS: dict[int, tuple[int, ArgsEncoder]] = {
    OP_HLL_INIT: (0, _init_args),
    OP_HLL_ADD: (1, _add_args),
    OP_HLL_SET_UNION: (2, _set_union_args),
    OP_HLL_REFRESH_COUNT: (3, _no_args),
    OP_HLL_FOLD: (4, _fold_args),
}

_READ_OPS: dict[int, tuple[int, ArgsEncoder]] = {
    OP_HLL_GET_COUNT: (50, _no_args),
    OP_HLL_GET_UNION: (51, _hlls_args),
    OP_HLL_GET_UNION_COUNT: (52, _hlls_args),
    OP_HLL_GET_INTERSECT_COUNT: (53, _hlls_args),
    OP_HLL_GET_SIMILARITY: (54, _hlls_args),
    OP_HLL_DESCRIBE: (55, _no_args),
}


def _encoder(op_type: int, code: int, args: ArgsEncoder) -> _ops.Encoder:
    def encode(op: Mapping[str, Any]) -> msg.Op:
        name = _ops.op_bin(op)
        return msg.Op(op_type, particle.BLOB, name, cdt_payload(code, args(op)))

    return encode


def _register() -> None:
    for code, (server_code, args) in _MODIFY_OPS.items():
        encode = _encoder(msg.OP_HLL_MODIFY, server_code, args)
        _ops.register(code, encode, _ops.MODIFY)
    for code, (server_code, args) in _READ_OPS.items():
        _ops.register(code, _encoder(msg.OP_HLL_READ, server_code, args), _ops.READ)


_register()
