"""Filter expressions: builders of expression trees, and their compiler.

Each builder returns a plain dict node ``{"__expr__": <name>, ...}``; nodes
nest, and a plain Python value (int, float, str, bytes, bool, None, list,
dict, GeoJSON, HLL) stands for a literal wherever an expression is expected.
:func:`compile_expression` turns a tree into the msgpack bytes of
PROTOCOL.md section 11, byte for byte what the official client sends for the
same expression::

    from aerospike_py import REGEX_ICASE, exp

    adult_ada = exp.and_(
        exp.ge(exp.int_bin("age"), 18),
        exp.regex_compare("^ada", REGEX_ICASE, exp.string_bin("name")),
    )
    client.get(key, policy={"filter_expression": adult_ada})

The list, map, bit and HLL read expressions (``list_size``,
``map_get_by_key``, ``bit_count``, ``hll_may_contain``, ...) follow the
official client's ``aerospike_helpers.expressions``: the bin is an
expression or a bin name, and ``ctx`` (keyword-only) addresses a nested
list or map.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aerospike_py._cdt import CDTContext, cdt_payload
from aerospike_py._ops import check_bin_name
from aerospike_py.exception import InvalidArgError
from aerospike_py.wire import packer
from aerospike_py.wire.values import HLL, INFINITY, WILDCARD, GeoJSON, _Marker

Expr = dict[str, Any]
"""An expression node: a dict built by the functions of this module."""

EXP_TYPE_NIL = 0
EXP_TYPE_BOOL = 1
EXP_TYPE_INT = 2
EXP_TYPE_STRING = 3
EXP_TYPE_LIST = 4
EXP_TYPE_MAP = 5
EXP_TYPE_BLOB = 6
EXP_TYPE_FLOAT = 7
EXP_TYPE_GEO = 8
EXP_TYPE_HLL = 9

NODE = "__expr__"

__all__ = [
    "EXP_TYPE_BLOB",
    "EXP_TYPE_BOOL",
    "EXP_TYPE_FLOAT",
    "EXP_TYPE_GEO",
    "EXP_TYPE_HLL",
    "EXP_TYPE_INT",
    "EXP_TYPE_LIST",
    "EXP_TYPE_MAP",
    "EXP_TYPE_NIL",
    "EXP_TYPE_STRING",
    "Expr",
    "and_",
    "bin_exists",
    "bin_type",
    "bit_count",
    "bit_get",
    "bit_get_int",
    "bit_left_scan",
    "bit_right_scan",
    "blob_bin",
    "blob_val",
    "bool_bin",
    "bool_val",
    "compile_expression",
    "cond",
    "def_",
    "digest_modulo",
    "eq",
    "float_bin",
    "float_val",
    "ge",
    "geo_bin",
    "geo_compare",
    "geo_val",
    "gt",
    "hll_bin",
    "hll_describe",
    "hll_get_count",
    "hll_get_intersect_count",
    "hll_get_similarity",
    "hll_get_union",
    "hll_get_union_count",
    "hll_may_contain",
    "in_list",
    "infinity",
    "int_and",
    "int_arshift",
    "int_bin",
    "int_count",
    "int_lscan",
    "int_lshift",
    "int_not",
    "int_or",
    "int_rscan",
    "int_rshift",
    "int_val",
    "int_xor",
    "is_tombstone",
    "key",
    "key_exists",
    "last_update",
    "le",
    "let_",
    "list_bin",
    "list_get_by_index",
    "list_get_by_index_range",
    "list_get_by_index_range_to_end",
    "list_get_by_rank",
    "list_get_by_rank_range",
    "list_get_by_rank_range_to_end",
    "list_get_by_value",
    "list_get_by_value_list",
    "list_get_by_value_range",
    "list_get_by_value_rel_rank_range",
    "list_get_by_value_rel_rank_range_to_end",
    "list_size",
    "list_val",
    "lt",
    "map_bin",
    "map_get_by_index",
    "map_get_by_index_range",
    "map_get_by_index_range_to_end",
    "map_get_by_key",
    "map_get_by_key_list",
    "map_get_by_key_range",
    "map_get_by_key_rel_index_range",
    "map_get_by_key_rel_index_range_to_end",
    "map_get_by_rank",
    "map_get_by_rank_range",
    "map_get_by_rank_range_to_end",
    "map_get_by_value",
    "map_get_by_value_list",
    "map_get_by_value_range",
    "map_get_by_value_rel_rank_range",
    "map_get_by_value_rel_rank_range_to_end",
    "map_get_keys",
    "map_get_values",
    "map_size",
    "map_val",
    "max_",
    "min_",
    "ne",
    "nil",
    "not_",
    "num_abs",
    "num_add",
    "num_ceil",
    "num_div",
    "num_floor",
    "num_log",
    "num_mod",
    "num_mul",
    "num_pow",
    "num_sub",
    "or_",
    "record_size",
    "regex_compare",
    "set_name",
    "since_update",
    "string_bin",
    "string_val",
    "to_float",
    "to_int",
    "ttl",
    "unknown",
    "var",
    "void_time",
    "wildcard",
    "xor_",
]


def _node(kind: str, /, **fields: Any) -> Expr:
    return {NODE: kind, **fields}


# -- literals -----------------------------------------------------------------


def int_val(val: int) -> Expr:
    """A 64-bit integer literal."""
    return _node("int_val", val=val)


def float_val(val: float) -> Expr:
    """A float literal."""
    return _node("float_val", val=val)


def string_val(val: str) -> Expr:
    """A string literal."""
    return _node("string_val", val=val)


def bool_val(val: bool) -> Expr:
    """A boolean literal."""
    return _node("bool_val", val=val)


def blob_val(val: bytes) -> Expr:
    """A bytes (blob) literal."""
    return _node("blob_val", val=val)


def list_val(val: list[Any]) -> Expr:
    """A list literal."""
    return _node("list_val", val=val)


def map_val(val: dict[Any, Any]) -> Expr:
    """A map literal."""
    return _node("map_val", val=val)


def geo_val(val: str | dict[str, Any]) -> Expr:
    """A GeoJSON literal: JSON text, or a dict that is serialized to it."""
    return _node("geo_val", val=val)


def nil() -> Expr:
    """The nil literal."""
    return _node("nil")


def infinity() -> Expr:
    """INFINITY: greater than every value (the open end of a range)."""
    return _node("infinity")


def wildcard() -> Expr:
    """WILDCARD: equal to every value in CDT comparisons."""
    return _node("wildcard")


def unknown() -> Expr:
    """The 'unknown' value: fails the expression (useful inside ``cond``)."""
    return _node("unknown")


# -- bins and record metadata -------------------------------------------------


def int_bin(name: str) -> Expr:
    """The value of an integer bin (unknown if missing or not an integer)."""
    return _node("int_bin", name=name)


def float_bin(name: str) -> Expr:
    """The value of a float bin."""
    return _node("float_bin", name=name)


def string_bin(name: str) -> Expr:
    """The value of a string bin."""
    return _node("string_bin", name=name)


def bool_bin(name: str) -> Expr:
    """The value of a boolean bin."""
    return _node("bool_bin", name=name)


def blob_bin(name: str) -> Expr:
    """The value of a bytes bin."""
    return _node("blob_bin", name=name)


def list_bin(name: str) -> Expr:
    """The value of a list bin."""
    return _node("list_bin", name=name)


def map_bin(name: str) -> Expr:
    """The value of a map bin."""
    return _node("map_bin", name=name)


def geo_bin(name: str) -> Expr:
    """The value of a GeoJSON bin."""
    return _node("geo_bin", name=name)


def hll_bin(name: str) -> Expr:
    """The value of a HyperLogLog bin."""
    return _node("hll_bin", name=name)


def bin_exists(name: str) -> Expr:
    """True when the record has the bin."""
    return _node("bin_exists", name=name)


def bin_type(name: str) -> Expr:
    """The particle type of a bin (0 when it does not exist)."""
    return _node("bin_type", name=name)


def key(exp_type: int) -> Expr:
    """The stored user key, read as EXP_TYPE_INT, _STRING or _BLOB."""
    return _node("key", exp_type=exp_type)


def key_exists() -> Expr:
    """True when the record stores its user key."""
    return _node("key_exists")


def set_name() -> Expr:
    """The record's set name ("" when it has none)."""
    return _node("set_name")


def record_size() -> Expr:
    """The record's storage size in bytes."""
    return _node("record_size")


def last_update() -> Expr:
    """When the record was last written, in ns since the Unix epoch."""
    return _node("last_update")


def since_update() -> Expr:
    """Milliseconds since the record was last written."""
    return _node("since_update")


def void_time() -> Expr:
    """When the record expires, in ns since the Unix epoch (-1: never)."""
    return _node("void_time")


def ttl() -> Expr:
    """Seconds until the record expires (-1: never)."""
    return _node("ttl")


def is_tombstone() -> Expr:
    """True for a tombstone left by a durable delete."""
    return _node("is_tombstone")


def digest_modulo(modulo: int) -> Expr:
    """The record digest modulo ``modulo``: splits records into groups."""
    return _node("digest_modulo", modulo=modulo)


# -- comparisons and logic ----------------------------------------------------


def eq(left: Any, right: Any) -> Expr:
    """``left == right``."""
    return _node("eq", left=left, right=right)


def ne(left: Any, right: Any) -> Expr:
    """``left != right``."""
    return _node("ne", left=left, right=right)


def gt(left: Any, right: Any) -> Expr:
    """``left > right``."""
    return _node("gt", left=left, right=right)


def ge(left: Any, right: Any) -> Expr:
    """``left >= right``."""
    return _node("ge", left=left, right=right)


def lt(left: Any, right: Any) -> Expr:
    """``left < right``."""
    return _node("lt", left=left, right=right)


def le(left: Any, right: Any) -> Expr:
    """``left <= right``."""
    return _node("le", left=left, right=right)


def and_(*exprs: Any) -> Expr:
    """True when every boolean expression is true."""
    return _node("and", exprs=list(exprs))


def or_(*exprs: Any) -> Expr:
    """True when any boolean expression is true."""
    return _node("or", exprs=list(exprs))


def not_(expr: Any) -> Expr:
    """The negation of a boolean expression."""
    return _node("not", expr=expr)


def xor_(*exprs: Any) -> Expr:
    """True when exactly one of the boolean expressions is true."""
    return _node("xor", exprs=list(exprs))


def regex_compare(regex: str, flags: int, bin_expr: Any) -> Expr:
    """True when a string expression matches a POSIX regex (REGEX_* flags)."""
    return _node("regex_compare", regex=regex, flags=flags, bin=bin_expr)


def geo_compare(left: Any, right: Any) -> Expr:
    """True when a point lies in a region, or a region contains a point."""
    return _node("geo_compare", left=left, right=right)


def in_list(value: Any, list_expr: Any) -> Expr:
    """True when ``value`` is an element of the list (server 8.1 and later)."""
    return _node("in_list", value=value, list=list_expr)


def map_get_keys(map_expr: Any) -> Expr:
    """The list of a map's keys (server 8.1 and later)."""
    return _node("map_get_keys", map=map_expr)


def map_get_values(map_expr: Any) -> Expr:
    """The list of a map's values (server 8.1 and later)."""
    return _node("map_get_values", map=map_expr)


# -- arithmetic ---------------------------------------------------------------


def num_add(*exprs: Any) -> Expr:
    """The sum of integer (or of float) expressions."""
    return _node("num_add", exprs=list(exprs))


def num_sub(*exprs: Any) -> Expr:
    """The first value minus the others (the negation of a single value)."""
    return _node("num_sub", exprs=list(exprs))


def num_mul(*exprs: Any) -> Expr:
    """The product of the values."""
    return _node("num_mul", exprs=list(exprs))


def num_div(*exprs: Any) -> Expr:
    """The first value divided by the others (integer division truncates)."""
    return _node("num_div", exprs=list(exprs))


def num_mod(numerator: Any, denominator: Any) -> Expr:
    """The integer remainder, with the sign of the numerator."""
    return _node("num_mod", exprs=[numerator, denominator])


def num_pow(base: Any, exponent: Any) -> Expr:
    """``base ** exponent`` of two floats."""
    return _node("num_pow", exprs=[base, exponent])


def num_log(num: Any, base: Any) -> Expr:
    """The logarithm of a float in a float base."""
    return _node("num_log", exprs=[num, base])


def num_abs(value: Any) -> Expr:
    """The absolute value of an integer or a float."""
    return _node("num_abs", exprs=[value])


def num_floor(num: Any) -> Expr:
    """A float rounded down."""
    return _node("num_floor", exprs=[num])


def num_ceil(num: Any) -> Expr:
    """A float rounded up."""
    return _node("num_ceil", exprs=[num])


def to_int(num: Any) -> Expr:
    """A float truncated to an integer."""
    return _node("to_int", exprs=[num])


def to_float(num: Any) -> Expr:
    """An integer as a float."""
    return _node("to_float", exprs=[num])


def min_(*exprs: Any) -> Expr:
    """The smallest of the values."""
    return _node("min", exprs=list(exprs))


def max_(*exprs: Any) -> Expr:
    """The largest of the values."""
    return _node("max", exprs=list(exprs))


def int_and(*exprs: Any) -> Expr:
    """Bitwise AND of integers."""
    return _node("int_and", exprs=list(exprs))


def int_or(*exprs: Any) -> Expr:
    """Bitwise OR of integers."""
    return _node("int_or", exprs=list(exprs))


def int_xor(*exprs: Any) -> Expr:
    """Bitwise XOR of integers."""
    return _node("int_xor", exprs=list(exprs))


def int_not(expr: Any) -> Expr:
    """Bitwise NOT of an integer."""
    return _node("int_not", exprs=[expr])


def int_lshift(value: Any, shift: Any) -> Expr:
    """Shift an integer left."""
    return _node("int_lshift", exprs=[value, shift])


def int_rshift(value: Any, shift: Any) -> Expr:
    """Shift an integer right, filling with zeros."""
    return _node("int_rshift", exprs=[value, shift])


def int_arshift(value: Any, shift: Any) -> Expr:
    """Shift an integer right, keeping its sign."""
    return _node("int_arshift", exprs=[value, shift])


def int_count(expr: Any) -> Expr:
    """The number of bits set in an integer."""
    return _node("int_count", exprs=[expr])


def int_lscan(value: Any, search: Any) -> Expr:
    """Index (from the most significant bit) of the first bit equal to
    ``search``, or -1."""
    return _node("int_lscan", exprs=[value, search])


def int_rscan(value: Any, search: Any) -> Expr:
    """Index (from the most significant bit) of the last bit equal to
    ``search``, or -1."""
    return _node("int_rscan", exprs=[value, search])


# -- control flow -------------------------------------------------------------


def cond(*exprs: Any) -> Expr:
    """``cond(c1, a1, c2, a2, ..., default)``: the action of the first true
    condition, else the default."""
    return _node("cond", exprs=list(exprs))


def var(name: str) -> Expr:
    """The value of a variable defined by an enclosing ``let_``."""
    return _node("var", name=name)


def def_(name: str, value: Any) -> Expr:
    """Define a variable for ``let_``."""
    return _node("def", name=name, value=value)


def let_(*exprs: Any) -> Expr:
    """``let_(def_(...), ..., scope)``: evaluate ``scope`` with variables."""
    return _node("let", exprs=list(exprs))


# -- list, map, bit and HLL reads ---------------------------------------------

Ctx = Sequence[CDTContext] | None

INVERTED = 0x10000  # OR-ed into a return type: select the complement


def _call(kind: str, bin: Any, ctx: Ctx, /, **args: Any) -> Expr:
    node = _node(kind, bin=bin, **args)
    if ctx:
        node["ctx"] = list(ctx)
    return node


def _inverted(return_type: int, inverted: bool) -> int:
    return return_type | INVERTED if inverted else return_type


def list_size(bin: Any, *, ctx: Ctx = None) -> Expr:
    """The number of elements of a list."""
    return _call("list_size", bin, ctx)


def list_get_by_value(
    return_type: int, value: Any, bin: Any, *, ctx: Ctx = None, inverted: bool = False
) -> Expr:
    """Select the list elements equal to ``value``."""
    rt = _inverted(return_type, inverted)
    return _call("list_get_by_value", bin, ctx, return_type=rt, value=value)


def list_get_by_value_range(
    return_type: int,
    value_begin: Any,
    value_end: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the list elements in ``[value_begin, value_end)``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "list_get_by_value_range",
        bin,
        ctx,
        return_type=rt,
        value_begin=value_begin,
        value_end=value_end,
    )


def list_get_by_value_list(
    return_type: int,
    values: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the list elements equal to any of ``values``."""
    rt = _inverted(return_type, inverted)
    return _call("list_get_by_value_list", bin, ctx, return_type=rt, values=values)


def list_get_by_value_rel_rank_range_to_end(
    return_type: int,
    value: Any,
    rank: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the list elements from ``rank`` relative to ``value`` on."""
    rt = _inverted(return_type, inverted)
    return _call(
        "list_get_by_value_rel_rank_range_to_end",
        bin,
        ctx,
        return_type=rt,
        value=value,
        rank=rank,
    )


def list_get_by_value_rel_rank_range(
    return_type: int,
    value: Any,
    rank: Any,
    count: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select ``count`` list elements from ``rank`` relative to ``value``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "list_get_by_value_rel_rank_range",
        bin,
        ctx,
        return_type=rt,
        value=value,
        rank=rank,
        count=count,
    )


def list_get_by_index(
    return_type: int, value_type: int, index: Any, bin: Any, *, ctx: Ctx = None
) -> Expr:
    """Select the list element at ``index`` (of EXP_TYPE ``value_type``)."""
    return _call(
        "list_get_by_index",
        bin,
        ctx,
        return_type=return_type,
        value_type=value_type,
        index=index,
    )


def list_get_by_index_range_to_end(
    return_type: int, index: Any, bin: Any, *, ctx: Ctx = None, inverted: bool = False
) -> Expr:
    """Select the list elements from ``index`` to the end."""
    rt = _inverted(return_type, inverted)
    return _call(
        "list_get_by_index_range_to_end", bin, ctx, return_type=rt, index=index
    )


def list_get_by_index_range(
    return_type: int,
    index: Any,
    count: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select ``count`` list elements from ``index``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "list_get_by_index_range", bin, ctx, return_type=rt, index=index, count=count
    )


def list_get_by_rank(
    return_type: int, value_type: int, rank: Any, bin: Any, *, ctx: Ctx = None
) -> Expr:
    """Select the list element of ``rank`` (0 = smallest)."""
    return _call(
        "list_get_by_rank",
        bin,
        ctx,
        return_type=return_type,
        value_type=value_type,
        rank=rank,
    )


def list_get_by_rank_range_to_end(
    return_type: int, rank: Any, bin: Any, *, ctx: Ctx = None, inverted: bool = False
) -> Expr:
    """Select the list elements from ``rank`` to the largest."""
    rt = _inverted(return_type, inverted)
    return _call("list_get_by_rank_range_to_end", bin, ctx, return_type=rt, rank=rank)


def list_get_by_rank_range(
    return_type: int,
    rank: Any,
    count: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select ``count`` list elements from ``rank``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "list_get_by_rank_range", bin, ctx, return_type=rt, rank=rank, count=count
    )


def map_size(bin: Any, *, ctx: Ctx = None) -> Expr:
    """The number of entries of a map."""
    return _call("map_size", bin, ctx)


def map_get_by_key(
    return_type: int, value_type: int, key: Any, bin: Any, *, ctx: Ctx = None
) -> Expr:
    """Select the map entry of ``key``; ``value_type`` is the result's type."""
    return _call(
        "map_get_by_key",
        bin,
        ctx,
        return_type=return_type,
        value_type=value_type,
        key=key,
    )


def map_get_by_key_range(
    return_type: int,
    begin: Any,
    end: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the map entries with keys in ``[begin, end)`` (None: open)."""
    rt = _inverted(return_type, inverted)
    return _call("map_get_by_key_range", bin, ctx, return_type=rt, begin=begin, end=end)


def map_get_by_key_list(
    return_type: int, keys: Any, bin: Any, *, ctx: Ctx = None, inverted: bool = False
) -> Expr:
    """Select the map entries of the listed keys."""
    rt = _inverted(return_type, inverted)
    return _call("map_get_by_key_list", bin, ctx, return_type=rt, keys=keys)


def map_get_by_key_rel_index_range_to_end(
    return_type: int,
    key: Any,
    index: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the map entries from ``index`` relative to ``key`` on."""
    rt = _inverted(return_type, inverted)
    return _call(
        "map_get_by_key_rel_index_range_to_end",
        bin,
        ctx,
        return_type=rt,
        key=key,
        index=index,
    )


def map_get_by_key_rel_index_range(
    return_type: int,
    key: Any,
    index: Any,
    count: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select ``count`` map entries from ``index`` relative to ``key``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "map_get_by_key_rel_index_range",
        bin,
        ctx,
        return_type=rt,
        key=key,
        index=index,
        count=count,
    )


def map_get_by_value(
    return_type: int, value: Any, bin: Any, *, ctx: Ctx = None, inverted: bool = False
) -> Expr:
    """Select the map entries whose value equals ``value``."""
    rt = _inverted(return_type, inverted)
    return _call("map_get_by_value", bin, ctx, return_type=rt, value=value)


def map_get_by_value_range(
    return_type: int,
    value_begin: Any,
    value_end: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the map entries with values in ``[value_begin, value_end)``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "map_get_by_value_range",
        bin,
        ctx,
        return_type=rt,
        value_begin=value_begin,
        value_end=value_end,
    )


def map_get_by_value_list(
    return_type: int,
    values: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the map entries whose value is one of ``values``."""
    rt = _inverted(return_type, inverted)
    return _call("map_get_by_value_list", bin, ctx, return_type=rt, values=values)


def map_get_by_value_rel_rank_range_to_end(
    return_type: int,
    value: Any,
    rank: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select the map entries from ``rank`` relative to ``value`` on."""
    rt = _inverted(return_type, inverted)
    return _call(
        "map_get_by_value_rel_rank_range_to_end",
        bin,
        ctx,
        return_type=rt,
        value=value,
        rank=rank,
    )


def map_get_by_value_rel_rank_range(
    return_type: int,
    value: Any,
    rank: Any,
    count: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select ``count`` map entries from ``rank`` relative to ``value``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "map_get_by_value_rel_rank_range",
        bin,
        ctx,
        return_type=rt,
        value=value,
        rank=rank,
        count=count,
    )


def map_get_by_index(
    return_type: int, value_type: int, index: Any, bin: Any, *, ctx: Ctx = None
) -> Expr:
    """Select the map entry at ``index`` in key order."""
    return _call(
        "map_get_by_index",
        bin,
        ctx,
        return_type=return_type,
        value_type=value_type,
        index=index,
    )


def map_get_by_index_range_to_end(
    return_type: int, index: Any, bin: Any, *, ctx: Ctx = None, inverted: bool = False
) -> Expr:
    """Select the map entries from ``index`` to the end."""
    rt = _inverted(return_type, inverted)
    return _call("map_get_by_index_range_to_end", bin, ctx, return_type=rt, index=index)


def map_get_by_index_range(
    return_type: int,
    index: Any,
    count: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select ``count`` map entries from ``index``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "map_get_by_index_range", bin, ctx, return_type=rt, index=index, count=count
    )


def map_get_by_rank(
    return_type: int, value_type: int, rank: Any, bin: Any, *, ctx: Ctx = None
) -> Expr:
    """Select the map entry whose value has ``rank``."""
    return _call(
        "map_get_by_rank",
        bin,
        ctx,
        return_type=return_type,
        value_type=value_type,
        rank=rank,
    )


def map_get_by_rank_range_to_end(
    return_type: int, rank: Any, bin: Any, *, ctx: Ctx = None, inverted: bool = False
) -> Expr:
    """Select the map entries from value ``rank`` to the largest."""
    rt = _inverted(return_type, inverted)
    return _call("map_get_by_rank_range_to_end", bin, ctx, return_type=rt, rank=rank)


def map_get_by_rank_range(
    return_type: int,
    rank: Any,
    count: Any,
    bin: Any,
    *,
    ctx: Ctx = None,
    inverted: bool = False,
) -> Expr:
    """Select ``count`` map entries from value ``rank``."""
    rt = _inverted(return_type, inverted)
    return _call(
        "map_get_by_rank_range", bin, ctx, return_type=rt, rank=rank, count=count
    )


def bit_get(bit_offset: Any, bit_size: Any, bin: Any) -> Expr:
    """The bits ``[bit_offset, bit_offset + bit_size)`` of a bytes bin."""
    return _call("bit_get", bin, None, bit_offset=bit_offset, bit_size=bit_size)


def bit_count(bit_offset: Any, bit_size: Any, bin: Any) -> Expr:
    """The number of bits set in a range of a bytes bin."""
    return _call("bit_count", bin, None, bit_offset=bit_offset, bit_size=bit_size)


def bit_left_scan(bit_offset: Any, bit_size: Any, value: Any, bin: Any) -> Expr:
    """The offset of the first bit equal to ``value`` in a range, or -1."""
    return _call(
        "bit_left_scan",
        bin,
        None,
        bit_offset=bit_offset,
        bit_size=bit_size,
        value=value,
    )


def bit_right_scan(bit_offset: Any, bit_size: Any, value: Any, bin: Any) -> Expr:
    """The offset of the last bit equal to ``value`` in a range, or -1."""
    return _call(
        "bit_right_scan",
        bin,
        None,
        bit_offset=bit_offset,
        bit_size=bit_size,
        value=value,
    )


def bit_get_int(bit_offset: Any, bit_size: Any, sign: bool, bin: Any) -> Expr:
    """A range of at most 64 bits read as an integer, signed when ``sign``."""
    return _call(
        "bit_get_int",
        bin,
        None,
        bit_offset=bit_offset,
        bit_size=bit_size,
        sign=sign,
    )


def hll_get_count(bin: Any) -> Expr:
    """The estimated number of distinct values added to a HyperLogLog."""
    return _call("hll_get_count", bin, None)


def hll_get_union(values: Any, bin: Any) -> Expr:
    """The HyperLogLog union of the bin and a list of HLL values."""
    return _call("hll_get_union", bin, None, values=values)


def hll_get_union_count(values: Any, bin: Any) -> Expr:
    """The estimated cardinality of that union."""
    return _call("hll_get_union_count", bin, None, values=values)


def hll_get_intersect_count(values: Any, bin: Any) -> Expr:
    """The estimated cardinality of the intersection with a list of HLLs."""
    return _call("hll_get_intersect_count", bin, None, values=values)


def hll_get_similarity(values: Any, bin: Any) -> Expr:
    """The estimated Jaccard similarity with a list of HLLs (a float)."""
    return _call("hll_get_similarity", bin, None, values=values)


def hll_describe(bin: Any) -> Expr:
    """``[index_bit_count, minhash_bit_count]`` of a HyperLogLog."""
    return _call("hll_describe", bin, None)


def hll_may_contain(values: Any, bin: Any) -> Expr:
    """1 when every value may have been added to the HyperLogLog, else 0."""
    return _call("hll_may_contain", bin, None, values=values)


# -- compiler -----------------------------------------------------------------

# Wire op codes (PROTOCOL.md 11.2, server as/src/base/exp.c exp_op_code).
_CODES = {
    "unknown": 0,
    "eq": 1,
    "ne": 2,
    "gt": 3,
    "ge": 4,
    "lt": 5,
    "le": 6,
    "regex_compare": 7,
    "geo_compare": 8,
    "in_list": 9,
    "and": 16,
    "or": 17,
    "not": 18,
    "xor": 19,
    "num_add": 20,
    "num_sub": 21,
    "num_mul": 22,
    "num_div": 23,
    "num_pow": 24,
    "num_log": 25,
    "num_mod": 26,
    "num_abs": 27,
    "num_floor": 28,
    "num_ceil": 29,
    "to_int": 30,
    "to_float": 31,
    "int_and": 32,
    "int_or": 33,
    "int_xor": 34,
    "int_not": 35,
    "int_lshift": 36,
    "int_rshift": 37,
    "int_arshift": 38,
    "int_count": 39,
    "int_lscan": 40,
    "int_rscan": 41,
    "min": 50,
    "max": 51,
    "digest_modulo": 64,
    "last_update": 66,
    "since_update": 67,
    "void_time": 68,
    "ttl": 69,
    "set_name": 70,
    "key_exists": 71,
    "is_tombstone": 72,
    "record_size": 74,
    "key": 80,
    "bin": 81,
    "bin_type": 82,
    "map_get_keys": 101,
    "map_get_values": 102,
    "cond": 123,
    "var": 124,
    "let": 125,
    "quote": 126,
    "call": 127,
}

_MIN_ARGS = {"and": 2, "or": 2, "xor": 2}  # other varargs need one

Emitter = Callable[["_Compiler", Mapping[str, Any], str], None]


def _fail(path: str, problem: str) -> InvalidArgError:
    return InvalidArgError(f"expression at {path}: {problem}")


class _Compiler:
    """Append the msgpack of an expression tree, checking it on the way."""

    __slots__ = ("out", "scopes")

    def __init__(self) -> None:
        self.out = bytearray()
        self.scopes: list[set[str]] = []

    def operand(self, value: Any, path: str) -> None:
        if isinstance(value, Mapping) and NODE in value:
            self.node(value, path)
        else:
            _plain_literal(self, value, path)

    def node(self, node: Mapping[str, Any], path: str) -> None:
        name = node[NODE]
        emit = _EMITTERS.get(name) if isinstance(name, str) else None
        if emit is None:
            raise _fail(path, f"unknown __expr__ {name!r}")
        emit(self, node, f"{path}({name})")

    def header(self, code: int, n_operands: int) -> None:
        packer.pack_array_header(self.out, n_operands + 1)
        packer.pack_int(self.out, code)

    def raw_str(self, text: str) -> None:
        packer.pack_raw_str(self.out, text)


def _field(node: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in node:
        raise _fail(path, f"missing the key {key!r}")
    return node[key]


def _exprs(node: Mapping[str, Any], path: str) -> list[Any]:
    exprs = _field(node, "exprs", path)
    if not isinstance(exprs, (list, tuple)):
        raise _fail(path, f"'exprs' must be a list, not {type(exprs).__name__}")
    return list(exprs)


def _int_arg(value: Any, what: str, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, f"{what} must be an int, not {type(value).__name__}")
    return value


# -- literal emitters


def _pack_checked(c: _Compiler, value: Any, path: str) -> None:
    try:
        packer.pack_into(c.out, value)
    except packer.PackError as exc:
        raise _fail(path, str(exc)) from None


def _plain_literal(c: _Compiler, value: Any, path: str) -> None:
    """Pack a Python value as an expression literal (lists get quoted)."""
    if isinstance(value, (list, tuple)):
        c.header(_CODES["quote"], 1)
        _pack_checked(c, list(value), path)
    elif isinstance(value, Mapping) or _is_scalar(value):
        _pack_checked(c, value, path)
    else:
        raise _fail(
            path,
            f"{type(value).__name__} ({value!r:.40}) is neither an expression "
            "nor a literal value",
        )


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(
        value, (bool, int, float, str, bytes, bytearray, _Marker)
    )


def _typed_literal(kinds: tuple[type, ...], label: str) -> Emitter:
    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        value = _field(node, "val", path)
        bad_bool = isinstance(value, bool) and bool not in kinds
        if bad_bool or not isinstance(value, kinds):
            raise _fail(path, f"val must be {label}, not {type(value).__name__}")
        _plain_literal(c, value, path)

    return emit


def _float_literal(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    value = _field(node, "val", path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, f"val must be a float, not {type(value).__name__}")
    _pack_checked(c, float(value), path)


def _string_literal(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    value = _field(node, "val", path)
    if not isinstance(value, str) or isinstance(value, GeoJSON):
        raise _fail(path, f"val must be a str, not {type(value).__name__}")
    _pack_checked(c, str(value), path)


def _blob_literal(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    value = _field(node, "val", path)
    if not isinstance(value, (bytes, bytearray)):
        raise _fail(path, f"val must be bytes, not {type(value).__name__}")
    _pack_checked(c, value if isinstance(value, HLL) else bytes(value), path)


def _geo_literal(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    value = _field(node, "val", path)
    if isinstance(value, Mapping):
        # json.dumps' default separators are what the official client sends.
        value = json.dumps(value)
    if not isinstance(value, str):
        raise _fail(
            path, f"val must be GeoJSON text or a dict, not {type(value).__name__}"
        )
    _pack_checked(c, GeoJSON(value), path)


def _constant(value: Any) -> Emitter:
    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        _pack_checked(c, value, path)

    return emit


# -- bins and metadata emitters


def _bin_name(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    name = _field(node, "name", path)
    try:
        c.raw_str(check_bin_name(name))
    except InvalidArgError as exc:
        raise _fail(path, str(exc)) from None


def _bin(exp_type: int) -> Emitter:
    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        c.header(_CODES["bin"], 2)
        packer.pack_int(c.out, exp_type)
        _bin_name(c, node, path)

    return emit


def _bin_type(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    c.header(_CODES["bin_type"], 1)
    _bin_name(c, node, path)


def _bin_exists(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    # The official clients send bin_exists(name) as bin_type(name) != 0.
    c.header(_CODES["ne"], 2)
    _bin_type(c, node, path)
    packer.pack_int(c.out, 0)


_KEY_TYPES = (EXP_TYPE_INT, EXP_TYPE_STRING, EXP_TYPE_BLOB)


def _key(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    exp_type = _int_arg(_field(node, "exp_type", path), "exp_type", path)
    if exp_type not in _KEY_TYPES:
        raise _fail(
            path,
            f"exp_type {exp_type} is not EXP_TYPE_INT, EXP_TYPE_STRING or "
            "EXP_TYPE_BLOB, the types a user key can have",
        )
    c.header(_CODES["key"], 1)
    packer.pack_int(c.out, exp_type)


def _digest_modulo(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    modulo = _int_arg(_field(node, "modulo", path), "modulo", path)
    if modulo == 0 or not -(2**31) <= modulo < 2**31:
        raise _fail(path, f"modulo {modulo} must be a non-zero 32-bit integer")
    c.header(_CODES["digest_modulo"], 1)
    packer.pack_int(c.out, modulo)


def _no_operands(code: int) -> Emitter:
    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        c.header(code, 0)

    return emit


# -- operator emitters


def _binary(code: int) -> Emitter:
    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        left = _field(node, "left", path)
        right = _field(node, "right", path)
        c.header(code, 2)
        c.operand(left, f"{path}.left")
        c.operand(right, f"{path}.right")

    return emit


def _not(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    expr = _field(node, "expr", path)
    c.header(_CODES["not"], 1)
    c.operand(expr, f"{path}.expr")


def _varargs(name: str) -> Emitter:
    code = _CODES[name]
    minimum = _MIN_ARGS.get(name, 1)

    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        exprs = _exprs(node, path)
        if len(exprs) < minimum:
            raise _fail(path, f"needs at least {minimum} expressions, got {len(exprs)}")
        _emit_list(c, code, exprs, path)

    return emit


def _fixed(name: str, count: int) -> Emitter:
    code = _CODES[name]

    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        exprs = _exprs(node, path)
        if len(exprs) != count:
            raise _fail(path, f"needs {count} expressions, got {len(exprs)}")
        _emit_list(c, code, exprs, path)

    return emit


def _emit_list(c: _Compiler, code: int, exprs: list[Any], path: str) -> None:
    c.header(code, len(exprs))
    for position, expr in enumerate(exprs):
        c.operand(expr, f"{path}.exprs[{position}]")


def _regex(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    regex = _field(node, "regex", path)
    flags = _int_arg(_field(node, "flags", path), "flags", path)
    subject = _field(node, "bin", path)
    if not isinstance(regex, str):
        raise _fail(path, f"regex must be a str, not {type(regex).__name__}")
    c.header(_CODES["regex_compare"], 3)
    packer.pack_int(c.out, flags)
    c.raw_str(regex)
    c.operand(subject, f"{path}.bin")


def _in_list(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    value = _field(node, "value", path)
    items = _field(node, "list", path)
    c.header(_CODES["in_list"], 2)
    c.operand(value, f"{path}.value")
    c.operand(items, f"{path}.list")


def _map_keys_or_values(name: str) -> Emitter:
    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        c.header(_CODES[name], 1)
        c.operand(_field(node, "map", path), f"{path}.map")

    return emit


# -- control flow emitters


def _cond(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    exprs = _exprs(node, path)
    if len(exprs) < 3 or len(exprs) % 2 == 0:
        raise _fail(
            path,
            f"cond takes condition/action pairs and a default (an odd count of "
            f"3 or more), got {len(exprs)}",
        )
    _emit_list(c, _CODES["cond"], exprs, path)


def _check_var_name(name: Any, path: str) -> str:
    if not isinstance(name, str) or not name:
        raise _fail(path, f"a variable name must be a non-empty str, not {name!r}")
    # exp.c build_let: a letter or '_', then letters, digits or '_'.
    ascii_name = name.isascii() and name.replace("_", "a").isalnum()
    if not ascii_name or name[0].isdigit():
        raise _fail(
            path,
            f"variable name {name!r} must start with a letter or '_' and hold "
            "only ASCII letters, digits and '_'",
        )
    return name


def _let(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    exprs = _exprs(node, path)
    if not exprs or _is_def(exprs[-1]):
        raise _fail(path, "let_ needs a scope expression after its def_ items")
    if len(exprs) < 2:
        raise _fail(path, "let_ needs at least one def_ before its scope")
    c.header(_CODES["let"], 2 * (len(exprs) - 1) + 1)
    names: set[str] = set()
    c.scopes.append(names)
    for position, item in enumerate(exprs[:-1]):
        _emit_def(c, item, names, f"{path}.exprs[{position}]")
    c.operand(exprs[-1], f"{path}.exprs[{len(exprs) - 1}]")
    c.scopes.pop()


def _is_def(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(NODE) == "def"


def _emit_def(c: _Compiler, item: Any, names: set[str], path: str) -> None:
    if not _is_def(item):
        raise _fail(path, "every item of let_ but the last must be a def_")
    name = _check_var_name(_field(item, "name", path), path)
    if any(name in scope for scope in c.scopes):
        raise _fail(path, f"variable {name!r} is already defined")
    value = _field(item, "value", path)
    c.raw_str(name)
    c.operand(value, f"{path}.value")
    names.add(name)


def _var(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    name = _check_var_name(_field(node, "name", path), path)
    if not any(name in scope for scope in c.scopes):
        raise _fail(path, f"variable {name!r} is not defined by an enclosing let_")
    c.header(_CODES["var"], 1)
    c.raw_str(name)


def _def_outside_let(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
    raise _fail(path, "def_ is only valid as an item of let_")


# -- CALL emitters: list, map, bit and HLL reads (PROTOCOL.md 11.3)

CDT = 0
BITS = 1
HLL_SYSTEM = 2

# How a call's result type is found, as the C client's as_exp_get_list_type
# and as_exp_get_map_type do: a fixed EXP_TYPE_*, or from the return type.
LIST_ONE = "list_one"
LIST_MANY = "list_many"
MAP_ONE = "map_one"
MAP_MANY = "map_many"

_POSITIONS = -1  # indexes or ranks: a list when many are selected, else an int
_VALUES = -2  # keys or values: a list when many are selected, else value_type
_LIST_RESULT = {
    1: _POSITIONS,
    2: _POSITIONS,
    3: _POSITIONS,
    4: _POSITIONS,
    5: EXP_TYPE_INT,
    7: _VALUES,
    13: EXP_TYPE_BOOL,
}
_MAP_RESULT = {
    **_LIST_RESULT,
    6: _VALUES,
    8: EXP_TYPE_MAP,
    16: EXP_TYPE_MAP,
    17: EXP_TYPE_MAP,
}


class _CallSpec:
    __slots__ = ("args", "bin_type", "op_code", "result", "system")

    def __init__(
        self,
        system: int,
        op_code: int,
        args: tuple[str, ...],
        result: str | int,
        bin_type: int,
    ) -> None:
        self.system = system
        self.op_code = op_code
        self.args = args
        self.result = result
        self.bin_type = bin_type


def _list_spec(op_code: int, args: tuple[str, ...], result: str | int) -> _CallSpec:
    return _CallSpec(CDT, op_code, args, result, EXP_TYPE_LIST)


def _map_spec(op_code: int, args: tuple[str, ...], result: str | int) -> _CallSpec:
    return _CallSpec(CDT, op_code, args, result, EXP_TYPE_MAP)


def _bit_spec(op_code: int, args: tuple[str, ...], result: int) -> _CallSpec:
    return _CallSpec(BITS, op_code, args, result, EXP_TYPE_BLOB)


def _hll_spec(op_code: int, args: tuple[str, ...], result: int) -> _CallSpec:
    return _CallSpec(HLL_SYSTEM, op_code, args, result, EXP_TYPE_HLL)


_RT = "return_type"

_CALLS: dict[str, _CallSpec] = {
    "list_size": _list_spec(16, (), EXP_TYPE_INT),
    "list_get_by_value": _list_spec(22, (_RT, "value"), LIST_MANY),
    "list_get_by_value_range": _list_spec(
        25, (_RT, "value_begin", "value_end"), LIST_MANY
    ),
    "list_get_by_value_list": _list_spec(23, (_RT, "values"), LIST_MANY),
    "list_get_by_value_rel_rank_range_to_end": _list_spec(
        27, (_RT, "value", "rank"), LIST_MANY
    ),
    "list_get_by_value_rel_rank_range": _list_spec(
        27, (_RT, "value", "rank", "count"), LIST_MANY
    ),
    "list_get_by_index": _list_spec(19, (_RT, "index"), LIST_ONE),
    "list_get_by_index_range_to_end": _list_spec(24, (_RT, "index"), LIST_MANY),
    "list_get_by_index_range": _list_spec(24, (_RT, "index", "count"), LIST_MANY),
    "list_get_by_rank": _list_spec(21, (_RT, "rank"), LIST_ONE),
    "list_get_by_rank_range_to_end": _list_spec(26, (_RT, "rank"), LIST_MANY),
    "list_get_by_rank_range": _list_spec(26, (_RT, "rank", "count"), LIST_MANY),
    "map_size": _map_spec(96, (), EXP_TYPE_INT),
    "map_get_by_key": _map_spec(97, (_RT, "key"), MAP_ONE),
    "map_get_by_key_range": _map_spec(103, (_RT, "begin", "end"), MAP_MANY),
    "map_get_by_key_list": _map_spec(107, (_RT, "keys"), MAP_MANY),
    "map_get_by_key_rel_index_range_to_end": _map_spec(
        109, (_RT, "key", "index"), MAP_MANY
    ),
    "map_get_by_key_rel_index_range": _map_spec(
        109, (_RT, "key", "index", "count"), MAP_MANY
    ),
    "map_get_by_value": _map_spec(102, (_RT, "value"), MAP_MANY),
    "map_get_by_value_range": _map_spec(
        105, (_RT, "value_begin", "value_end"), MAP_MANY
    ),
    "map_get_by_value_list": _map_spec(108, (_RT, "values"), MAP_MANY),
    "map_get_by_value_rel_rank_range_to_end": _map_spec(
        110, (_RT, "value", "rank"), MAP_MANY
    ),
    "map_get_by_value_rel_rank_range": _map_spec(
        110, (_RT, "value", "rank", "count"), MAP_MANY
    ),
    "map_get_by_index": _map_spec(98, (_RT, "index"), MAP_ONE),
    "map_get_by_index_range_to_end": _map_spec(104, (_RT, "index"), MAP_MANY),
    "map_get_by_index_range": _map_spec(104, (_RT, "index", "count"), MAP_MANY),
    "map_get_by_rank": _map_spec(100, (_RT, "rank"), MAP_ONE),
    "map_get_by_rank_range_to_end": _map_spec(106, (_RT, "rank"), MAP_MANY),
    "map_get_by_rank_range": _map_spec(106, (_RT, "rank", "count"), MAP_MANY),
    "bit_get": _bit_spec(50, ("bit_offset", "bit_size"), EXP_TYPE_BLOB),
    "bit_count": _bit_spec(51, ("bit_offset", "bit_size"), EXP_TYPE_INT),
    "bit_left_scan": _bit_spec(52, ("bit_offset", "bit_size", "value"), EXP_TYPE_INT),
    "bit_right_scan": _bit_spec(53, ("bit_offset", "bit_size", "value"), EXP_TYPE_INT),
    "bit_get_int": _bit_spec(54, ("bit_offset", "bit_size", "sign"), EXP_TYPE_INT),
    "hll_get_count": _hll_spec(50, (), EXP_TYPE_INT),
    "hll_get_union": _hll_spec(51, ("values",), EXP_TYPE_HLL),
    "hll_get_union_count": _hll_spec(52, ("values",), EXP_TYPE_INT),
    "hll_get_intersect_count": _hll_spec(53, ("values",), EXP_TYPE_INT),
    "hll_get_similarity": _hll_spec(54, ("values",), EXP_TYPE_FLOAT),
    "hll_describe": _hll_spec(55, (), EXP_TYPE_LIST),
    "hll_may_contain": _hll_spec(56, ("values",), EXP_TYPE_INT),
}

_BIN_NODES = {
    EXP_TYPE_LIST: "list_bin",
    EXP_TYPE_MAP: "map_bin",
    EXP_TYPE_BLOB: "blob_bin",
    EXP_TYPE_HLL: "hll_bin",
}


def _result_type(spec: _CallSpec, node: Mapping[str, Any], path: str) -> int:
    if isinstance(spec.result, int):
        return spec.result
    return_type = _int_arg(_field(node, _RT, path), _RT, path)
    table = _LIST_RESULT if spec.result in (LIST_ONE, LIST_MANY) else _MAP_RESULT
    code = table.get(return_type & ~INVERTED)
    if code is None:
        raise _fail(path, f"return_type {return_type} cannot be read in expressions")
    if spec.result in (LIST_MANY, MAP_MANY):
        return EXP_TYPE_LIST if code in (_POSITIONS, _VALUES) else code
    value_type = _int_arg(_field(node, "value_type", path), "value_type", path)
    expected = {_POSITIONS: EXP_TYPE_INT, _VALUES: value_type}.get(code, code)
    if expected != value_type:
        raise _fail(
            path,
            f"return_type {return_type} yields EXP_TYPE {expected}, not the "
            f"value_type {value_type} given",
        )
    return value_type


def _call_arg(c: _Compiler, name: str, value: Any, path: str) -> packer.Raw:
    # Arguments are expressions themselves: each compiles on its own buffer,
    # and the payload carries the compiled bytes.
    inner = _Compiler()
    inner.scopes = c.scopes
    if name == "sign":
        value = 1 if value else 0
    inner.operand(value, f"{path}.{name}")
    return packer.Raw(bytes(inner.out))


def _call_ctx(node: Mapping[str, Any], path: str) -> list[CDTContext] | None:
    ctx = node.get("ctx")
    if ctx is None:
        return None
    if not isinstance(ctx, (list, tuple)) or not all(
        isinstance(step, CDTContext) for step in ctx
    ):
        raise _fail(path, "ctx must be a list of steps from aerospike_py.cdt_ctx")
    return list(ctx)


def _call_emitter(name: str) -> Emitter:
    spec = _CALLS[name]

    def emit(c: _Compiler, node: Mapping[str, Any], path: str) -> None:
        result = _result_type(spec, node, path)
        args = [_call_arg(c, a, _field(node, a, path), path) for a in spec.args]
        payload = cdt_payload(spec.op_code, args, _call_ctx(node, path))
        bin_value = _field(node, "bin", path)
        if isinstance(bin_value, str):
            bin_value = _node(_BIN_NODES[spec.bin_type], name=bin_value)
        c.header(_CODES["call"], 4)
        packer.pack_int(c.out, result)
        packer.pack_int(c.out, spec.system)
        c.out += payload
        c.operand(bin_value, f"{path}.bin")

    return emit


_EMITTERS: dict[str, Emitter] = {
    "int_val": _typed_literal((int,), "an int"),
    "float_val": _float_literal,
    "string_val": _string_literal,
    "bool_val": _typed_literal((bool,), "a bool"),
    "blob_val": _blob_literal,
    "list_val": _typed_literal((list, tuple), "a list"),
    "map_val": _typed_literal((dict,), "a dict"),
    "geo_val": _geo_literal,
    "nil": _constant(None),
    "infinity": _constant(INFINITY),
    "wildcard": _constant(WILDCARD),
    "unknown": _no_operands(_CODES["unknown"]),
    "int_bin": _bin(EXP_TYPE_INT),
    "float_bin": _bin(EXP_TYPE_FLOAT),
    "string_bin": _bin(EXP_TYPE_STRING),
    "bool_bin": _bin(EXP_TYPE_BOOL),
    "blob_bin": _bin(EXP_TYPE_BLOB),
    "list_bin": _bin(EXP_TYPE_LIST),
    "map_bin": _bin(EXP_TYPE_MAP),
    "geo_bin": _bin(EXP_TYPE_GEO),
    "hll_bin": _bin(EXP_TYPE_HLL),
    "bin_exists": _bin_exists,
    "bin_type": _bin_type,
    "key": _key,
    "digest_modulo": _digest_modulo,
    "regex_compare": _regex,
    "in_list": _in_list,
    "map_get_keys": _map_keys_or_values("map_get_keys"),
    "map_get_values": _map_keys_or_values("map_get_values"),
    "not": _not,
    "cond": _cond,
    "let": _let,
    "def": _def_outside_let,
    "var": _var,
    **{
        name: _no_operands(_CODES[name])
        for name in (
            "key_exists",
            "set_name",
            "record_size",
            "last_update",
            "since_update",
            "void_time",
            "ttl",
            "is_tombstone",
        )
    },
    **{name: _binary(_CODES[name]) for name in ("eq", "ne", "gt", "ge", "lt", "le")},
    "geo_compare": _binary(_CODES["geo_compare"]),
    **{
        name: _varargs(name)
        for name in (
            "and",
            "or",
            "xor",
            "num_add",
            "num_sub",
            "num_mul",
            "num_div",
            "min",
            "max",
            "int_and",
            "int_or",
            "int_xor",
        )
    },
    **{
        name: _fixed(name, 2)
        for name in (
            "num_mod",
            "num_pow",
            "num_log",
            "int_lshift",
            "int_rshift",
            "int_arshift",
            "int_lscan",
            "int_rscan",
        )
    },
    **{
        name: _fixed(name, 1)
        for name in (
            "num_abs",
            "num_floor",
            "num_ceil",
            "to_int",
            "to_float",
            "int_not",
            "int_count",
        )
    },
    **{name: _call_emitter(name) for name in _CALLS},
}


def compile_expression(expr: Any) -> bytes:
    """Return the wire bytes (msgpack) of an expression tree.

    Raise InvalidArgError, naming the path of the node, for an unknown
    ``__expr__``, a missing key, a literal of the wrong type or a malformed
    ``cond`` / ``let_``.
    """
    compiler = _Compiler()
    try:
        compiler.operand(expr, "root")
    except RecursionError:
        raise InvalidArgError("expression nests too deeply to compile") from None
    return bytes(compiler.out)
