"""Filter expressions beside the official client's aerospike_helpers.

For each pair below, the FILTER_EXP bytes our client sends equal the ones
the official client sends for its own spelling of the expression, and both
clients' filtered reads against the embedded server end the same way.
"""

from __future__ import annotations

from typing import Any

import aerospike
import pytest
from aerospike import exception as official_errors
from aerospike_helpers import cdt_ctx
from aerospike_helpers.expressions import arithmetic as ar
from aerospike_helpers.expressions import base as e
from aerospike_helpers.expressions import bitwise as eb
from aerospike_helpers.expressions import bitwise_operators as bo
from aerospike_helpers.expressions import hll as eh
from aerospike_helpers.expressions import list as el
from aerospike_helpers.expressions import map as em

import aerospike_py
from aerospike_py import cdt_ctx as our_ctx
from aerospike_py import exp
from aerospike_py import hll_operations as hll
from aerospike_py.wire import message as msg

# The official helpers deprecate CmpRegex for the string expressions of
# server 8.1; the wire form it builds is still the one to match.
pytestmark = pytest.mark.filterwarnings(
    "ignore:CmpRegex expression is deprecated:DeprecationWarning"
)

PASS = "passes"
FILTERED = "filtered out"

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[-123, 37], [-121, 37], [-121, 38], [-123, 38], [-123, 37]]],
}
BINS = {
    "a": 5,
    "f": 2.5,
    "s": "Hello",
    "l": [1, 2, 3],
    "m": {"k": 7},
    "n": {"inner": [4, 5]},
    "b": b"\x0f",
    "g": aerospike_py.GeoJSON('{"type": "Point", "coordinates": [-122.0, 37.5]}'),
}
R = aerospike

# (name, official expression, our expression, expected outcome)
PAIRS: list[tuple[str, Any, Any, str]] = [
    ("int equality", e.Eq(e.IntBin("a"), 5), exp.eq(exp.int_bin("a"), 5), PASS),
    (
        "float comparison",
        e.GT(e.FloatBin("f"), 3.0),
        exp.gt(exp.float_bin("f"), 3.0),
        FILTERED,
    ),
    (
        "bin existence",
        e.And(e.BinExists("s"), e.Not(e.BinExists("zz"))),
        exp.and_(exp.bin_exists("s"), exp.not_(exp.bin_exists("zz"))),
        PASS,
    ),
    (
        "unknown under or",
        e.Or(e.Eq(e.IntBin("zz"), 1), e.Eq(e.StrBin("s"), "Hello")),
        exp.or_(exp.eq(exp.int_bin("zz"), 1), exp.eq(exp.string_bin("s"), "Hello")),
        PASS,
    ),
    (
        "regex",
        e.CmpRegex(R.REGEX_ICASE, "^hel+o$", e.StrBin("s")),
        exp.regex_compare("^hel+o$", aerospike_py.REGEX_ICASE, exp.string_bin("s")),
        FILTERED,  # basic regex: '+' is a literal
    ),
    (
        "let and var",
        e.Let(e.Def("x", e.IntBin("a")), e.GT(e.Var("x"), 4)),
        exp.let_(exp.def_("x", exp.int_bin("a")), exp.gt(exp.var("x"), 4)),
        PASS,
    ),
    (
        "cond",
        e.Eq(e.Cond(e.GT(e.IntBin("a"), 9), 1, e.LT(e.IntBin("a"), 6), 2, 3), 2),
        exp.eq(
            exp.cond(
                exp.gt(exp.int_bin("a"), 9),
                1,
                exp.lt(exp.int_bin("a"), 6),
                2,
                3,
            ),
            2,
        ),
        PASS,
    ),
    (
        "arithmetic",
        e.Eq(ar.Mod(ar.Add(e.IntBin("a"), 10, 2), 4), 1),
        exp.eq(exp.num_mod(exp.num_add(exp.int_bin("a"), 10, 2), 4), 1),
        PASS,
    ),
    (
        "integer bits",
        e.Eq(bo.IntCount(bo.IntLeftShift(e.IntBin("a"), 2)), 2),
        exp.eq(exp.int_count(exp.int_lshift(exp.int_bin("a"), 2)), 2),
        PASS,
    ),
    (
        "exclusive",
        e.Exclusive(e.Eq(e.IntBin("a"), 5), e.Eq(e.StrBin("s"), "Hello")),
        exp.xor_(exp.eq(exp.int_bin("a"), 5), exp.eq(exp.string_bin("s"), "Hello")),
        FILTERED,
    ),
    (
        "metadata",
        e.And(e.Eq(e.KeyStr(), "key-1"), e.KeyExists(), e.Eq(e.TTL(), -1)),
        exp.and_(
            exp.eq(exp.key(exp.EXP_TYPE_STRING), "key-1"),
            exp.key_exists(),
            exp.eq(exp.ttl(), -1),
        ),
        PASS,
    ),
    (
        "digest modulo",
        e.GE(e.DigestMod(3), 0),
        exp.ge(exp.digest_modulo(3), 0),
        PASS,
    ),
    (
        "quoted list",
        e.Eq(e.ListBin("l"), [1, 2, 3]),
        exp.eq(exp.list_bin("l"), exp.list_val([1, 2, 3])),
        PASS,
    ),
    (
        "list size",
        e.Eq(el.ListSize(None, e.ListBin("l")), 3),
        exp.eq(exp.list_size("l"), 3),
        PASS,
    ),
    (
        "list value range",
        e.Eq(
            el.ListGetByValueRange(None, R.LIST_RETURN_COUNT, 2, 10, e.ListBin("l")),
            3,
        ),
        exp.eq(
            exp.list_get_by_value_range(aerospike_py.LIST_RETURN_COUNT, 2, 10, "l"),
            3,
        ),
        FILTERED,
    ),
    (
        "map by key",
        e.Eq(
            em.MapGetByKey(
                None, R.MAP_RETURN_VALUE, e.ResultType.INTEGER, "k", e.MapBin("m")
            ),
            7,
        ),
        exp.eq(
            exp.map_get_by_key(
                aerospike_py.MAP_RETURN_VALUE, exp.EXP_TYPE_INT, "k", "m"
            ),
            7,
        ),
        PASS,
    ),
    (
        "nested context",
        e.Eq(
            el.ListGetByIndex(
                [cdt_ctx.cdt_ctx_map_key("inner")],
                R.LIST_RETURN_VALUE,
                e.ResultType.INTEGER,
                -1,
                e.MapBin("n"),
            ),
            5,
        ),
        exp.eq(
            exp.list_get_by_index(
                aerospike_py.LIST_RETURN_VALUE,
                exp.EXP_TYPE_INT,
                -1,
                exp.map_bin("n"),
                ctx=[our_ctx.cdt_ctx_map_key("inner")],
            ),
            5,
        ),
        PASS,
    ),
    (
        "bit count",
        e.Eq(eb.BitCount(0, 8, e.BlobBin("b")), 4),
        exp.eq(exp.bit_count(0, 8, "b"), 4),
        PASS,
    ),
    (
        "hll count",
        e.GT(eh.HLLGetCount(e.HLLBin("h")), 5),
        exp.gt(exp.hll_get_count("h"), 5),
        FILTERED,
    ),
    (
        "geo within",
        e.CmpGeo(e.GeoBin("g"), aerospike.GeoJSON(POLYGON)),
        exp.geo_compare(exp.geo_bin("g"), exp.geo_val(POLYGON)),
        PASS,
    ),
    (
        "unknown in a branch",
        e.Eq(e.Cond(e.Eq(e.IntBin("a"), 5), e.Unknown(), 1), 1),
        exp.eq(exp.cond(exp.eq(exp.int_bin("a"), 5), exp.unknown(), 1), 1),
        FILTERED,
    ),
]


@pytest.fixture
def record_key(ours: Any, aerospike_set: str) -> tuple[str, str, str]:
    key = ("test", aerospike_set, "key-1")
    ours.put(key, BINS, policy={"key": aerospike_py.POLICY_KEY_SEND})
    ours.operate(key, [hll.hll_add("h", ["x", "y"], 8)])
    return key


def _sent_filter(server: Any, read: Any) -> bytes | None:
    with server.recording() as received:
        read()
    return received[-1].fields.get(msg.FIELD_FILTER_EXP)


def _official_outcome(official: Any, key: Any, compiled: Any) -> str:
    try:
        official.get(key, policy={"expressions": compiled})
    except official_errors.FilteredOut:
        return FILTERED
    return PASS


def _our_outcome(ours: Any, key: Any, expression: Any) -> str:
    try:
        ours.get(key, policy={"filter_expression": expression})
    except aerospike_py.FilteredOut:
        return FILTERED
    return PASS


def test_there_are_at_least_fifteen_pairs() -> None:
    assert len(PAIRS) >= 15


@pytest.mark.parametrize(
    "official_expr, our_expr", [p[1:3] for p in PAIRS], ids=[p[0] for p in PAIRS]
)
def test_filter_bytes_equal_the_official_clients(
    official: Any,
    ours: Any,
    aerospike_server: Any,
    record_key: Any,
    official_expr: Any,
    our_expr: Any,
) -> None:
    compiled = official_expr.compile()
    theirs = _sent_filter(
        aerospike_server, lambda: _official_outcome(official, record_key, compiled)
    )
    mine = _sent_filter(
        aerospike_server, lambda: _our_outcome(ours, record_key, our_expr)
    )
    assert theirs is not None
    assert mine == theirs


@pytest.mark.parametrize(
    "official_expr, our_expr, expected",
    [p[1:] for p in PAIRS],
    ids=[p[0] for p in PAIRS],
)
def test_both_clients_see_the_same_outcome(
    official: Any,
    ours: Any,
    record_key: Any,
    official_expr: Any,
    our_expr: Any,
    expected: str,
) -> None:
    assert _official_outcome(official, record_key, official_expr.compile()) == expected
    assert _our_outcome(ours, record_key, our_expr) == expected


def test_official_expression_operations_read_and_write(
    official: Any, record_key: Any
) -> None:
    from aerospike_helpers.operations import expression_operations as official_eo

    _, _, bins = official.operate(
        record_key,
        [
            official_eo.expression_write(
                "sum", ar.Add(e.IntBin("a"), 10).compile(), R.EXP_WRITE_CREATE_ONLY
            ),
            official_eo.expression_read("big", e.GT(e.IntBin("sum"), 12).compile()),
        ],
    )
    # The write answers with an empty placeholder bin (respond-all-ops).
    assert bins == {"sum": None, "big": True}
    with pytest.raises(official_errors.BinExistsError):
        official.operate(
            record_key,
            [
                official_eo.expression_write(
                    "sum", e.IntBin("a").compile(), R.EXP_WRITE_CREATE_ONLY
                )
            ],
        )


def test_official_modify_expressions_return_a_changed_copy(
    official: Any, record_key: Any
) -> None:
    from aerospike_helpers.operations import expression_operations as official_eo

    def read(expression: Any) -> Any:
        ops = [official_eo.expression_read("r", expression.compile())]
        return official.operate(record_key, ops)[2]["r"]

    assert read(el.ListAppend(None, None, 0, e.ListBin("l"))) == [1, 2, 3, 0]
    assert read(el.ListSort(None, aerospike_py.LIST_SORT_DESCENDING, "l")) == [3, 2, 1]
    assert read(eb.BitSetInt(None, 0, 8, 255, e.BlobBin("b"))) == b"\xff"
    assert official.get(record_key)[2]["l"] == [1, 2, 3]


def test_official_read_flags_the_server_refuses(official: Any, record_key: Any) -> None:
    from aerospike_helpers.operations import expression_operations as official_eo

    create_only = official_eo.expression_read(
        "r", e.IntBin("a").compile(), R.EXP_WRITE_CREATE_ONLY
    )
    with pytest.raises(official_errors.ServerError) as info:
        official.operate(record_key, [create_only])
    assert info.value.code == 4
