"""The Lua record API: bins, aerospike:create/update/remove, metadata."""

from __future__ import annotations

import logging

import pytest

import aerospike_py
from aerospike_py import exp
from aerospike_py.exception import FilteredOut, RecordNotFound, UDFError

RECORDS = """
function store(rec, bin, value)
  rec[bin] = value
  if aerospike:exists(rec) then
    return aerospike:update(rec)
  end
  return aerospike:create(rec)
end

function create(rec, value)
  rec["v"] = value
  return aerospike:create(rec)
end

function read(rec, bin)
  return rec[bin]
end

function delete_bin(rec, bin)
  rec[bin] = nil
  return aerospike:update(rec)
end

function assign_only(rec, bin, value)
  rec[bin] = value
  return rec[bin]
end

function remove(rec)
  return aerospike:remove(rec)
end

function exists(rec)
  return aerospike:exists(rec)
end

function touch(rec)
  return aerospike:update(rec)
end

function set_ttl(rec, ttl)
  rec["t"] = 1
  record.set_ttl(rec, ttl)
  return aerospike:update(rec)
end

function remaining_ttl(rec)
  return record.ttl(rec)
end

function metadata(rec)
  local m = map()
  m["gen"] = record.gen(rec)
  m["set"] = record.setname(rec)
  m["digest"] = record.digest(rec)
  m["key"] = record.key(rec)
  m["numbins"] = record.numbins(rec)
  local names = list()
  for _, name in ipairs(record.bin_names(rec)) do list.append(names, name) end
  m["names"] = names
  return m
end

function update_then_fail(rec)
  rec["a"] = 99
  aerospike:update(rec)
  error("after the update")
end

function bad_bin(rec)
  rec["x"] = {1, 2}
end

function append_in_place(rec, value)
  local l = rec["l"]
  list.append(l, value)
  rec["l"] = l
  aerospike:update(rec)
  return list.size(rec["l"])
end

function log_lines(rec, n)
  info("visited %d times", n)
  warn("careful")
  return 0
end
"""


def test_a_udf_creates_a_missing_record(client, register, key):
    module = register(RECORDS)

    assert client.apply(key, module, "create", ["first"]) == 0

    record = client.get(key)
    assert record.bins == {"v": "first"}
    assert record.meta.gen == 1


def test_create_of_an_existing_record_returns_1_and_changes_nothing(
    client, register, key
):
    module = register(RECORDS)
    client.put(key, {"v": "old"})

    assert client.apply(key, module, "create", ["new"]) == 1

    record = client.get(key)
    assert (record.bins, record.meta.gen) == ({"v": "old"}, 1)


def test_a_udf_updates_a_record_and_bumps_its_generation(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1, "b": 2})

    client.apply(key, module, "store", ["b", [1, {"x": b"\x01"}]])

    record = client.get(key)
    assert record.bins == {"a": 1, "b": [1, {"x": b"\x01"}]}
    assert record.meta.gen == 2


def test_a_udf_reads_bins_of_every_type(client, register, key):
    module = register(RECORDS)
    bins = {"i": 5, "f": 0.5, "s": "x", "b": b"\xff", "l": [1, None], "m": {1: "a"}}
    client.put(key, bins)

    read = {name: client.apply(key, module, "read", [name]) for name in bins}

    assert read == bins
    assert client.apply(key, module, "read", ["missing"]) is None


def test_reading_leaves_the_record_untouched(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})

    client.apply(key, module, "read", ["a"])

    assert client.get(key).meta.gen == 1


def test_assigning_nil_deletes_the_bin(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1, "b": 2})

    client.apply(key, module, "delete_bin", ["a"])

    assert client.get(key).bins == {"b": 2}


def test_assignments_without_update_are_seen_but_not_stored(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})

    assert client.apply(key, module, "assign_only", ["a", 2]) == 2

    assert client.get(key).bins == {"a": 1}


def test_a_list_changed_in_place_is_stored_when_reassigned(client, register, key):
    module = register(RECORDS)
    client.put(key, {"l": [1, 2]})

    assert client.apply(key, module, "append_in_place", ["three"]) == 3

    assert client.get(key).bins == {"l": [1, 2, "three"]}


def test_a_udf_removes_the_record(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})

    assert client.apply(key, module, "remove") == 0

    with pytest.raises(RecordNotFound):
        client.get(key)


def test_removing_every_bin_removes_the_record(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})

    client.apply(key, module, "delete_bin", ["a"])

    assert client.exists(key).meta is None


def test_remove_and_update_of_a_missing_record_change_nothing(client, register, key):
    module = register(RECORDS)

    assert client.apply(key, module, "remove") == 1
    assert client.apply(key, module, "touch") == -2
    assert client.exists(key).meta is None


def test_exists_tells_whether_the_record_is_there(client, register, key):
    module = register(RECORDS)

    assert client.apply(key, module, "exists") is False
    client.put(key, {"a": 1})
    assert client.apply(key, module, "exists") is True


def test_an_update_with_no_bin_change_still_touches_the_record(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})

    client.apply(key, module, "touch")

    assert client.get(key).meta.gen == 2


def test_record_set_ttl_sets_the_ttl_of_the_stored_record(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})

    client.apply(key, module, "set_ttl", [5000])

    ttl = client.get(key).meta.ttl
    assert 4990 <= ttl <= 5000
    assert 4990 <= client.apply(key, module, "remaining_ttl") <= 5000


def test_the_policy_ttl_applies_to_the_record_the_udf_writes(client, register, key):
    module = register(RECORDS)

    client.apply(key, module, "create", [1], policy={"ttl": 700})

    assert 690 <= client.get(key).meta.ttl <= 700


def test_record_metadata_functions(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1, "b": 2}, policy={"key": aerospike_py.POLICY_KEY_SEND})

    meta = client.apply(key, module, "metadata")

    digest = client.get(key).key.digest
    assert meta == {
        "gen": 1,
        "set": key[1],
        "digest": digest,
        "key": key[2],
        "numbins": 2,
        "names": ["a", "b"],
    }


def test_a_lua_error_after_an_update_stores_nothing(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})

    with pytest.raises(UDFError, match="after the update"):
        client.apply(key, module, "update_then_fail")

    record = client.get(key)
    assert (record.bins, record.meta.gen) == ({"a": 1}, 1)


def test_a_bin_of_an_unsupported_type_is_a_lua_error(client, register, key):
    module = register(RECORDS)

    with pytest.raises(UDFError, match="can't set bin x to unsupported type"):
        client.apply(key, module, "bad_bin")


def test_a_filter_expression_that_fails_skips_the_udf(client, register, key):
    module = register(RECORDS)
    client.put(key, {"a": 1})
    no_match = exp.eq(exp.int_bin("a"), 2)

    with pytest.raises(FilteredOut):
        client.apply(
            key, module, "store", ["a", 5], policy={"filter_expression": no_match}
        )

    assert client.get(key).bins == {"a": 1}


def test_lua_logging_goes_to_the_server_logger(client, register, key, caplog):
    module = register(RECORDS)
    caplog.set_level(logging.INFO, logger="aerospike_py.server")

    client.apply(key, module, "log_lines", [3])

    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert any(
        level == logging.INFO and text.endswith("visited 3 times")
        for level, text in messages
    )
    assert any(
        level == logging.WARNING and text.endswith("careful")
        for level, text in messages
    )
