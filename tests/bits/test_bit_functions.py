"""The bit functions the expression engine calls: bits_read, bits_modify.

They take a bin value and an already decoded payload ``[op, args...]``
and follow the same server rules as the bin operations.
"""

from __future__ import annotations

import pytest

from aerospike_py.server.bits import bits_modify, bits_read
from aerospike_py.server.errors import Failure


def test_bits_modify_returns_no_result_and_the_new_blob():
    assert bits_modify(b"\x0f", [7, 0, 8]) == (None, b"\xf0")


def test_bits_modify_creates_a_missing_value_with_insert():
    assert bits_modify(None, [1, 1, b"\xaa"]) == (None, b"\x00\xaa")


def test_bits_modify_leaves_a_missing_value_missing_when_it_cannot_create():
    assert bits_modify(None, [3, 0, 8, b"\xff", 4]) == (None, None)


def test_bits_read_returns_the_result():
    assert bits_read(b"\xf0\x01", [51, 0, 16]) == 5


def test_bits_read_of_a_missing_value_is_none():
    assert bits_read(None, [50, 0, 8]) is None


@pytest.mark.parametrize(
    ("value", "payload", "code"),
    [
        (b"\x00", [99, 0, 8], 4),  # unknown op code
        (b"\x00", [], 4),  # no op code
        (b"\x00", [50, 0], 4),  # too few arguments
        (b"\x00", [50, 0, 8, 1], 4),  # too many arguments
        (b"\x00", [50, True, 8], 4),  # a boolean is not an offset
        (b"\x00", [50, 8, 8], 26),  # past the end
        ("text", [50, 0, 8], 12),  # not a blob
    ],
)
def test_bits_read_failures_carry_the_servers_result_code(value, payload, code):
    with pytest.raises(Failure) as failure:
        bits_read(value, payload)
    assert failure.value.code == code


def test_bits_modify_refuses_a_read_op_code():
    with pytest.raises(Failure) as failure:
        bits_modify(b"\x00", [50, 0, 8])
    assert failure.value.code == 4
