"""Operations on nested lists and maps through ``ctx``, through both clients.

Expected values follow the real server's context walk (cdt_context_dig in
as/src/base/cdt.c, list_subcontext_by_* in particle_list.c,
map_subcontext_by_* in particle_map.c) and its creation of missing levels
(cdt_context_fill_create).
"""

from __future__ import annotations

import pytest
from cdt_cases import MISSING, Case, run_case

import aerospike_py as A
from aerospike_py import WILDCARD, KeyOrderedDict, OrderedList
from aerospike_py import cdt_ctx as C
from aerospike_py import list_operations as lo
from aerospike_py import map_operations as mo

VALUE = A.LIST_RETURN_VALUE

FINDING = [
    # list_subcontext_by_index / _by_rank / _by_value
    Case(
        "list_index_step",
        [[1], [2]],
        [lo.list_append("b", 9, ctx=[C.cdt_ctx_list_index(1)])],
        2,
        [[1], [2, 9]],
    ),
    Case(
        "negative_list_index_step",
        [[1], [2, 3]],
        [lo.list_size("b", ctx=[C.cdt_ctx_list_index(-1)])],
        2,
    ),
    Case(
        "list_rank_step_takes_the_smallest_element",
        [[3], [1], [2]],
        [lo.list_append("b", 9, ctx=[C.cdt_ctx_list_rank(0)])],
        2,
        [[3], [1, 9], [2]],
    ),
    Case(
        "list_value_step_with_a_wildcard",
        [[1, "a"], [2, "b"]],
        [
            lo.list_get_by_index(
                "b", 1, VALUE, ctx=[C.cdt_ctx_list_value([2, WILDCARD])]
            )
        ],
        "b",
    ),
    # map_subcontext_by_key / _by_index / _by_rank / _by_value
    Case(
        "map_key_step",
        {"x": {"a": 1}},
        [mo.map_put("b", "c", 2, ctx=[C.cdt_ctx_map_key("x")])],
        2,
        {"x": {"a": 1, "c": 2}},
    ),
    Case(
        "map_index_step_uses_key_order",
        {"y": [1], "x": [2, 3]},
        [lo.list_size("b", ctx=[C.cdt_ctx_map_index(0)])],
        2,
    ),
    Case(
        "map_rank_step_uses_value_order",
        {"a": [5], "b": [1, 2]},
        [lo.list_size("b", ctx=[C.cdt_ctx_map_rank(0)])],
        2,
    ),
    Case(
        "map_value_step",
        {"a": {"k": 1}, "b": {"k": 2}},
        [
            mo.map_get_by_key(
                "b", "k", A.MAP_RETURN_VALUE, ctx=[C.cdt_ctx_map_value({"k": 2})]
            )
        ],
        2,
    ),
    Case(
        "two_levels_deep",
        {"a": [{"x": 1}]},
        [
            mo.map_increment(
                "b", "x", 5, ctx=[C.cdt_ctx_map_key("a"), C.cdt_ctx_list_index(0)]
            )
        ],
        6,
        {"a": [{"x": 6}]},
    ),
    Case(
        "changing_an_element_of_an_ordered_list_resorts_it",
        OrderedList([[1], [5]]),
        [lo.list_set("b", 0, 9, ctx=[C.cdt_ctx_list_index(0)])],
        after=OrderedList([[5], [9]]),
    ),
]

FAILING = [
    Case(
        "missing_map_key_is_not_applicable",
        {"x": {}},
        [mo.map_put("b", "c", 2, ctx=[C.cdt_ctx_map_key("zz")])],
        code=26,
    ),
    Case(
        "op_of_the_wrong_kind_for_the_target_is_incompatible",
        {"a": [1]},
        [mo.map_put("b", "k", 1, ctx=[C.cdt_ctx_map_key("a")])],
        code=12,
    ),
    Case(
        "map_step_on_a_list_is_not_applicable",
        [1],
        [lo.list_append("b", 1, ctx=[C.cdt_ctx_map_key("a")])],
        code=26,
    ),
    Case(
        "context_on_a_scalar_bin_is_a_parameter_error",
        5,
        [lo.list_append("b", 1, ctx=[C.cdt_ctx_list_index(0)])],
        code=4,
    ),
    Case(
        "step_into_a_scalar_element_is_not_applicable",
        [1, [2]],
        [
            lo.list_append(
                "b", 1, ctx=[C.cdt_ctx_list_index(0), C.cdt_ctx_list_index(0)]
            )
        ],
        code=26,
    ),
    Case(
        "read_of_a_missing_key_is_not_applicable",
        {"a": 1},
        [mo.map_size("b", ctx=[C.cdt_ctx_map_key("z")])],
        code=26,
    ),
    Case(
        "read_never_creates",
        {"a": 1},
        [mo.map_size("b", ctx=[C.cdt_ctx_map_key_create("z")])],
        code=26,
    ),
    Case(
        "context_without_create_on_a_missing_bin_is_not_applicable",
        MISSING,
        [lo.list_append("b", 1, ctx=[C.cdt_ctx_map_key("a")])],
        code=26,
    ),
]

CREATING = [
    Case(
        "map_key_create_adds_the_key",
        {},
        [lo.list_append("b", 1, ctx=[C.cdt_ctx_map_key_create("l")])],
        1,
        {"l": [1]},
    ),
    Case(
        "map_key_create_on_a_missing_bin_makes_the_map",
        MISSING,
        [
            mo.map_put(
                "b", "k", 1, ctx=[C.cdt_ctx_map_key_create("a", A.MAP_KEY_ORDERED)]
            )
        ],
        1,
        KeyOrderedDict({"a": {"k": 1}}),
    ),
    Case(
        "created_key_goes_in_key_order_in_a_key_ordered_map",
        KeyOrderedDict({"a": 1, "c": 3}),
        [lo.list_append("b", 1, ctx=[C.cdt_ctx_map_key_create("b")])],
        1,
        KeyOrderedDict({"a": 1, "b": [1], "c": 3}),
    ),
    Case(
        "list_index_create_with_pad_fills_nils",
        [1],
        [lo.list_append("b", 5, ctx=[C.cdt_ctx_list_index_create(3, pad=True)])],
        1,
        [1, None, None, [5]],
    ),
    Case(
        "list_index_create_past_the_end_without_pad_is_not_applicable",
        [1],
        [lo.list_append("b", 5, ctx=[C.cdt_ctx_list_index_create(3)])],
        code=26,
    ),
    Case(
        "list_index_create_at_the_end_appends",
        [1],
        [lo.list_append("b", 5, ctx=[C.cdt_ctx_list_index_create(1)])],
        1,
        [1, [5]],
    ),
    Case(
        "ordered_list_index_create_on_a_missing_bin",
        MISSING,
        [lo.list_append("b", 3, ctx=[C.cdt_ctx_list_index_create(0, A.LIST_ORDERED)])],
        1,
        OrderedList([[3]]),
    ),
    Case(
        "later_steps_without_create_flags_create_at_index_zero",
        MISSING,
        [
            mo.map_put(
                "b",
                "k",
                1,
                ctx=[C.cdt_ctx_map_key_create("a"), C.cdt_ctx_list_index(0)],
            )
        ],
        1,
        {"a": [{"k": 1}]},
    ),
    Case(
        "later_step_past_index_zero_without_pad_is_not_applicable",
        MISSING,
        [
            mo.map_put(
                "b",
                "k",
                1,
                ctx=[C.cdt_ctx_map_key_create("a"), C.cdt_ctx_list_index(1)],
            )
        ],
        code=26,
    ),
    Case(
        "remove_under_a_missing_key_creates_nothing",
        {},
        [lo.list_remove_by_index("b", 0, VALUE, ctx=[C.cdt_ctx_map_key_create("z")])],
        after={},
    ),
    Case(
        "list_create_under_a_new_key",
        {},
        [lo.list_create("b", A.LIST_ORDERED, ctx=[C.cdt_ctx_map_key("l")])],
        after={"l": OrderedList([])},
    ),
    Case(
        "map_create_in_an_empty_list",
        [],
        [mo.map_create("b", A.MAP_KEY_ORDERED, ctx=[C.cdt_ctx_list_index(0)])],
        after=[KeyOrderedDict()],
    ),
    Case(
        "create_keeps_an_existing_nested_list",
        {"l": [2, 1]},
        [lo.list_create("b", A.LIST_UNORDERED, ctx=[C.cdt_ctx_map_key("l")])],
    ),
]

CASES = FINDING + FAILING + CREATING


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_context(client, key, case):
    run_case(client, key, case)
