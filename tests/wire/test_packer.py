"""Aerospike's msgpack dialect, checked against bytes the official clients send."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aerospike_py import HLL, INFINITY, WILDCARD, GeoJSON, KeyOrderedDict, OrderedList
from aerospike_py.exception import InvalidArgError
from aerospike_py.wire.packer import UnpackError, pack, unpack


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", "a20361"),
        ("", "a103"),
        (b"\x01", "a20401"),
        ([1, "a"], "9201a20361"),
        ({"a": 1}, "81a2036101"),
        (None, "c0"),
        (True, "c3"),
        (False, "c2"),
        (127, "7f"),
        (128, "cc80"),
        (65535, "cdffff"),
        (2**32 - 1, "ceffffffff"),
        (2**32, "cf0000000100000000"),
        (-1, "ff"),
        (-32, "e0"),
        (-33, "d0df"),
        (-129, "d1ff7f"),
        (-(2**31), "d280000000"),
        (-(2**63), "d38000000000000000"),
        (1.5, "cb3ff8000000000000"),
        (WILDCARD, "d4ff00"),
        (INFINITY, "d4ff01"),
    ],
)
def test_pack_matches_protocol_bytes(value, expected):
    assert pack(value).hex() == expected


def test_key_ordered_map_carries_ext_header():
    # PROTOCOL.md 9.2: K-ordered {"y":2,"z":1} as captured from the server.
    value = KeyOrderedDict([("y", 2), ("z", 1)])
    assert pack(value).hex() == "83c70001c0a2037902a2037a01"


def test_ordered_list_carries_ext_header():
    assert pack(OrderedList([5, 7])).hex() == "93c700010507"


def test_string_of_40_bytes_uses_str8_header():
    # The C client picks 0xd9 for 32..255 bytes; msgpack-python would not.
    assert pack("x" * 40)[:2].hex() == "d929"


def test_ordered_map_reads_back_ordered_and_keeps_its_class():
    data = bytes.fromhex("83c70001c0a2037902a2037a01")
    value = unpack(data)
    assert isinstance(value, KeyOrderedDict)
    assert list(value.items()) == [("y", 2), ("z", 1)]


def test_whole_float_stays_float_inside_containers():
    value = unpack(pack({"f": [2.0, {"g": 3.0}]}))
    assert value == {"f": [2.0, {"g": 3.0}]}
    assert type(value["f"][0]) is float
    assert type(value["f"][1]["g"]) is float


def test_geojson_and_hll_keep_their_types():
    point = GeoJSON('{"type":"Point","coordinates":[1,2]}')
    value = unpack(pack([point, HLL(b"\x01\x02")]))
    assert type(value[0]) is GeoJSON and value[0] == point
    assert type(value[1]) is HLL and value[1] == b"\x01\x02"


def test_integer_out_of_range_is_refused():
    with pytest.raises(InvalidArgError, match="64-bit"):
        pack([2**63])


@pytest.mark.parametrize("bad_key", [1.5, True])
def test_float_and_bool_map_keys_are_refused(bad_key):
    with pytest.raises(InvalidArgError, match="map key"):
        pack({bad_key: 1})


def test_unsupported_type_is_refused_with_its_name():
    with pytest.raises(InvalidArgError, match="set"):
        pack([{1, 2}])


def test_nesting_deeper_than_64_is_refused():
    value: list = []
    for _ in range(70):
        value = [value]
    with pytest.raises(InvalidArgError, match="deeper"):
        pack(value)


def test_truncated_bytes_raise_unpack_error():
    with pytest.raises(UnpackError):
        unpack(bytes.fromhex("92a203"))


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text() | st.integers(-(2**63), 2**63 - 1), children, max_size=5
        )
    ),
    max_leaves=25,
)


@given(json_like)
def test_round_trip_preserves_values_and_types(value):
    decoded = unpack(pack(value))
    assert decoded == value
    assert _types(decoded) == _types(value)


def _types(value):
    if isinstance(value, list):
        return ["list", [_types(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [(type(k).__name__, _types(v)) for k, v in value.items()]]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return type(value).__name__
