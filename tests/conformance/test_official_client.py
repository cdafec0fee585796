"""The official client against the embedded server, and beside our client.

The official client (``aerospike`` on PyPI) is the reference for the wire
format: it must work against the embedded server unchanged, and records
written by either client must read back identically through the other.
"""

from __future__ import annotations

import aerospike
import pytest
from aerospike import exception as official_errors

import aerospike_py

VALUES = {
    "int": 7,
    "neg": -(2**63),
    "big": 2**63 - 1,
    "str": "héllo wörld",
    "empty": "",
    "bytes": b"\x00\x01\xfe\xff",
    "float": 2.5,
    "whole": 2.0,
    "bool": True,
    "list": [1, "a", b"b", 2.0, None, True, [1, [2]], {"k": "v"}],
    "map": {"a": 1, "b": {"c": [1.5, "d"]}, 7: b"x"},
}


def _plain(value):
    """The official client's containers and types, compared as plain values."""
    if isinstance(value, (bytearray, bytes)):
        return bytes(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_official_client_connects_and_sees_one_node(official, aerospike_server):
    nodes = official.get_nodes()
    assert nodes == [("127.0.0.1", aerospike_server.port)]
    assert official.is_connected()


def test_official_put_reads_back_through_ours(official, ours, aerospike_set):
    key = ("test", aerospike_set, "from-official")
    official.put(key, VALUES)
    record = ours.get(key)
    assert record.bins == VALUES
    assert type(record.bins["whole"]) is float
    assert record.bins["bool"] is True


def test_our_put_reads_back_through_official(official, ours, aerospike_set):
    key = ("test", aerospike_set, "from-ours")
    ours.put(key, VALUES)
    _, meta, bins = official.get(key)
    assert _plain(bins) == VALUES
    assert meta["gen"] == 1
    assert meta["ttl"] == 4294967295


def test_official_crud_against_embedded_server(official, aerospike_set):
    key = ("test", aerospike_set, "crud")
    official.put(key, {"n": 1, "s": "a"}, meta={"ttl": 100})
    _, meta, bins = official.get(key)
    assert bins == {"n": 1, "s": "a"} and 99 <= meta["ttl"] <= 100
    assert official.select(key, ["s"])[2] == {"s": "a"}
    assert official.exists(key)[1]["gen"] == 1
    official.increment(key, "n", 4)
    official.append(key, "s", "z")
    official.prepend(key, "s", ">")
    official.touch(key, 500)
    _, meta, bins = official.get(key)
    assert bins == {"n": 5, "s": ">az"}
    assert meta["gen"] == 5 and 490 <= meta["ttl"] <= 500
    _, _, result = official.operate(
        key,
        [
            {"op": aerospike.OPERATOR_INCR, "bin": "n", "val": 1},
            {"op": aerospike.OPERATOR_READ, "bin": "n"},
        ],
    )
    assert result == {"n": 6}
    official.remove(key)
    _, meta = official.exists(key)
    assert meta is None
    with pytest.raises(official_errors.RecordNotFound):
        official.get(key)


def test_official_policies_map_to_server_errors(official, aerospike_set):
    key = ("test", aerospike_set, "policies")
    official.put(key, {"a": 1})
    with pytest.raises(official_errors.RecordExistsError):
        official.put(key, {"a": 2}, policy={"exists": aerospike.POLICY_EXISTS_CREATE})
    with pytest.raises(official_errors.RecordGenerationError):
        official.put(
            key, {"a": 2}, meta={"gen": 9}, policy={"gen": aerospike.POLICY_GEN_EQ}
        )
    with pytest.raises(official_errors.BinIncompatibleType):
        official.append(key, "a", "text")


@pytest.mark.parametrize(
    "user_key",
    [
        "",
        "simple",
        "ünïcödé ✓",
        0,
        -1,
        1,
        2**63 - 1,
        -(2**63),
        bytearray(b"\x00\x01"),
        bytearray(b"raw"),
    ],
)
def test_digests_equal_the_official_calc_digest(user_key):
    ours = aerospike_py._keys.parse_key(("test", "set", user_key)).digest
    assert ours == bytes(aerospike.calc_digest("test", "set", user_key))


def test_empty_bytearray_digest_hashes_the_blob_type():
    # The official client refuses empty byte arrays; the digest is still defined.
    digest = aerospike_py._keys.parse_key(("test", "set", bytearray())).digest
    assert digest.hex() == "327e2877b8815c7aeede0d5a8620d4ef8df4a4b4"


def test_bytes_keys_find_records_the_official_client_wrote(
    official, ours, aerospike_set
):
    key = ("test", aerospike_set, b"bytes-key")
    official.put(key, {"v": 1})
    assert ours.get(key).bins == {"v": 1}


def test_send_key_from_official_is_returned_by_ours(official, ours, aerospike_set):
    key = ("test", aerospike_set, "sent")
    official.put(key, {"v": 1}, policy={"key": aerospike.POLICY_KEY_SEND})
    assert ours.get(key).key.user_key == "sent"


def test_geojson_written_by_ours_is_geojson_to_official(official, ours, aerospike_set):
    key = ("test", aerospike_set, "geo")
    point = '{"type":"Point","coordinates":[3,4]}'
    ours.put(key, {"g": aerospike_py.GeoJSON(point)})
    value = official.get(key)[2]["g"]
    assert isinstance(value, aerospike.GeoJSON)
    assert value.dumps().replace(" ", "") == point


def test_official_info_and_truncate_free_calls(official):
    response = official.info_all("namespaces")
    assert [value for _, value in response.values()] == ["test\n"]
    assert official.info_random_node("build").strip().endswith("8.1.2.0")
