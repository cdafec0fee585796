"""HLL operations through both clients, one table row per behaviour.

Expected values follow the real server (as/src/base/particle_hll.c): the
op tables and their flags, the hll_parse_* limits, the prepare checks
and what each op returns. Each case starts from a record with the bin
``x`` and, unless ``setup`` is None, an HLL bin ``h`` built by ``setup``;
runs its ops; and checks the value returned for ``h`` and, through
hll_describe, the bin's bit counts afterwards.

Counts are estimates; the cases use sets small enough that the estimate
is exact (the estimator is then linear counting), and the last tests
check large sets against the estimator's error bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import aerospike_py
from aerospike_py import HLL
from aerospike_py import hll_operations as hll
from aerospike_py.exception import (
    AerospikeError,
    BinExistsError,
    BinNotFound,
    BinTypeError,
    ServerError,
)

CREATE_ONLY = {"flags": aerospike_py.HLL_WRITE_CREATE_ONLY}
UPDATE_ONLY = {"flags": aerospike_py.HLL_WRITE_UPDATE_ONLY}
NO_FAIL_CREATE = {
    "flags": aerospike_py.HLL_WRITE_CREATE_ONLY | aerospike_py.HLL_WRITE_NO_FAIL
}
NO_FAIL_UPDATE = {
    "flags": aerospike_py.HLL_WRITE_UPDATE_ONLY | aerospike_py.HLL_WRITE_NO_FAIL
}
ALLOW_FOLD = {"flags": aerospike_py.HLL_WRITE_ALLOW_FOLD}

MISSING: Any = object()  # the bin must not exist afterwards
ABC = ["a", "b", "c"]

# Named HLL values the cases pass as arguments: (items, index bits, minhash).
VALUES = {
    "cde_10": (["c", "d", "e"], 10, 0),
    "cde_8": (["c", "d", "e"], 8, 0),
    "cde_10_6": (["c", "d", "e"], 10, 6),
    "xyz_10": (["x", "y", "z"], 10, 0),
}

Ops = Callable[[dict[str, HLL]], list[dict[str, Any]]]


@dataclass
class Case:
    name: str
    setup: list[dict[str, Any]] | None
    ops: Ops
    result: Any = None
    described: Any = None  # [index bits, minhash bits] after, or MISSING
    error: type[AerospikeError] | None = None
    code: int | None = None
    bins: dict[str, Any] = field(default_factory=dict)  # other starting bins


def ops(*built: dict[str, Any]) -> Ops:
    return lambda values: list(built)


CASES = [
    # -- init -----------------------------------------------------------------
    Case(
        "init_creates_an_empty_hll",
        None,
        ops(hll.hll_init("h", 10), hll.hll_get_count("h")),
        result=0,
        described=[10, 0],
    ),
    Case(
        "init_with_minhash_bits", None, ops(hll.hll_init("h", 10, 6)), described=[10, 6]
    ),
    Case(
        "init_of_a_missing_bin_needs_index_bits",
        None,
        ops(hll.hll_init("h", None)),
        error=ServerError,
        code=26,
    ),
    Case(
        "init_refuses_17_index_bits",
        None,
        ops(hll.hll_init("h", 17)),
        error=ServerError,
        code=4,
    ),
    Case(
        "init_refuses_3_index_bits",
        None,
        ops(hll.hll_init("h", 3)),
        error=ServerError,
        code=4,
    ),
    Case(
        "init_refuses_3_minhash_bits",
        None,
        ops(hll.hll_init("h", 10, 3)),
        error=ServerError,
        code=4,
    ),
    Case(
        "init_refuses_52_minhash_bits",
        None,
        ops(hll.hll_init("h", 10, 52)),
        error=ServerError,
        code=4,
    ),
    Case(
        "init_refuses_more_than_64_bits_in_all",
        None,
        ops(hll.hll_init("h", 16, 49)),
        error=ServerError,
        code=4,
    ),
    Case(
        "init_resets_an_existing_hll",
        [hll.hll_add("h", ABC, 12)],
        ops(hll.hll_init("h", 8), hll.hll_get_count("h")),
        result=0,
        described=[8, 0],
    ),
    Case(
        "init_without_bit_counts_keeps_the_bins",
        [hll.hll_init("h", 12, 5)],
        ops(hll.hll_init("h", None)),
        described=[12, 5],
    ),
    Case(
        "init_create_only_refuses_an_existing_bin",
        [hll.hll_init("h", 12)],
        ops(hll.hll_init("h", 10, policy=CREATE_ONLY)),
        error=BinExistsError,
        code=6,
    ),
    Case(
        "init_create_only_with_no_fail_keeps_the_bin",
        [hll.hll_add("h", ABC, 12)],
        ops(hll.hll_init("h", 10, policy=NO_FAIL_CREATE), hll.hll_get_count("h")),
        result=3,
        described=[12, 0],
    ),
    Case(
        "init_update_only_needs_the_bin",
        None,
        ops(hll.hll_init("h", 10, policy=UPDATE_ONLY)),
        error=BinNotFound,
        code=17,
    ),
    Case(
        "init_update_only_with_no_fail_creates_nothing",
        None,
        ops(hll.hll_init("h", 10, policy=NO_FAIL_UPDATE)),
        described=MISSING,
    ),
    # -- add ------------------------------------------------------------------
    Case(
        "add_creates_the_bin_and_counts_changed_registers",
        None,
        ops(hll.hll_add("h", ABC, 10)),
        result=3,
        described=[10, 0],
    ),
    Case(
        "add_of_known_items_changes_nothing",
        [hll.hll_add("h", ABC, 10)],
        ops(hll.hll_add("h", ["b", "a"])),
        result=0,
    ),
    Case(
        "add_to_a_missing_bin_needs_index_bits",
        None,
        ops(hll.hll_add("h", ABC)),
        error=ServerError,
        code=26,
    ),
    Case(
        "add_keeps_the_bins_bit_counts",
        [hll.hll_init("h", 10, 4)],
        ops(hll.hll_add("h", ABC, 12, 0), hll.hll_get_count("h")),
        result=[3, 3],
        described=[10, 4],
    ),
    Case(
        "add_refuses_the_update_only_flag",
        [hll.hll_init("h", 10)],
        ops(hll.hll_add("h", ABC, policy=UPDATE_ONLY)),
        error=ServerError,
        code=4,
    ),
    Case(
        "add_create_only_refuses_an_existing_bin",
        [hll.hll_init("h", 10)],
        ops(hll.hll_add("h", ABC, policy=CREATE_ONLY)),
        error=BinExistsError,
        code=6,
    ),
    Case(
        "add_refuses_an_empty_list",
        [hll.hll_init("h", 10)],
        ops(hll.hll_add("h", [])),
        error=ServerError,
        code=4,
    ),
    Case(
        "add_counts_ints_strings_and_bytes_apart",
        None,
        ops(hll.hll_add("h", [1, "1", b"1", 1.0, True], 12), hll.hll_get_count("h")),
        result=[5, 5],
    ),
    # -- count / describe / refresh / fold ------------------------------------
    Case(
        "count_of_a_missing_bin_is_none",
        None,
        ops(hll.hll_get_count("h")),
        result=None,
        described=MISSING,
    ),
    Case(
        "describe_returns_the_bit_counts",
        [hll.hll_init("h", 9, 7)],
        ops(hll.hll_describe("h")),
        result=[9, 7],
    ),
    Case(
        "refresh_count_returns_the_count",
        [hll.hll_add("h", ABC, 10)],
        ops(hll.hll_refresh_count("h")),
        result=3,
    ),
    Case(
        "refresh_count_of_a_missing_bin_is_bin_not_found",
        None,
        ops(hll.hll_refresh_count("h")),
        error=BinNotFound,
        code=17,
    ),
    Case(
        "fold_reduces_the_index_bits",
        [hll.hll_add("h", ABC, 12)],
        ops(hll.hll_fold("h", 6), hll.hll_get_count("h")),
        result=3,
        described=[6, 0],
    ),
    Case(
        "fold_to_the_same_index_bits_keeps_the_hll",
        [hll.hll_add("h", ABC, 12)],
        ops(hll.hll_fold("h", 12)),
        described=[12, 0],
    ),
    Case(
        "fold_cannot_add_index_bits",
        [hll.hll_init("h", 8)],
        ops(hll.hll_fold("h", 10)),
        error=ServerError,
        code=26,
    ),
    Case(
        "fold_refuses_an_hll_with_minhash_bits",
        [hll.hll_init("h", 12, 4)],
        ops(hll.hll_fold("h", 8)),
        error=ServerError,
        code=26,
    ),
    Case(
        "fold_of_a_missing_bin_is_bin_not_found",
        None,
        ops(hll.hll_fold("h", 8)),
        error=BinNotFound,
        code=17,
    ),
    # -- set_union ------------------------------------------------------------
    Case(
        "set_union_creates_the_bin_from_the_values",
        None,
        lambda v: [
            hll.hll_set_union("h", [v["cde_10"], v["xyz_10"]]),
            hll.hll_get_count("h"),
        ],
        result=6,
        described=[10, 0],
    ),
    Case(
        "set_union_merges_into_the_bin",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_set_union("h", [v["cde_10"]]), hll.hll_get_count("h")],
        result=5,
        described=[10, 0],
    ),
    Case(
        "set_union_refuses_to_reduce_index_bits",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_set_union("h", [v["cde_8"]])],
        error=ServerError,
        code=26,
    ),
    Case(
        "set_union_with_allow_fold_reduces_index_bits",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [
            hll.hll_set_union("h", [v["cde_8"]], policy=ALLOW_FOLD),
            hll.hll_get_count("h"),
        ],
        result=5,
        described=[8, 0],
    ),
    Case(
        "set_union_refuses_to_drop_the_minhash_bits",
        [hll.hll_add("h", ABC, 10, 6)],
        lambda v: [hll.hll_set_union("h", [v["cde_10"]])],
        error=ServerError,
        code=26,
    ),
    Case(
        "set_union_update_only_needs_the_bin",
        None,
        lambda v: [hll.hll_set_union("h", [v["cde_10"]], policy=UPDATE_ONLY)],
        error=BinNotFound,
        code=17,
    ),
    Case(
        "set_union_refuses_a_value_that_is_not_an_hll",
        [hll.hll_add("h", ABC, 10)],
        ops(hll.hll_set_union("h", [b"\x00\x0a\x00 not an hll"])),
        error=ServerError,
        code=4,
    ),
    # -- reads of several HLLs ------------------------------------------------
    Case(
        "get_union_returns_an_hll_of_the_union",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_union("h", [v["cde_10"]])],
        result=lambda value: type(value) is HLL and len(value) == 779,
    ),
    Case(
        "get_union_count_counts_the_union",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_union_count("h", [v["cde_10"], v["xyz_10"]])],
        result=8,
    ),
    Case(
        "get_union_count_folds_to_the_smallest_index",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_union_count("h", [v["cde_8"]])],
        result=5,
    ),
    Case(
        "intersect_count_of_plain_hlls",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_intersect_count("h", [v["cde_10"]])],
        result=1,
    ),
    Case(
        "intersect_count_of_disjoint_sets_is_zero",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_intersect_count("h", [v["xyz_10"]])],
        result=0,
    ),
    Case(
        "intersect_of_three_plain_hlls_is_refused",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_intersect_count("h", [v["cde_10"]] * 3)],
        error=ServerError,
        code=4,
    ),
    Case(
        "intersect_of_three_needs_the_bins_minhash_bits",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_intersect_count("h", [v["cde_10_6"]] * 3)],
        error=ServerError,
        code=26,
    ),
    Case(
        "similarity_of_plain_hlls",
        [hll.hll_add("h", ABC, 10)],
        lambda v: [hll.hll_get_similarity("h", [v["cde_10"]])],
        result=0.2,
    ),
    Case(
        "similarity_of_two_empty_minhash_hlls_is_nan",
        [hll.hll_init("h", 10, 6)],
        lambda v: [hll.hll_get_similarity("h", [v["empty_10_6"]])],
        result=math.isnan,
    ),
    # -- bin types ------------------------------------------------------------
    Case(
        "hll_op_on_a_blob_bin_is_a_bin_type_error",
        None,
        ops(hll.hll_get_count("b")),
        error=BinTypeError,
        code=12,
        bins={"b": b"\x00"},
    ),
    Case(
        "hll_add_to_an_integer_bin_is_a_bin_type_error",
        None,
        ops(hll.hll_add("x", ABC, 10)),
        error=BinTypeError,
        code=12,
    ),
]


def _hll_value(client: Any, key: Any, items: list[Any], index: int, mh: int) -> HLL:
    scratch = (key[0], key[1], "hll-values")
    build = [hll.hll_init("v", index, mh)]  # init resets an earlier value
    if items:
        build.append(hll.hll_add("v", items))
    client.operate(scratch, build)
    value = client.get(scratch).bins["v"]
    assert type(value) is HLL
    return value


@pytest.fixture
def values(client: Any, key: Any) -> dict[str, HLL]:
    built = {name: _hll_value(client, key, *spec) for name, spec in VALUES.items()}
    built["empty_10_6"] = _hll_value(client, key, [], 10, 6)
    return built


def _described(client: Any, key: Any) -> Any:
    if "h" not in client.get(key).bins:
        return MISSING
    return client.operate(key, [hll.hll_describe("h")]).bins["h"]


def _check_result(actual: Any, expected: Any) -> None:
    if callable(expected):
        assert expected(actual), actual
    else:
        assert actual == expected


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hll_operation(client, key, values, case):
    client.put(key, {"x": 1, **case.bins})
    if case.setup:
        client.operate(key, case.setup)
    before = client.get(key)
    operations = case.ops(values)
    if case.error is not None:
        with pytest.raises(case.error) as failure:
            client.operate(key, operations)
        assert failure.value.code == case.code
        assert client.get(key) == before
        return
    record = client.operate(key, operations)
    _check_result(record.bins.get("h"), case.result)
    if case.described is not None:
        assert _described(client, key) == case.described


def test_a_failed_op_undoes_the_whole_call(client, key):
    client.operate(key, [hll.hll_add("h", ABC, 10)])
    with pytest.raises(ServerError):
        client.operate(key, [hll.hll_add("h", ["d", "e"]), hll.hll_fold("h", 12)])
    assert client.operate(key, [hll.hll_get_count("h")]).bins["h"] == 3


def test_hll_bin_reads_back_as_an_hll_and_can_be_written_back(client, key):
    client.operate(key, [hll.hll_add("h", ABC, 10)])
    value = client.get(key).bins["h"]
    assert type(value) is HLL and len(value) == 11 + 6 * 1024 // 8
    client.put(key, {"copy": value})
    assert client.operate(key, [hll.hll_get_count("copy")]).bins["copy"] == 3


# The bytes a real server builds when it adds "a", "b", "c", 1, 2, 3 and
# b"x" to an empty HLL of 4 index bits: computed by compiling hmh_add of
# as/src/base/particle_hll.c with aerospike-common's murmurHash3_x64_128,
# feeding it the compact msgpack of each element.
SERVER_BYTES = {
    (4, 0): "0004000000000000000000000040004080003040000000",
    (4, 4): "00040400000000000000000000007c00000470bc0000035060000000000000",
}


@pytest.mark.parametrize(("index", "minhash"), sorted(SERVER_BYTES))
def test_hll_value_is_byte_identical_to_the_real_servers(client, key, index, minhash):
    items = ["a", "b", "c", 1, 2, 3, b"x"]
    client.operate(key, [hll.hll_add("h", items, index, minhash)])
    assert client.get(key).bins["h"].hex() == SERVER_BYTES[index, minhash]


def _bound(index_bits: int, sigmas: float = 4.0) -> float:
    """Relative error bound: HyperLogLog's standard error is 1.04/sqrt(m)."""
    return sigmas * 1.04 / math.sqrt(1 << index_bits)


@pytest.mark.parametrize("index_bits", [8, 12, 14, 16])
def test_count_of_10000_distinct_items_is_within_the_error_bound(
    client, key, index_bits
):
    items = [f"user-{i}" for i in range(10_000)]
    record = client.operate(
        key, [hll.hll_add("h", items, index_bits), hll.hll_get_count("h")]
    )
    added, count = record.bins["h"]
    assert abs(count - 10_000) <= 10_000 * _bound(index_bits)
    assert 0 < added <= 10_000


def test_adding_the_same_items_again_changes_no_register(client, key):
    items = list(range(5_000))
    client.operate(key, [hll.hll_add("h", items, 12)])
    record = client.operate(key, [hll.hll_add("h", items), hll.hll_get_count("h")])
    added, count = record.bins["h"]
    assert added == 0
    assert abs(count - 5_000) <= 5_000 * _bound(12)


def test_refreshed_count_is_stored_in_the_hll(client, key):
    client.operate(key, [hll.hll_add("h", list(range(3_000)), 12)])
    before = client.get(key).bins["h"]
    count = client.operate(key, [hll.hll_refresh_count("h")]).bins["h"]
    after = client.get(key).bins["h"]
    assert before[3:11] == bytes(8)  # no cached count yet
    assert int.from_bytes(after[3:11], "little") == count
    assert after[11:] == before[11:]


def _two_overlapping(client: Any, key: Any, index: int, minhash: int) -> HLL:
    """Bin h holds 0..7999; return an HLL of 4000..11999 (4000 shared)."""
    other = _hll_value(client, key, list(range(4_000, 12_000)), index, minhash)
    client.operate(key, [hll.hll_add("h", list(range(8_000)), index, minhash)])
    return other


def test_union_count_is_within_the_error_bound(client, key):
    other = _two_overlapping(client, key, 14, 0)
    union = client.operate(key, [hll.hll_get_union_count("h", [other])]).bins["h"]
    assert abs(union - 12_000) <= 12_000 * _bound(14)


def test_fold_keeps_the_count_within_the_smaller_bound(client, key):
    client.operate(key, [hll.hll_add("h", list(range(10_000)), 14)])
    record = client.operate(key, [hll.hll_fold("h", 10), hll.hll_get_count("h")])
    assert abs(record.bins["h"] - 10_000) <= 10_000 * _bound(10)


@pytest.mark.parametrize("minhash_bits", [0, 16])
def test_intersect_count_and_similarity_are_within_bounds(client, key, minhash_bits):
    other = _two_overlapping(client, key, 14, minhash_bits)
    record = client.operate(
        key,
        [
            hll.hll_get_intersect_count("h", [other]),
            hll.hll_get_similarity("h", [other]),
        ],
    )
    common, similarity = record.bins["h"]
    # Inclusion-exclusion adds the errors of three estimates.
    assert abs(common - 4_000) <= (8_000 + 8_000 + 12_000) * _bound(14)
    assert abs(similarity - 4_000 / 12_000) <= 0.05
