"""Scans (queries without where) through both clients."""

from __future__ import annotations

import asyncio
import time

import pytest

import aerospike_py
from aerospike_py import exp
from aerospike_py.exception import ClientError, InvalidArgError, ServerError
from aerospike_py.server import EmbeddedServer
from aerospike_py.wire.digest import partition_id


def test_scan_of_a_set_returns_every_record_with_key_and_meta(
    client, fill, aerospike_set
):
    fill(30, lambda i: {"v": i, "name": f"n{i}"}, policy={"key": 1})
    records = client.query("test", aerospike_set).results()
    assert sorted(r.bins["v"] for r in records) == list(range(30))
    record = next(r for r in records if r.bins["v"] == 7)
    assert record.key.namespace == "test"
    assert record.key.set_name == aerospike_set
    assert record.key.user_key == 7
    assert len(record.key.digest) == 20
    assert record.meta.gen == 1
    assert record.meta.ttl == 4294967295
    assert record.bins == {"v": 7, "name": "n7"}


def test_scan_without_send_key_has_digest_but_no_user_key(client, fill, aerospike_set):
    keys = fill(3, lambda i: {"v": i})
    records = client.query("test", aerospike_set).results()
    digests = {client.exists(k).key.digest for k in keys}
    assert {r.key.digest for r in records} == digests
    assert all(r.key.user_key is None for r in records)


def test_scan_of_the_namespace_includes_records_of_every_set(client, aerospike_set):
    client.put(("test", aerospike_set, 1), {"tag": aerospike_set})
    client.put(("test", aerospike_set[:50] + "_b", 2), {"tag": aerospike_set})
    client.put(("test", None, f"{aerospike_set}-nosetkey"), {"tag": aerospike_set})
    for set_name in (None, ""):
        records = client.query("test", set_name).results()
        mine = [r for r in records if r.bins.get("tag") == aerospike_set]
        assert sorted(r.key.set_name for r in mine) == sorted(
            ["", aerospike_set, aerospike_set[:50] + "_b"]
        )


def test_scan_of_an_unknown_set_is_empty(client, aerospike_set):
    assert client.query("test", aerospike_set[:50] + "_never").results() == []


def test_select_returns_only_named_bins_and_skips_records_without_them(
    client, fill, aerospike_set
):
    fill(6, lambda i: {"a": i, "b": -i} if i % 2 else {"b": -i})
    query = client.query("test", aerospike_set)
    query.select("a", "missing")
    records = query.results()
    assert sorted(r.bins["a"] for r in records) == [1, 3, 5]
    assert all(set(r.bins) == {"a"} for r in records)


def test_include_bin_data_false_returns_keys_and_meta_only(client, fill, aerospike_set):
    fill(4, lambda i: {"v": i})
    records = client.query("test", aerospike_set).results({"include_bin_data": False})
    assert len(records) == 4
    assert all(r.bins == {} and r.meta.gen == 1 for r in records)


def test_max_records_caps_the_number_returned(client, fill, aerospike_set):
    fill(40, lambda i: {"v": i})
    query = client.query("test", aerospike_set)
    assert len(query.results({"max_records": 15})) == 15
    assert len(query.results({"max_records": 1})) == 1
    assert len(query.results({"max_records": 100})) == 40


def test_partition_filters_split_a_scan_into_disjoint_parts(
    client, fill, aerospike_set
):
    fill(60, lambda i: {"v": i})
    query = client.query("test", aerospike_set)
    parts = [
        aerospike_py.partition_filter_by_range(0, 1000),
        aerospike_py.partition_filter_by_range(1000, 2000),
        aerospike_py.partition_filter_by_range(3000, 1096),
    ]
    seen = []
    for part in parts:
        records = query.results({"partition_filter": part})
        pids = {partition_id(r.key.digest) for r in records}
        assert all(part.begin <= pid < part.begin + part.count for pid in pids)
        seen.extend(r.bins["v"] for r in records)
    assert sorted(seen) == list(range(60))


def test_an_empty_partition_range_yields_nothing(client, fill, aerospike_set):
    fill(5, lambda i: {"v": i})
    empty = {"partition_filter": aerospike_py.partition_filter_by_range(0, 0)}
    query = client.query("test", aerospike_set)
    assert query.results(empty) == []
    seen: list = []
    query.foreach(seen.append, empty)
    assert seen == []


def test_partition_filter_by_id_reads_one_partition(client, fill, aerospike_set):
    keys = fill(20, lambda i: {"v": i})
    digest = client.exists(keys[3]).key.digest
    pid = partition_id(digest)
    policy = {"partition_filter": aerospike_py.partition_filter_by_id(pid)}
    records = client.query("test", aerospike_set).results(policy)
    assert 3 in [r.bins["v"] for r in records]
    assert {partition_id(r.key.digest) for r in records} == {pid}


def test_foreach_delivers_every_record(client, fill, aerospike_set):
    fill(25, lambda i: {"v": i})
    seen = []
    client.query("test", aerospike_set).foreach(lambda r: seen.append(r.bins["v"]))
    assert sorted(seen) == list(range(25))


def test_foreach_stops_when_the_callback_returns_false(client, fill, aerospike_set):
    fill(25, lambda i: {"v": i})
    seen = []

    def take_five(record):
        seen.append(record.bins["v"])
        return len(seen) < 5

    client.query("test", aerospike_set).foreach(take_five)
    assert len(seen) == 5


def test_foreach_error_in_callback_propagates_and_client_still_works(
    client, fill, aerospike_set
):
    fill(10, lambda i: {"v": i})

    def boom(record):
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        client.query("test", aerospike_set).foreach(boom)
    assert len(client.query("test", aerospike_set).results()) == 10


def test_foreach_with_max_records_stops_at_the_limit(client, fill, aerospike_set):
    fill(30, lambda i: {"v": i})
    seen = []
    client.query("test", aerospike_set).foreach(seen.append, {"max_records": 12})
    assert len(seen) == 12


def test_records_per_second_slows_the_scan(client, fill, aerospike_set):
    fill(12, lambda i: {"v": i})
    start = time.monotonic()
    records = client.query("test", aerospike_set).results({"records_per_second": 40})
    elapsed = time.monotonic() - start
    assert len(records) == 12
    assert elapsed >= 0.2  # 12 records at 40/s take about 0.3 s


def test_expression_filters_the_scan(client, fill, aerospike_set):
    fill(20, lambda i: {"v": i})
    policy = {"expressions": exp.gt(exp.int_bin("v"), exp.int_val(14))}
    records = client.query("test", aerospike_set).results(policy)
    assert sorted(r.bins["v"] for r in records) == [15, 16, 17, 18, 19]


def test_scan_of_an_unknown_namespace_raises_code_20(client):
    with pytest.raises(ServerError) as info:
        client.query("nosuchns", "demo").results()
    assert info.value.code == 20


def test_scan_sees_expired_records_disappear(client, server, aerospike_set):
    client.put(("test", aerospike_set, "short"), {"v": 1}, meta={"ttl": 100})
    client.put(("test", aerospike_set, "long"), {"v": 2})
    server.advance_clock(101)
    try:
        records = client.query("test", aerospike_set).results()
    finally:
        server.advance_clock(-101)
    assert [r.bins["v"] for r in records] == [2]


@pytest.mark.parametrize(
    ("namespace", "set_name"),
    [("", "demo"), (None, "demo"), ("x" * 32, "demo"), ("test", "s" * 64)],
)
def test_query_refuses_bad_names(client, namespace, set_name):
    with pytest.raises(InvalidArgError):
        client.query(namespace, set_name)


def test_select_refuses_a_long_bin_name(client, aerospike_set):
    query = client.query("test", aerospike_set)
    with pytest.raises(InvalidArgError, match="bin name"):
        query.select("b" * 16)


@pytest.mark.parametrize(
    "policy",
    [
        {"max_records": -1},
        {"records_per_second": "fast"},
        {"partition_filter": (0, 10)},
        {"no_such_key": 1},
    ],
)
def test_bad_query_policy_raises_invalid_arg(client, aerospike_set, policy):
    with pytest.raises(InvalidArgError):
        client.query("test", aerospike_set).results(policy)


def test_foreach_refuses_a_non_callable(client, aerospike_set):
    with pytest.raises(InvalidArgError, match="callable"):
        client.query("test", aerospike_set).foreach("not a function")


def test_query_on_a_closed_client_raises_client_error(aerospike_config):
    closed = aerospike_py.client(aerospike_config)
    with pytest.raises(ClientError):
        closed.query("test", "demo")


def test_total_timeout_stops_a_slow_scan(client, fill, aerospike_set):
    fill(30, lambda i: {"v": i})
    policy = {"records_per_second": 20, "total_timeout": 200}
    with pytest.raises(aerospike_py.AerospikeTimeoutError):
        client.query("test", aerospike_set).results(policy)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_scan_resumes_on_the_remaining_node_when_one_stops(kind):
    with EmbeddedServer(nodes=2) as cluster:
        seen = []

        def stop_second_node(record):
            seen.append(record.key.digest)
            if len(seen) == 10:
                cluster.stop_node(1)

        # Slow enough that the stop lands mid-stream.
        policy = {"records_per_second": 400, "max_retries": 5}
        with aerospike_py.client(cluster.client_config()).connect() as writer:
            for i in range(200):
                writer.put(("test", "loss", i), {"v": i})
        if kind == "sync":
            with aerospike_py.client(cluster.client_config()).connect() as client:
                client.query("test", "loss").foreach(stop_second_node, policy)
        else:

            async def scan():
                async with aerospike_py.async_client(cluster.client_config()) as ac:
                    await ac.connect()
                    await ac.query("test", "loss").foreach(stop_second_node, policy)

            asyncio.run(scan())
    assert len(seen) == 200
    assert len(set(seen)) == 200


def test_foreach_delivers_records_while_the_scan_still_runs(
    client, fill, aerospike_set
):
    fill(40, lambda i: {"v": i})
    arrivals = []
    start = time.monotonic()
    client.query("test", aerospike_set).foreach(
        lambda record: arrivals.append(time.monotonic() - start),
        {"records_per_second": 50},
    )
    assert len(arrivals) == 40
    # Paced at 50 a second the scan lasts about 0.8 s; the first record
    # must not wait for the last.
    assert arrivals[0] < 0.3 < arrivals[-1]


def test_a_scan_whose_filter_passes_nothing_lets_other_requests_through():
    import threading

    from aerospike_py import exp
    from aerospike_py import operations as op
    from aerospike_py.server import EmbeddedServer

    with EmbeddedServer() as server:
        client = aerospike_py.client(server.client_config()).connect()
        keys = [("test", "big", i) for i in range(20_000)]
        client.batch_operate(keys, [op.write("v", 1)])
        client.put(("test", "other", "k"), {"a": 1})
        finished = []
        started = threading.Event()

        def scan():
            started.set()
            never = {"expressions": exp.eq(exp.int_bin("v"), -1)}
            assert client.query("test", "big").results(never) == []
            finished.append("scan")

        worker = threading.Thread(target=scan)
        worker.start()
        started.wait()
        time.sleep(0.05)  # the scan is under way on the server
        assert client.get(("test", "other", "k")).bins == {"a": 1}
        finished.append("get")
        worker.join()
        client.close()

        assert finished == ["get", "scan"]


def test_async_foreach_awaits_an_async_callback(aerospike_config, fill, aerospike_set):
    fill(30, lambda i: {"v": i})
    seen: list[int] = []

    async def collect(record):
        await asyncio.sleep(0)
        seen.append(record.bins["v"])
        return len(seen) < 12  # False on the twelfth record stops the scan

    async def scan():
        async with aerospike_py.async_client(aerospike_config) as client:
            await client.connect()
            await client.query("test", aerospike_set).foreach(collect)

    asyncio.run(scan())
    assert len(seen) == 12


def test_blocking_foreach_refuses_an_async_callback(
    aerospike_config, fill, aerospike_set
):
    fill(3, lambda i: {"v": i})

    async def collect(record):
        return True

    with aerospike_py.client(aerospike_config).connect() as client:
        with pytest.raises(aerospike_py.exception.InvalidArgError, match="async def"):
            client.query("test", aerospike_set).foreach(collect)
        assert client.get(("test", aerospike_set, 0)).bins == {"v": 0}
