"""batch_apply: one UDF call per key, with per-key results."""

from __future__ import annotations

import pytest

from aerospike_py.exception import InvalidArgError
from aerospike_py.types import BatchWriteResult

COUNTERS = """
function bump(rec, by)
  local n = (rec["n"] or 0) + by
  rec["n"] = n
  if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end
  return n
end

function read(rec)
  return rec["n"]
end

function fail_on(rec, bad)
  if rec["n"] == bad then error("refused " .. bad) end
  return "ok"
end
"""


@pytest.fixture
def keys(aerospike_set):
    return [("test", aerospike_set, f"k{i}") for i in range(3)]


def test_batch_apply_returns_each_result_in_key_order(client, register, keys):
    module = register(COUNTERS)
    client.put(keys[0], {"n": 10})
    client.put(keys[2], {"n": 30})

    result = client.batch_apply(keys, module, "bump", [1])

    assert isinstance(result, BatchWriteResult)
    assert [r.result for r in result.batch_records] == [0, 0, 0]
    assert [r.record.bins["SUCCESS"] for r in result.batch_records] == [11, 1, 31]
    assert [r.key.user_key for r in result.batch_records] == ["k0", "k1", "k2"]
    assert [client.get(k).bins["n"] for k in keys] == [11, 1, 31]
    assert result.batch_records[0].record.meta.gen == 2


def test_a_lua_error_fails_only_its_key(client, register, keys):
    module = register(COUNTERS)
    for number, key in enumerate(keys):
        client.put(key, {"n": number})

    result = client.batch_apply(keys, module, "fail_on", [1])

    first, second, third = result.batch_records
    assert (first.result, first.record.bins) == (0, {"SUCCESS": "ok"})
    assert second.result == 100
    assert second.record.bins["FAILURE"].endswith(": refused 1")
    assert third.record.bins == {"SUCCESS": "ok"}


def test_per_key_meta_replaces_function_args_and_ttl(client, register, keys):
    module = register(COUNTERS)
    for key in keys:
        client.put(key, {"n": 5})

    result = client.batch_apply(
        [
            keys[0],
            (keys[1], {"args": [100], "ttl": 900}),
            (keys[2], {"function": "read"}),
        ],
        module,
        "bump",
        [1],
    )

    assert [r.record.bins["SUCCESS"] for r in result.batch_records] == [6, 105, 5]
    assert 890 <= client.get(keys[1]).meta.ttl <= 900
    assert client.get(keys[2]).meta.gen == 1


def test_per_key_meta_may_name_another_module(client, register, keys):
    module = register(COUNTERS)
    other = register('function read(rec) return "other" end', suffix="_other")

    result = client.batch_apply([keys[0], (keys[1], {"module": other})], module, "read")

    assert [r.record.bins["SUCCESS"] for r in result.batch_records] == [None, "other"]


def test_an_unknown_meta_key_names_the_key_position(client, keys):
    with pytest.raises(InvalidArgError, match=r"keys\[1\].*'gen'"):
        client.batch_apply([keys[0], (keys[1], {"gen": 2})], "m", "f")


def test_batch_apply_checks_the_call_before_sending(client, keys):
    with pytest.raises(InvalidArgError, match="UDF args"):
        client.batch_apply(keys, "m", "f", "not-a-list")


def test_batch_apply_takes_no_retry_argument(client, keys):
    with pytest.raises(TypeError):
        client.batch_apply(keys, "m", "f", None, None, 1)
