"""truncate through both clients, on a server of this module's own (a
namespace truncation must not touch the other tests' records)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from aerospike_py.exception import InvalidArgError, ServerError
from aerospike_py.server import EmbeddedServer


@pytest.fixture(scope="module")
def aerospike_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(namespaces=["test", "scratch"]) as server:
        yield server


def _count(client, namespace, set_name):
    return len(client.query(namespace, set_name).results())


def test_truncate_set_drops_its_records_and_keeps_other_sets(client, aerospike_set):
    for i in range(5):
        client.put(("test", aerospike_set, i), {"v": i})
        client.put(("test", aerospike_set[:50] + "_keep", i), {"v": i})
    client.truncate("test", aerospike_set)
    assert _count(client, "test", aerospike_set) == 0
    assert _count(client, "test", aerospike_set[:50] + "_keep") == 5
    client.put(("test", aerospike_set, "after"), {"v": 99})
    assert [r.bins["v"] for r in client.query("test", aerospike_set).results()] == [99]


def test_truncate_with_nanos_keeps_records_updated_later(client, server, aerospike_set):
    for i in range(3):
        client.put(("test", aerospike_set, f"old{i}"), {"v": i})
    time.sleep(0.005)
    cutoff = server.cluster.clock.now_ns()
    time.sleep(0.005)
    for i in range(3):
        client.put(("test", aerospike_set, f"new{i}"), {"v": 10 + i})
    client.truncate("test", aerospike_set, cutoff)
    records = client.query("test", aerospike_set).results()
    assert sorted(r.bins["v"] for r in records) == [10, 11, 12]


def test_truncate_namespace_with_none_or_empty_set(client):
    client.truncate("scratch", None)  # the other client kind's run wrote here
    for set_name in (None, ""):
        for i in range(4):
            client.put(("scratch", f"s{i % 2}", i), {"v": i})
        assert _count(client, "scratch", None) == 4
        client.truncate("scratch", set_name)
        assert _count(client, "scratch", None) == 0
    client.put(("scratch", "s0", "later"), {"v": 1})
    assert _count(client, "scratch", None) == 1


def test_truncate_of_a_set_never_written_changes_nothing(client, aerospike_set):
    client.truncate("test", aerospike_set[:50] + "_none")
    client.put(("test", aerospike_set[:50] + "_none", 1), {"v": 1})
    assert _count(client, "test", aerospike_set[:50] + "_none") == 1


def test_truncate_in_the_future_is_refused_by_the_server(client, aerospike_set):
    future = time.time_ns() + 3600 * 10**9
    with pytest.raises(ServerError, match="future") as info:
        client.truncate("test", aerospike_set, future)
    assert info.value.code == 4


@pytest.mark.parametrize("nanos", [-1, 1.5, True, "0", 1 << 64])
def test_truncate_refuses_bad_nanos(client, aerospike_set, nanos):
    with pytest.raises(InvalidArgError, match="nanos"):
        client.truncate("test", aerospike_set, nanos)


def test_truncate_refuses_bad_names(client):
    with pytest.raises(InvalidArgError, match="set name"):
        client.truncate("test", "s" * 64)
    with pytest.raises(InvalidArgError, match="namespace"):
        client.truncate("", "demo")


def test_truncate_undo_forgets_the_threshold(client, server, aerospike_set):
    client.put(("test", aerospike_set, 1), {"v": 1})
    client.truncate("test", aerospike_set)
    assert f"set={aerospike_set}:" in client.info_random_node("sets/test")
    entry = client.info_random_node(f"sets/test/{aerospike_set}")
    lut = int(entry.split("truncate_lut=")[1].split(":")[0])
    # Milliseconds since 2010-01-01, the server's epoch: about now.
    assert abs(lut - (time.time() - 1262304000) * 1000) < 60_000
    reply = client.info_random_node(f"truncate-undo:namespace=test;set={aerospike_set}")
    assert reply.strip() == "ok"
    entry = client.info_random_node(f"sets/test/{aerospike_set}")
    assert "truncate_lut=0:" in entry
    assert _count(client, "test", aerospike_set) == 0
