"""Expression operations: expression_read returns a value, expression_write
stores one, with the flags of the server's expop.c."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

import aerospike_py
from aerospike_py import exp
from aerospike_py import expression_operations as eo
from aerospike_py import list_operations as lo
from aerospike_py import operations as op
from aerospike_py.exception import InvalidArgError

R = aerospike_py
BINS = {"a": 5, "b": 10, "f": 1.5, "s": "abc", "l": [3, 1, 2], "m": {"k": "v"}}

READS = [
    ("an int bin", exp.int_bin("a"), 5),
    ("a sum of bins", exp.num_add(exp.int_bin("a"), exp.int_bin("b")), 15),
    ("a float", exp.num_mul(exp.float_bin("f"), 2.0), 3.0),
    ("a string", exp.string_bin("s"), "abc"),
    ("a boolean", exp.gt(exp.int_bin("b"), exp.int_bin("a")), True),
    ("a list literal", exp.list_val([1, "x"]), [1, "x"]),
    ("a map bin", exp.map_bin("m"), {"k": "v"}),
    ("nil", exp.nil(), None),
    ("bytes", exp.blob_val(b"\x00\xff"), b"\x00\xff"),
    ("a list read", exp.list_get_by_rank(R.LIST_RETURN_VALUE, 2, 0, "l"), 1),
    ("a cond", exp.cond(exp.bin_exists("zz"), "yes", "no"), "no"),
    ("the ttl of a record that never expires", exp.ttl(), -1),
]


@pytest.mark.parametrize(
    "expr, expected", [r[1:] for r in READS], ids=[r[0] for r in READS]
)
def test_expression_read_returns_the_value(
    client: Any, key: Any, expr: Any, expected: Any
) -> None:
    client.put(key, BINS)
    record = client.operate(key, [eo.expression_read("out", expr)])
    assert record.bins == {"out": expected}
    assert type(record.bins["out"]) is type(expected)


def test_expression_read_of_unknown_fails_with_26(client: Any, key: Any) -> None:
    client.put(key, BINS)
    with pytest.raises(aerospike_py.ServerError) as info:
        client.operate(key, [eo.expression_read("out", exp.int_bin("missing"))])
    assert info.value.code == 26


def test_expression_read_eval_no_fail_returns_nil(client: Any, key: Any) -> None:
    client.put(key, BINS)
    record = client.operate(
        key,
        [
            eo.expression_read("out", exp.int_bin("missing"), R.EXP_READ_EVAL_NO_FAIL),
            op.read("a"),
        ],
    )
    assert record.bins == {"out": None, "a": 5}


def test_expression_read_sees_earlier_writes_of_the_same_operate(
    client: Any, key: Any
) -> None:
    client.put(key, BINS)
    record = client.operate(
        key,
        [
            op.write("a", 100),
            eo.expression_read("out", exp.num_add(exp.int_bin("a"), 1)),
        ],
    )
    assert record.bins["out"] == 101


class Write(NamedTuple):
    name: str
    bins: dict[str, Any]  # the record before
    expr: Any
    flags: int
    expected: Any  # the record's bins after, or the result code of the failure


SUM = exp.num_add(exp.int_bin("a"), 1)
NIL = exp.nil()
UNKNOWN = exp.int_bin("missing")

WRITES = [
    Write("creates a bin", {"a": 1}, SUM, R.EXP_WRITE_DEFAULT, {"a": 1, "w": 2}),
    Write("overwrites a bin", {"a": 1, "w": 0}, SUM, 0, {"a": 1, "w": 2}),
    Write(
        "create-only on an existing bin fails with 6",
        {"a": 1, "w": 0},
        SUM,
        R.EXP_WRITE_CREATE_ONLY,
        6,
    ),
    Write(
        "create-only no-fail keeps the bin",
        {"a": 1, "w": 0},
        SUM,
        R.EXP_WRITE_CREATE_ONLY | R.EXP_WRITE_POLICY_NO_FAIL,
        {"a": 1, "w": 0},
    ),
    Write(
        "update-only on a missing bin fails with 17",
        {"a": 1},
        SUM,
        R.EXP_WRITE_UPDATE_ONLY,
        17,
    ),
    Write(
        "update-only no-fail is a no-op",
        {"a": 1},
        SUM,
        R.EXP_WRITE_UPDATE_ONLY | R.EXP_WRITE_POLICY_NO_FAIL,
        {"a": 1},
    ),
    Write(
        "update-only on an existing bin",
        {"a": 1, "w": 0},
        SUM,
        R.EXP_WRITE_UPDATE_ONLY,
        {"a": 1, "w": 2},
    ),
    Write("nil may not delete a bin", {"a": 1, "w": 0}, NIL, 0, 26),
    Write(
        "allow-delete lets nil delete the bin",
        {"a": 1, "w": 0},
        NIL,
        R.EXP_WRITE_ALLOW_DELETE,
        {"a": 1},
    ),
    # expop.c tests "flags && POLICY_NO_FAIL": any non-zero flags excuse it.
    Write(
        "nil with other flags leaves the bin",
        {"a": 1, "w": 0},
        NIL,
        R.EXP_WRITE_EVAL_NO_FAIL,
        {"a": 1, "w": 0},
    ),
    Write("nil into a missing bin writes nothing", {"a": 1}, NIL, 0, {"a": 1}),
    Write("unknown fails with 26", {"a": 1, "w": 0}, UNKNOWN, 0, 26),
    Write(
        "eval-no-fail skips an unknown",
        {"a": 1, "w": 0},
        UNKNOWN,
        R.EXP_WRITE_EVAL_NO_FAIL,
        {"a": 1, "w": 0},
    ),
    Write(
        "a boolean result is stored as a boolean",
        {"a": 1},
        exp.gt(exp.int_bin("a"), 0),
        0,
        {"a": 1, "w": True},
    ),
]


@pytest.mark.parametrize("case", WRITES, ids=[w.name for w in WRITES])
def test_expression_write(client: Any, key: Any, case: Write) -> None:
    client.put(key, case.bins)
    operation = eo.expression_write("w", case.expr, case.flags)
    if isinstance(case.expected, int):
        with pytest.raises(aerospike_py.AerospikeError) as info:
            client.operate(key, [operation])
        assert info.value.code == case.expected
        assert client.get(key).bins == case.bins
        return
    client.operate(key, [operation])
    assert client.get(key).bins == case.expected


def test_expression_write_then_read_in_one_operate(client: Any, key: Any) -> None:
    client.put(key, {"a": 2, "b": 3})
    record = client.operate(
        key,
        [
            eo.expression_write("sum", exp.num_add(exp.int_bin("a"), exp.int_bin("b"))),
            eo.expression_read("big", exp.gt(exp.int_bin("sum"), 4)),
        ],
    )
    assert record.bins == {"big": True}
    assert client.get(key).bins == {"a": 2, "b": 3, "sum": 5}


def test_a_written_copy_of_a_list_changes_alone(client: Any, key: Any) -> None:
    client.put(key, {"l": [1, 2]})
    client.operate(
        key,
        [
            eo.expression_write("copy", exp.list_bin("l")),
            lo.list_append("copy", 3),
            eo.expression_write("lit", exp.list_val([9])),
            lo.list_append("lit", 10),
        ],
    )
    client.operate(key, [eo.expression_write("lit2", exp.list_val([9]))])
    assert client.get(key).bins == {
        "l": [1, 2],
        "copy": [1, 2, 3],
        "lit": [9, 10],
        "lit2": [9],
    }


def test_expression_write_creates_the_record(client: Any, key: Any) -> None:
    client.operate(key, [eo.expression_write("w", exp.string_val("new"))])
    assert client.get(key).bins == {"w": "new"}


def test_expression_ops_use_op_types_7_and_8(
    client: Any, key: Any, server: Any
) -> None:
    client.put(key, {"a": 1})
    with server.recording() as received:
        client.operate(
            key,
            [
                eo.expression_write("w", exp.int_bin("a"), R.EXP_WRITE_UPDATE_ONLY | 8),
                eo.expression_read("r", exp.int_bin("a"), R.EXP_READ_EVAL_NO_FAIL),
            ],
        )
    ops = received[-1].ops
    assert [(o.op_type, o.particle_type, o.name) for o in ops] == [
        (8, 4, "w"),
        (7, 4, "r"),
    ]
    assert ops[0].value == b"\x92\x93\x51\x02\xa1a\x0a"
    assert ops[1].value == b"\x92\x93\x51\x02\xa1a\x10"


@pytest.mark.parametrize(
    "operation, problem",
    [
        (eo.expression_read("r", exp.int_bin("a"), R.EXP_WRITE_CREATE_ONLY), "flags 1"),
        (eo.expression_write("w", exp.int_bin("a"), 64), "flags 64"),
        (eo.expression_write("w", exp.int_bin("a"), True), "flags True"),
        (eo.expression_read("r", 5), "must be an expression"),
        (eo.expression_read("a_bin_name_too_long", exp.int_bin("a")), "15"),
        ({"op": eo.OP_EXPRESSION_READ, "bin": "r"}, "'expr'"),
    ],
)
def test_bad_expression_operations_are_refused_before_sending(
    client: Any, key: Any, operation: Any, problem: str
) -> None:
    with pytest.raises(InvalidArgError, match=problem):
        client.operate(key, [operation])
