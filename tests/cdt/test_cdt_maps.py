"""Map operations through both clients, one table row per behaviour.

Expected values follow the real server (as/src/base/particle_map.c); the
comment over each group names the function whose rules it checks. Map
*index* is key order and *rank* value order for every map.
"""

from __future__ import annotations

import pytest
from cdt_cases import MISSING, Case, run_case

import aerospike_py as A
from aerospike_py import KeyOrderedDict, KeyValueOrderedDict
from aerospike_py import map_operations as mo

KEY = A.MAP_RETURN_KEY
VALUE = A.MAP_RETURN_VALUE
KEY_VALUE = A.MAP_RETURN_KEY_VALUE
INDEX = A.MAP_RETURN_INDEX
REV_INDEX = A.MAP_RETURN_REVERSE_INDEX
RANK = A.MAP_RETURN_RANK
REV_RANK = A.MAP_RETURN_REVERSE_RANK
COUNT = A.MAP_RETURN_COUNT
EXISTS = A.MAP_RETURN_EXISTS
ORDERED_MAP = A.MAP_RETURN_ORDERED_MAP
CREATE_ONLY = A.MAP_WRITE_FLAGS_CREATE_ONLY
UPDATE_ONLY = A.MAP_WRITE_FLAGS_UPDATE_ONLY
NO_FAIL = A.MAP_WRITE_FLAGS_NO_FAIL
PARTIAL = A.MAP_WRITE_FLAGS_PARTIAL

CBA = {"c": 3, "a": 1, "b": 2}  # unordered: stored as written
VALUES = {"a": 5, "b": 1, "c": 3}


def write_flags(value: int) -> dict[str, int]:
    return {"flags": value}


def mode(write_mode: int) -> dict[str, int]:
    return {"write_mode": write_mode}


WRITES = [
    # map_add / cdt_context_use_static_map_if_notinuse
    Case("put_creates_a_missing_map", MISSING, [mo.map_put("b", "k", 1)], 1, {"k": 1}),
    Case(
        "put_with_an_order_creates_a_key_ordered_map",
        MISSING,
        [mo.map_put("b", "b", 1, {"order": A.MAP_KEY_ORDERED})],
        1,
        KeyOrderedDict({"b": 1}),
    ),
    Case(
        "put_appends_a_new_key_to_an_unordered_map",
        {"b": 1},
        [mo.map_put("b", "a", 2)],
        2,
        {"b": 1, "a": 2},
    ),
    Case(
        "put_into_a_key_ordered_map_keeps_key_order",
        KeyOrderedDict({"b": 1}),
        [mo.map_put("b", "a", 2)],
        2,
        KeyOrderedDict({"a": 2, "b": 1}),
    ),
    Case(
        "put_overwrites_in_place",
        {"b": 1, "a": 2},
        [mo.map_put("b", "b", 9)],
        2,
        {"b": 9, "a": 2},
    ),
    Case(
        "create_only_flag_refuses_an_existing_key",
        {"a": 1},
        [mo.map_put("b", "a", 2, write_flags(CREATE_ONLY))],
        code=24,
    ),
    Case(
        "update_only_flag_refuses_a_missing_key",
        {"a": 1},
        [mo.map_put("b", "z", 2, write_flags(UPDATE_ONLY))],
        code=23,
    ),
    Case(
        "update_only_no_fail_leaves_the_map",
        {"a": 1},
        [mo.map_put("b", "z", 2, write_flags(UPDATE_ONLY | NO_FAIL))],
        1,
        {"a": 1},
    ),
    Case(
        "update_only_write_mode_refuses_a_missing_key",
        {"a": 1},
        [mo.map_put("b", "z", 2, mode(A.MAP_UPDATE_ONLY))],
        code=23,
    ),
    Case(
        "create_only_write_mode_refuses_an_existing_key",
        {"a": 1},
        [mo.map_put("b", "a", 2, mode(A.MAP_CREATE_ONLY))],
        code=24,
    ),
    Case(
        "update_only_write_mode_on_a_missing_map",
        MISSING,
        [mo.map_put("b", "a", 2, mode(A.MAP_UPDATE_ONLY))],
        code=23,
    ),
    Case(
        "update_only_no_fail_on_a_missing_map_leaves_an_empty_map",
        MISSING,
        [mo.map_put("b", "a", 2, write_flags(UPDATE_ONLY | NO_FAIL))],
        0,
        {},
    ),
    Case(
        "a_float_key_is_a_parameter_error",
        {"a": 1},
        [mo.map_put("b", 1.5, 1)],
        code=4,
    ),
    Case(
        "put_items_writes_an_unordered_map_back_in_key_order",
        {"c": 3, "a": 1},
        [mo.map_put_items("b", {"b": 2})],
        3,
        {"a": 1, "b": 2, "c": 3},
    ),
    Case(
        "put_items_create_only_partial_skips_existing_keys",
        {"a": 1},
        [
            mo.map_put_items(
                "b", {"a": 9, "b": 2}, write_flags(CREATE_ONLY | NO_FAIL | PARTIAL)
            )
        ],
        2,
        {"a": 1, "b": 2},
    ),
    Case(
        "put_items_update_only_refuses_a_missing_key",
        {"a": 1},
        [mo.map_put_items("b", {"b": 2}, write_flags(UPDATE_ONLY))],
        code=23,
    ),
    Case(
        "replace_items_on_a_missing_map_finds_no_element",
        MISSING,
        [mo.map_put_items("b", {"a": 1}, mode(A.MAP_UPDATE_ONLY))],
        code=23,
    ),
    # map_increment / cdt_calc_delta_*
    Case(
        "increment_returns_the_sum",
        {"a": 1},
        [mo.map_increment("b", "a", 5)],
        6,
        {"a": 6},
    ),
    Case(
        "increment_of_a_missing_key_stores_the_amount",
        {"a": 1},
        [mo.map_increment("b", "b", 2.5)],
        2.5,
        {"a": 1, "b": 2.5},
    ),
    Case(
        "decrement_subtracts", {"a": 10}, [mo.map_decrement("b", "a", 3)], 7, {"a": 7}
    ),
    Case(
        "increment_of_a_string_is_a_parameter_error",
        {"a": "x"},
        [mo.map_increment("b", "a", 1)],
        code=4,
    ),
    Case(
        "increment_creates_a_map_with_the_policy_order",
        MISSING,
        [mo.map_increment("b", "a", 1, {"order": A.MAP_KEY_VALUE_ORDERED})],
        1,
        KeyValueOrderedDict({"a": 1}),
    ),
    # map_clear / map_set_flags
    Case(
        "clear_keeps_the_map_order",
        KeyOrderedDict({"a": 1}),
        [mo.map_clear("b")],
        after=KeyOrderedDict(),
    ),
    Case(
        "set_order_key_ordered_sorts_by_key",
        {"b": 1, "a": 2},
        [mo.map_set_order("b", A.MAP_KEY_ORDERED)],
        after=KeyOrderedDict({"a": 2, "b": 1}),
    ),
    Case(
        "set_order_of_an_unordered_map_writes_it_in_key_order",
        {"b": 1, "a": 2},
        [mo.map_set_order("b", A.MAP_UNORDERED)],
        after={"a": 2, "b": 1},
    ),
    Case(
        "create_makes_an_empty_map",
        MISSING,
        [mo.map_create("b", 1)],
        after=KeyOrderedDict(),
    ),
    Case(
        "map_op_on_a_list_bin_is_incompatible", [1], [mo.map_put("b", "a", 1)], code=12
    ),
    Case("map_read_on_an_int_bin_is_incompatible", 7, [mo.map_size("b")], code=12),
    Case(
        "remove_on_a_missing_map_does_nothing",
        MISSING,
        [mo.map_remove_by_key("b", "a", VALUE)],
        after=MISSING,
    ),
]

BY_KEY = [
    # packed_map_get_remove_by_key_interval / packed_map_build_result_by_key
    Case("by_key_value", {"a": 1, "b": 2}, [mo.map_get_by_key("b", "b", VALUE)], 2),
    Case(
        "by_key_not_found_returns_nothing",
        {"a": 1},
        [mo.map_get_by_key("b", "z", VALUE)],
        None,
    ),
    Case(
        "by_key_not_found_index_is_minus_one",
        {"a": 1},
        [mo.map_get_by_key("b", "z", INDEX)],
        -1,
    ),
    Case("by_key_index_is_the_key_order", CBA, [mo.map_get_by_key("b", "c", INDEX)], 2),
    Case("by_key_reverse_index", CBA, [mo.map_get_by_key("b", "c", REV_INDEX)], 0),
    Case("by_key_rank_is_the_value_order", CBA, [mo.map_get_by_key("b", "b", RANK)], 1),
    Case(
        "by_key_key_value", {"a": 1}, [mo.map_get_by_key("b", "a", KEY_VALUE)], {"a": 1}
    ),
    Case("by_key_exists_false", {"a": 1}, [mo.map_get_by_key("b", "z", EXISTS)], False),
    Case(
        "by_key_ordered_map",
        {"a": 1},
        [mo.map_get_by_key("b", "a", ORDERED_MAP)],
        KeyOrderedDict({"a": 1}),
    ),
    Case(
        "remove_by_key_returns_the_value",
        {"a": 1, "b": 2},
        [mo.map_remove_by_key("b", "a", VALUE)],
        1,
        {"b": 2},
    ),
    # packed_map_get_remove_all_by_key_list_(un)ordered
    Case(
        "key_list_values_in_stored_order",
        CBA,
        [mo.map_get_by_key_list("b", ["b", "c"], VALUE)],
        [3, 2],
    ),
    Case(
        "key_list_indexes_follow_the_requested_keys",
        CBA,
        [mo.map_get_by_key_list("b", ["b", "c"], INDEX)],
        [1, 2],
    ),
    Case(
        "key_list_rank_is_not_applicable",
        CBA,
        [mo.map_get_by_key_list("b", ["b"], RANK)],
        code=26,
    ),
    Case(
        "key_list_inverted",
        CBA,
        [mo.map_get_by_key_list("b", ["a"], KEY, inverted=True)],
        ["c", "b"],
    ),
    Case(
        "key_list_of_a_key_ordered_map_indexes_in_request_order",
        KeyOrderedDict({"a": 1, "b": 2, "c": 3}),
        [mo.map_get_by_key_list("b", ["c", "a"], INDEX)],
        [2, 0],
    ),
    Case(
        "remove_by_key_list_counts_found_keys",
        {"a": 1, "b": 2},
        [mo.map_remove_by_key_list("b", ["a", "z"], COUNT)],
        1,
        {"b": 2},
    ),
    # key intervals
    Case(
        "key_range_keys_in_stored_order",
        {"c": 3, "a": 1, "b": 2, "d": 4},
        [mo.map_get_by_key_range("b", "b", "d", KEY)],
        ["c", "b"],
    ),
    Case(
        "key_range_open_end_selects_to_the_largest",
        {"c": 3, "a": 1, "b": 2, "d": 4},
        [mo.map_get_by_key_range("b", "b", None, KEY)],
        ["c", "b", "d"],
    ),
    Case(
        "key_range_of_a_key_ordered_map",
        KeyOrderedDict({"a": 1, "b": 2, "c": 3, "d": 4}),
        [mo.map_get_by_key_range("b", "b", "d", KEY_VALUE)],
        {"b": 2, "c": 3},
    ),
    Case(
        "key_range_indexes",
        {"c": 3, "a": 1, "b": 2, "d": 4},
        [mo.map_get_by_key_range("b", "b", "d", INDEX)],
        [1, 2],
    ),
    Case(
        "key_range_inverted_count",
        {"c": 3, "a": 1, "b": 2, "d": 4},
        [mo.map_get_by_key_range("b", "b", "d", COUNT, inverted=True)],
        2,
    ),
    Case(
        "remove_by_key_range_from_the_smallest",
        {"c": 3, "a": 1, "b": 2, "d": 4},
        [mo.map_remove_by_key_range("b", None, "c", COUNT)],
        2,
        {"c": 3, "d": 4},
    ),
]

BY_INDEX = [
    # packed_map_get_remove_by_index_range / packed_map_trim_ordered
    Case("by_index_uses_key_order", CBA, [mo.map_get_by_index("b", 0, KEY)], "a"),
    Case("by_index_negative", CBA, [mo.map_get_by_index("b", -1, VALUE)], 3),
    Case(
        "index_range_values_in_key_order",
        CBA,
        [mo.map_get_by_index_range("b", 0, VALUE, 2)],
        [1, 2],
    ),
    Case(
        "index_range_inverted_of_an_unordered_map_in_stored_order",
        CBA,
        [mo.map_get_by_index_range("b", 1, KEY, 1, inverted=True)],
        ["c", "a"],
    ),
    Case(
        "index_range_key_value_of_a_key_ordered_map",
        KeyOrderedDict({"a": 1, "b": 2, "c": 3}),
        [mo.map_get_by_index_range("b", 1, KEY_VALUE)],
        {"b": 2, "c": 3},
    ),
    Case(
        "index_range_inverted_of_a_key_ordered_map_returns_both_ends",
        KeyOrderedDict({"a": 1, "b": 2, "c": 3, "d": 4}),
        [mo.map_get_by_index_range("b", 1, KEY, 2, inverted=True)],
        ["a", "d"],
    ),
    Case(
        "by_index_out_of_bounds_is_not_applicable",
        {"a": 1},
        [mo.map_get_by_index("b", 1, KEY)],
        code=26,
    ),
    Case(
        "index_range_over_everything_counts_all",
        {"a": 1, "b": 2},
        [mo.map_get_by_index_range("b", 0, COUNT)],
        2,
    ),
    Case(
        "remove_by_index_range_returns_keys_in_key_order",
        CBA,
        [mo.map_remove_by_index_range("b", 1, KEY)],
        ["b", "c"],
        {"a": 1},
    ),
    Case(
        "by_index_rank_of_a_tied_value_counts_smaller_values",
        {"a": 1, "b": 1, "c": 0},
        [mo.map_get_by_index("b", 1, RANK)],
        1,
    ),
    Case(
        "index_range_ranks_of_tied_values_are_distinct",
        {"a": 1, "b": 1, "c": 0},
        [mo.map_get_by_index_range("b", 0, RANK, 2)],
        [1, 2],
    ),
    Case(
        "by_index_rank",
        {"c": 1, "a": 3, "b": 2},
        [mo.map_get_by_index("b", 0, RANK)],
        2,
    ),
]

BY_VALUE = [
    # packed_map_get_remove_by_value_interval
    Case(
        "by_value_keys",
        {"a": 1, "b": 2, "c": 1},
        [mo.map_get_by_value("b", 1, KEY)],
        ["a", "c"],
    ),
    Case(
        "by_value_inverted",
        {"a": 1, "b": 2, "c": 1},
        [mo.map_get_by_value("b", 1, KEY, inverted=True)],
        ["b"],
    ),
    Case(
        "by_value_not_found_inverted_selects_everything",
        {"a": 1},
        [mo.map_get_by_value("b", 9, KEY, inverted=True)],
        ["a"],
    ),
    Case(
        "by_value_indexes_in_stored_order",
        {"c": 1, "a": 2, "b": 1},
        [mo.map_get_by_value("b", 1, INDEX)],
        [2, 1],
    ),
    Case(
        "by_value_ranks",
        {"a": 5, "b": 1, "c": 5},
        [mo.map_get_by_value("b", 5, RANK)],
        [1, 2],
    ),
    Case(
        "remove_by_value_removes_every_match",
        {"a": 1, "b": 2, "c": 1},
        [mo.map_remove_by_value("b", 1, COUNT)],
        2,
        {"b": 2},
    ),
    Case(
        "value_range_keys_in_stored_order",
        VALUES,
        [mo.map_get_by_value_range("b", 2, 6, KEY)],
        ["a", "c"],
    ),
    Case(
        "value_range_open_end_selects_to_the_largest",
        VALUES,
        [mo.map_get_by_value_range("b", 3, None, VALUE)],
        [5, 3],
    ),
    Case(
        "value_range_of_a_key_value_ordered_map_in_value_order",
        KeyValueOrderedDict(VALUES),
        [mo.map_get_by_value_range("b", 2, 6, KEY)],
        ["c", "a"],
    ),
    Case(
        "value_range_ordered_map_result_is_sorted_by_key",
        KeyValueOrderedDict(VALUES),
        [mo.map_get_by_value_range("b", 2, 6, ORDERED_MAP)],
        KeyOrderedDict({"a": 5, "c": 3}),
    ),
    Case(
        "value_list_keys_in_stored_order",
        {"a": 1, "b": 2, "c": 3},
        [mo.map_get_by_value_list("b", [3, 1], KEY)],
        ["a", "c"],
    ),
    Case(
        "value_list_ranks_follow_the_requested_values",
        {"a": 1, "b": 2, "c": 3},
        [mo.map_get_by_value_list("b", [3, 1], RANK)],
        [2, 0],
    ),
    Case(
        "remove_by_value_list_inverted",
        {"a": 1, "b": 2, "c": 3},
        [mo.map_remove_by_value_list("b", [1], COUNT, inverted=True)],
        2,
        {"a": 1},
    ),
    Case(
        "empty_value_list_returns_no_keys",
        {"a": 1},
        [mo.map_get_by_value_list("b", [], KEY)],
        [],
    ),
    Case("by_value_in_an_empty_map", {}, [mo.map_get_by_value("b", 1, KEY)], []),
]

BY_RANK = [
    # packed_map_get_remove_by_rank_range
    Case("by_rank_largest", VALUES, [mo.map_get_by_rank("b", -1, KEY)], "a"),
    Case(
        "rank_range_values_in_rank_order",
        VALUES,
        [mo.map_get_by_rank_range("b", 0, VALUE, 2)],
        [1, 3],
    ),
    Case(
        "rank_range_keys_in_rank_order",
        VALUES,
        [mo.map_get_by_rank_range("b", 0, KEY)],
        ["b", "c", "a"],
    ),
    Case(
        "rank_range_key_value_keeps_rank_order",
        VALUES,
        [mo.map_get_by_rank_range("b", 0, KEY_VALUE)],
        {"b": 1, "c": 3, "a": 5},
    ),
    Case(
        "rank_range_inverted_in_stored_order",
        VALUES,
        [mo.map_get_by_rank_range("b", 1, KEY, 1, inverted=True)],
        ["a", "b"],
    ),
    Case(
        "rank_range_indexes",
        VALUES,
        [mo.map_get_by_rank_range("b", 0, INDEX, 2)],
        [1, 2],
    ),
    Case(
        "rank_range_ordered_map",
        VALUES,
        [mo.map_get_by_rank_range("b", 0, ORDERED_MAP, 2)],
        KeyOrderedDict({"b": 1, "c": 3}),
    ),
    Case(
        "rank_range_reverse_ranks_ascend",
        VALUES,
        [mo.map_get_by_rank_range("b", 0, REV_RANK, 2)],
        [1, 2],
    ),
    Case(
        "remove_by_rank_range_returns_key_values",
        VALUES,
        [mo.map_remove_by_rank_range("b", -1, KEY_VALUE, 1)],
        {"a": 5},
        {"b": 1, "c": 3},
    ),
    Case(
        "by_rank_out_of_bounds_is_not_applicable",
        VALUES,
        [mo.map_get_by_rank("b", 3, KEY)],
        code=26,
    ),
]

RELATIVE = [
    # packed_map_get_remove_by_rel_index_range / _rel_rank_range
    Case(
        "key_relative_index_from_a_missing_key",
        {"a": 1, "c": 3, "e": 5},
        [mo.map_get_by_key_index_range_relative("b", "b", 0, KEY)],
        ["c", "e"],
    ),
    Case(
        "key_relative_index_with_negative_offset",
        {"a": 1, "c": 3, "e": 5},
        [mo.map_get_by_key_index_range_relative("b", "c", -1, KEY, 2)],
        ["a", "c"],
    ),
    Case(
        "value_relative_rank",
        {"a": 1, "c": 3, "e": 5},
        [mo.map_get_by_value_rank_range_relative("b", 2, 0, KEY)],
        ["c", "e"],
    ),
    Case(
        "remove_value_relative_rank_inverted",
        {"a": 1, "c": 3, "e": 5},
        [mo.map_remove_by_value_rank_range_relative("b", 3, 0, KEY, inverted=True)],
        ["a"],
        {"c": 3, "e": 5},
    ),
]

CASES = WRITES + BY_KEY + BY_INDEX + BY_VALUE + BY_RANK + RELATIVE


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_map_operation(client, key, case):
    run_case(client, key, case)


def test_a_key_ordered_map_written_by_put_is_stored_sorted(client, key):
    client.put(key, {"b": KeyOrderedDict({"z": 1, "a": 2})})
    stored = client.get(key).bins["b"]
    assert type(stored) is KeyOrderedDict
    assert list(stored.items()) == [("a", 2), ("z", 1)]


def test_an_unordered_map_keeps_insertion_order(client, key):
    client.put(key, {"b": {"z": 1, "a": 2}})
    client.operate(key, [mo.map_put("b", "m", 3)])
    assert list(client.get(key).bins["b"]) == ["z", "a", "m"]
