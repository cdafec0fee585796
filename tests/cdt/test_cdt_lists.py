"""List operations through both clients, one table row per behaviour.

Expected values follow the real server (as/src/base/particle_list.c); the
comment over each group names the function whose rules it checks.
"""

from __future__ import annotations

import pytest
from cdt_cases import MISSING, Case, run_case

import aerospike_py as A
from aerospike_py import WILDCARD, OrderedList
from aerospike_py import list_operations as lo

VALUE = A.LIST_RETURN_VALUE
INDEX = A.LIST_RETURN_INDEX
REV_INDEX = A.LIST_RETURN_REVERSE_INDEX
RANK = A.LIST_RETURN_RANK
COUNT = A.LIST_RETURN_COUNT
EXISTS = A.LIST_RETURN_EXISTS
NONE = A.LIST_RETURN_NONE
UNIQUE = A.LIST_WRITE_ADD_UNIQUE
BOUNDED = A.LIST_WRITE_INSERT_BOUNDED
NO_FAIL = A.LIST_WRITE_NO_FAIL
PARTIAL = A.LIST_WRITE_PARTIAL
ORDERED = A.LIST_ORDERED


def flags(value: int) -> dict[str, int]:
    return {"order": A.LIST_UNORDERED, "flags": value}


ADDING = [
    # packed_list_insert / packed_list_add_ordered / packed_list_add_items_ordered
    Case("append_creates_a_missing_list", MISSING, [lo.list_append("b", 1)], 1, [1]),
    Case("append_returns_the_new_size", [1, 2], [lo.list_append("b", 3)], 3, [1, 2, 3]),
    Case("append_nil", [1], [lo.list_append("b", None)], 2, [1, None]),
    Case(
        "append_with_ordered_policy_creates_an_ordered_list",
        MISSING,
        [lo.list_append("b", 5, {"order": ORDERED, "flags": 0})],
        1,
        OrderedList([5]),
    ),
    Case(
        "append_policy_order_does_not_reorder_an_existing_list",
        [3, 1],
        [lo.list_append("b", 2, {"order": ORDERED, "flags": 0})],
        3,
        [3, 1, 2],
    ),
    Case(
        "append_to_an_ordered_list_inserts_in_order",
        OrderedList([1, 5]),
        [lo.list_append("b", 3)],
        3,
        OrderedList([1, 3, 5]),
    ),
    Case(
        "append_unique_refuses_a_duplicate",
        [1, 2],
        [lo.list_append("b", 2, flags(UNIQUE))],
        code=24,
    ),
    Case(
        "append_unique_no_fail_keeps_the_list",
        [1, 2],
        [lo.list_append("b", 2, flags(UNIQUE | NO_FAIL))],
        2,
        [1, 2],
    ),
    Case(
        "append_items_adds_every_item",
        [1],
        [lo.list_append_items("b", [2, 3])],
        3,
        [1, 2, 3],
    ),
    Case(
        "append_items_unique_partial_skips_existing_items",
        [1, 2],
        [lo.list_append_items("b", [2, 3], flags(UNIQUE | NO_FAIL | PARTIAL))],
        3,
        [1, 2, 3],
    ),
    Case(
        "append_items_unique_without_partial_refuses_the_lot",
        [1, 2],
        [lo.list_append_items("b", [2, 3], flags(UNIQUE))],
        code=24,
    ),
    Case(
        "append_items_unique_with_repeated_items_is_not_applicable",
        [1],
        [lo.list_append_items("b", [3, 3], flags(UNIQUE))],
        code=26,
    ),
    Case(
        "append_items_to_an_ordered_list_merges_in_order",
        OrderedList([2, 4]),
        [lo.list_append_items("b", [5, 1, 3])],
        5,
        OrderedList([1, 2, 3, 4, 5]),
    ),
    Case("insert_before_an_index", [1, 3], [lo.list_insert("b", 1, 2)], 3, [1, 2, 3]),
    Case(
        "insert_at_a_negative_index",
        [1, 3],
        [lo.list_insert("b", -1, 2)],
        3,
        [1, 2, 3],
    ),
    Case(
        "insert_past_the_end_pads_with_nils",
        [1],
        [lo.list_insert("b", 3, 9)],
        4,
        [1, None, None, 9],
    ),
    Case(
        "insert_bounded_past_the_end_is_not_applicable",
        [1],
        [lo.list_insert("b", 3, 9, flags(BOUNDED))],
        code=26,
    ),
    Case(
        "insert_bounded_no_fail_past_the_end_does_nothing",
        [1],
        [lo.list_insert("b", 3, 9, flags(BOUNDED | NO_FAIL))],
        1,
        [1],
    ),
    Case(
        "insert_before_the_start_is_not_applicable",
        [1],
        [lo.list_insert("b", -3, 9)],
        code=26,
    ),
    Case(
        "insert_into_an_ordered_list_is_not_applicable",
        OrderedList([1]),
        [lo.list_insert("b", 0, 5)],
        code=26,
    ),
    Case(
        "insert_items_before_an_index",
        [1, 4],
        [lo.list_insert_items("b", 1, [2, 3])],
        4,
        [1, 2, 3, 4],
    ),
    Case(
        "insert_no_items_changes_nothing",
        [1],
        [lo.list_insert_items("b", 0, [])],
        1,
        [1],
    ),
]

SETTING = [
    # list_set / list_increment / packed_list_replace_ordered
    Case(
        "set_overwrites_an_element",
        [1, 2, 3],
        [lo.list_set("b", 1, 9)],
        after=[1, 9, 3],
    ),
    Case(
        "set_past_the_end_pads_with_nils",
        [1],
        [lo.list_set("b", 2, 5)],
        after=[1, None, 5],
    ),
    Case(
        "set_before_the_start_is_not_applicable",
        [1],
        [lo.list_set("b", -2, 5)],
        code=26,
    ),
    Case(
        "set_unique_refuses_a_value_held_elsewhere",
        [1, 2],
        [lo.list_set("b", 0, 2, flags(UNIQUE))],
        code=24,
    ),
    Case(
        "set_on_an_ordered_list_is_not_applicable",
        OrderedList([1, 2]),
        [lo.list_set("b", 0, 5)],
        code=26,
    ),
    Case("increment_adds_to_an_int", [1, 5], [lo.list_increment("b", 1, 3)], 8, [1, 8]),
    Case(
        "increment_of_an_int_by_a_float_truncates_the_float",
        [10],
        [lo.list_increment("b", 0, 2.7)],
        12,
        [12],
    ),
    Case(
        "increment_of_a_float_by_an_int_stays_float",
        [1.5],
        [lo.list_increment("b", 0, 1)],
        2.5,
        [2.5],
    ),
    Case(
        "increment_past_the_end_pads_and_stores_the_amount",
        [1],
        [lo.list_increment("b", 2, 4)],
        4,
        [1, None, 4],
    ),
    Case(
        "increment_of_a_string_is_a_parameter_error",
        ["a"],
        [lo.list_increment("b", 0, 1)],
        code=4,
    ),
    Case(
        "increment_in_an_ordered_list_moves_the_element",
        OrderedList([1, 5, 9]),
        [lo.list_increment("b", 0, 7)],
        8,
        OrderedList([5, 8, 9]),
    ),
    Case(
        "increment_creates_a_missing_list",
        MISSING,
        [lo.list_increment("b", 0, 5)],
        5,
        [5],
    ),
]

REMOVING = [
    # LIST_POP / LIST_REMOVE / LIST_TRIM / LIST_CLEAR in
    # cdt_process_state_packed_list_modify_optype
    Case("pop_returns_the_element", [1, 2, 3], [lo.list_pop("b", 1)], 2, [1, 3]),
    Case("pop_from_the_end", [1, 2, 3], [lo.list_pop("b", -1)], 3, [1, 2]),
    Case("pop_out_of_bounds_is_not_applicable", [1], [lo.list_pop("b", 5)], code=26),
    Case(
        "pop_range_returns_the_elements",
        [1, 2, 3, 4],
        [lo.list_pop_range("b", 1, 2)],
        [2, 3],
        [1, 4],
    ),
    Case(
        "pop_range_starting_before_the_list_is_clipped",
        [1, 2, 3],
        [lo.list_pop_range("b", -5, 3)],
        [1],
        [2, 3],
    ),
    Case("remove_returns_the_count", [1, 2, 3], [lo.list_remove("b", 0)], 1, [2, 3]),
    Case(
        "remove_range_out_of_bounds_removes_nothing",
        [1, 2],
        [lo.list_remove_range("b", 5, 2)],
        0,
        [1, 2],
    ),
    Case(
        "remove_on_a_missing_bin_does_nothing",
        MISSING,
        [lo.list_remove("b", 0)],
        after=MISSING,
    ),
    Case(
        "trim_keeps_the_range_and_counts_the_rest",
        [1, 2, 3, 4, 5],
        [lo.list_trim("b", 1, 2)],
        3,
        [2, 3],
    ),
    Case("trim_from_the_start", [1, 2, 3], [lo.list_trim("b", 0, 2)], 1, [1, 2]),
    Case(
        "trim_from_past_the_end_removes_everything",
        [1, 2, 3],
        [lo.list_trim("b", 5, 1)],
        3,
        [],
    ),
    Case("clear_empties_the_list", [1, 2], [lo.list_clear("b")], after=[]),
    Case(
        "clear_keeps_an_ordered_list_ordered",
        OrderedList([1]),
        [lo.list_clear("b")],
        after=OrderedList([]),
    ),
]

READING = [
    # LIST_SIZE / LIST_GET / LIST_GET_RANGE in
    # cdt_process_state_packed_list_read_optype
    Case("size_counts_the_elements", [1, 2, 3], [lo.list_size("b")], 3),
    Case("get_from_the_end", [1, 2, 3], [lo.list_get("b", -1)], 3),
    Case("get_out_of_bounds_is_not_applicable", [1], [lo.list_get("b", 1)], code=26),
    Case("get_range_to_the_end", [1, 2, 3], [lo.list_get_range("b", 1, None)], [2, 3]),
    Case("get_range_past_the_end_is_empty", [1], [lo.list_get_range("b", 3, 2)], []),
]

BY_INDEX = [
    # packed_list_get_remove_by_index_range / packed_list_trim
    Case("by_index_value", [5, 1, 4], [lo.list_get_by_index("b", 1, VALUE)], 1),
    Case(
        "by_index_rank_of_an_unordered_list_counts_smaller_values",
        [5, 1, 4],
        [lo.list_get_by_index("b", 0, RANK)],
        2,
    ),
    Case(
        "by_index_reverse_index",
        [5, 1, 4],
        [lo.list_get_by_index("b", 0, REV_INDEX)],
        2,
    ),
    Case(
        "by_index_range_values",
        [5, 1, 4, 2],
        [lo.list_get_by_index_range("b", 1, VALUE, 2)],
        [1, 4],
    ),
    Case(
        "by_index_range_inverted_returns_both_ends",
        [5, 1, 4, 2],
        [lo.list_get_by_index_range("b", 1, VALUE, 2, inverted=True)],
        [5, 2],
    ),
    Case(
        "by_index_range_inverted_indexes",
        [5, 1, 4, 2],
        [lo.list_get_by_index_range("b", 1, INDEX, 2, inverted=True)],
        [0, 3],
    ),
    Case(
        "by_index_range_reverse_indexes_ascend",
        [5, 1, 4, 2],
        [lo.list_get_by_index_range("b", 1, REV_INDEX, 2)],
        [1, 2],
    ),
    Case(
        "by_index_range_ranks_of_an_unordered_list",
        [5, 1, 4, 2],
        [lo.list_get_by_index_range("b", 0, RANK, 2)],
        [3, 0],
    ),
    Case(
        "by_index_range_from_a_negative_index_to_the_end",
        [5, 1, 4],
        [lo.list_get_by_index_range("b", -2, COUNT)],
        2,
    ),
    Case(
        "by_index_range_out_of_bounds_exists_is_false",
        [1],
        [lo.list_get_by_index_range("b", 5, EXISTS, 1)],
        False,
    ),
    Case(
        "by_index_out_of_bounds_is_not_applicable",
        [1],
        [lo.list_get_by_index("b", 3, VALUE)],
        code=26,
    ),
    Case(
        "by_index_with_a_map_return_type_is_not_applicable",
        [1],
        [lo.list_get_by_index("b", 0, A.MAP_RETURN_KEY)],
        code=26,
    ),
    Case(
        "remove_by_index_range_returns_removed_values",
        [5, 1, 4, 2],
        [lo.list_remove_by_index_range("b", 1, VALUE, 2)],
        [1, 4],
        [5, 2],
    ),
    Case(
        "remove_by_index_range_inverted_keeps_the_range",
        [5, 1, 4, 2],
        [lo.list_remove_by_index_range("b", 1, COUNT, 2, inverted=True)],
        2,
        [1, 4],
    ),
    Case(
        "remove_the_last_element_leaves_an_empty_list",
        [1],
        [lo.list_remove_by_index("b", 0, NONE)],
        after=[],
    ),
]

BY_VALUE = [
    # packed_list_get_remove_by_value_interval
    Case(
        "by_value_indexes", [1, 2, 1, 3], [lo.list_get_by_value("b", 1, INDEX)], [0, 2]
    ),
    Case(
        "by_value_reverse_indexes_follow_list_order",
        [1, 2, 1, 3],
        [lo.list_get_by_value("b", 1, REV_INDEX)],
        [3, 1],
    ),
    Case(
        "by_value_inverted_count",
        [1, 2, 1, 3],
        [lo.list_get_by_value("b", 1, COUNT, inverted=True)],
        2,
    ),
    Case(
        "by_value_ranks_of_equal_values",
        [3, 1, 2, 1],
        [lo.list_get_by_value("b", 1, RANK)],
        [0, 1],
    ),
    Case(
        "by_value_wildcard_matches_the_rest_of_a_list",
        [[1, "a"], [2, "b"], [1, "c"]],
        [lo.list_get_by_value("b", [1, WILDCARD], VALUE)],
        [[1, "a"], [1, "c"]],
    ),
    Case("by_value_not_found_is_empty", [1], [lo.list_get_by_value("b", 9, VALUE)], []),
    Case(
        "by_value_nil_finds_the_nils",
        [None, 1, None],
        [lo.list_get_by_value("b", None, INDEX)],
        [0, 2],
    ),
    Case(
        "remove_by_value_removes_every_copy",
        [1, 2, 1],
        [lo.list_remove_by_value("b", 1, COUNT)],
        2,
        [2],
    ),
    Case(
        "by_value_in_an_ordered_list",
        OrderedList([1, 1, 2, 3]),
        [lo.list_get_by_value("b", 1, INDEX)],
        [0, 1],
    ),
    Case(
        "by_value_exists",
        [1, 2],
        [lo.list_get_by_value("b", 2, EXISTS)],
        True,
    ),
]

BY_VALUE_RANGE = [
    # packed_list_get_remove_by_value_interval with an interval
    Case(
        "value_range_in_list_order",
        [5, 1, 4, 2],
        [lo.list_get_by_value_range("b", 2, 5, VALUE)],
        [4, 2],
    ),
    Case(
        "value_range_open_end_selects_to_the_largest",
        [5, 1, 4, 2],
        [lo.list_get_by_value_range("b", 2, None, VALUE)],
        [5, 4, 2],
    ),
    Case(
        "value_range_nil_begin_selects_from_the_smallest",
        [5, 1, 4, 2],
        [lo.list_get_by_value_range("b", None, 3, VALUE)],
        [1, 2],
    ),
    Case(
        "value_range_inverted",
        [5, 1, 4, 2],
        [lo.list_get_by_value_range("b", 2, 5, VALUE, inverted=True)],
        [5, 1],
    ),
    Case(
        "value_range_ranks",
        [5, 1, 4, 2],
        [lo.list_get_by_value_range("b", 2, 5, RANK)],
        [1, 2],
    ),
    Case(
        "value_range_follows_type_order",
        [1, "a", 2.5, [1], None],
        [lo.list_get_by_value_range("b", 0, "zz", VALUE)],
        [1, "a"],
    ),
    Case(
        "remove_by_value_range_open_end",
        [5, 1, 4, 2],
        [lo.list_remove_by_value_range("b", 4, None, COUNT)],
        2,
        [1, 2],
    ),
    Case(
        "value_range_of_an_ordered_list",
        OrderedList([1, 2, 3, 4]),
        [lo.list_get_by_value_range("b", 2, 4, INDEX)],
        [1, 2],
    ),
    Case(
        "value_range_with_begin_after_end_is_empty",
        [1, 2, 3],
        [lo.list_get_by_value_range("b", 3, 1, COUNT)],
        0,
    ),
    Case(
        "value_range_key_value_on_a_list_is_not_applicable",
        [1],
        [lo.list_get_by_value_range("b", 0, None, A.MAP_RETURN_KEY_VALUE)],
        code=26,
    ),
]

BY_RANK = [
    # packed_list_get_remove_by_rank_range
    Case("by_rank_largest", [5, 1, 4], [lo.list_get_by_rank("b", -1, VALUE)], 5),
    Case("by_rank_index", [5, 1, 4], [lo.list_get_by_rank("b", 0, INDEX)], 1),
    Case(
        "rank_range_values_come_in_rank_order",
        [5, 1, 4, 2],
        [lo.list_get_by_rank_range("b", 0, VALUE, 3)],
        [1, 2, 4],
    ),
    Case(
        "rank_range_inverted_values_come_in_list_order",
        [5, 1, 4, 2],
        [lo.list_get_by_rank_range("b", 0, VALUE, 2, inverted=True)],
        [5, 4],
    ),
    Case(
        "rank_range_indexes_ascend",
        [5, 1, 4, 2],
        [lo.list_get_by_rank_range("b", -2, INDEX)],
        [0, 2],
    ),
    Case(
        "rank_range_ranks",
        [5, 1, 4, 2],
        [lo.list_get_by_rank_range("b", 1, RANK, 2)],
        [1, 2],
    ),
    Case(
        "by_rank_out_of_bounds_is_not_applicable",
        [1],
        [lo.list_get_by_rank("b", 2, VALUE)],
        code=26,
    ),
    Case(
        "remove_by_rank_range",
        [5, 1, 4, 2],
        [lo.list_remove_by_rank_range("b", 0, VALUE, 2)],
        [1, 2],
        [5, 4],
    ),
]

BY_VALUE_LIST = [
    # packed_list_get_remove_all_by_value_list(_ordered)
    Case(
        "value_list_values_in_list_order",
        [5, 1, 4, 1],
        [lo.list_get_by_value_list("b", [1, 5], VALUE)],
        [5, 1, 1],
    ),
    Case(
        "value_list_inverted",
        [5, 1, 4, 1],
        [lo.list_get_by_value_list("b", [1, 5], VALUE, inverted=True)],
        [4],
    ),
    Case(
        "value_list_ranks_follow_the_requested_values",
        [5, 1, 4, 1],
        [lo.list_get_by_value_list("b", [5, 1], RANK)],
        [3, 0, 1],
    ),
    Case(
        "empty_value_list_inverted_selects_everything",
        [5, 1],
        [lo.list_get_by_value_list("b", [], COUNT, inverted=True)],
        2,
    ),
    Case(
        "value_list_of_an_ordered_list_follows_the_requested_values",
        OrderedList([1, 2, 3]),
        [lo.list_get_by_value_list("b", [3, 1], VALUE)],
        [3, 1],
    ),
    Case(
        "remove_by_value_list",
        [5, 1, 4, 1],
        [lo.list_remove_by_value_list("b", [1], COUNT)],
        2,
        [5, 4],
    ),
]

RELATIVE = [
    # packed_list_get_remove_by_rel_rank_range / calc_rel_index_count
    Case(
        "relative_rank_from_a_value_to_the_end",
        [0, 4, 5, 9, 11, 15],
        [lo.list_get_by_value_rank_range_relative("b", 5, 0, VALUE)],
        [5, 9, 11, 15],
    ),
    Case(
        "relative_rank_with_negative_offset_and_count",
        [0, 4, 5, 9, 11, 15],
        [lo.list_get_by_value_rank_range_relative("b", 5, -1, VALUE, 2)],
        [4, 5],
    ),
    Case(
        "relative_rank_of_a_value_not_in_the_list",
        [0, 4, 5, 9, 11, 15],
        [lo.list_get_by_value_rank_range_relative("b", 7, 0, VALUE, 2)],
        [9, 11],
    ),
    Case(
        "relative_rank_before_the_start_is_clipped",
        [0, 4, 5, 9, 11, 15],
        [lo.list_get_by_value_rank_range_relative("b", 5, -5, VALUE, 4)],
        [0],
    ),
    Case(
        "relative_rank_in_an_ordered_list",
        OrderedList([0, 4, 5, 9]),
        [lo.list_get_by_value_rank_range_relative("b", 5, -1, INDEX, 2)],
        [1, 2],
    ),
    Case(
        "remove_relative_rank_inverted_removes_the_smaller_values",
        [0, 4, 5, 9],
        [lo.list_remove_by_value_rank_range_relative("b", 5, 0, COUNT, inverted=True)],
        2,
        [5, 9],
    ),
]

ORDERING = [
    # list_sort / list_set_flags
    Case("sort_ascending", [3, 1, 2], [lo.list_sort("b")], after=[1, 2, 3]),
    Case(
        "sort_descending_dropping_duplicates",
        [3, 1, 3, 2],
        [lo.list_sort("b", A.LIST_SORT_DESCENDING | A.LIST_SORT_DROP_DUPLICATES)],
        after=[3, 2, 1],
    ),
    Case(
        "set_order_ordered_sorts_the_list",
        [3, 1, 2],
        [lo.list_set_order("b", ORDERED)],
        after=OrderedList([1, 2, 3]),
    ),
    Case(
        "set_order_unordered_keeps_the_elements",
        OrderedList([1, 2]),
        [lo.list_set_order("b", A.LIST_UNORDERED)],
        after=[1, 2],
    ),
    Case(
        "create_makes_an_empty_ordered_list",
        MISSING,
        [lo.list_create("b", ORDERED)],
        after=OrderedList([]),
    ),
    Case(
        "create_keeps_an_existing_list",
        [3, 1],
        [lo.list_create("b", A.LIST_UNORDERED)],
        after=[3, 1],
    ),
]

WRONG_TYPES = [
    # the type checks at the top of cdt_process_state_packed_list_*_optype
    Case(
        "sort_of_a_missing_list_is_incompatible", MISSING, [lo.list_sort("b")], code=12
    ),
    Case(
        "list_op_on_a_map_bin_is_incompatible",
        {"a": 1},
        [lo.list_append("b", 1)],
        code=12,
    ),
    Case(
        "list_read_on_a_string_bin_is_incompatible", "x", [lo.list_size("b")], code=12
    ),
]

CASES = (
    ADDING
    + SETTING
    + REMOVING
    + READING
    + BY_INDEX
    + BY_VALUE
    + BY_VALUE_RANGE
    + BY_RANK
    + BY_VALUE_LIST
    + RELATIVE
    + ORDERING
    + WRONG_TYPES
)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_list_operation(client, key, case):
    run_case(client, key, case)


def test_several_ops_on_one_list_run_in_order(client, key):
    run_case(
        client,
        key,
        Case(
            "append_then_read",
            [1],
            [lo.list_append("b", 2), lo.list_get_by_index("b", -1, VALUE)],
            after=[1, 2],
            results=[2, 2],
        ),
    )


def test_a_read_of_a_missing_list_returns_nothing(client, key):
    client.put(key, {"x": 1})
    record = client.operate(key, [lo.list_size("b")])
    assert record.bins.get("b") is None


def test_nothing_is_returned_for_return_type_none(client, key):
    client.put(key, {"b": [1, 2]})
    record = client.operate(key, [lo.list_remove_by_index("b", 0, NONE)])
    assert "b" not in record.bins
    assert client.get(key).bins["b"] == [2]
