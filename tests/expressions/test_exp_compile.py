"""compile_expression: the wire bytes of expression trees, and the trees it
refuses (InvalidArgError naming the path of the bad node)."""

from __future__ import annotations

from typing import Any

import pytest

import aerospike_py
from aerospike_py import exp
from aerospike_py.exception import InvalidArgError

R = aerospike_py

WIRE = [
    # PROTOCOL.md 11.1 and 11.2 examples
    (exp.eq(exp.int_bin("a"), 5), "93 01 93 51 02 a1 61 05"),
    (exp.lt(exp.ttl(), 100), "93 05 91 45 64"),
    # literals: typed strings, quoted lists, geo, nil
    (exp.eq(exp.string_bin("s"), "x"), "93 01 93 51 03 a1 73 a2 03 78"),
    (exp.eq(exp.list_bin("l"), [1]), "93 01 93 51 04 a1 6c 92 7e 91 01"),
    (exp.eq(exp.nil(), None), "93 01 c0 c0"),
    (
        exp.eq(exp.float_val(1), 1.0),
        "93 01 cb 3f f0 00 00 00 00 00 00 cb 3f f0 00 00 00 00 00 00",
    ),
    (exp.bin_exists("a"), "93 02 92 52 a1 61 00"),
    # control flow (PROTOCOL.md 11.4)
    (
        exp.let_(exp.def_("x", 1), exp.eq(exp.var("x"), 1)),
        "94 7d a1 78 01 93 01 92 7c a1 78 01",
    ),
    (exp.cond(True, 1, 2), "94 7b c3 01 02"),
    # a CALL: [127, result type, system, payload, bin]
    (exp.list_size("l"), "95 7f 02 00 91 10 93 51 04 a1 6c"),
    (
        exp.map_get_by_key(R.MAP_RETURN_VALUE, exp.EXP_TYPE_INT, "k", "m"),
        "95 7f 02 00 93 61 07 a2 03 6b 93 51 05 a1 6d",
    ),
    (
        exp.hll_get_similarity([b"\x01"], "h"),
        "95 7f 07 02 92 36 92 7e 91 a2 04 01 93 51 09 a1 68",
    ),
]


@pytest.mark.parametrize("expr, wire", WIRE)
def test_compile_expression_bytes(expr: Any, wire: str) -> None:
    assert exp.compile_expression(expr).hex(" ") == wire


def test_builders_return_plain_dict_nodes() -> None:
    assert exp.int_bin("a") == {"__expr__": "int_bin", "name": "a"}
    assert exp.and_(1, 2) == {"__expr__": "and", "exprs": [1, 2]}
    assert exp.num_mod(7, 2) == {"__expr__": "num_mod", "exprs": [7, 2]}
    assert exp.regex_compare("a", 2, exp.string_bin("s"))["bin"] == exp.string_bin("s")
    assert exp.def_("x", 1) == {"__expr__": "def", "name": "x", "value": 1}


def test_the_module_offers_every_builder_of_the_api() -> None:
    builders = [name for name in exp.__all__ if name[0].islower()]
    assert len(builders) >= 72
    assert exp.EXP_TYPE_HLL == 9 and exp.EXP_TYPE_GEO == 8


BAD = [
    ({"__expr__": "nope"}, "root: unknown __expr__ 'nope'"),
    (
        exp.and_(exp.eq(1, 1), {"__expr__": "bogus"}),
        r"root\(and\)\.exprs\[1\]: unknown __expr__ 'bogus'",
    ),
    (exp.cond(True, 1), r"odd count of 3 or more\), got 2"),
    (exp.cond(True, 1, False, 2), "got 4"),
    (exp.let_(exp.def_("x", 1)), "let_ needs a scope"),
    (exp.let_(exp.eq(1, 1)), "at least one def_"),
    (exp.let_(1, exp.eq(1, 1)), r"exprs\[0\].*must be a def_"),
    (exp.let_(exp.def_("x", 1), exp.def_("x", 2), True), "'x' is already defined"),
    (exp.let_(exp.def_("1x", 1), True), "must start with a letter"),
    (exp.eq(exp.var("y"), 1), "'y' is not defined"),
    (exp.def_("x", 1), "only valid as an item of let_"),
    (exp.eq(exp.int_val("7"), 7), r"left\(int_val\): val must be an int, not str"),
    (exp.eq(exp.int_val(True), 1), "val must be an int, not bool"),
    (exp.eq(exp.string_val(7), "7"), "val must be a str"),
    (exp.eq(exp.blob_val("x"), b"x"), "val must be bytes"),
    (exp.eq(exp.bool_val(1), True), "val must be a bool"),
    (exp.eq(exp.list_val("x"), []), "val must be a list"),
    (exp.eq(exp.map_val([1]), {}), "val must be a dict"),
    (exp.geo_compare(exp.geo_bin("g"), exp.geo_val(5)), "GeoJSON text or a dict"),
    (exp.eq(exp.int_val(2**64), 1), "does not fit"),
    (exp.eq(exp.int_bin("a_very_long_bin_name"), 1), "Aerospike allows 15"),
    (exp.eq(exp.key(exp.EXP_TYPE_LIST), 1), "types a user key can have"),
    (exp.eq(exp.digest_modulo(0), 1), "non-zero"),
    (exp.regex_compare(b"x", 0, exp.string_bin("s")), "regex must be a str"),
    (exp.and_(exp.eq(1, 1)), "at least 2 expressions"),
    (exp.num_add(), "at least 1 expressions"),
    ({"__expr__": "num_abs", "exprs": [1, 2]}, "needs 1 expressions, got 2"),
    ({"__expr__": "and", "exprs": 5}, "'exprs' must be a list"),
    ({"__expr__": "eq", "left": 1}, "missing the key 'right'"),
    (exp.eq(object(), 1), "neither an expression nor a literal"),
    (
        exp.list_size("l", ctx=["not a ctx"]),
        "list of steps from aerospike_py.cdt_ctx",
    ),
    (
        exp.list_get_by_value(R.LIST_RETURN_NONE, 1, "l"),
        "return_type 0 cannot be read",
    ),
    (
        exp.list_get_by_index(R.LIST_RETURN_INDEX, exp.EXP_TYPE_STRING, 0, "l"),
        "yields EXP_TYPE 2, not the value_type 3",
    ),
    (
        exp.map_get_by_key(R.MAP_RETURN_KEY_VALUE, exp.EXP_TYPE_INT, "k", "m"),
        "yields EXP_TYPE 5, not the value_type 2",
    ),
]


@pytest.mark.parametrize("tree, message", BAD, ids=[m for _, m in BAD])
def test_malformed_trees_raise_invalid_arg_with_the_path(
    tree: Any, message: str
) -> None:
    with pytest.raises(InvalidArgError, match=message) as info:
        exp.compile_expression(tree)
    assert str(info.value).startswith("expression at root")


def test_a_tree_too_deep_to_compile_is_refused() -> None:
    tree = exp.eq(exp.int_bin("a"), 1)
    for _ in range(5000):
        tree = exp.not_(tree)
    with pytest.raises(InvalidArgError, match="nests too deeply"):
        exp.compile_expression(tree)


def test_a_bad_filter_is_refused_before_sending(client: Any, key: Any) -> None:
    client.put(key, {"a": 1})
    with pytest.raises(InvalidArgError, match="unknown __expr__"):
        client.get(key, policy={"filter_expression": {"__expr__": "nope"}})


def test_precompiled_bytes_are_accepted_as_a_filter(client: Any, key: Any) -> None:
    client.put(key, {"a": 1})
    passing = exp.compile_expression(exp.eq(exp.int_bin("a"), 1))
    assert client.get(key, policy={"filter_expression": passing}).bins == {"a": 1}
