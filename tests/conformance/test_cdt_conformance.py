"""List and map operations: our client beside the official one.

The official client (``aerospike`` 19.3.0 with ``aerospike_helpers``) is the
reference for the wire bytes: for the same operation our op must carry the
same op type, particle type, bin name and msgpack payload. Run against the
embedded server, both clients must get the same results and leave the same
records.
"""

from __future__ import annotations

from typing import Any

import aerospike
import pytest
from aerospike_helpers import cdt_ctx as oc
from aerospike_helpers.operations import list_operations as olo
from aerospike_helpers.operations import map_operations as omo

import aerospike_py as A
from aerospike_py import cdt_ctx as C
from aerospike_py import list_operations as lo
from aerospike_py import map_operations as mo

VALUE = A.LIST_RETURN_VALUE
KEY = A.MAP_RETURN_KEY
START = {"l": [5, 1, 4, 2, 1], "m": {"c": 3, "a": 1, "b": 2, "d": 1}, "n": {"x": [1]}}

# (name, our op, the official client's op for the same thing)
SAME_BYTES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("list_append", lo.list_append("l", 5), olo.list_append("l", 5)),
    (
        "list_append_with_policy",
        lo.list_append("l", 5, {"order": 1, "flags": 1}),
        olo.list_append("l", 5, {"list_order": 1, "write_flags": 1}),
    ),
    (
        "list_append_items_with_policy",
        lo.list_append_items("l", [1, "a"], {"order": 0, "flags": 13}),
        olo.list_append_items("l", [1, "a"], {"list_order": 0, "write_flags": 13}),
    ),
    (
        "list_insert_with_policy",
        lo.list_insert("l", 1, 5, {"order": 0, "flags": 2}),
        olo.list_insert("l", 1, 5, {"list_order": 0, "write_flags": 2}),
    ),
    (
        "list_increment_with_policy",
        lo.list_increment("l", 1, 2.5, {"order": 1, "flags": 4}),
        olo.list_increment("l", 1, 2.5, {"list_order": 1, "write_flags": 4}),
    ),
    ("list_set", lo.list_set("l", -1, "x"), olo.list_set("l", -1, "x")),
    ("list_pop_range", lo.list_pop_range("l", 1, 2), olo.list_pop_range("l", 1, 2)),
    ("list_trim", lo.list_trim("l", 1, 2), olo.list_trim("l", 1, 2)),
    (
        "list_get_by_index_range_to_the_end",
        lo.list_get_by_index_range("l", 1, VALUE),
        olo.list_get_by_index_range("l", 1, VALUE),
    ),
    (
        "list_get_by_rank_range_inverted",
        lo.list_get_by_rank_range("l", 0, VALUE, 2, inverted=True),
        olo.list_get_by_rank_range("l", 0, VALUE, 2, True),
    ),
    (
        "list_get_by_value_inverted",
        lo.list_get_by_value("l", 1, A.LIST_RETURN_COUNT, inverted=True),
        olo.list_get_by_value("l", 1, aerospike.LIST_RETURN_COUNT, True),
    ),
    (
        "list_get_by_value_list",
        lo.list_get_by_value_list("l", [1, 4], A.LIST_RETURN_INDEX),
        olo.list_get_by_value_list("l", [1, 4], aerospike.LIST_RETURN_INDEX),
    ),
    (
        "list_get_by_value_range_open_end",
        lo.list_get_by_value_range("l", 2, None, VALUE),
        olo.list_get_by_value_range("l", VALUE, 2, None),
    ),
    (
        "list_remove_by_value_range_from_nil",
        lo.list_remove_by_value_range("l", None, 4, VALUE),
        olo.list_remove_by_value_range("l", VALUE, None, 4),
    ),
    (
        "list_get_by_value_rank_range_relative",
        lo.list_get_by_value_rank_range_relative("l", 4, -1, VALUE, 2, inverted=True),
        olo.list_get_by_value_rank_range_relative("l", 4, -1, VALUE, 2, True),
    ),
    ("list_sort", lo.list_sort("l", 2), olo.list_sort("l", 2)),
    ("list_set_order", lo.list_set_order("l", 1), olo.list_set_order("l", 1)),
    (
        "list_create_in_a_context",
        lo.list_create("n", A.LIST_ORDERED, ctx=[C.cdt_ctx_map_key("y")]),
        olo.list_create("n", 1, False, False, [oc.cdt_ctx_map_key("y")]),
    ),
    (
        "list_append_two_levels_deep",
        lo.list_append("n", 7, ctx=[C.cdt_ctx_map_key("x")]),
        olo.list_append("n", 7, None, [oc.cdt_ctx_map_key("x")]),
    ),
    (
        "list_append_with_create_contexts",
        lo.list_append(
            "n",
            7,
            ctx=[
                C.cdt_ctx_map_key_create("z", A.MAP_KEY_ORDERED),
                C.cdt_ctx_list_index_create(2, pad=True),
            ],
        ),
        olo.list_append(
            "n",
            7,
            None,
            [
                oc.cdt_ctx_map_key_create("z", aerospike.MAP_KEY_ORDERED),
                oc.cdt_ctx_list_index_create(2, aerospike.LIST_UNORDERED, True),
            ],
        ),
    ),
    (
        "list_size_by_rank_and_value_steps",
        lo.list_size(
            "l", ctx=[C.cdt_ctx_list_rank(-1), C.cdt_ctx_list_value([1, "a"])]
        ),
        olo.list_size("l", [oc.cdt_ctx_list_rank(-1), oc.cdt_ctx_list_value([1, "a"])]),
    ),
    ("map_put", mo.map_put("m", "k", 1), omo.map_put("m", "k", 1)),
    (
        "map_put_with_flags_and_order",
        mo.map_put("m", "k", 1, {"order": 1, "flags": 6}),
        omo.map_put("m", "k", 1, {"map_order": 1, "map_write_flags": 6}),
    ),
    (
        "map_put_items_with_flags",
        mo.map_put_items("m", {"a": 1, "b": [2]}, {"order": 3, "flags": 8}),
        omo.map_put_items(
            "m", {"a": 1, "b": [2]}, {"map_order": 3, "map_write_flags": 8}
        ),
    ),
    (
        "map_increment_with_order",
        mo.map_increment("m", "k", 2, {"order": 1}),
        omo.map_increment("m", "k", 2, {"map_order": 1}),
    ),
    (
        "map_remove_by_key_list_inverted",
        mo.map_remove_by_key_list("m", ["a"], KEY, inverted=True),
        omo.map_remove_by_key_list("m", ["a"], KEY, True),
    ),
    (
        "map_get_by_key_range_open_end",
        mo.map_get_by_key_range("m", "b", None, KEY),
        omo.map_get_by_key_range("m", "b", aerospike.CDTInfinite(), KEY),
    ),
    (
        "map_get_by_value_range",
        mo.map_get_by_value_range("m", 1, 3, KEY),
        omo.map_get_by_value_range("m", 1, 3, KEY),
    ),
    (
        "map_get_by_rank_range_inverted",
        mo.map_get_by_rank_range("m", -2, A.MAP_RETURN_KEY_VALUE, 2, inverted=True),
        omo.map_get_by_rank_range("m", -2, 2, aerospike.MAP_RETURN_KEY_VALUE, True),
    ),
    (
        "map_get_by_key_index_range_relative",
        mo.map_get_by_key_index_range_relative("m", "b", 0, KEY, 2),
        omo.map_get_by_key_index_range_relative("m", "b", 0, KEY, 2),
    ),
    (
        "map_remove_by_value_rank_range_relative_inverted",
        mo.map_remove_by_value_rank_range_relative("m", 2, -1, KEY, inverted=True),
        omo.map_remove_by_value_rank_range_relative("m", 2, -1, KEY, None, True),
    ),
    (
        "map_create_in_a_context",
        mo.map_create("n", A.MAP_KEY_VALUE_ORDERED, ctx=[C.cdt_ctx_map_key("w")]),
        omo.map_create("n", 3, False, [oc.cdt_ctx_map_key("w")]),
    ),
    (
        "map_set_order",
        mo.map_set_order("m", A.MAP_KEY_ORDERED),
        omo.map_set_policy("m", {"map_order": 1}),
    ),
    (
        "map_get_by_key_ordered_map",
        mo.map_get_by_key("m", "a", A.MAP_RETURN_ORDERED_MAP),
        omo.map_get_by_key("m", "a", aerospike.MAP_RETURN_ORDERED_MAP),
    ),
    (
        "map_size_by_index_rank_and_value_steps",
        mo.map_size(
            "n",
            ctx=[
                C.cdt_ctx_map_index(0),
                C.cdt_ctx_map_rank(1),
                C.cdt_ctx_map_value("v"),
            ],
        ),
        omo.map_size(
            "n",
            [
                oc.cdt_ctx_map_index(0),
                oc.cdt_ctx_map_rank(1),
                oc.cdt_ctx_map_value("v"),
            ],
        ),
    ),
]


def _sent_op(server: Any, call: Any) -> tuple[int, int, str, bytes]:
    """The one op of the AS_MSG a call sends (whatever the server answers)."""
    with server.recording() as received:
        try:
            call()
        except Exception:  # only the request bytes matter here
            pass
    (message,) = received
    (op,) = message.ops
    return op.op_type, op.particle_type, op.name, bytes(op.value)


@pytest.mark.parametrize(
    "ours_op, official_op",
    [(ours, official) for _, ours, official in SAME_BYTES],
    ids=[name for name, _, _ in SAME_BYTES],
)
def test_op_bytes_equal_the_official_clients(
    server, ours, official, aerospike_set, ours_op, official_op
):
    key = ("test", aerospike_set, "bytes")
    ours.put(key, START)
    sent_by_us = _sent_op(server, lambda: ours.operate(key, [ours_op]))
    sent_by_them = _sent_op(server, lambda: official.operate(key, [official_op]))
    assert sent_by_us == sent_by_them


def _plain(value: Any) -> Any:
    """A value without client-specific types.

    Maps become pair lists sorted by key: the official client does not keep
    the order of an unordered map it decodes.
    """
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        pairs = [[_plain(k), _plain(v)] for k, v in value.items()]
        return sorted(pairs, key=lambda pair: repr(pair[0]))
    return value


def _flat_pairs(value: dict[Any, Any]) -> list[Any]:
    """A KEY_VALUE result as the official client gives it: k1, v1, k2, ..."""
    return [_plain(item) for pair in value.items() for item in pair]


# (name, bin, our op, official op, key/value result?)
SAME_RESULTS = [
    ("append", "l", lo.list_append("l", 3), olo.list_append("l", 3), False),
    (
        "rank_range_values",
        "l",
        lo.list_get_by_rank_range("l", 0, VALUE, 3),
        olo.list_get_by_rank_range("l", 0, VALUE, 3),
        False,
    ),
    (
        "remove_by_value_range_inverted",
        "l",
        lo.list_remove_by_value_range("l", 2, 5, VALUE, inverted=True),
        olo.list_remove_by_value_range("l", VALUE, 2, 5, True),
        False,
    ),
    (
        "relative_rank",
        "l",
        lo.list_get_by_value_rank_range_relative("l", 3, 0, VALUE),
        olo.list_get_by_value_rank_range_relative("l", 3, 0, VALUE),
        False,
    ),
    (
        "value_list_ranks",
        "l",
        lo.list_get_by_value_list("l", [1, 5], A.LIST_RETURN_RANK),
        olo.list_get_by_value_list("l", [1, 5], aerospike.LIST_RETURN_RANK),
        False,
    ),
    (
        "nested_append",
        "n",
        lo.list_append("n", 2, ctx=[C.cdt_ctx_map_key("x")]),
        olo.list_append("n", 2, None, [oc.cdt_ctx_map_key("x")]),
        False,
    ),
    (
        "nested_create",
        "n",
        mo.map_put("n", "k", 1, ctx=[C.cdt_ctx_map_key_create("new", 1)]),
        omo.map_put("n", "k", 1, None, [oc.cdt_ctx_map_key_create("new", 1)]),
        False,
    ),
    (
        "put_items",
        "m",
        mo.map_put_items("m", {"e": 5, "a": 0}),
        omo.map_put_items("m", {"e": 5, "a": 0}),
        False,
    ),
    (
        "key_list_inverted",
        "m",
        mo.map_get_by_key_list("m", ["a"], KEY, inverted=True),
        omo.map_get_by_key_list("m", ["a"], KEY, True),
        False,
    ),
    (
        "value_range_keys",
        "m",
        mo.map_remove_by_value_range("m", 1, 3, KEY),
        omo.map_remove_by_value_range("m", 1, 3, KEY),
        False,
    ),
    (
        "rank_range_key_values",
        "m",
        mo.map_get_by_rank_range("m", 0, A.MAP_RETURN_KEY_VALUE, 3),
        omo.map_get_by_rank_range("m", 0, 3, aerospike.MAP_RETURN_KEY_VALUE),
        True,
    ),
    (
        "index_range_ordered_map",
        "m",
        mo.map_get_by_index_range("m", 1, A.MAP_RETURN_ORDERED_MAP, 2),
        omo.map_get_by_index_range("m", 1, 2, aerospike.MAP_RETURN_ORDERED_MAP),
        False,
    ),
    (
        "increment",
        "m",
        mo.map_increment("m", "c", 4),
        omo.map_increment("m", "c", 4),
        False,
    ),
]


@pytest.mark.parametrize(
    "bin_name, ours_op, official_op, key_value",
    [case[1:] for case in SAME_RESULTS],
    ids=[case[0] for case in SAME_RESULTS],
)
def test_results_and_records_equal_the_official_clients(
    ours, official, aerospike_set, bin_name, ours_op, official_op, key_value
):
    our_key = ("test", aerospike_set, "ours")
    their_key = ("test", aerospike_set, "theirs")
    ours.put(our_key, START)
    ours.put(their_key, START)
    our_result = ours.operate(our_key, [ours_op]).bins[bin_name]
    their_result = official.operate(their_key, [official_op])[2][bin_name]
    if key_value:
        assert _flat_pairs(our_result) == _plain(their_result)
    else:
        assert _plain(our_result) == _plain(their_result)
    our_record = ours.get(our_key).bins
    their_record = official.get(their_key)[2]
    assert _plain(our_record) == _plain(their_record)


def test_official_ordered_map_put_reads_back_ordered_through_ours(
    ours, official, aerospike_set
):
    key = ("test", aerospike_set, "ordered")
    official.operate(key, [omo.map_put("m", "b", 1, {"map_order": 1})])
    official.operate(key, [omo.map_put("m", "a", 2)])
    stored = ours.get(key).bins["m"]
    assert type(stored) is A.KeyOrderedDict
    assert list(stored.items()) == [("a", 2), ("b", 1)]
