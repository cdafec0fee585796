"""Builders of list operations, for ``operate`` and ``operate_ordered``.

    from aerospike_py import list_operations as lo

    client.operate(key, [
        lo.list_append("scores", 42),
        lo.list_get_by_rank_range("scores", -3, aerospike_py.LIST_RETURN_VALUE),
    ])

Every builder returns an :data:`Operation` dict. ``ctx`` (a list of
:mod:`aerospike_py.cdt_ctx` steps) applies the operation to a nested list;
``inverted=True`` on a selection selects everything the selection does not.
A ``policy`` is a ``ListPolicy`` dict: ``order`` (``LIST_ORDERED`` /
``LIST_UNORDERED``, used when the list is created) and ``flags``
(``LIST_WRITE_*``).

On the wire each operation is op type 3 (reads) or 4 (modifies) with the
msgpack payload ``[op_code, args...]`` of PROTOCOL.md 9.4, with the same
optional arguments the official client sends, so the bytes match it.
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
from aerospike_py.types import ListPolicy, Operation
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle

__all__ = [
    "Operation",
    "list_append",
    "list_append_items",
    "list_clear",
    "list_create",
    "list_get",
    "list_get_by_index",
    "list_get_by_index_range",
    "list_get_by_rank",
    "list_get_by_rank_range",
    "list_get_by_value",
    "list_get_by_value_list",
    "list_get_by_value_range",
    "list_get_by_value_rank_range_relative",
    "list_get_range",
    "list_increment",
    "list_insert",
    "list_insert_items",
    "list_pop",
    "list_pop_range",
    "list_remove",
    "list_remove_by_index",
    "list_remove_by_index_range",
    "list_remove_by_rank",
    "list_remove_by_rank_range",
    "list_remove_by_value",
    "list_remove_by_value_list",
    "list_remove_by_value_range",
    "list_remove_by_value_rank_range_relative",
    "list_remove_range",
    "list_set",
    "list_set_order",
    "list_size",
    "list_sort",
    "list_trim",
]

Ctx = Sequence[CDTContext] | None

# Operation codes of the op dicts (API.md section 9; 1032+ are additions).
OP_LIST_APPEND = 1001
OP_LIST_APPEND_ITEMS = 1002
OP_LIST_INSERT = 1003
OP_LIST_INSERT_ITEMS = 1004
OP_LIST_POP = 1005
OP_LIST_POP_RANGE = 1006
OP_LIST_REMOVE = 1007
OP_LIST_REMOVE_RANGE = 1008
OP_LIST_SET = 1009
OP_LIST_TRIM = 1010
OP_LIST_CLEAR = 1011
OP_LIST_SIZE = 1012
OP_LIST_GET = 1013
OP_LIST_GET_RANGE = 1014
OP_LIST_GET_BY_VALUE = 1015
OP_LIST_GET_BY_INDEX = 1016
OP_LIST_GET_BY_INDEX_RANGE = 1017
OP_LIST_GET_BY_RANK = 1018
OP_LIST_GET_BY_RANK_RANGE = 1019
OP_LIST_GET_BY_VALUE_LIST = 1020
OP_LIST_GET_BY_VALUE_RANGE = 1021
OP_LIST_REMOVE_BY_VALUE = 1022
OP_LIST_REMOVE_BY_VALUE_LIST = 1023
OP_LIST_REMOVE_BY_VALUE_RANGE = 1024
OP_LIST_REMOVE_BY_INDEX = 1025
OP_LIST_REMOVE_BY_INDEX_RANGE = 1026
OP_LIST_REMOVE_BY_RANK = 1027
OP_LIST_REMOVE_BY_RANK_RANGE = 1028
OP_LIST_INCREMENT = 1029
OP_LIST_SORT = 1030
OP_LIST_SET_ORDER = 1031
OP_LIST_GET_BY_VALUE_RANK_RANGE_REL = 1032
OP_LIST_REMOVE_BY_VALUE_RANK_RANGE_REL = 1033
OP_LIST_CREATE = 1034

INVERTED = 0x10000
PERSIST_INDEX = 0x10

# Create flags of the last ctx step of list_create (as_list_order_to_flag).
_CREATE_UNORDERED = 0x40
_CREATE_PADDED = 0x80
_CREATE_ORDERED = 0xC0


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
            f"{builder}: return_type must be an int (LIST_RETURN_*), not "
            f"{type(return_type).__name__}"
        )
    if not isinstance(inverted, bool):
        raise InvalidArgError(
            f"{builder}: inverted must be a bool, not {type(inverted).__name__}"
        )
    return return_type | INVERTED if inverted else return_type


# -- adding and changing elements ---------------------------------------------


def list_append(
    bin: str, val: Any, policy: ListPolicy | None = None, *, ctx: Ctx = None
) -> Operation:
    """Add ``val`` at the end of the list (in order, for an ordered list)."""
    return _op(OP_LIST_APPEND, bin, ctx, val=val, list_policy=policy)


def list_append_items(
    bin: str, values: list[Any], policy: ListPolicy | None = None, *, ctx: Ctx = None
) -> Operation:
    """Add each of ``values`` at the end of the list."""
    return _op(OP_LIST_APPEND_ITEMS, bin, ctx, val=values, list_policy=policy)


def list_insert(
    bin: str, index: int, val: Any, policy: ListPolicy | None = None, *, ctx: Ctx = None
) -> Operation:
    """Insert ``val`` before ``index`` (past the end pads with nils)."""
    return _op(OP_LIST_INSERT, bin, ctx, index=index, val=val, list_policy=policy)


def list_insert_items(
    bin: str,
    index: int,
    values: list[Any],
    policy: ListPolicy | None = None,
    *,
    ctx: Ctx = None,
) -> Operation:
    """Insert ``values`` before ``index``."""
    return _op(
        OP_LIST_INSERT_ITEMS, bin, ctx, index=index, val=values, list_policy=policy
    )


def list_set(
    bin: str, index: int, val: Any, policy: ListPolicy | None = None, *, ctx: Ctx = None
) -> Operation:
    """Overwrite the element at ``index`` (past the end pads with nils)."""
    return _op(OP_LIST_SET, bin, ctx, index=index, val=val, list_policy=policy)


def list_increment(
    bin: str,
    index: int,
    val: int | float,
    policy: ListPolicy | None = None,
    *,
    ctx: Ctx = None,
) -> Operation:
    """Add ``val`` to the number at ``index``; return the new number."""
    return _op(OP_LIST_INCREMENT, bin, ctx, index=index, val=val, list_policy=policy)


def list_sort(bin: str, sort_flags: int = 0, *, ctx: Ctx = None) -> Operation:
    """Sort the list (``LIST_SORT_*`` flags)."""
    return _op(OP_LIST_SORT, bin, ctx, val=sort_flags)


def list_set_order(
    bin: str, list_order: int = C.LIST_UNORDERED, *, ctx: Ctx = None
) -> Operation:
    """Make the list ordered (sorting it) or unordered."""
    return _op(OP_LIST_SET_ORDER, bin, ctx, val=list_order)


def list_create(
    bin: str,
    list_order: int = C.LIST_UNORDERED,
    pad: bool = False,
    persist_index: bool = False,
    *,
    ctx: Ctx = None,
) -> Operation:
    """Create an empty list (at ``ctx``) unless one is there.

    With ``pad`` an index in ``ctx`` past the end of the parent list pads
    it with nils; ``persist_index`` applies to a top-level list only.
    """
    return _op(
        OP_LIST_CREATE,
        bin,
        ctx,
        list_order=list_order,
        pad=pad,
        persist_index=persist_index,
    )


# -- removing -----------------------------------------------------------------


def list_pop(bin: str, index: int, *, ctx: Ctx = None) -> Operation:
    """Remove the element at ``index`` and return it."""
    return _op(OP_LIST_POP, bin, ctx, index=index)


def list_pop_range(
    bin: str, index: int, count: int | None, *, ctx: Ctx = None
) -> Operation:
    """Remove ``count`` elements from ``index`` (None: to the end); return them."""
    return _op(OP_LIST_POP_RANGE, bin, ctx, index=index, count=count)


def list_remove(bin: str, index: int, *, ctx: Ctx = None) -> Operation:
    """Remove the element at ``index``; return how many were removed."""
    return _op(OP_LIST_REMOVE, bin, ctx, index=index)


def list_remove_range(
    bin: str, index: int, count: int | None, *, ctx: Ctx = None
) -> Operation:
    """Remove ``count`` elements from ``index``; return how many."""
    return _op(OP_LIST_REMOVE_RANGE, bin, ctx, index=index, count=count)


def list_trim(bin: str, index: int, count: int, *, ctx: Ctx = None) -> Operation:
    """Keep only ``count`` elements from ``index``; return how many went."""
    return _op(OP_LIST_TRIM, bin, ctx, index=index, count=count)


def list_clear(bin: str, *, ctx: Ctx = None) -> Operation:
    """Remove every element (an ordered list stays ordered)."""
    return _op(OP_LIST_CLEAR, bin, ctx)


# -- reading by position ------------------------------------------------------


def list_size(bin: str, *, ctx: Ctx = None) -> Operation:
    """Return the number of elements."""
    return _op(OP_LIST_SIZE, bin, ctx)


def list_get(bin: str, index: int, *, ctx: Ctx = None) -> Operation:
    """Return the element at ``index``."""
    return _op(OP_LIST_GET, bin, ctx, index=index)


def list_get_range(
    bin: str, index: int, count: int | None, *, ctx: Ctx = None
) -> Operation:
    """Return ``count`` elements from ``index`` (None: to the end)."""
    return _op(OP_LIST_GET_RANGE, bin, ctx, index=index, count=count)


# -- selections: get ----------------------------------------------------------


def list_get_by_value(
    bin: str,
    val: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select every element equal to ``val``."""
    rt = _return_type(return_type, inverted, "list_get_by_value")
    return _op(OP_LIST_GET_BY_VALUE, bin, ctx, val=val, return_type=rt)


def list_get_by_index(
    bin: str, index: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Select the element at ``index``."""
    rt = _return_type(return_type, False, "list_get_by_index")
    return _op(OP_LIST_GET_BY_INDEX, bin, ctx, index=index, return_type=rt)


def list_get_by_index_range(
    bin: str,
    index: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select ``count`` elements from ``index`` (None: to the end)."""
    rt = _return_type(return_type, inverted, "list_get_by_index_range")
    return _op(
        OP_LIST_GET_BY_INDEX_RANGE, bin, ctx, index=index, return_type=rt, count=count
    )


def list_get_by_rank(
    bin: str, rank: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Select the element of rank ``rank`` (0 smallest, -1 largest)."""
    rt = _return_type(return_type, False, "list_get_by_rank")
    return _op(OP_LIST_GET_BY_RANK, bin, ctx, rank=rank, return_type=rt)


def list_get_by_rank_range(
    bin: str,
    rank: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select ``count`` elements by rank from ``rank`` (None: to the end)."""
    rt = _return_type(return_type, inverted, "list_get_by_rank_range")
    return _op(
        OP_LIST_GET_BY_RANK_RANGE, bin, ctx, rank=rank, return_type=rt, count=count
    )


def list_get_by_value_list(
    bin: str,
    values: list[Any],
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select every element equal to one of ``values``."""
    rt = _return_type(return_type, inverted, "list_get_by_value_list")
    return _op(OP_LIST_GET_BY_VALUE_LIST, bin, ctx, val=values, return_type=rt)


def list_get_by_value_range(
    bin: str,
    begin: Any,
    end: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select elements in [begin, end); ``end`` None selects to the largest."""
    rt = _return_type(return_type, inverted, "list_get_by_value_range")
    return _op(
        OP_LIST_GET_BY_VALUE_RANGE, bin, ctx, val=begin, val_end=end, return_type=rt
    )


def list_get_by_value_rank_range_relative(
    bin: str,
    value: Any,
    offset: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Select by rank relative to ``value``: from its rank + ``offset``.

    ``value`` need not be in the list; its rank is where it would sort.
    """
    rt = _return_type(return_type, inverted, "list_get_by_value_rank_range_relative")
    return _op(
        OP_LIST_GET_BY_VALUE_RANK_RANGE_REL,
        bin,
        ctx,
        val=value,
        rank=offset,
        return_type=rt,
        count=count,
    )


# -- selections: remove -------------------------------------------------------


def list_remove_by_value(
    bin: str,
    val: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove every element equal to ``val``."""
    rt = _return_type(return_type, inverted, "list_remove_by_value")
    return _op(OP_LIST_REMOVE_BY_VALUE, bin, ctx, val=val, return_type=rt)


def list_remove_by_value_list(
    bin: str,
    values: list[Any],
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove every element equal to one of ``values``."""
    rt = _return_type(return_type, inverted, "list_remove_by_value_list")
    return _op(OP_LIST_REMOVE_BY_VALUE_LIST, bin, ctx, val=values, return_type=rt)


def list_remove_by_value_range(
    bin: str,
    begin: Any,
    end: Any,
    return_type: int,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove elements in [begin, end); ``end`` None removes to the largest."""
    rt = _return_type(return_type, inverted, "list_remove_by_value_range")
    return _op(
        OP_LIST_REMOVE_BY_VALUE_RANGE,
        bin,
        ctx,
        val=begin,
        val_end=end,
        return_type=rt,
    )


def list_remove_by_index(
    bin: str, index: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Remove the element at ``index``."""
    rt = _return_type(return_type, False, "list_remove_by_index")
    return _op(OP_LIST_REMOVE_BY_INDEX, bin, ctx, index=index, return_type=rt)


def list_remove_by_index_range(
    bin: str,
    index: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove ``count`` elements from ``index`` (None: to the end)."""
    rt = _return_type(return_type, inverted, "list_remove_by_index_range")
    return _op(
        OP_LIST_REMOVE_BY_INDEX_RANGE,
        bin,
        ctx,
        index=index,
        return_type=rt,
        count=count,
    )


def list_remove_by_rank(
    bin: str, rank: int, return_type: int, *, ctx: Ctx = None
) -> Operation:
    """Remove the element of rank ``rank``."""
    rt = _return_type(return_type, False, "list_remove_by_rank")
    return _op(OP_LIST_REMOVE_BY_RANK, bin, ctx, rank=rank, return_type=rt)


def list_remove_by_rank_range(
    bin: str,
    rank: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove ``count`` elements by rank from ``rank`` (None: to the end)."""
    rt = _return_type(return_type, inverted, "list_remove_by_rank_range")
    return _op(
        OP_LIST_REMOVE_BY_RANK_RANGE, bin, ctx, rank=rank, return_type=rt, count=count
    )


def list_remove_by_value_rank_range_relative(
    bin: str,
    value: Any,
    offset: int,
    return_type: int,
    count: int | None = None,
    *,
    inverted: bool = False,
    ctx: Ctx = None,
) -> Operation:
    """Remove by rank relative to ``value``: from its rank + ``offset``."""
    rt = _return_type(return_type, inverted, "list_remove_by_value_rank_range_relative")
    return _op(
        OP_LIST_REMOVE_BY_VALUE_RANK_RANGE_REL,
        bin,
        ctx,
        val=value,
        rank=offset,
        return_type=rt,
        count=count,
    )


# -- encoding -----------------------------------------------------------------
# Each encoder turns an op dict into the arguments of the server op; the
# optional ones are sent exactly when the official client sends them.

ArgsEncoder = Callable[[Mapping[str, Any], str], list[Any]]


def _policy(op: Mapping[str, Any], name: str) -> tuple[int, int] | None:
    """(order, write flags) of the op's ListPolicy, None without one."""
    policy = op.get("list_policy")
    if not policy:
        return None
    if not isinstance(policy, Mapping):
        raise InvalidArgError(
            f"{name}: policy must be a ListPolicy dict, not {type(policy).__name__}"
        )
    unknown = set(policy) - {"order", "flags"}
    if unknown:
        raise InvalidArgError(
            f"{name}: unknown ListPolicy key(s) {sorted(unknown)}; "
            "use 'order' and 'flags'"
        )
    order = _policy_int(policy, "order", name)
    if order not in (C.LIST_UNORDERED, C.LIST_ORDERED):
        raise InvalidArgError(
            f"{name}: policy order must be LIST_UNORDERED or LIST_ORDERED, not {order}"
        )
    return order, _policy_int(policy, "flags", name)


def _policy_int(policy: Mapping[str, Any], key: str, name: str) -> int:
    value = policy.get(key, 0)
    if type(value) is not int:
        raise InvalidArgError(
            f"{name}: policy {key} must be an int, not {type(value).__name__}"
        )
    return value


def _order_and_flags(op: Mapping[str, Any], name: str) -> list[Any]:
    policy = _policy(op, name)
    return [] if policy is None else list(policy)


def _flags_only(op: Mapping[str, Any], name: str) -> list[Any]:
    policy = _policy(op, name)
    return [] if policy is None else [policy[1]]


def _value(op: Mapping[str, Any], name: str) -> Any:
    return _ops.required(op, "val")


def _values(op: Mapping[str, Any], name: str) -> list[Any]:
    values = _ops.required(op, "val")
    if not isinstance(values, (list, tuple)):
        raise InvalidArgError(
            f"{name}: values must be a list, not {type(values).__name__}"
        )
    return list(values)


def _index(op: Mapping[str, Any], name: str) -> int:
    return op_int(op, "index", name)


def _rank(op: Mapping[str, Any], name: str) -> int:
    # An op dict may give a rank under "index" (API.md section 8).
    return op_int(op, "rank" if "rank" in op else "index", name)


def _rt(op: Mapping[str, Any], name: str) -> int:
    return op_int(op, "return_type", name)


def _count(op: Mapping[str, Any], name: str) -> list[Any]:
    count = op_optional_int(op, "count", name)
    return [] if count is None else [count]


def _append_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_value(op, name), *_order_and_flags(op, name)]


def _append_items_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_values(op, name), *_order_and_flags(op, name)]


def _insert_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_index(op, name), _value(op, name), *_flags_only(op, name)]


def _insert_items_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_index(op, name), _values(op, name), *_flags_only(op, name)]


def _increment_args(op: Mapping[str, Any], name: str) -> list[Any]:
    value = _value(op, name)
    if type(value) not in (int, float):
        raise InvalidArgError(
            f"{name}: val must be an int or float, not {type(value).__name__}"
        )
    return [_index(op, name), value, *_order_and_flags(op, name)]


def _index_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_index(op, name)]


def _index_count_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_index(op, name), *_count(op, name)]


def _no_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return []


def _int_value_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [op_int(op, "val", name)]


def _by_value_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _value(op, name)]


def _by_values_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _values(op, name)]


def _by_index_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _index(op, name)]


def _by_index_range_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _index(op, name), *_count(op, name)]


def _by_rank_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _rank(op, name)]


def _by_rank_range_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _rank(op, name), *_count(op, name)]


def _by_value_range_args(op: Mapping[str, Any], name: str) -> list[Any]:
    # An open end is left out: the server then selects to the largest value.
    args = [_rt(op, name), op.get("val")]
    end = op.get("val_end")
    return args if end is None else [*args, end]


def _relative_args(op: Mapping[str, Any], name: str) -> list[Any]:
    return [_rt(op, name), _value(op, name), _rank(op, name), *_count(op, name)]


def _create_args(op: Mapping[str, Any], name: str) -> list[Any]:
    order = op_int(op, "list_order", name)
    if order not in (C.LIST_UNORDERED, C.LIST_ORDERED):
        raise InvalidArgError(
            f"{name}: list_order must be LIST_UNORDERED or LIST_ORDERED, not {order}"
        )
    # A nested list cannot persist its index: only a top-level one sends it.
    if op.get("persist_index") and not op.get("ctx"):
        order |= PERSIST_INDEX
    return [order]


def _create_flag(op: Mapping[str, Any]) -> int:
    if op.get("list_order") == C.LIST_ORDERED:
        return _CREATE_ORDERED
    return _CREATE_PADDED if op.get("pad") else _CREATE_UNORDERED


_READ = msg.OP_CDT_READ
_MODIFY = msg.OP_CDT_MODIFY

# op dict code -> (builder name, op type, server op code, argument encoder)
_OPS: dict[int, tuple[str, int, int, ArgsEncoder]] = {
    OP_LIST_APPEND: ("list_append", _MODIFY, 1, _append_args),
    OP_LIST_APPEND_ITEMS: ("list_append_items", _MODIFY, 2, _append_items_args),
    OP_LIST_INSERT: ("list_insert", _MODIFY, 3, _insert_args),
    OP_LIST_INSERT_ITEMS: ("list_insert_items", _MODIFY, 4, _insert_items_args),
    OP_LIST_POP: ("list_pop", _MODIFY, 5, _index_args),
    OP_LIST_POP_RANGE: ("list_pop_range", _MODIFY, 6, _index_count_args),
    OP_LIST_REMOVE: ("list_remove", _MODIFY, 7, _index_args),
    OP_LIST_REMOVE_RANGE: ("list_remove_range", _MODIFY, 8, _index_count_args),
    OP_LIST_SET: ("list_set", _MODIFY, 9, _insert_args),
    OP_LIST_TRIM: ("list_trim", _MODIFY, 10, _index_count_args),
    OP_LIST_CLEAR: ("list_clear", _MODIFY, 11, _no_args),
    OP_LIST_INCREMENT: ("list_increment", _MODIFY, 12, _increment_args),
    OP_LIST_SORT: ("list_sort", _MODIFY, 13, _int_value_args),
    OP_LIST_SET_ORDER: ("list_set_order", _MODIFY, 0, _int_value_args),
    OP_LIST_CREATE: ("list_create", _MODIFY, 0, _create_args),
    OP_LIST_SIZE: ("list_size", _READ, 16, _no_args),
    OP_LIST_GET: ("list_get", _READ, 17, _index_args),
    OP_LIST_GET_RANGE: ("list_get_range", _READ, 18, _index_count_args),
    OP_LIST_GET_BY_INDEX: ("list_get_by_index", _READ, 19, _by_index_args),
    OP_LIST_GET_BY_RANK: ("list_get_by_rank", _READ, 21, _by_rank_args),
    OP_LIST_GET_BY_VALUE: ("list_get_by_value", _READ, 22, _by_value_args),
    OP_LIST_GET_BY_VALUE_LIST: ("list_get_by_value_list", _READ, 23, _by_values_args),
    OP_LIST_GET_BY_INDEX_RANGE: (
        "list_get_by_index_range",
        _READ,
        24,
        _by_index_range_args,
    ),
    OP_LIST_GET_BY_VALUE_RANGE: (
        "list_get_by_value_range",
        _READ,
        25,
        _by_value_range_args,
    ),
    OP_LIST_GET_BY_RANK_RANGE: (
        "list_get_by_rank_range",
        _READ,
        26,
        _by_rank_range_args,
    ),
    OP_LIST_GET_BY_VALUE_RANK_RANGE_REL: (
        "list_get_by_value_rank_range_relative",
        _READ,
        27,
        _relative_args,
    ),
    OP_LIST_REMOVE_BY_INDEX: ("list_remove_by_index", _MODIFY, 32, _by_index_args),
    OP_LIST_REMOVE_BY_RANK: ("list_remove_by_rank", _MODIFY, 34, _by_rank_args),
    OP_LIST_REMOVE_BY_VALUE: ("list_remove_by_value", _MODIFY, 35, _by_value_args),
    OP_LIST_REMOVE_BY_VALUE_LIST: (
        "list_remove_by_value_list",
        _MODIFY,
        36,
        _by_values_args,
    ),
    OP_LIST_REMOVE_BY_INDEX_RANGE: (
        "list_remove_by_index_range",
        _MODIFY,
        37,
        _by_index_range_args,
    ),
    OP_LIST_REMOVE_BY_VALUE_RANGE: (
        "list_remove_by_value_range",
        _MODIFY,
        38,
        _by_value_range_args,
    ),
    OP_LIST_REMOVE_BY_RANK_RANGE: (
        "list_remove_by_rank_range",
        _MODIFY,
        39,
        _by_rank_range_args,
    ),
    OP_LIST_REMOVE_BY_VALUE_RANK_RANGE_REL: (
        "list_remove_by_value_rank_range_relative",
        _MODIFY,
        40,
        _relative_args,
    ),
}


def _encoder(
    code: int, name: str, op_type: int, server_code: int, args: ArgsEncoder
) -> _ops.Encoder:
    def encode(op: Mapping[str, Any]) -> msg.Op:
        bin_name = _ops.op_bin(op)
        ctx = op_ctx(op, name)
        if code == OP_LIST_CREATE and ctx:
            ctx = with_create_flag(ctx, _create_flag(op))
        values = args(op, name)
        try:
            payload = cdt_payload(server_code, values, ctx)
        except InvalidArgError as exc:
            raise InvalidArgError(f"{name} on bin {bin_name!r}: {exc}") from None
        return msg.Op(op_type, particle.BLOB, bin_name, payload)

    return encode


def _register() -> None:
    for code, (name, op_type, server_code, args) in _OPS.items():
        kind = _ops.READ if op_type == _READ else _ops.MODIFY
        _ops.register(code, _encoder(code, name, op_type, server_code, args), kind)


_register()
