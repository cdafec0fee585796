"""The bit operation builders: the op dicts they make, and bad input.

Bad input is refused with InvalidArgError before anything is sent, so
the record stays as it was.
"""

from __future__ import annotations

from typing import Any

import pytest

import aerospike_py
from aerospike_py import bit_operations as bit
from aerospike_py.exception import InvalidArgError

BUILT = [
    (
        bit.bit_resize("b", 4),
        {"op": 4001, "bin": "b", "byte_size": 4, "resize_flags": 0},
    ),
    (
        bit.bit_resize("b", 4, 1, 2),
        {"op": 4001, "bin": "b", "byte_size": 4, "resize_flags": 1, "bit_policy": 2},
    ),
    (
        bit.bit_insert("b", 1, b"x"),
        {"op": 4002, "bin": "b", "byte_offset": 1, "val": b"x"},
    ),
    (
        bit.bit_remove("b", 1, 2, 8),
        {"op": 4003, "bin": "b", "byte_offset": 1, "byte_size": 2, "bit_policy": 8},
    ),
    (
        bit.bit_set("b", 3, 4, b"x"),
        {"op": 4004, "bin": "b", "bit_offset": 3, "bit_size": 4, "val": b"x"},
    ),
    (
        bit.bit_or("b", 3, 4, b"x"),
        {"op": 4005, "bin": "b", "bit_offset": 3, "bit_size": 4, "val": b"x"},
    ),
    (
        bit.bit_xor("b", 3, 4, b"x"),
        {"op": 4006, "bin": "b", "bit_offset": 3, "bit_size": 4, "val": b"x"},
    ),
    (
        bit.bit_and("b", 3, 4, b"x"),
        {"op": 4007, "bin": "b", "bit_offset": 3, "bit_size": 4, "val": b"x"},
    ),
    (bit.bit_not("b", 3, 4), {"op": 4008, "bin": "b", "bit_offset": 3, "bit_size": 4}),
    (
        bit.bit_lshift("b", 0, 8, 2),
        {"op": 4009, "bin": "b", "bit_offset": 0, "bit_size": 8, "shift": 2},
    ),
    (
        bit.bit_rshift("b", 0, 8, 2),
        {"op": 4010, "bin": "b", "bit_offset": 0, "bit_size": 8, "shift": 2},
    ),
    (
        bit.bit_add("b", 0, 8, 5, True, 2, 4),
        {
            "op": 4011,
            "bin": "b",
            "bit_offset": 0,
            "bit_size": 8,
            "val": 5,
            "signed": True,
            "action": 2,
            "bit_policy": 4,
        },
    ),
    (
        bit.bit_subtract("b", 0, 8, 5),
        {
            "op": 4012,
            "bin": "b",
            "bit_offset": 0,
            "bit_size": 8,
            "val": 5,
            "signed": False,
            "action": 0,
        },
    ),
    (
        bit.bit_set_int("b", 0, 8, 5),
        {"op": 4013, "bin": "b", "bit_offset": 0, "bit_size": 8, "val": 5},
    ),
    (bit.bit_get("b", 0, 8), {"op": 4050, "bin": "b", "bit_offset": 0, "bit_size": 8}),
    (
        bit.bit_count("b", 0, 8),
        {"op": 4051, "bin": "b", "bit_offset": 0, "bit_size": 8},
    ),
    (
        bit.bit_lscan("b", 0, 8, True),
        {"op": 4052, "bin": "b", "bit_offset": 0, "bit_size": 8, "val": True},
    ),
    (
        bit.bit_rscan("b", 0, 8, False),
        {"op": 4053, "bin": "b", "bit_offset": 0, "bit_size": 8, "val": False},
    ),
    (
        bit.bit_get_int("b", 0, 8, True),
        {"op": 4054, "bin": "b", "bit_offset": 0, "bit_size": 8, "signed": True},
    ),
]


@pytest.mark.parametrize(("built", "expected"), BUILT, ids=lambda v: str(v)[:40])
def test_builder_makes_the_documented_op_dict(built, expected):
    assert built == expected


def test_module_exports_every_builder_and_operation():
    names = set(bit.__all__)
    assert "Operation" in names
    assert len(names - {"Operation"}) == 18
    assert all(callable(getattr(bit, name)) for name in names - {"Operation"})
    assert aerospike_py.bit_operations is bit


BAD = [
    ("bit_size", bit.bit_add("b", 0, 65, 1)),
    ("bit_size", bit.bit_get_int("b", 0, 0)),
    ("bit_size", bit.bit_set_int("b", 0, 70, 1)),
    ("bit_size", bit.bit_get("b", 0, -1)),
    ("value", bit.bit_set("b", 0, 8, "text")),
    ("value", bit.bit_lscan("b", 0, 8, 1)),
    ("bit_offset", bit.bit_not("b", 1.5, 8)),
    (
        "bit_policy",
        {
            "op": 4008,
            "bin": "b",
            "bit_offset": 0,
            "bit_size": 8,
            "bit_policy": {"flags": 1},
        },
    ),
    ("signed", bit.bit_add("b", 0, 8, 1, signed="yes")),
    ("val", bit.bit_add("b", 0, 8, 2**64)),
    ("'bit_size'", {"op": 4004, "bin": "b", "bit_offset": 0, "val": b"x"}),
    ("bin name", bit.bit_get("a_much_too_long_bin", 0, 8)),
]


@pytest.mark.parametrize(
    ("named", "op"), BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)]
)
def test_bad_argument_is_refused_before_sending(client, key, named, op):
    client.put(key, {"b": b"\x00"})
    with pytest.raises(InvalidArgError) as failure:
        client.operate(key, [op])
    assert named in str(failure.value)
    record = client.get(key)
    assert record.bins == {"b": b"\x00"} and record.meta.gen == 1


def test_bytearray_values_are_sent_as_bytes(client, key):
    client.put(key, {"b": b"\x00"})
    client.operate(key, [bit.bit_or("b", 0, 8, bytearray(b"\x81"))])
    assert client.get(key).bins["b"] == b"\x81"


def test_raw_op_dict_with_none_policy_uses_no_flags(client, key):
    op: dict[str, Any] = {
        "op": 4008,
        "bin": "b",
        "bit_offset": 0,
        "bit_size": 8,
        "bit_policy": None,
    }
    client.put(key, {"b": b"\x0f"})
    client.operate(key, [op])
    assert client.get(key).bins["b"] == b"\xf0"
