"""Builders of map operations, for ``operate`` and ``operate_ordered``.

    from aerospike_py import map_operations as mo

    client.operate(key, [
        mo.map_put("visits", "2024-05-01", 3),
        mo.map_get_by_rank_range("visits", -1, aerospike_py.MAP_RETURN_KEY, 1),
    ])

Every builder returns an :data:`Operation` dict. ``ctx`` (a list of
:mod:`aerospike_py.cdt_ctx` steps) applies the operation to a nested map;
``inverted=True`` on a selection selects everything the selection does not.
Map *index* means key order and *rank* value order, whatever the map's own
order. A ``policy`` is a ``MapPolicy`` dict: ``order`` (``MAP_*`` order of
a map the write creates), ``write_mode`` (``MAP_UPDATE`` /
``MAP_UPDATE_ONLY`` / ``MAP_CREATE_ONLY``), ``flags``
(``MAP_WRITE_FLAGS_*``, which win over ``write_mode``) and
``persist_index``.

Results of ``MAP_RETURN_KEY_VALUE`` come back as a ``dict`` in the order
the server chose (key order for a key-ordered map or a key range, value
order for a rank range); ``MAP_RETURN_ORDERED_MAP`` as a
``KeyOrderedDict``.

On the wire each operation is op type 3 (reads) or 4 (modifies) with the
msgpack payload of PROTOCOL.md 9.5, with the optional arguments the
official client sends. An open end of a key or value range is sent as
INFINITY (the official client's ``CDTInfinite()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aerospike_py import _constants as C
from aerospike_py import _ops
from aerospike_py._cdt import (
    CDTContext,
    cdt_payload,
    op_ctx,
    op_int,
    op_optional_int,
    with_create_flag,
)
from aerospike_py.exception import InvalidArgError
from aerospike_py.types import MapPolicy, Operation
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle
from aerospike_py.wire.values import INFINITY

__all__ = [
    "Operation",
    "map_clear",
    "map_create",
    "map_decrement",
    "map_get_by_index",
    "map_get_by_index_range",
    "map_get_by_key",
    "map_get_by_key_index_range_relative",
    "map_get_by_key_list",
    "map_get_by_key_range",
    "map_get_by_rank",
    "map_get_by_rank_range",
    "map_get_by_value",
    "map_get_by_value_list",
    "map_get_by_value_range",
    "map_get_by_value_rank_range_relative",
    "map_increment",
    "map_put",
    "map_put_items",
    "map_remove_by_index",
    "map_remove_by_index_range",
    "map_remove_by_key",
    "map_remove_by_key_index_range_relative",
    "map_remove_by_key_list",
    "map_remove_by_key_range",
    "map_remove_by_rank",
    "map_remove_by_rank_range",
    "map_remove_by_value",
    "map_remove_by_value_list",
    "map_remove_by_value_range",
    "map_remove_by_value_rank_range_relative",
    "map_set_order",
    "map_size",
]

Ctx = Sequence[CDTContext] | None

# Operation codes of the op dicts (API.md section 10; 2028+ are additions).
OP_MAP_SET_ORDER = 2001
OP_MAP_PUT = 2002
OP_MAP_PUT_ITEMS = 2003
OP_MAP_INCREMENT = 2004
OP_MAP_DECREMENT = 2005
OP_MAP_CLEAR = 2006
OP_MAP_REMOVE_BY_KEY = 2007
OP_MAP_REMOVE_BY_KEY_LIST = 2008
OP_MAP_REMOVE_BY_KEY_RANGE = 2009
OP_MAP_REMOVE_BY_VALUE = 2010
OP_MAP_REMOVE_BY_VALUE_LIST = 2011
OP_MAP_REMOVE_BY_VALUE_RANGE = 2012
OP_MAP_REMOVE_BY_INDEX = 2013
OP_MAP_REMOVE_BY_INDEX_RANGE = 2014
OP_MAP_REMOVE_BY_RANK = 2015
OP_MAP_REMOVE_BY_RANK_RANGE = 2016
OP_MAP_SIZE = 2017
OP_MAP_GET_BY_KEY = 2018
OP_MAP_GET_BY_KEY_RANGE = 2019
OP_MAP_GET_BY_VALUE = 2020
OP_MAP_GET_BY_VALUE_RANGE = 2021
OP_MAP_GET_BY_INDEX = 2022
OP_MAP_GET_BY_INDEX_RANGE = 2023
OP_MAP_GET_BY_RANK = 2024
OP_MAP_GET_BY_RANK_RANGE = 2025
OP_MAP_GET_BY_KEY_LIST = 2026
OP_MAP_GET_BY_VALUE_LIST = 2027
OP_MAP_GET_BY_KEY_INDEX_RANGE_REL = 2028
OP_MAP_GET_BY_VALUE_RANK_RANGE_REL = 2029
OP_MAP_REMOVE_BY_KEY_INDEX_RANGE_REL = 2030
OP_MAP_REMOVE_BY_VALUE_RANK_RANGE_REL = 2031
OP_MAP_CREATE = 2032

INVERTED = 0x10000
PERSIST_INDEX = 0x10
MAP_ORDERS = (C.MAP_UNORDERED, C.MAP_KEY_ORDERED, C.MAP_KEY_VALUE_ORDERED)

# Server op codes of writes by write mode (PROTOCOL.md 9.5): the legacy
# modes pick the op, write flags go with PUT.
_PUT, _PUT_ITEMS = 67, 68
_WRITE_MODE_OPS = {
    C.MAP_UPDATE: (_PUT, _PUT_ITEMS),
    C.MAP_UPDATE_ONLY: (69, 70),  # REPLACE, REPLACE_ITEMS
    C.MAP_CREATE_ONLY: (65, 66),  # ADD, ADD_ITEMS
}

# Create flags of the last ctx step of map_create (as_map_order_to_flag).
_CREATE_FLAGS = {
    C.MAP_UNORDERED: 0x40,
    C.MAP_KEY_ORDERED: 0x80,
    C.MAP_KEY_VALUE_ORDERED: 0xC0,
}


# Fields left out of an op dict when None; a None value or map key is nil.
_OPTIONAL = frozenset({"count", "val_end", "list_policy", "map_policy"})


def _op(code: int, bin: str, ctx: Ctx, **fields: Any) -> Operation:
    """An op dict, leaving out the optional fields that were not given."""
    op: Operation = {"op": code, "bin": bin}
    op.update(
        (name, value)
        for name, value in fields.items()
        if value is not None or name not in _OPTIONAL
    )
    if ctx is not None and (not isinstance(ctx, (list, tuple)) or ctx):
        op["ctx"] = ctx
    return op


def _return_type(return_type: int, inverted: bool, builder: str) -> int:
    """The return type, with the INVERTED bit when asked for."""
    if type(return_type) is not int:
        raise InvalidArgError(
            f"{builder}: return_type must be an int (MAP_RETURN_*), not "
            f"{type(return_type).__name__}"
        )
    if not isinstance(inverted, bool):
        raise InvalidArgError(
            f"{builder}: inverted must be a bool, not {type(inverted).__name__}"
        )
    return return_type | INVERTED if inverted else return_type


# -- writes ---------------------------------------------------------------------


def map_set_order(bin: str, map_order: int, *, ctx: Ctx = None) -> Operation:
    """Change the map's order (``MAP_UNORDERED`` / ``MAP_*_ORDERED``)."""
    return _op(OP_MAP_SET_ORDER, bin, ctx, val=map_order)


def map_create(
    bin: str, map_order: int, persist_index: bool = False, *, ctx: Ctx = None
) -> Operation:
    """Create an empty map (at ``ctx``) unless one is there.

    ``persist_index`` applies to a top-level map only.
    """
    return _op(
        OP_MAP_CREATE, bin, ctx, map_order=map_order, persist_index=persist_index
    )


def map_put(
    bin: str, key: Any, val: Any, policy: MapPolicy | None = None, *, ctx: Ctx = None
) -> Operation:
    """Set ``key`` to ``val``; return the map size."""
    return _op(OP_MAP_PUT, bin, ctx, map_key=key, val=val, map_policy=policy)


def map_put_items(
    bin: str,
    items: Mapping[Any, Any],
    policy: MapPolicy | None = None,
    *,
    ctx: Ctx = None,
) -> Operation:
    """Set every key of ``items``; return the map size."""
    return _op(OP_MAP_PUT_ITEMS, bin, ctx, val=items, map_policy=policy)


def map_increment(
    bin: str,
    key: Any,
    incr: int | float,
    policy: MapPolicy | None = None,
    *,
    ctx: Ctx = None,
) -> Operation:
    """Add ``incr`` to the number at ``key`` (missing: 0); return it."""
    return _op(OP_MAP_INCREMENT, bin, ctx, map_key=key, val=incr, map_policy=policy)


def map_decrement(
    bin: str,
    key: Any,
    decr: int | float,
    policy: MapPolicy | None = None,
    *,
    ctx: Ctx = None,
) -> Operation:
    """Subtract ``decr`` from the number at ``key``; return it."""
    return _op(OP_MAP_DECREMENT, bin, ctx, map_key=key, val=decr, map_policy=policy)


def map_clear(bin: str, *, ctx: Ctx = None) -> Operation:
    """Remove every entry (the map keeps its order)."""
    return _op(OP_MAP_CLEAR, bin, ctx)


def map_size(bin: str, *, ctx: Ctx = None) -> Operation:
    """Return the number of entries."""
    return _op(OP_MAP_SIZE, bin, ctx)


# -- selections by key ------------------------------------------------------------


def map_get_by_key(
    bin: str, key: Any, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Select the entry of ``key``."""
    rt = _return_type(return_type, False, "map_get_by_key")
    return _op(OP_MAP_GET_BY_KEY, bin, ctx, map_key=key, return_type=rt)


def map_remove_by_key(
    bin: str, key: Any, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Remove the entry of ``key``."""
    rt = _return_type(return_type, False, "map_remove_by_key")
    return _op(OP_MAP_REMOVE_BY_KEY, bin, ctx, map_key=key, return_type=rt)


def map_get_by_key_list(
    bin: str,
    keys: list[Any],
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select the entries of ``keys``."""
    rt = _return_type(return_type, inverted, "map_get_by_key_list")
    return _op(OP_MAP_GET_BY_KEY_LIST, bin, ctx, val=keys, return_type=rt)


def map_remove_by_key_list(
    bin: str,
    keys: list[Any],
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove the entries of ``keys``."""
    rt = _return_type(return_type, inverted, "map_remove_by_key_list")
    return _op(OP_MAP_REMOVE_BY_KEY_LIST, bin, ctx, val=keys, return_type=rt)


def map_get_by_key_range(
    bin: str,
    begin: Any,
    end: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select keys in [begin, end); ``end`` None selects to the largest."""
    rt = _return_type(return_type, inverted, "map_get_by_key_range")
    return _op(
        OP_MAP_GET_BY_KEY_RANGE, bin, ctx, val=begin, val_end=end, return_type=rt
    )


def map_remove_by_key_range(
    bin: str,
    begin: Any,
    end: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove keys in [begin, end); ``end`` None removes to the largest."""
    rt = _return_type(return_type, inverted, "map_remove_by_key_range")
    return _op(
        OP_MAP_REMOVE_BY_KEY_RANGE, bin, ctx, val=begin, val_end=end, return_type=rt
    )


def map_get_by_key_index_range_relative(
    bin: str,
    key: Any,
    offset: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select ``count`` entries from the key index of ``key`` + ``offset``.

    ``key`` need not be in the map; its index is where it would sort.
    """
    rt = _return_type(return_type, inverted, "map_get_by_key_index_range_relative")
    return _op(
        OP_MAP_GET_BY_KEY_INDEX_RANGE_REL,
        bin,
        ctx,
        map_key=key,
        index=offset,
        return_type=rt,
        count=count,
    )


def map_remove_by_key_index_range_relative(
    bin: str,
    key: Any,
    offset: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove ``count`` entries from the key index of ``key`` + ``offset``."""
    rt = _return_type(return_type, inverted, "map_remove_by_key_index_range_relative")
    return _op(
        OP_MAP_REMOVE_BY_KEY_INDEX_RANGE_REL,
        bin,
        ctx,
        map_key=key,
        index=offset,
        return_type=rt,
        count=count,
    )


# -- selections by value ----------------------------------------------------------


def map_get_by_value(
    bin: str,
    val: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select every entry whose value equals ``val``."""
    rt = _return_type(return_type, inverted, "map_get_by_value")
    return _op(OP_MAP_GET_BY_VALUE, bin, ctx, val=val, return_type=rt)


def map_remove_by_value(
    bin: str,
    val: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove every entry whose value equals ``val``."""
    rt = _return_type(return_type, inverted, "map_remove_by_value")
    return _op(OP_MAP_REMOVE_BY_VALUE, bin, ctx, val=val, return_type=rt)


def map_get_by_value_list(
    bin: str,
    values: list[Any],
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select every entry whose value is one of ``values``."""
    rt = _return_type(return_type, inverted, "map_get_by_value_list")
    return _op(OP_MAP_GET_BY_VALUE_LIST, bin, ctx, val=values, return_type=rt)


def map_remove_by_value_list(
    bin: str,
    values: list[Any],
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove every entry whose value is one of ``values``."""
    rt = _return_type(return_type, inverted, "map_remove_by_value_list")
    return _op(OP_MAP_REMOVE_BY_VALUE_LIST, bin, ctx, val=values, return_type=rt)


def map_get_by_value_range(
    bin: str,
    begin: Any,
    end: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select values in [begin, end); ``end`` None selects to the largest."""
    rt = _return_type(return_type, inverted, "map_get_by_value_range")
    return _op(
        OP_MAP_GET_BY_VALUE_RANGE, bin, ctx, val=begin, val_end=end, return_type=rt
    )


def map_remove_by_value_range(
    bin: str,
    begin: Any,
    end: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove values in [begin, end); ``end`` None removes to the largest."""
    rt = _return_type(return_type, inverted, "map_remove_by_value_range")
    return _op(
        OP_MAP_REMOVE_BY_VALUE_RANGE, bin, ctx, val=begin, val_end=end, return_type=rt
    )


def map_get_by_value_rank_range_relative(
    bin: str,
    value: Any,
    offset: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select ``count`` entries from the value rank of ``value`` + ``offset``."""
    rt = _return_type(return_type, inverted, "map_get_by_value_rank_range_relative")
    return _op(
        OP_MAP_GET_BY_VALUE_RANK_RANGE_REL,
        bin,
        ctx,
        val=value,
        rank=offset,
        return_type=rt,
        count=count,
    )


def map_remove_by_value_rank_range_relative(
    bin: str,
    value: Any,
    offset: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove ``count`` entries from the value rank of ``value`` + ``offset``."""
    rt = _return_type(return_type, inverted, "map_remove_by_value_rank_range_relative")
    return _op(
        OP_MAP_REMOVE_BY_VALUE_RANK_RANGE_REL,
        bin,
        ctx,
        val=value,
        rank=offset,
        return_type=rt,
        count=count,
    )


# -- selections by index (key order) and rank (value order) ---------------------


def map_get_by_index(
    bin: str, index: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Select the entry at ``index`` in key order."""
    rt = _return_type(return_type, False, "map_get_by_index")
    return _op(OP_MAP_GET_BY_INDEX, bin, ctx, index=index, return_type=rt)


def map_remove_by_index(
    bin: str, index: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Remove the entry at ``index`` in key order."""
    rt = _return_type(return_type, False, "map_remove_by_index")
    return _op(OP_MAP_REMOVE_BY_INDEX, bin, ctx, index=index, return_type=rt)


def map_get_by_index_range(
    bin: str,
    index: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select ``count`` entries from ``index`` in key order (None: to the end)."""
    rt = _return_type(return_type, inverted, "map_get_by_index_range")
    return _op(
        OP_MAP_GET_BY_INDEX_RANGE, bin, ctx, index=index, return_type=rt, count=count
    )


def map_remove_by_index_range(
    bin: str,
    index: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove ``count`` entries from ``index`` in key order."""
    rt = _return_type(return_type, inverted, "map_remove_by_index_range")
    return _op(
        OP_MAP_REMOVE_BY_INDEX_RANGE,
        bin,
        ctx,
        index=index,
        return_type=rt,
        count=count,
    )


def map_get_by_rank(
    bin: str, rank: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Select the entry of value rank ``rank`` (0 smallest, -1 largest)."""
    rt = _return_type(return_type, False, "map_get_by_rank")
    return _op(OP_MAP_GET_BY_RANK, bin, ctx, rank=rank, return_type=rt)


def map_remove_by_rank(
    bin: str, rank: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Remove the entry of value rank ``rank``."""
    rt = _return_type(return_type, False, "map_remove_by_rank")
    return _op(OP_MAP_REMOVE_BY_RANK, bin, ctx, rank=rank, return_type=rt)


def map_get_by_rank_range(
    bin: str,
    rank: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select ``count`` entries by value rank from ``rank`` (None: to the end)."""
    rt = _return_type(return_type, inverted, "map_get_by_rank_range")
    return _op(
        OP_MAP_GET_BY_RANK_RANGE, bin, ctx, rank=rank, return_type=rt, count=count
    )


def map_remove_by_rank_range(
    bin: str,
    rank: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove ``count`` entries by value rank from ``rank``."""
    rt = _return_type(return_type, inverted, "map_remove_by_rank_range")
    return _op(
        OP_MAP_REMOVE_BY_RANK_RANGE, bin, ctx, rank=rank, return_type=rt, count=count
    )


# -- encoding -------------------------------------------------------------------

ArgsEncoder = Callable[[Mapping[str, Any], str], list[Any]]


class _Policy:
    """A checked MapPolicy: the order attribute and how to write."""

    __slots__ = ("attributes", "flags", "write_mode")

    def __init__(self, policy: Any, name: str) -> None:
        policy = policy or {}
        if not isinstance(policy, Mapping):
            raise InvalidArgError(
                f"{name}: policy must be a MapPolicy dict, not {type(policy).__name__}"
            )
        unknown = set(policy) - {"order", "write_mode", "flags", "persist_index"}
        if unknown:
            raise InvalidArgError(
                f"{name}: unknown MapPolicy key(s) {sorted(unknown)}; use "
                "'order', 'write_mode', 'flags' and 'persist_index'"
            )
        order = _choice(policy, "order", MAP_ORDERS, name)
        self.write_mode = _choice(policy, "write_mode", tuple(_WRITE_MODE_OPS), name)
        self.flags = _policy_int(policy, "flags", name)
        persist = policy.get("persist_index", False)
        if not isinstance(persist, bool):
            raise InvalidArgError(f"{name}: policy persist_index must be a bool")
        self.attributes = order | PERSIST_INDEX if persist else order

    def write(self, one: bool) -> tuple[int, bool]:
        """The server op code, and whether the order attribute goes with it."""
        if self.flags:
            return (_PUT if one else _PUT_ITEMS), True
        code = _WRITE_MODE_OPS[self.write_mode][0 if one else 1]
        return code, code != _WRITE_MODE_OPS[C.MAP_UPDATE_ONLY][0 if one else 1]


def _policy_int(policy: Mapping[str, Any], key: str, name: str) -> int:
    value = policy.get(key, 0)
    if type(value) is not int:
        raise InvalidArgError(
            f"{name}: policy {key} must be an int, not {type(value).__name__}"
        )
    return value


def _choice(
    policy: Mapping[str, Any], key: str, allowed: tuple[int, ...], name: str
) -> int:
    value = _policy_int(policy, key, name)
    if value not in allowed:
        raise InvalidArgError(
            f"{name}: policy {key} must be one of {list(allowed)}, not {value}"
        )
    return value


def _value(op: Mapping[str, Any], name: str) -> Any:
    return _ops.required(op, "val")


def _key(op: Mapping[str, Any], name: str) -> Any:
    return _ops.required(op, "map_key")


def _list(op: Mapping[str, Any], name: str) -> list[Any]:
    values = _ops.required(op, "val")
    if not isinstance(values, (list, tuple)):
        raise InvalidArgError(
            f"{name}: the keys or values must be a list, not {type(values).__name__}"
        )
    return list(values)


def _rt(op: Mapping[str, Any], name: str) -> int:
    return op_int(op, "return_type", name)


def _rank(op: Mapping[str, Any], name: str) -> int:
    # An op dict may give a rank under "index" (API.md section 8).
    return op_int(op, "rank" if "rank" in op else "index", name)


def _count(op: Mapping[str, Any], name: str) -> list[Any]:
    count = op_optional_int(op, "count", name)
    return [] if count is None else [count]


def _number(op: Mapping[str, Any], name: str) -> int | float:
    value = _value(op, name)
    if type(value) not in (int, float):
        raise InvalidArgError(
            f"{name}: the amount must be an int or float, not {type(value).__name__}"
        )
    return value  # type: ignore[no-any-return]


def _no_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return []


def _set_order_args(op: Mapping[str, Any], name: str) -> list[Any]:
    order = op_int(op, "val", name)
    if order not in MAP_ORDERS:
        raise InvalidArgError(f"{name}: map_order must be one of {list(MAP_ORDERS)}")
    return [order]


def _create_args(op: Mapping[str, Any], name: str) -> list[Any]:
    order = op_int(op, "map_order", name)
    if order not in MAP_ORDERS:
        raise InvalidArgError(f"{name}: map_order must be one of {list(MAP_ORDERS)}")
    # A nested map cannot persist its index: only a top-level one sends it.
    if op.get("persist_index") and not op.get("ctx"):
        order |= PERSIST_INDEX
    return [order]


def _increment_args(op: Mapping[str, Any], name: str) -> list[Any]:
    policy = _Policy(op.get("map_policy"), name)
    return [_key(op, name), _number(op, name), policy.attributes]


def _by_key_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _key(op, name)]


def _by_value_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _value(op, name)]


def _by_list_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _list(op, name)]


def _by_range_args(op: Mapping[str, Any], name: str) -> list[Any]:
    # The official client sends nil for an open end, which the server reads
    # as "below nil": nothing. INFINITY selects to the end, as users mean.
    end = op.get("val_end")
    return [_rt(op, name), op.get("val"), INFINITY if end is None else end]


def _by_index_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), op_int(op, "index", name)]


def _by_index_range_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [*_by_index_args(op, name), *_count(op, name)]


def _by_rank_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _rank(op, name)]


def _by_rank_range_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [*_by_rank_args(op, name), *_count(op, name)]


def _key_relative_args(op: Mapping[str, Any], name: str) -> list[Any]:
    index = op_int(op, "index", name)
    return [_rt(op, name), _key(op, name), index, *_count(op, name)]


def _value_relative_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _value(op, name), _rank(op, name), *_count(op, name)]


_READ = msg.OP_CDT_READ
_MODIFY = msg.OP_CDT_MODIFY

# op dict code -> (builder name, op type, server op code, argument encoder);
# puts pick their server op from the policy and are encoded apart.
_OPS: dict[int, tuple[str, int, int, ArgsEncoder]] = {
    OP_MAP_SET_ORDER: ("map_set_order", _MODIFY, 64, _set_order_args),
    OP_MAP_CREATE: ("map_create", _MODIFY, 64, _create_args),
    OP_MAP_INCREMENT: ("map_increment", _MODIFY, 73, _increment_args),
    OP_MAP_DECREMENT: ("map_decrement", _MODIFY, 74, _increment_args),
    OP_MAP_CLEAR: ("map_clear", _MODIFY, 75, _no_args),
    OP_MAP_REMOVE_BY_KEY: ("map_remove_by_key", _MODIFY, 76, _by_key_args),
    OP_MAP_REMOVE_BY_INDEX: ("map_remove_by_index", _MODIFY, 77, _by_index_args),
    OP_MAP_REMOVE_BY_RANK: ("map_remove_by_rank", _MODIFY, 79, _by_rank_args),
    OP_MAP_REMOVE_BY_KEY_LIST: ("map_remove_by_key_list", _MODIFY, 81, _by_list_args),
    OP_MAP_REMOVE_BY_VALUE: ("map_remove_by_value", _MODIFY, 82, _by_value_args),
    OP_MAP_REMOVE_BY_VALUE_LIST: (
        "map_remove_by_value_list",
        _MODIFY,
        83,
        _by_list_args,
    ),
    OP_MAP_REMOVE_BY_KEY_RANGE: (
        "map_remove_by_key_range",
        _MODIFY,
        84,
        _by_range_args,
    ),
    OP_MAP_REMOVE_BY_INDEX_RANGE: (
        "map_remove_by_index_range",
        _MODIFY,
        85,
        _by_index_range_args,
    ),
    OP_MAP_REMOVE_BY_VALUE_RANGE: (
        "map_remove_by_value_range",
        _MODIFY,
        86,
        _by_range_args,
    ),
    OP_MAP_REMOVE_BY_RANK_RANGE: (
        "map_remove_by_rank_range",
        _MODIFY,
        87,
        _by_rank_range_args,
    ),
    OP_MAP_REMOVE_BY_KEY_INDEX_RANGE_REL: (
        "map_remove_by_key_index_range_relative",
        _MODIFY,
        88,
        _key_relative_args,
    ),
    OP_MAP_REMOVE_BY_VALUE_RANK_RANGE_REL: (
        "map_remove_by_value_rank_range_relative",
        _MODIFY,
        89,
        _value_relative_args,
    ),
    OP_MAP_SIZE: ("map_size", _READ, 96, _no_args),
    OP_MAP_GET_BY_KEY: ("map_get_by_key", _READ, 97, _by_key_args),
    OP_MAP_GET_BY_INDEX: ("map_get_by_index", _READ, 98, _by_index_args),
    OP_MAP_GET_BY_RANK: ("map_get_by_rank", _READ, 100, _by_rank_args),
    OP_MAP_GET_BY_VALUE: ("map_get_by_value", _READ, 102, _by_value_args),
    OP_MAP_GET_BY_KEY_RANGE: ("map_get_by_key_range", _READ, 103, _by_range_args),
    OP_MAP_GET_BY_INDEX_RANGE: (
        "map_get_by_index_range",
        _READ,
        104,
        _by_index_range_args,
    ),
    OP_MAP_GET_BY_VALUE_RANGE: ("map_get_by_value_range", _READ, 105, _by_range_args),
    OP_MAP_GET_BY_RANK_RANGE: (
        "map_get_by_rank_range",
        _READ,
        106,
        _by_rank_range_args,
    ),
    OP_MAP_GET_BY_KEY_LIST: ("map_get_by_key_list", _READ, 107, _by_list_args),
    OP_MAP_GET_BY_VALUE_LIST: ("map_get_by_value_list", _READ, 108, _by_list_args),
    OP_MAP_GET_BY_KEY_INDEX_RANGE_REL: (
        "map_get_by_key_index_range_relative",
        _READ,
        109,
        _key_relative_args,
    ),
    OP_MAP_GET_BY_VALUE_RANK_RANGE_REL: (
        "map_get_by_value_rank_range_relative",
        _READ,
        110,
        _value_relative_args,
    ),
}


def _message(
    op: Mapping[str, Any],
    name: str,
    op_type: int,
    code: int,
    args: list[Any],
    ctx: list[CDTContext] | None,
) -> msg.Op:
    bin_name = _ops.op_bin(op)
    try:
        payload = cdt_payload(code, args, ctx)
    except InvalidArgError as exc:
        raise InvalidArgError(f"{name} on bin {bin_name!r}: {exc}") from None
    return msg.Op(op_type, particle.BLOB, bin_name, payload)


def _encoder(
    code: int, name: str, op_type: int, server_code: int, args: ArgsEncoder
) -> _ops.Encoder:
    def encode(op: Mapping[str, Any]) -> msg.Op:
        values = args(op, name)
        ctx = op_ctx(op, name)
        if code == OP_MAP_CREATE and ctx:
            order = op_int(op, "map_order", name)
            ctx = with_create_flag(ctx, _CREATE_FLAGS[order])
        return _message(op, name, op_type, server_code, values, ctx)

    return encode


def _encode_put(op: Mapping[str, Any]) -> msg.Op:
    name = "map_put"
    policy = _Policy(op.get("map_policy"), name)
    code, with_attributes = policy.write(one=True)
    args = [_key(op, name), _value(op, name)]
    if with_attributes:
        args.append(policy.attributes)
    if policy.flags:
        args.append(policy.flags)
    return _message(op, name, _MODIFY, code, args, op_ctx(op, name))


def _encode_put_items(op: Mapping[str, Any]) -> msg.Op:
    name = "map_put_items"
    policy = _Policy(op.get("map_policy"), name)
    items = _value(op, name)
    if not isinstance(items, Mapping):
        raise InvalidArgError(
            f"{name}: items must be a dict, not {type(items).__name__}"
        )
    code, with_attributes = policy.write(one=False)
    args: list[Any] = [items if isinstance(items, dict) else dict(items)]
    if with_attributes:
        args.append(policy.attributes)
    if policy.flags:
        args.append(policy.flags)
    return _message(op, name, _MODIFY, code, args, op_ctx(op, name))


def _register() -> None:
    for code, (name, op_type, server_code, args) in _OPS.items():
        kind = _ops.READ if op_type == _READ else _ops.MODIFY
        _ops.register(code, _encoder(code, name, op_type, server_code, args), kind)
    _ops.register(OP_MAP_PUT, _encode_put, _ops.MODIFY)
    _ops.register(OP_MAP_PUT_ITEMS, _encode_put_items, _ops.MODIFY)


_register()
