"""Filter expressions evaluated by the embedded server, case by case.

Each case is a record (the shared one below unless it says otherwise), an
expression and what a read filtered by it does: the record passes, it is
FilteredOut (result 27), or the server refuses the expression (result 4).
The expected outcomes follow the real server's evaluator
(aerospike-server as/src/base/exp.c): a missing bin or a bin of another
type than asked is "unknown", unknown fails a filter, AND with a false
operand is false and OR with a true one true whatever the unknowns, integer
arithmetic wraps at 64 bits, and so on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

import aerospike_py
from aerospike_py import cdt_ctx, exp
from aerospike_py import hll_operations as hll
from aerospike_py.wire.digest import compute_digest

PASS = "passes"
FILTERED = "filtered out"
REFUSED = "refused (result 4)"

R = aerospike_py
INT64_MIN = -(2**63)

POINT = {"type": "Point", "coordinates": [-122.0, 37.5]}
AROUND_POINT = {
    "type": "Polygon",
    "coordinates": [[[-123, 37], [-121, 37], [-121, 38], [-123, 38], [-123, 37]]],
}
ELSEWHERE = {
    "type": "Polygon",
    "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]],
}

BINS: dict[str, Any] = {
    "i": 7,
    "neg": -3,
    "f": 2.5,
    "s": "Hello World",
    "nl": "first\nsecond",
    "b": b"\x01\x02",
    "t": True,
    "l": [1, 2, 3, "x"],
    "m": {"a": 1, "b": 2},
    "om": aerospike_py.KeyOrderedDict({"a": 1, "b": 2}),
    "nested": {"k": [10, 20]},
    "g": aerospike_py.GeoJSON('{"type": "Point", "coordinates": [-122.0, 37.5]}'),
    "region": aerospike_py.GeoJSON(
        '{"type": "AeroCircle", "coordinates": [[-122.0, 37.5], 1000]}'
    ),
}


class Written(NamedTuple):
    """What the test knows about the record it wrote."""

    key: tuple[str, str, str]
    before_ns: int
    after_ns: int

    @property
    def digest(self) -> bytes:
        return compute_digest(self.key[1], self.key[2])


class Case(NamedTuple):
    name: str
    expr: Any  # an expression, or a function of the Written record
    expected: str
    record: str = "full"


def i(name: str = "i") -> Any:
    return exp.int_bin(name)


MISSING = exp.eq(exp.int_bin("no_such_bin"), 1)
TRUE = exp.eq(exp.int_bin("i"), 7)
FALSE = exp.eq(exp.int_bin("i"), 8)

COMPARISONS = [
    Case("int bin equals its value", exp.eq(i(), 7), PASS),
    Case("int bin differs from another value", exp.eq(i(), 8), FILTERED),
    Case("ne of equal ints is false", exp.ne(i(), 7), FILTERED),
    Case("gt and le on ints", exp.and_(exp.gt(i(), 6), exp.le(i(), 7)), PASS),
    Case("negative ints compare by value", exp.lt(i("neg"), 0), PASS),
    Case("float bin compares with a float", exp.gt(exp.float_bin("f"), 2.0), PASS),
    Case("int bin with a float literal is refused", exp.eq(i(), 7.0), REFUSED),
    Case("int bin with a string literal is refused", exp.eq(i(), "7"), REFUSED),
    Case("int_bin of a string bin is unknown", exp.eq(i("s"), 7), FILTERED),
    Case("a missing bin is unknown", MISSING, FILTERED),
    Case(
        "string equality",
        exp.eq(exp.string_bin("s"), exp.string_val("Hello World")),
        PASS,
    ),
    Case("a proper prefix sorts first", exp.lt("Hello", exp.string_bin("s")), PASS),
    Case("bytes compare by content", exp.eq(exp.blob_bin("b"), b"\x01\x02"), PASS),
    Case("bool bin compares with a bool", exp.eq(exp.bool_bin("t"), True), PASS),
    Case(
        "false sorts before true", exp.lt(exp.bool_val(False), exp.bool_bin("t")), PASS
    ),
    Case(
        "list equality", exp.eq(exp.list_bin("l"), exp.list_val([1, 2, 3, "x"])), PASS
    ),
    Case("a longer list is greater", exp.gt(exp.list_bin("l"), [1, 2]), PASS),
    Case(
        "unordered maps cannot be compared",
        exp.eq(exp.map_bin("m"), exp.map_val({"a": 1, "b": 2})),
        FILTERED,
    ),
    Case(
        "key-ordered maps compare",
        exp.eq(
            exp.map_bin("om"),
            exp.map_val(aerospike_py.KeyOrderedDict({"a": 1, "b": 2})),
        ),
        PASS,
    ),
    Case("nil equals nil", exp.eq(exp.nil(), exp.nil()), PASS),
    Case("bin_exists of a bin", exp.bin_exists("s"), PASS),
    Case("bin_exists of no bin", exp.bin_exists("no_such_bin"), FILTERED),
    Case("bin_type of a float bin is 2", exp.eq(exp.bin_type("f"), 2), PASS),
    Case("bin_type of no bin is 0", exp.eq(exp.bin_type("no_such_bin"), 0), PASS),
    Case("in_list finds a value", exp.in_list(7, exp.list_val([1, 7])), PASS),
    Case("in_list of an absent value", exp.in_list(9, exp.list_bin("l")), FILTERED),
]

LOGIC = [
    Case("or with a true operand ignores unknowns", exp.or_(MISSING, TRUE), PASS),
    Case("and with unknown and true is unknown", exp.and_(MISSING, TRUE), FILTERED),
    Case("and with a false operand is false", exp.not_(exp.and_(MISSING, FALSE)), PASS),
    Case("not of unknown is unknown", exp.not_(MISSING), FILTERED),
    Case(
        "or of unknown and false is unknown",
        exp.not_(exp.or_(MISSING, FALSE)),
        FILTERED,
    ),
    Case("xor of one true", exp.xor_(TRUE, FALSE), PASS),
    Case("xor of two trues", exp.xor_(TRUE, TRUE), FILTERED),
    Case("xor with unknown is unknown", exp.not_(exp.xor_(FALSE, MISSING)), FILTERED),
    Case("and of a non-boolean is refused", exp.and_(i(), TRUE), REFUSED),
    Case("a filter must return a boolean", i(), REFUSED),
]

ARITHMETIC = [
    Case("add", exp.eq(exp.num_add(i(), 3), 10), PASS),
    Case("sub of one value negates it", exp.eq(exp.num_sub(i()), -7), PASS),
    Case("mul wraps at 64 bits", exp.eq(exp.num_mul(2**62, 4), 0), PASS),
    Case(
        "add wraps to the minimum", exp.eq(exp.num_add(2**63 - 1, 1), INT64_MIN), PASS
    ),
    Case("int division truncates", exp.eq(exp.num_div(-7, 2), -3), PASS),
    Case("div of one value inverts it", exp.eq(exp.num_div(4.0), 0.25), PASS),
    Case("int division by zero is unknown", exp.eq(exp.num_div(i(), 0), 0), FILTERED),
    Case(
        "float division by zero is infinite",
        exp.eq(exp.num_div(exp.float_bin("f"), 0.0), math.inf),
        PASS,
    ),
    Case("mod keeps the numerator's sign", exp.eq(exp.num_mod(-7, 3), -1), PASS),
    Case("mod by zero is unknown", exp.eq(exp.num_mod(i(), 0), 0), FILTERED),
    Case("pow of floats", exp.eq(exp.num_pow(2.0, 10.0), 1024.0), PASS),
    Case("pow of ints is refused", exp.eq(exp.num_pow(2, 10), 1024), REFUSED),
    Case("log in a base", exp.eq(exp.num_log(8.0, 2.0), 3.0), PASS),
    Case("abs", exp.eq(exp.num_abs(i("neg")), 3), PASS),
    Case("abs of the minimum wraps", exp.eq(exp.num_abs(INT64_MIN), INT64_MIN), PASS),
    Case(
        "floor and ceil",
        exp.eq(exp.num_add(exp.num_floor(2.5), exp.num_ceil(2.5)), 5.0),
        PASS,
    ),
    Case("to_int truncates", exp.eq(exp.to_int(exp.float_bin("f")), 2), PASS),
    Case("to_int of nan is the minimum", exp.eq(exp.to_int(math.nan), INT64_MIN), PASS),
    Case("to_float", exp.eq(exp.to_float(i()), 7.0), PASS),
    Case("to_int of an int is refused", exp.eq(exp.to_int(i()), 7), REFUSED),
    Case(
        "mixing ints and floats is refused", exp.eq(exp.num_add(i(), 1.0), 8), REFUSED
    ),
    Case(
        "min and max",
        exp.eq(exp.num_sub(exp.max_(i(), 1), exp.min_(i(), -3)), 10),
        PASS,
    ),
    Case(
        "int_and / int_or / int_xor",
        exp.eq(exp.int_xor(exp.int_or(i(), 8), 1), 14),
        PASS,
    ),
    Case("int_not", exp.eq(exp.int_not(0), -1), PASS),
    Case("lshift into the sign bit", exp.eq(exp.int_lshift(1, 63), INT64_MIN), PASS),
    Case("shift counts wrap at 64", exp.eq(exp.int_lshift(1, 64), 1), PASS),
    Case("rshift fills with zeros", exp.eq(exp.int_rshift(-1, 60), 15), PASS),
    Case("arshift keeps the sign", exp.eq(exp.int_arshift(-16, 2), -4), PASS),
    Case("int_count of -1 is 64", exp.eq(exp.int_count(-1), 64), PASS),
    Case("lscan finds the lowest bit last", exp.eq(exp.int_lscan(1, True), 63), PASS),
    Case("rscan of zero finds nothing", exp.eq(exp.int_rscan(0, True), -1), PASS),
    Case("lscan for a clear bit", exp.eq(exp.int_lscan(-2, False), 63), PASS),
]

METADATA = [
    Case(
        "ttl of a record written with ttl 1000",
        exp.and_(exp.gt(exp.ttl(), 990), exp.le(exp.ttl(), 1000)),
        PASS,
    ),
    Case("ttl of a never-expiring record is -1", exp.eq(exp.ttl(), -1), PASS, "plain"),
    Case(
        "void_time of a never-expiring record is -1",
        exp.eq(exp.void_time(), -1),
        PASS,
        "plain",
    ),
    Case(
        "void_time is in nanoseconds",
        lambda w: exp.and_(
            exp.ge(exp.void_time(), w.before_ns + 999 * 10**9),
            exp.le(exp.void_time(), w.after_ns + 1001 * 10**9),
        ),
        PASS,
    ),
    Case(
        "last_update is the write time in nanoseconds",
        lambda w: exp.and_(
            exp.ge(exp.last_update(), w.before_ns // 10**6 * 10**6),
            exp.le(exp.last_update(), w.after_ns),
        ),
        PASS,
    ),
    Case("since_update is small", exp.lt(exp.since_update(), 60_000), PASS),
    Case("set_name", lambda w: exp.eq(exp.set_name(), w.key[1]), PASS),
    Case("key_exists with a stored key", exp.key_exists(), PASS),
    Case("key_exists without one", exp.key_exists(), FILTERED, "plain"),
    Case("key as a string", exp.eq(exp.key(exp.EXP_TYPE_STRING), "key-1"), PASS),
    Case(
        "key of another type is unknown", exp.eq(exp.key(exp.EXP_TYPE_INT), 1), FILTERED
    ),
    Case(
        "key not stored is unknown",
        exp.eq(exp.key(exp.EXP_TYPE_STRING), "key-1"),
        FILTERED,
        "plain",
    ),
    Case(
        "digest_modulo reads digest bytes 16-19 little-endian",
        lambda w: exp.eq(
            exp.digest_modulo(7), int.from_bytes(w.digest[16:20], "little") % 7
        ),
        PASS,
    ),
    Case(
        "record_size is in 16-byte blocks",
        exp.eq(exp.num_mod(exp.record_size(), 16), 0),
        PASS,
    ),
    Case("a bigger record is bigger", exp.gt(exp.record_size(), 160), PASS),
    Case("a live record is no tombstone", exp.is_tombstone(), FILTERED),
]

CONTROL = [
    Case(
        "let binds a variable",
        exp.let_(exp.def_("x", i()), exp.gt(exp.var("x"), 5)),
        PASS,
    ),
    Case(
        "let of two variables",
        exp.let_(
            exp.def_("x", i()),
            exp.def_("y", exp.num_mul(exp.var("x"), 2)),
            exp.eq(exp.var("y"), 14),
        ),
        PASS,
    ),
    Case(
        "a variable holding unknown is unknown",
        exp.let_(exp.def_("x", i("no_such_bin")), exp.eq(exp.var("x"), 1)),
        FILTERED,
    ),
    Case(
        "cond takes the first true branch",
        exp.eq(exp.cond(exp.gt(i(), 10), "big", exp.gt(i(), 5), "mid", "small"), "mid"),
        PASS,
    ),
    Case(
        "cond falls back to its default",
        exp.eq(exp.cond(exp.gt(i(), 10), 1, 2), 2),
        PASS,
    ),
    Case(
        "cond with an unknown condition is unknown",
        exp.eq(exp.cond(MISSING, 1, 2), 2),
        FILTERED,
    ),
    Case(
        "unknown in a branch not taken",
        exp.eq(exp.cond(TRUE, 1, exp.unknown()), 1),
        PASS,
    ),
    Case(
        "unknown in the branch taken",
        exp.eq(exp.cond(FALSE, 1, exp.unknown()), 1),
        FILTERED,
    ),
    Case(
        "cond branches of two types are refused",
        exp.eq(exp.cond(TRUE, 1, "one"), 1),
        REFUSED,
    ),
]


def _regex(pattern: str, flags: int, bin_name: str = "s") -> Any:
    return exp.regex_compare(pattern, flags, exp.string_bin(bin_name))


REGEX = [
    Case("regex anchored at the start", _regex("^Hello", R.REGEX_NONE), PASS),
    Case("regex is case sensitive", _regex("^hello", R.REGEX_NONE), FILTERED),
    Case("REGEX_ICASE", _regex("^hello", R.REGEX_ICASE), PASS),
    Case("basic regex: + is a literal", _regex("lo+", R.REGEX_NONE), FILTERED),
    Case("extended regex: + repeats", _regex("lo+", R.REGEX_EXTENDED), PASS),
    Case("basic regex groups and backrefs", _regex("\\(l\\)\\1", R.REGEX_NONE), PASS),
    Case("basic regex intervals", _regex("l\\{2\\}o", R.REGEX_NONE), PASS),
    Case("$ anchors at the end", _regex("World$", R.REGEX_NONE), PASS),
    Case("POSIX classes", _regex("^[[:upper:]][[:lower:]]+ ", R.REGEX_EXTENDED), PASS),
    Case("^ after a newline needs REGEX_NEWLINE", _regex("^second", 0, "nl"), FILTERED),
    Case("REGEX_NEWLINE", _regex("^second", R.REGEX_NEWLINE, "nl"), PASS),
    Case("$ matches only at the very end", _regex("first$", 0, "nl"), FILTERED),
    Case(
        "$ before a newline with REGEX_NEWLINE",
        _regex("first$", R.REGEX_NEWLINE, "nl"),
        PASS,
    ),
    Case("[^x] matches a newline", _regex("t[^x]s", 0, "nl"), PASS),
    Case(
        "[^x] skips newlines with REGEX_NEWLINE",
        _regex("t[^x]s", R.REGEX_NEWLINE, "nl"),
        FILTERED,
    ),
    Case("an invalid regex is refused", _regex("(", R.REGEX_EXTENDED), REFUSED),
    Case("regex on a missing bin is unknown", _regex(".", 0, "no_such_bin"), FILTERED),
]

GEO = [
    Case(
        "point within a polygon",
        exp.geo_compare(exp.geo_bin("g"), exp.geo_val(AROUND_POINT)),
        PASS,
    ),
    Case(
        "point outside a polygon",
        exp.geo_compare(exp.geo_bin("g"), exp.geo_val(ELSEWHERE)),
        FILTERED,
    ),
    Case(
        "circle contains a point",
        exp.geo_compare(exp.geo_bin("region"), exp.geo_val(POINT)),
        PASS,
    ),
    Case(
        "circle does not contain a far point",
        exp.geo_compare(
            exp.geo_bin("region"),
            exp.geo_val({"type": "Point", "coordinates": [-121.9, 37.5]}),
        ),
        FILTERED,
    ),
    Case(
        "a point never matches a point",
        exp.geo_compare(exp.geo_bin("g"), exp.geo_val(POINT)),
        FILTERED,
    ),
    Case(
        "invalid GeoJSON is refused",
        exp.geo_compare(exp.geo_bin("g"), exp.geo_val('{"type": "Pt"}')),
        REFUSED,
    ),
    Case(
        "geo values cannot be compared with eq",
        exp.eq(exp.geo_bin("g"), exp.geo_val(POINT)),
        REFUSED,
    ),
]

CDT = [
    Case("list_size", exp.eq(exp.list_size("l"), 4), PASS),
    Case(
        "list_get_by_index",
        exp.eq(exp.list_get_by_index(R.LIST_RETURN_VALUE, exp.EXP_TYPE_INT, 0, "l"), 1),
        PASS,
    ),
    Case(
        "list_get_by_index out of range is unknown",
        exp.eq(exp.list_get_by_index(R.LIST_RETURN_VALUE, exp.EXP_TYPE_INT, 9, "l"), 1),
        FILTERED,
    ),
    Case(
        "list_get_by_value_range counts",
        exp.eq(exp.list_get_by_value_range(R.LIST_RETURN_COUNT, 1, 3, "l"), 2),
        PASS,
    ),
    Case(
        "list_get_by_value_list",
        exp.eq(
            exp.list_get_by_value_list(R.LIST_RETURN_VALUE, [3, "x", 99], "l"),
            [3, "x"],
        ),
        PASS,
    ),
    Case(
        "list_get_by_rank",
        exp.eq(
            exp.list_get_by_rank(R.LIST_RETURN_VALUE, exp.EXP_TYPE_STRING, -1, "l"), "x"
        ),
        PASS,
    ),
    Case("map_size", exp.eq(exp.map_size("m"), 2), PASS),
    Case(
        "map_get_by_key",
        exp.eq(exp.map_get_by_key(R.MAP_RETURN_VALUE, exp.EXP_TYPE_INT, "b", "m"), 2),
        PASS,
    ),
    Case(
        "map_get_by_key of a missing key is unknown",
        exp.eq(exp.map_get_by_key(R.MAP_RETURN_VALUE, exp.EXP_TYPE_INT, "z", "m"), 2),
        FILTERED,
    ),
    Case(
        "map_get_by_value returns keys",
        exp.eq(exp.map_get_by_value(R.MAP_RETURN_KEY, 1, "m"), ["a"]),
        PASS,
    ),
    Case(
        "list read in a nested map (ctx)",
        exp.eq(
            exp.list_get_by_index(
                R.LIST_RETURN_VALUE,
                exp.EXP_TYPE_INT,
                1,
                exp.map_bin("nested"),
                ctx=[cdt_ctx.cdt_ctx_map_key("k")],
            ),
            20,
        ),
        PASS,
    ),
    Case(
        "a list read on a map bin is unknown",
        exp.eq(exp.list_size(exp.list_bin("m")), 2),
        FILTERED,
    ),
    Case("map_get_keys", exp.eq(exp.map_get_keys(exp.map_bin("m")), ["a", "b"]), PASS),
    Case("bit_count", exp.eq(exp.bit_count(0, 16, "b"), 2), PASS),
    Case("bit_get_int", exp.eq(exp.bit_get_int(8, 8, False, "b"), 2), PASS),
    Case("bit_left_scan", exp.eq(exp.bit_left_scan(0, 16, True, "b"), 7), PASS),
    Case("bit_get", exp.eq(exp.bit_get(8, 8, "b"), b"\x02"), PASS),
    Case("hll_get_count", exp.eq(exp.hll_get_count("h"), 3), PASS),
    Case("hll_may_contain", exp.eq(exp.hll_may_contain(["a"], "h"), 1), PASS),
    Case("hll_describe", exp.eq(exp.hll_describe("h"), [8, 0]), PASS),
]

# Wire bytes our builders would never produce, checked by the server alone.
RAW = [
    Case("an empty instruction is refused", b"\x91\x90", REFUSED),
    Case("an expression cut short is refused", b"\x93\x01\x05", REFUSED),
    Case("bytes after the expression are refused", b"\xc3\xc3", REFUSED),
    Case("an unknown op code is refused", b"\x91\xcc\xc8", REFUSED),
    Case("an undefined variable is refused", b"\x92\x7c\xa1x", REFUSED),
    Case("a bare true passes", b"\xc3", PASS),
    Case("not, 99 times over, passes", b"\x92\x12" * 99 + b"\xc2", PASS),
    Case("nesting deeper than 100 is refused", b"\x92\x12" * 150 + b"\xc3", REFUSED),
    Case(
        "cond whose actions are all unknown is a boolean",
        b"\x94\x7b\xc3\x91\x00\x91\x00",
        FILTERED,
    ),
]

CASES = COMPARISONS + LOGIC + ARITHMETIC + METADATA + CONTROL + REGEX + GEO + CDT + RAW


def _write_full(client: Any, key: Any) -> None:
    client.put(key, BINS, meta={"ttl": 1000}, policy={"key": R.POLICY_KEY_SEND})
    client.operate(key, [hll.hll_add("h", ["a", "b", "c"], 8)], meta={"ttl": -2})


def _write_plain(client: Any, key: Any) -> None:
    client.put(key, {"i": 7}, meta={"ttl": -1})


WRITERS: dict[str, Callable[[Any, Any], None]] = {
    "full": _write_full,
    "plain": _write_plain,
}


def _outcome(client: Any, key: Any, expression: Any) -> str:
    try:
        client.get(key, policy={"filter_expression": expression})
    except aerospike_py.FilteredOut:
        return FILTERED
    except aerospike_py.ServerError as exc:
        if exc.code == 4:
            return REFUSED
        raise
    return PASS


def test_the_table_holds_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_filter_outcome(client: Any, key: Any, case: Case) -> None:
    before_ns = time.time_ns()
    WRITERS[case.record](client, key)
    written = Written(key, before_ns, time.time_ns())
    expression = case.expr(written) if callable(case.expr) else case.expr

    assert _outcome(client, key, expression) == case.expected
