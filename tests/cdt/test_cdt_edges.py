"""CDT behaviours that span a whole operate call, through both clients."""

from __future__ import annotations

import pytest

import aerospike_py as A
from aerospike_py import KeyOrderedDict, OrderedList
from aerospike_py import bit_operations as bo
from aerospike_py import list_operations as lo
from aerospike_py import map_operations as mo
from aerospike_py import operations as op
from aerospike_py.exception import AerospikeError


def test_operate_ordered_returns_a_list_op_and_a_read_of_its_bin_in_order(client, key):
    client.put(key, {"l": [1, 2]})
    record = client.operate_ordered(
        key,
        [
            op.read("l"),
            lo.list_append("l", 3),
            op.read("l"),
            lo.list_pop("l", 0),
        ],
    )
    assert [(b.name, b.value) for b in record.ordered_bins] == [
        ("l", [1, 2]),
        ("l", 3),
        ("l", [1, 2, 3]),
        ("l", 1),
    ]
    assert client.get(key).bins["l"] == [2, 3]


def test_list_value_range_with_open_end_selects_to_the_largest(client, key):
    client.put(key, {"l": [7, "s", 1, [9], 3.5, None]})
    record = client.operate(
        key, [lo.list_get_by_value_range("l", 3, None, A.LIST_RETURN_VALUE)]
    )
    # Everything from 3 up in the server's type order: ints, strings,
    # lists, maps, bytes, doubles.
    assert record.bins["l"] == [7, "s", [9], 3.5]


def test_map_value_range_with_open_end_selects_to_the_largest(client, key):
    client.put(key, {"m": {"a": 1, "b": 5, "c": "z", "d": 2.5}})
    record = client.operate(
        key, [mo.map_get_by_value_range("m", 2, None, A.MAP_RETURN_KEY)]
    )
    assert record.bins["m"] == ["b", "c", "d"]


def test_map_key_range_with_open_end_removes_to_the_largest(client, key):
    client.put(key, {"m": {"a": 1, "b": 2, "c": 3}})
    record = client.operate(
        key, [mo.map_remove_by_key_range("m", "b", None, A.MAP_RETURN_COUNT)]
    )
    assert record.bins["m"] == 2
    assert client.get(key).bins["m"] == {"a": 1}


def test_one_failing_op_leaves_the_record_unchanged(client, key):
    client.put(key, {"l": [1, 2], "m": {"a": 1}})
    generation = client.get(key).meta.gen
    ops = [
        lo.list_append("l", 3),
        mo.map_put("m", "b", 2),
        mo.map_put("m", "a", 9, {"flags": A.MAP_WRITE_FLAGS_CREATE_ONLY}),
    ]
    with pytest.raises(AerospikeError) as failure:
        client.operate(key, ops)
    assert failure.value.code == 24
    record = client.get(key)
    assert record.bins == {"l": [1, 2], "m": {"a": 1}}
    assert record.meta.gen == generation


def test_failing_op_on_a_missing_record_creates_no_record(client, key):
    with pytest.raises(AerospikeError):
        client.operate(key, [lo.list_append("l", 1), lo.list_insert("l", -5, 1)])
    assert client.exists(key).meta is None


def test_ordered_containers_written_by_put_are_stored_sorted(client, key):
    client.put(key, {"l": OrderedList([3, 1, 2]), "m": KeyOrderedDict(b=1, a=2)})
    bins = client.get(key).bins
    assert type(bins["l"]) is OrderedList and bins["l"] == [1, 2, 3]
    assert type(bins["m"]) is KeyOrderedDict and list(bins["m"]) == ["a", "b"]


def test_nested_ordered_list_in_an_appended_value_is_stored_sorted(client, key):
    client.put(key, {"l": []})
    client.operate(key, [lo.list_append("l", OrderedList([9, 4]))])
    stored = client.get(key).bins["l"][0]
    assert type(stored) is OrderedList and stored == [4, 9]


def test_key_value_results_keep_the_server_order(client, key):
    client.put(key, {"m": {"a": 3, "b": 1, "c": 2}})
    record = client.operate(
        key, [mo.map_get_by_rank_range("m", 0, A.MAP_RETURN_KEY_VALUE)]
    )
    assert list(record.bins["m"].items()) == [("b", 1), ("c", 2), ("a", 3)]


@pytest.mark.parametrize(
    "make",
    [
        lambda: lo.list_insert("l", 10**8, 1),
        lambda: lo.list_insert("l", 2**31 - 1, 1),
        lambda: lo.list_set("l", 10**8, 1),
        lambda: bo.bit_resize("b", 64 * 1024 * 1024),
        lambda: bo.bit_insert("b", 10**8, b"x"),
    ],
)
def test_an_op_that_would_build_a_value_no_record_can_hold_is_refused_at_once(
    client, key, make
):
    client.put(key, {"l": [1], "b": bytearray(b"x")})

    with pytest.raises(A.RecordTooBig):
        client.operate(key, [make()])

    assert client.get(key).bins == {"l": [1], "b": b"x"}
