"""Digests and partition ids (PROTOCOL.md 4)."""

from __future__ import annotations

import pytest

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire.digest import compute_digest, partition_id


@pytest.mark.parametrize(
    ("set_name", "key", "expected"),
    [
        ("set", 0, "93d943aae37b017ad7e011b0c1d2e2143c2fb37d"),
        ("set", -1, "22116d253745e29fc63fdf760b6e26f7e197e01d"),
        ("set", "", "2819b1ff6e346a43b4f5f6b77a88bc3eaac22a83"),
        ("set", "aaaaaaaaaa", "5979fb32a80da070ff356f7695455592272e36c2"),
        ("set", bytearray(b""), "327e2877b8815c7aeede0d5a8620d4ef8df4a4b4"),
        ("set", bytearray(b"s"), "ca2d96dc9a184d15a7fa2927565e844e9254e001"),
        ("demo", "k1", "b747f5854d0b33259928d0cfab7fad81d6abfbf6"),
    ],
)
def test_digest_vectors(set_name, key, expected):
    assert compute_digest(set_name, key).hex() == expected


def test_bytes_keys_hash_as_strings_and_whole():
    # The official Python client hashes bytes keys as strings; we do too,
    # without cutting at the first NUL byte.
    assert compute_digest("set", b"ab") == compute_digest("set", "ab")
    assert compute_digest("set", b"a\x00b") != compute_digest("set", b"a")


def test_partition_id_of_known_digest():
    digest = bytes.fromhex("b747f5854d0b33259928d0cfab7fad81d6abfbf6")
    assert partition_id(digest) == 1975


@pytest.mark.parametrize("bad", [1.5, None, [1], True])
def test_unusable_user_keys_are_refused(bad):
    with pytest.raises(InvalidArgError):
        compute_digest("set", bad)


def test_integer_key_beyond_64_bits_is_refused():
    with pytest.raises(InvalidArgError, match="64-bit"):
        compute_digest("set", 2**63)
