"""Steps into nested lists and maps, for the ``ctx`` of CDT operations.

A context is a list of steps, outermost first::

    from aerospike_py import cdt_ctx, list_operations as lo

    # append 5 to the list under key "scores" of the map in bin "m"
    lo.list_append("m", 5, ctx=[cdt_ctx.cdt_ctx_map_key("scores")])

Each step is a :class:`~aerospike_py._cdt.CDTContext` with the id the
server reads (PROTOCOL.md 9.6): 0x10 list index, 0x11 list rank, 0x13
list value, 0x20 map index, 0x21 map rank, 0x22 map key, 0x23 map value.
The ``*_create`` steps let a modify operation create what is missing: the
list or map at that step gets the given order, and a padded list is
filled with nils up to the index.
"""

from __future__ import annotations

from typing import Any

from aerospike_py import _constants as C
from aerospike_py._cdt import CDTContext
from aerospike_py.exception import InvalidArgError

__all__ = [
    "CDTContext",
    "cdt_ctx_list_index",
    "cdt_ctx_list_index_create",
    "cdt_ctx_list_rank",
    "cdt_ctx_list_value",
    "cdt_ctx_map_index",
    "cdt_ctx_map_key",
    "cdt_ctx_map_key_create",
    "cdt_ctx_map_rank",
    "cdt_ctx_map_value",
]

CTX_LIST_INDEX = 0x10
CTX_LIST_RANK = 0x11
CTX_LIST_VALUE = 0x13
CTX_MAP_INDEX = 0x20
CTX_MAP_RANK = 0x21
CTX_MAP_KEY = 0x22
CTX_MAP_VALUE = 0x23

# Create flags OR-ed into a step id (as_list_order_to_flag and
# as_map_order_to_flag of the C client).
CREATE_UNORDERED = 0x40
CREATE_PADDED = 0x80  # lists: unordered, padded with nils
CREATE_ORDERED = 0xC0  # lists: ordered

_MAP_CREATE = {
    C.MAP_UNORDERED: CREATE_UNORDERED,
    C.MAP_KEY_ORDERED: 0x80,
    C.MAP_KEY_VALUE_ORDERED: 0xC0,
}


def _int(value: Any, name: str, builder: str) -> int:
    if type(value) is not int:
        raise InvalidArgError(
            f"{builder}: {name} must be an int, not {type(value).__name__} "
            f"({value!r:.40})"
        )
    return value


def cdt_ctx_list_index(index: int) -> CDTContext:
    """Step to the list element at ``index`` (negative counts from the end)."""
    return CDTContext(CTX_LIST_INDEX, _int(index, "index", "cdt_ctx_list_index"))


def cdt_ctx_list_rank(rank: int) -> CDTContext:
    """Step to the list element of value rank ``rank`` (0 = smallest)."""
    return CDTContext(CTX_LIST_RANK, _int(rank, "rank", "cdt_ctx_list_rank"))


def cdt_ctx_list_value(value: Any) -> CDTContext:
    """Step to the first list element equal to ``value``."""
    return CDTContext(CTX_LIST_VALUE, value)


def cdt_ctx_list_index_create(
    index: int, order: int = C.LIST_UNORDERED, pad: bool = False
) -> CDTContext:
    """Step to the list element at ``index``, creating what is missing.

    A list created at this step gets ``order``; with ``pad`` an unordered
    list is padded with nils up to an index past its end.
    """
    index = _int(index, "index", "cdt_ctx_list_index_create")
    if order not in (C.LIST_UNORDERED, C.LIST_ORDERED):
        raise InvalidArgError(
            f"cdt_ctx_list_index_create: order must be LIST_UNORDERED (0) or "
            f"LIST_ORDERED (1), not {order!r}"
        )
    if not isinstance(pad, bool):
        raise InvalidArgError(
            f"cdt_ctx_list_index_create: pad must be a bool, not {type(pad).__name__}"
        )
    if order == C.LIST_ORDERED:
        flag = CREATE_ORDERED
    else:
        flag = CREATE_PADDED if pad else CREATE_UNORDERED
    return CDTContext(CTX_LIST_INDEX | flag, index)


def cdt_ctx_map_index(index: int) -> CDTContext:
    """Step to the map entry at ``index`` in key order."""
    return CDTContext(CTX_MAP_INDEX, _int(index, "index", "cdt_ctx_map_index"))


def cdt_ctx_map_rank(rank: int) -> CDTContext:
    """Step to the map entry of value rank ``rank`` (0 = smallest value)."""
    return CDTContext(CTX_MAP_RANK, _int(rank, "rank", "cdt_ctx_map_rank"))


def cdt_ctx_map_key(key: Any) -> CDTContext:
    """Step to the value under ``key``."""
    return CDTContext(CTX_MAP_KEY, key)


def cdt_ctx_map_value(value: Any) -> CDTContext:
    """Step to the first map entry whose value equals ``value``."""
    return CDTContext(CTX_MAP_VALUE, value)


def cdt_ctx_map_key_create(key: Any, order: int = C.MAP_UNORDERED) -> CDTContext:
    """Step to the value under ``key``, creating what is missing.

    A map created at this step gets ``order`` (a ``MAP_*`` order).
    """
    flag = _MAP_CREATE.get(order) if type(order) is int else None
    if flag is None:
        raise InvalidArgError(
            f"cdt_ctx_map_key_create: order must be MAP_UNORDERED (0), "
            f"MAP_KEY_ORDERED (1) or MAP_KEY_VALUE_ORDERED (3), not {order!r}"
        )
    return CDTContext(CTX_MAP_KEY | flag, key)
