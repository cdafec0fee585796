"""Single-record commands through both clients against the embedded server."""

from __future__ import annotations

import pytest

import aerospike_py
from aerospike_py import operations as op
from aerospike_py.exception import (
    BinTypeError,
    RecordExistsError,
    RecordGenerationError,
    RecordNotFound,
)

ALL_TYPES = {
    "int": 7,
    "neg": -42,
    "str": "héllo",
    "bytes": b"\x00\x01\xff",
    "float": 1.5,
    "whole": 2.0,
    "bool": True,
    "false": False,
    "list": [1, "a", 2.0, b"x", True, None, [1, 2], {"k": "v"}],
    "map": {"a": 1, "b": [1.0, "z"], "c": {"d": b"e"}, 5: "int key"},
    "geo": aerospike_py.GeoJSON('{"type":"Point","coordinates":[-122.5,37.7]}'),
}


def test_put_then_get_returns_every_value_type(client, key):
    client.put(key, ALL_TYPES)
    record = client.get(key)
    assert record.bins == ALL_TYPES
    assert type(record.bins["whole"]) is float
    assert type(record.bins["bool"]) is bool
    assert type(record.bins["list"][2]) is float
    assert type(record.bins["geo"]) is aerospike_py.GeoJSON


def test_get_returns_key_and_metadata(client, key):
    client.put(key, {"a": 1})
    record = client.get(key)
    assert record.key.namespace == "test"
    assert record.key.set_name == key[1]
    assert record.key.user_key == "key-1"
    assert len(record.key.digest) == 20
    assert record.meta.gen == 1
    assert record.meta.ttl == 4294967295
    _, meta, bins = record
    assert bins == {"a": 1} and meta.gen == 1


def test_integer_limits_round_trip(client, key):
    bins = {"max": 2**63 - 1, "min": -(2**63), "u32": 4294967295}
    client.put(key, bins)
    assert client.get(key).bins == bins


def test_true_stays_a_boolean_not_one(client, key):
    client.put(key, {"flag": True, "one": 1})
    bins = client.get(key).bins
    assert bins["flag"] is True
    assert type(bins["one"]) is int


def test_get_missing_record_raises_record_not_found(client, key):
    with pytest.raises(RecordNotFound) as info:
        client.get(key)
    assert info.value.code == 2


def test_select_returns_only_named_bins(client, key):
    client.put(key, {"a": 1, "b": 2, "c": 3})
    assert client.select(key, ["a", "c", "missing"]).bins == {"a": 1, "c": 3}


def test_exists_reports_meta_or_none(client, key):
    assert client.exists(key).meta is None
    client.put(key, {"a": 1})
    result = client.exists(key)
    assert result.meta.gen == 1
    assert result.key.user_key == "key-1"


def test_generation_increments_on_every_write(client, key):
    for expected in (1, 2, 3):
        client.put(key, {"a": expected})
        assert client.get(key).meta.gen == expected


def test_none_bin_value_deletes_that_bin(client, key):
    client.put(key, {"a": 1, "b": 2})
    client.put(key, {"b": None})
    assert client.get(key).bins == {"a": 1}


def test_removing_every_bin_deletes_the_record(client, key):
    client.put(key, {"a": 1, "b": 2})
    client.remove_bin(key, ["a", "b"])
    with pytest.raises(RecordNotFound):
        client.get(key)


def test_remove_deletes_and_missing_remove_raises(client, key):
    client.put(key, {"a": 1})
    client.remove(key)
    assert client.exists(key).meta is None
    with pytest.raises(RecordNotFound):
        client.remove(key)


def test_remove_with_generation_is_a_compare_and_delete(client, key):
    client.put(key, {"a": 1})
    client.put(key, {"a": 2})
    with pytest.raises(RecordGenerationError):
        client.remove(key, meta={"gen": 1})
    client.remove(key, meta={"gen": 2})
    assert client.exists(key).meta is None


def test_put_with_generation_check(client, key):
    client.put(key, {"a": 1})
    client.put(key, {"a": 2}, meta={"gen": 1})
    with pytest.raises(RecordGenerationError):
        client.put(key, {"a": 3}, meta={"gen": 1})
    assert client.get(key).bins == {"a": 2}
    with pytest.raises(RecordGenerationError):
        client.put(
            key, {"a": 4}, meta={"gen": 2}, policy={"gen": aerospike_py.POLICY_GEN_GT}
        )
    client.put(
        key, {"a": 4}, meta={"gen": 5}, policy={"gen": aerospike_py.POLICY_GEN_GT}
    )
    assert client.get(key).bins == {"a": 4}


def test_create_only_refuses_an_existing_record(client, key):
    policy = {"exists": aerospike_py.POLICY_EXISTS_CREATE_ONLY}
    client.put(key, {"a": 1}, policy=policy)
    with pytest.raises(RecordExistsError):
        client.put(key, {"a": 2}, policy=policy)
    assert client.get(key).bins == {"a": 1}


def test_update_only_needs_an_existing_record(client, key):
    policy = {"exists": aerospike_py.POLICY_EXISTS_UPDATE_ONLY}
    with pytest.raises(RecordNotFound):
        client.put(key, {"a": 1}, policy=policy)
    client.put(key, {"a": 1, "b": 1})
    client.put(key, {"a": 2}, policy=policy)
    assert client.get(key).bins == {"a": 2, "b": 1}


def test_policy_exists_update_creates_or_updates(client, key):
    policy = {"exists": aerospike_py.POLICY_EXISTS_UPDATE}
    client.put(key, {"a": 1}, policy=policy)
    client.put(key, {"b": 2}, policy=policy)
    assert client.get(key).bins == {"a": 1, "b": 2}


def test_replace_drops_bins_not_written(client, key):
    client.put(key, {"a": 1, "b": 2})
    client.put(key, {"c": 3}, policy={"exists": aerospike_py.POLICY_EXISTS_REPLACE})
    assert client.get(key).bins == {"c": 3}
    other = (key[0], key[1], "never-written")
    with pytest.raises(RecordNotFound):
        client.put(
            other, {"c": 3}, policy={"exists": aerospike_py.POLICY_EXISTS_REPLACE_ONLY}
        )


def test_ttl_read_back_is_remaining_seconds(client, key):
    client.put(key, {"a": 1}, meta={"ttl": 10})
    ttl = client.get(key).meta.ttl
    assert 9 <= ttl <= 10
    client.put(key, {"a": 1}, meta={"ttl": aerospike_py.TTL_NEVER_EXPIRE})
    assert client.get(key).meta.ttl == 4294967295


def test_ttl_dont_update_keeps_the_void_time(client, key):
    client.put(key, {"a": 1}, meta={"ttl": 1000})
    client.put(key, {"a": 2}, meta={"ttl": aerospike_py.TTL_DONT_UPDATE})
    assert 990 <= client.get(key).meta.ttl <= 1000


def test_increment_append_prepend(client, key):
    client.put(key, {"n": 1, "f": 1.5, "s": "b", "b": b"2"})
    client.increment(key, "n", 41)
    client.increment(key, "f", 1.0)
    client.increment(key, "new", 5)
    client.append(key, "s", "c")
    client.prepend(key, "s", "a")
    client.append(key, "b", b"3")
    assert client.get(key).bins == {"n": 42, "f": 2.5, "s": "abc", "b": b"23", "new": 5}


def test_increment_of_a_string_bin_raises_bin_type_error(client, key):
    client.put(key, {"s": "text"})
    with pytest.raises(BinTypeError):
        client.increment(key, "s", 1)


def test_touch_sets_ttl_and_bumps_generation(client, key):
    client.put(key, {"a": 1})
    client.touch(key, 500)
    meta = client.exists(key).meta
    assert meta.gen == 2
    assert 490 <= meta.ttl <= 500


def test_touch_of_missing_record_raises(client, key):
    with pytest.raises(RecordNotFound):
        client.touch(key, 10)


def test_operate_runs_ops_atomically_and_returns_results(client, key):
    client.put(key, {"n": 1})
    record = client.operate(
        key, [op.increment("n", 2), op.read("n"), op.write("s", "x")]
    )
    assert record.bins == {"n": 3}
    assert record.meta.gen == 2
    assert client.get(key).bins == {"n": 3, "s": "x"}


def test_operate_read_all_returns_every_bin(client, key):
    client.put(key, {"a": 1, "b": 2})
    assert client.operate(key, [op.increment("a", 1), op.read()]).bins == {
        "a": 2,
        "b": 2,
    }


def test_operate_ordered_keeps_both_reads_of_one_bin_in_order(client, key):
    client.put(key, {"n": 1})
    result = client.operate_ordered(
        key, [op.read("n"), op.increment("n", 1), op.read("n")]
    )
    assert [tuple(b) for b in result.ordered_bins] == [("n", 1), ("n", 2)]


def test_operate_with_failing_op_leaves_record_unchanged(client, key):
    client.put(key, {"n": 1, "s": "text"})
    with pytest.raises(BinTypeError):
        client.operate(key, [op.increment("n", 1), op.increment("s", 1)])
    assert client.get(key).bins == {"n": 1, "s": "text"}
    assert client.get(key).meta.gen == 1


def test_operate_delete_then_write_recreates(client, key):
    client.put(key, {"a": 1, "b": 2})
    client.operate(key, [op.delete(), op.write("c", 3)])
    assert client.get(key).bins == {"c": 3}


def test_operate_touch_resets_ttl(client, key):
    client.put(key, {"a": 1}, meta={"ttl": 100})
    client.operate(key, [op.touch()], meta={"ttl": 5000})
    assert 4990 <= client.get(key).meta.ttl <= 5000


def test_reads_after_a_touch_keep_their_results(client, key):
    # The server answers a touch with no entry at all; reads that follow it
    # must still be paired with their own answers.
    client.put(key, {"i": 5, "s": "x"})
    ops = [op.touch(), op.read("i"), op.write("w", 1), op.touch(), op.read("s")]
    assert client.operate(key, ops).bins == {"i": 5, "s": "x"}
    ordered = client.operate_ordered(key, ops).ordered_bins
    assert ordered == [("i", 5), ("s", "x")]
    batch = client.batch_operate([key], [op.touch(), op.read("i")])
    assert batch[0].bins == {"i": 5}


def test_send_key_stores_the_key(client, key):
    client.put(key, {"a": 1}, policy={"key": aerospike_py.POLICY_KEY_SEND})
    assert client.get(key).key.user_key == "key-1"


def test_integer_and_bytes_keys(client, aerospike_set):
    for user_key in (
        0,
        -1,
        2**63 - 1,
        -(2**63),
        b"raw\x00bytes",
        bytearray(b"ba"),
        "ünï",
    ):
        k = ("test", aerospike_set, user_key)
        client.put(k, {"k": repr(user_key)})
        assert client.get(k).bins == {"k": repr(user_key)}


def test_digest_only_key_reaches_the_same_record(client, key):
    client.put(key, {"a": 1})
    digest = client.get(key).key.digest
    record = client.get((key[0], key[1], None, digest))
    assert record.bins == {"a": 1}
    # A returned key (user key and digest of one record) works as given.
    assert client.get(client.get(key).key).bins == {"a": 1}


def test_user_key_and_digest_of_different_records_are_refused(client, key):
    other = (key[0], key[1], "other-record")
    client.put(key, {"who": "first"})
    client.put(other, {"who": "other"})
    digest = client.get(key).key.digest
    with pytest.raises(aerospike_py.exception.InvalidArgError, match="not the digest"):
        client.put((key[0], key[1], "other-record", digest), {"who": "changed"})
    assert client.get(key).bins == {"who": "first"}
    assert client.get(other).bins == {"who": "other"}


def test_key_ordered_map_keeps_its_order(client, key):
    value = aerospike_py.KeyOrderedDict([("a", 1), ("b", 2), ("c", 3)])
    client.put(key, {"m": value})
    read = client.get(key).bins["m"]
    assert list(read.items()) == [("a", 1), ("b", 2), ("c", 3)]
    assert isinstance(read, aerospike_py.KeyOrderedDict)


def test_large_values_round_trip(client, key):
    blob = bytes(range(256)) * 1000
    text = "x" * 100_000
    client.put(key, {"blob": blob, "text": text, "list": list(range(5000))})
    bins = client.get(key).bins
    assert (
        bins["blob"] == blob
        and bins["text"] == text
        and bins["list"] == list(range(5000))
    )


def test_record_over_the_size_limit_raises_record_too_big(client, key):
    with pytest.raises(aerospike_py.RecordTooBig):
        client.put(key, {"big": b"x" * (2 * 1024 * 1024)})


def test_policy_from_config_applies(aerospike_config, key):
    config = {
        **aerospike_config,
        "policies": {"write": {"key": aerospike_py.POLICY_KEY_SEND}},
    }
    with aerospike_py.client(config).connect() as c:
        c.put(key, {"a": 1})
        assert c.get(key).key.user_key == "key-1"
