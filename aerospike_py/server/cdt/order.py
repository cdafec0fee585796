"""Aerospike's ordering of values, as ordered lists, maps and ranks see it.

The server compares msgpack values type first (cf/src/msgpack_in.c,
``msgpack_cmp_internal``), in this order::

    nil < false < true < integers < strings < lists < maps < bytes
        < doubles < GeoJSON < other ext < WILDCARD < INFINITY

Within a type: integers by value, strings, bytes and GeoJSON by ``memcmp``
of their payload (particle-type byte included) then length, lists element
by element (a proper prefix is smaller), maps by pair count and then pair
by pair in stored order. Integers and doubles never compare by value.
WILDCARD ends a comparison as "equal" wherever it appears, so ``["a",
WILDCARD]`` matches every list that starts with ``"a"``; INFINITY is
greater than everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

from aerospike_py.wire.values import (
    HLL,
    INFINITY,
    WILDCARD,
    GeoJSON,
    KeyOrderedDict,
    LanguageBlob,
    OrderedList,
)

__all__ = [
    "INFINITY",
    "WILDCARD",
    "compare",
    "has_marker",
    "normalize",
    "sort_key",
]

# Type ranks (msgpack_type in cf/include/msgpack_in.h).
_NIL, _FALSE, _TRUE, _INT, _STRING, _LIST, _MAP = 1, 2, 3, 4, 5, 6, 7
_BYTES, _DOUBLE, _GEOJSON, _EXT, _WILDCARD, _INFINITY = 8, 9, 10, 11, 12, 13

# A wildcard ended the comparison: the whole comparison is "equal".
_STOP = 2

PT_BLOB = 0x04
PT_HLL = 0x12


def _type_rank(value: Any) -> int:
    """The msgpack type of a value, as the comparison orders types."""
    if value is None:
        return _NIL
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    kind = type(value)
    rank = _RANKS.get(kind)
    if rank is not None:
        return rank
    return _rank_by_base(value)


def _rank_by_base(value: Any) -> int:
    if value is WILDCARD:
        return _WILDCARD
    if value is INFINITY:
        return _INFINITY
    for base, rank in _BASE_RANKS:
        if isinstance(value, base):
            return rank
    return _EXT


_RANKS: dict[type, int] = {
    int: _INT,
    str: _STRING,
    list: _LIST,
    OrderedList: _LIST,
    dict: _MAP,
    KeyOrderedDict: _MAP,
    bytes: _BYTES,
    bytearray: _BYTES,
    float: _DOUBLE,
    GeoJSON: _GEOJSON,
}

# Subclasses (HLL, LanguageBlob, the other ordered dict) by their base type;
# GeoJSON before str since it is one.
_BASE_RANKS: tuple[tuple[type, int], ...] = (
    (bool, _TRUE),
    (int, _INT),
    (GeoJSON, _GEOJSON),
    (str, _STRING),
    (bytes, _BYTES),
    (bytearray, _BYTES),
    (float, _DOUBLE),
    (list, _LIST),
    (dict, _MAP),
)


def _typed_bytes(value: Any) -> bytes:
    """Bytes as the server holds them: particle-type byte, then payload."""
    if isinstance(value, HLL):
        return bytes((PT_HLL,)) + value
    if isinstance(value, LanguageBlob):
        return bytes((value.particle_type,)) + value
    return bytes((PT_BLOB,)) + bytes(value)


def _sign(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _cmp_scalar(a: Any, b: Any) -> int:
    return _sign(a, b)


def _cmp_string(a: Any, b: Any) -> int:
    return _sign(a.encode(), b.encode())


def _cmp_bytes(a: Any, b: Any) -> int:
    return _sign(_typed_bytes(a), _typed_bytes(b))


def _cmp_ext(a: Any, b: Any) -> int:
    return _sign(bytes(getattr(a, "data", b"")), bytes(getattr(b, "data", b"")))


def _cmp_equal(a: Any, b: Any) -> int:
    return 0


def _cmp_list(a: Any, b: Any) -> int:
    for x, y in zip(a, b, strict=False):
        result = _compare(x, y)
        if result:
            return result
    return _sign(len(a), len(b))


def _cmp_map(a: Any, b: Any) -> int:
    if len(a) != len(b):
        return _sign(len(a), len(b))
    for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True):
        result = _compare(ka, kb) or _compare(va, vb)
        if result:
            return result
    return 0


_SAME_TYPE: dict[int, Callable[[Any, Any], int]] = {
    _NIL: _cmp_equal,
    _FALSE: _cmp_equal,
    _TRUE: _cmp_equal,
    _INT: _cmp_scalar,
    _STRING: _cmp_string,
    _LIST: _cmp_list,
    _MAP: _cmp_map,
    _BYTES: _cmp_bytes,
    _DOUBLE: _cmp_scalar,
    _GEOJSON: _cmp_string,
    _EXT: _cmp_ext,
    _INFINITY: _cmp_equal,
}


def _compare(a: Any, b: Any) -> int:
    rank_a = _type_rank(a)
    rank_b = _type_rank(b)
    if rank_a == _WILDCARD or rank_b == _WILDCARD:
        return _STOP
    if rank_a != rank_b:
        return -1 if rank_a < rank_b else 1
    return _SAME_TYPE[rank_a](a, b)


def compare(a: Any, b: Any) -> int:
    """Return -1, 0 or 1 as ``a`` sorts before, with or after ``b``."""
    result = _compare(a, b)
    return 0 if result == _STOP else result


sort_key = cmp_to_key(compare)


def has_marker(value: Any) -> bool:
    """Whether WILDCARD or INFINITY appears anywhere in ``value``.

    Such values only select; the server refuses to store them
    (``AS_CDT_PARAM_STORAGE`` in as/src/base/cdt.c).
    """
    if value is WILDCARD or value is INFINITY:
        return True
    if isinstance(value, list):
        return any(has_marker(item) for item in value)
    if isinstance(value, dict):
        return any(has_marker(k) or has_marker(v) for k, v in value.items())
    return False


def normalize(value: Any) -> Any:
    """Return ``value`` with every ordered list and map in it sorted.

    The server keeps ordered containers sorted however they were written
    (``cdt_untrusted_rewrite`` in as/src/base/cdt.c), so a key-ordered map
    written by a plain put comes back in key order.
    """
    if isinstance(value, list):
        items = [normalize(item) for item in value]
        if getattr(value, "list_order", 0) & 1:
            items.sort(key=sort_key)
            return OrderedList(items)
        return items
    if isinstance(value, dict):
        pairs = [(key, normalize(item)) for key, item in value.items()]
        if getattr(value, "map_order", 0):
            pairs.sort(key=lambda pair: sort_key(pair[0]))
        return type(value)(pairs)
    return value
