"""Bit and HLL operations: our client beside the official one.

Each row pairs one of our builders with the official client's
``aerospike_helpers`` builder for the same operation. Run against the
embedded server from the same starting record, both must return the same
result (or fail with the same result code) and leave the same record;
and the op our client sends must be byte for byte the official one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aerospike
import pytest
from aerospike import exception as official_errors
from aerospike_helpers import HyperLogLog
from aerospike_helpers.operations import bitwise_operations as obit
from aerospike_helpers.operations import hll_operations as ohll

from aerospike_py import HLL
from aerospike_py import bit_operations as bit
from aerospike_py import hll_operations as hll
from aerospike_py.exception import AerospikeError

# The official bit builders still take a value_byte_size they ignore.
pytestmark = pytest.mark.filterwarnings(
    "ignore:value_byte_size is deprecated:DeprecationWarning"
)

BLOB = b"\x0f\xf0\x81\x7f"
ITEMS = ["a", "b", "c", 1, 2, b"z"]

# (name, our op, the official op); ops get the HLL values of the test.
Pair = tuple[str, Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any]]


def _policy(flags: int) -> dict[str, int]:
    return {"bit_write_flags": flags}


PAIRS: list[Pair] = [
    (
        "bit_resize_from_front",
        lambda v: bit.bit_resize("b", 6, aerospike.BIT_RESIZE_FROM_FRONT),
        lambda v: obit.bit_resize("b", 6, resize_flags=aerospike.BIT_RESIZE_FROM_FRONT),
    ),
    (
        "bit_resize_grow_only_no_fail",
        lambda v: bit.bit_resize(
            "b", 2, aerospike.BIT_RESIZE_GROW_ONLY, aerospike.BIT_WRITE_NO_FAIL
        ),
        lambda v: obit.bit_resize(
            "b",
            2,
            _policy(aerospike.BIT_WRITE_NO_FAIL),
            aerospike.BIT_RESIZE_GROW_ONLY,
        ),
    ),
    (
        "bit_insert",
        lambda v: bit.bit_insert("b", -1, b"\xaa\xbb"),
        lambda v: obit.bit_insert("b", -1, 2, b"\xaa\xbb"),
    ),
    (
        "bit_remove_partial",
        lambda v: bit.bit_remove("b", 2, 9, aerospike.BIT_WRITE_PARTIAL),
        lambda v: obit.bit_remove("b", 2, 9, _policy(aerospike.BIT_WRITE_PARTIAL)),
    ),
    (
        "bit_set",
        lambda v: bit.bit_set("b", 4, 12, b"\xab\xcd"),
        lambda v: obit.bit_set("b", 4, 12, 2, b"\xab\xcd"),
    ),
    (
        "bit_set_past_the_end",
        lambda v: bit.bit_set("b", 28, 8, b"\xff"),
        lambda v: obit.bit_set("b", 28, 8, 1, b"\xff"),
    ),
    (
        "bit_or",
        lambda v: bit.bit_or("b", 3, 9, b"\xff\x80"),
        lambda v: obit.bit_or("b", 3, 9, 2, b"\xff\x80"),
    ),
    (
        "bit_xor",
        lambda v: bit.bit_xor("b", 0, 16, b"\xff\xff"),
        lambda v: obit.bit_xor("b", 0, 16, 2, b"\xff\xff"),
    ),
    (
        "bit_and",
        lambda v: bit.bit_and("b", 8, 8, b"\x0f"),
        lambda v: obit.bit_and("b", 8, 8, 1, b"\x0f"),
    ),
    (
        "bit_not",
        lambda v: bit.bit_not("b", -12, 12),
        lambda v: obit.bit_not("b", -12, 12),
    ),
    (
        "bit_lshift",
        lambda v: bit.bit_lshift("b", 4, 20, 3),
        lambda v: obit.bit_lshift("b", 4, 20, 3),
    ),
    (
        "bit_rshift",
        lambda v: bit.bit_rshift("b", 0, 32, 9),
        lambda v: obit.bit_rshift("b", 0, 32, 9),
    ),
    (
        "bit_add_signed_saturate",
        lambda v: bit.bit_add("b", 24, 8, 100, True, aerospike.BIT_OVERFLOW_SATURATE),
        lambda v: obit.bit_add("b", 24, 8, 100, True, aerospike.BIT_OVERFLOW_SATURATE),
    ),
    (
        "bit_add_overflow_fails",
        lambda v: bit.bit_add("b", 8, 8, 100),
        lambda v: obit.bit_add("b", 8, 8, 100, False, aerospike.BIT_OVERFLOW_FAIL),
    ),
    (
        "bit_subtract_wrap_no_fail",
        lambda v: bit.bit_subtract(
            "b",
            0,
            16,
            5000,
            False,
            aerospike.BIT_OVERFLOW_WRAP,
            aerospike.BIT_WRITE_NO_FAIL,
        ),
        lambda v: obit.bit_subtract(
            "b",
            0,
            16,
            5000,
            False,
            aerospike.BIT_OVERFLOW_WRAP,
            _policy(aerospike.BIT_WRITE_NO_FAIL),
        ),
    ),
    (
        "bit_set_int",
        lambda v: bit.bit_set_int("b", 2, 20, 0x12345),
        lambda v: obit.bit_set_int("b", 2, 20, 0x12345),
    ),
    (
        "bit_get",
        lambda v: bit.bit_get("b", 5, 19),
        lambda v: obit.bit_get("b", 5, 19),
    ),
    (
        "bit_count",
        lambda v: bit.bit_count("b", 3, 27),
        lambda v: obit.bit_count("b", 3, 27),
    ),
    (
        "bit_lscan",
        lambda v: bit.bit_lscan("b", 6, 20, False),
        lambda v: obit.bit_lscan("b", 6, 20, False),
    ),
    (
        "bit_rscan",
        lambda v: bit.bit_rscan("b", 0, 24, True),
        lambda v: obit.bit_rscan("b", 0, 24, True),
    ),
    (
        "bit_get_int_signed",
        lambda v: bit.bit_get_int("b", 4, 12, True),
        lambda v: obit.bit_get_int("b", 4, 12, True),
    ),
    (
        "bit_get_int_unsigned",
        lambda v: bit.bit_get_int("b", 4, 12),
        lambda v: obit.bit_get_int("b", 4, 12, False),
    ),
    (
        "hll_init",
        lambda v: hll.hll_init("n", 12, 8),
        lambda v: ohll.hll_init("n", 12, 8),
    ),
    (
        "hll_init_create_only",
        lambda v: hll.hll_init("h", 12, policy={"flags": 1}),
        lambda v: ohll.hll_init("h", 12, policy={"flags": 1}),
    ),
    (
        "hll_add_creating_the_bin",
        lambda v: hll.hll_add("n", ITEMS, 10, 4),
        lambda v: ohll.hll_add("n", ITEMS, 10, 4),
    ),
    (
        "hll_add_to_the_bin",
        lambda v: hll.hll_add("h", [*ITEMS, 3.5, None, True]),
        lambda v: ohll.hll_add("h", [*ITEMS, 3.5, None, True]),
    ),
    (
        "hll_get_count",
        lambda v: hll.hll_get_count("h"),
        lambda v: ohll.hll_get_count("h"),
    ),
    ("hll_describe", lambda v: hll.hll_describe("h"), lambda v: ohll.hll_describe("h")),
    ("hll_fold", lambda v: hll.hll_fold("h", 6), lambda v: ohll.hll_fold("h", 6)),
    (
        "hll_refresh_count",
        lambda v: hll.hll_refresh_count("h"),
        lambda v: ohll.hll_refresh_count("h"),
    ),
    (
        "hll_set_union",
        lambda v: hll.hll_set_union("h", [v["ours"]], policy={"flags": 8}),
        lambda v: ohll.hll_set_union("h", [v["official"]], policy={"flags": 8}),
    ),
    (
        "hll_get_union",
        lambda v: hll.hll_get_union("h", [v["ours"]]),
        lambda v: ohll.hll_get_union("h", [v["official"]]),
    ),
    (
        "hll_get_union_count_of_plain_bytes",
        lambda v: hll.hll_get_union_count("h", [bytes(v["ours"])]),
        lambda v: ohll.hll_get_union_count("h", [bytes(v["ours"])]),
    ),
    (
        "hll_get_intersect_count",
        lambda v: hll.hll_get_intersect_count("h", [v["ours"]]),
        lambda v: ohll.hll_get_intersect_count("h", [v["official"]]),
    ),
    (
        "hll_get_similarity",
        lambda v: hll.hll_get_similarity("h", [v["ours"]]),
        lambda v: ohll.hll_get_similarity("h", [v["official"]]),
    ),
]


PAIR_IDS = [name for name, _, _ in PAIRS]


def _plain(value: Any) -> Any:
    """Compare the two clients' values as plain Python values."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    return value


def _start(ours: Any, key: Any) -> None:
    ours.put(key, {"b": BLOB})
    ours.operate(key, [hll.hll_add("h", list(range(200)), 8)])


@pytest.fixture
def values(ours: Any, aerospike_set: str) -> dict[str, Any]:
    """An HLL argument, as each client passes HLL values."""
    scratch = ("test", aerospike_set, "argument")
    ours.operate(scratch, [hll.hll_add("v", list(range(100, 400)), 8)])
    value = ours.get(scratch).bins["v"]
    assert type(value) is HLL
    return {"ours": value, "official": HyperLogLog(bytes(value))}


def _official_result(official: Any, key: Any, op: Any) -> tuple[Any, int]:
    try:
        _, _, bins = official.operate(key, [op])
    except official_errors.AerospikeError as exc:
        return None, exc.code
    return _plain(bins.get(op["bin"])), 0


def _our_result(ours: Any, key: Any, op: Any) -> tuple[Any, int]:
    try:
        record = ours.operate(key, [op])
    except AerospikeError as exc:
        return None, exc.code
    return _plain(record.bins.get(op["bin"])), 0


@pytest.mark.parametrize(("name", "our_op", "official_op"), PAIRS, ids=PAIR_IDS)
def test_same_operation_gives_the_same_result_through_both_clients(
    official, ours, aerospike_set, values, name, our_op, official_op
):
    official_key = ("test", aerospike_set, "official")
    our_key = ("test", aerospike_set, "ours")
    _start(ours, official_key)
    _start(ours, our_key)

    expected = _official_result(official, official_key, official_op(values))
    assert _our_result(ours, our_key, our_op(values)) == expected
    assert _plain(ours.get(our_key).bins) == _plain(ours.get(official_key).bins)


def _sent_op(server: Any, send: Callable[[], Any]) -> Any:
    with server.recording() as received:
        try:
            send()
        except (AerospikeError, official_errors.AerospikeError):
            pass  # the bytes sent are what is compared
    return [message for message in received if message.ops][-1].ops


@pytest.mark.parametrize(("name", "our_op", "official_op"), PAIRS, ids=PAIR_IDS)
def test_our_op_bytes_equal_the_official_clients(
    server, official, ours, aerospike_set, values, name, our_op, official_op
):
    key = ("test", aerospike_set, "bytes")
    _start(ours, key)
    official_ops = _sent_op(
        server, lambda: official.operate(key, [official_op(values)])
    )
    _start(ours, key)
    our_ops = _sent_op(server, lambda: ours.operate(key, [our_op(values)]))
    assert our_ops == official_ops


def test_hll_built_by_the_official_client_equals_ours(official, ours, aerospike_set):
    items = [f"item-{i}" for i in range(2_000)] + list(range(500))
    official_key = ("test", aerospike_set, "official")
    our_key = ("test", aerospike_set, "ours")
    official.operate(official_key, [ohll.hll_add("h", items, 11, 5)])
    ours.operate(our_key, [hll.hll_add("h", items, 11, 5)])
    built_by_official = ours.get(official_key).bins["h"]
    assert built_by_official == ours.get(our_key).bins["h"]
    count = ours.operate(official_key, [hll.hll_get_count("h")]).bins["h"]
    _, _, bins = official.operate(our_key, [ohll.hll_get_count("h")])
    assert bins["h"] == count


def test_official_client_reads_our_blob_bits(official, ours, aerospike_set):
    key = ("test", aerospike_set, "blob")
    ours.operate(key, [bit.bit_insert("b", 0, b"\x00\x00"), bit.bit_not("b", 3, 5)])
    _, _, bins = official.operate(key, [obit.bit_get_int("b", 0, 16, False)])
    assert bins["b"] == 0b0001_1111_0000_0000
