"""The server's CDT entry points and value order, without a client.

``cdt_read`` / ``cdt_modify`` are what the expression engine calls; the
ordering rules are the server's msgpack comparison (cf/src/msgpack_in.c).
"""

from __future__ import annotations

import pytest

from aerospike_py import HLL, INFINITY, WILDCARD, GeoJSON, KeyOrderedDict, OrderedList
from aerospike_py.server.cdt import cdt_modify, cdt_read, decode_payload
from aerospike_py.server.cdt.order import compare, normalize, sort_key
from aerospike_py.server.errors import Failure
from aerospike_py.server.ops import EncodedBin
from aerospike_py.wire import particle


def test_types_sort_in_the_server_order():
    values = [
        INFINITY,
        GeoJSON('{"type":"Point","coordinates":[0,0]}'),
        1.5,
        b"\x01",
        {"a": 1},
        [1],
        "a",
        7,
        -3,
        True,
        False,
        None,
    ]
    assert sorted(values, key=sort_key) == list(reversed(values))


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (1, 1.0, -1),  # integers before doubles, never by value
        ("ab", "b", -1),
        ("a", "ab", -1),  # a proper prefix is smaller
        ([1, 2], [1, 2, 0], -1),
        ([2], [1, 9], 1),
        ({"z": 1}, {"a": 1, "b": 2}, -1),  # fewer pairs first
        (b"\xff", HLL(b"\x00"), -1),  # blob type 4 before HLL type 18
        ([1, WILDCARD], [1, "x", 3], 0),  # a wildcard ends the comparison
        (WILDCARD, None, 0),
        (INFINITY, [9, 9], 1),
    ],
)
def test_compare_follows_msgpack_cmp(a, b, expected):
    assert compare(a, b) == expected
    assert compare(b, a) == -expected


def test_normalize_sorts_nested_ordered_containers():
    value = [OrderedList([3, 1]), KeyOrderedDict({"b": [2, 1], "a": 0})]
    result = normalize(value)
    assert type(result[0]) is OrderedList and result[0] == [1, 3]
    assert list(result[1]) == ["a", "b"] and result[1]["b"] == [2, 1]


def test_cdt_modify_returns_the_result_and_the_new_value():
    result, new = cdt_modify([3, 1], [1, 2])
    assert (result, new) == (3, [3, 1, 2])


def test_cdt_modify_of_a_missing_bin_without_effect_keeps_it_missing():
    assert cdt_modify(None, [7, 0]) == (None, None)


def test_cdt_read_with_a_context():
    payload = [0xFF, [0x22, "a"], [17, -1]]
    assert cdt_read({"a": [1, 2, 3]}, payload) == 3


def test_key_value_result_is_encoded_with_the_preserve_order_flag():
    result = cdt_read({"b": 2, "a": 1}, [106, 8, 0])
    assert isinstance(result, EncodedBin)
    assert result.particle_type == particle.MAP
    assert result.data == bytes.fromhex("83c70008c0a2036101a2036202")


@pytest.mark.parametrize(
    "value, payload, code",
    [
        (None, [16], 12),  # a read of no list
        ([1], [17, "0"], 4),  # an index that is not an integer
        ([1], [1], 4),  # a missing argument
        ([1], [16, 1, 2, 3], None),  # ops without parameters ignore extras
        ([1], [1, WILDCARD], 4),  # markers cannot be stored
        ([1], [99], 4),  # an unknown op code
        ([1], [0xFE, [], 0], 16),  # select is not served
    ],
)
def test_bad_requests_fail_with_the_server_codes(value, payload, code):
    if code is None:
        assert cdt_read(value, payload) == 1
        return
    run = cdt_read if payload[0] in (16, 17, 0xFE) else cdt_modify
    with pytest.raises(Failure) as failure:
        run(value, payload)
    assert failure.value.code == code


def test_legacy_payload_with_a_16_bit_op_code_is_read():
    assert decode_payload(bytes.fromhex("00019105")) == [1, 5]
    assert decode_payload(bytes.fromhex("0010")) == [16]
