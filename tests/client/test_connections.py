"""Pools, timeouts, retries, cancellation, thread safety and tending.

These tests inject faults (delayed or missing replies, a stopped server),
so each runs against a server of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
import time

import pytest

import aerospike_py
from aerospike_py.exception import (
    AerospikeTimeoutError,
    BackpressureError,
    ClusterError,
    NoMoreConnectionsError,
)
from aerospike_py.server import EmbeddedServer


@pytest.fixture
def own_server():
    with EmbeddedServer() as server:
        yield server


def _node_commands(server):
    return server.nodes[0].stats["commands"]


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def _fds_settle_at(expected, timeout=3.0):
    """True once the process has ``expected`` open descriptors.

    The embedded server lives in this process too; it closes its side of
    each connection a moment after the client closes its own.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _open_fds() == expected:
            return True
        time.sleep(0.02)
    return _open_fds() == expected


# -- pools ------------------------------------------------------------------


def test_thousand_concurrent_async_gets_share_eight_connections(own_server):
    async def main():
        config = own_server.client_config(max_conns_per_node=8)
        async with aerospike_py.async_client(config) as client:
            await client.connect()
            keys = [("test", "many", i) for i in range(100)]
            await asyncio.gather(*(client.put(k, {"i": k[2]}) for k in keys))
            gets = [
                client.get(keys[i % 100], {"total_timeout": 10_000})
                for i in range(1000)
            ]
            records = await asyncio.gather(*gets)
            stats = client.get_stats()["nodes"][0]["connections"]
            return records, stats

    records, stats = asyncio.run(main())
    assert [r.bins["i"] for r in records] == [i % 100 for i in range(1000)]
    assert stats["opened"] <= 8


def test_waiters_give_up_with_no_more_connections(own_server):
    async def main():
        config = own_server.client_config(max_conns_per_node=1)
        async with aerospike_py.async_client(config) as client:
            await client.connect()
            await client.put(("test", "pool", 1), {"a": 1})
            own_server.delay_replies(0.6)
            slow = asyncio.ensure_future(
                client.get(("test", "pool", 1), {"total_timeout": 3000})
            )
            await asyncio.sleep(0.05)
            with pytest.raises(NoMoreConnectionsError) as info:
                await client.get(("test", "pool", 1), {"total_timeout": 200})
            own_server.delay_replies(0)
            return (await slow).bins, info.value

    bins, error = asyncio.run(main())
    assert bins == {"a": 1}
    assert "max_conns_per_node" in str(error)


def test_min_conns_are_opened_at_connect(own_server):
    with aerospike_py.client(own_server.client_config(min_conns_per_node=4)) as client:
        client.connect()
        stats = client.get_stats()["nodes"][0]["connections"]
        assert stats["opened"] == 4
        assert stats["in_pool"] == 4


def test_idle_connections_are_closed_after_idle_timeout(own_server):
    config = own_server.client_config(idle_timeout=150, tend_interval=50)
    with aerospike_py.client(config).connect() as client:
        client.put(("test", "idle", 1), {"a": 1})
        assert client.get_stats()["nodes"][0]["connections"]["in_pool"] == 1
        time.sleep(0.5)
        stats = client.get_stats()["nodes"][0]["connections"]
        assert stats["in_pool"] == 0
        assert stats["closed"] >= 1
        assert client.get(("test", "idle", 1)).bins == {"a": 1}


def test_timed_out_connection_is_discarded_not_reused(own_server, client_factory):
    client = client_factory(own_server.client_config())
    client.put(("test", "dirty", 1), {"a": 1})
    own_server.delay_replies(0.4)
    with pytest.raises(AerospikeTimeoutError):
        client.get(("test", "dirty", 1), {"total_timeout": 100})
    own_server.delay_replies(0)
    time.sleep(0.5)  # the late reply arrives on the discarded socket
    for i in range(20):
        client.put(("test", "clean", i), {"v": i})
        assert client.get(("test", "clean", i)).bins == {"v": i}
    assert client.get_stats()["nodes"][0]["connections"]["closed"] >= 1


# -- timeouts and retries -----------------------------------------------------


def test_timeout_fires_near_total_timeout(own_server, client_factory):
    client = client_factory(own_server.client_config())
    client.put(("test", "slow", 1), {"a": 1})
    own_server.delay_replies(3.0)
    start = time.monotonic()
    with pytest.raises(AerospikeTimeoutError) as info:
        client.get(("test", "slow", 1), {"total_timeout": 300})
    elapsed = time.monotonic() - start
    own_server.delay_replies(0)
    assert 0.25 <= elapsed < 1.5
    assert "total_timeout=300" in str(info.value)
    assert info.value.in_doubt is False


def test_server_that_stops_answering_times_out(own_server, client_factory):
    client = client_factory(own_server.client_config())
    own_server.stop_answering()
    try:
        start = time.monotonic()
        with pytest.raises(AerospikeTimeoutError):
            client.get(("test", "mute", 1), {"total_timeout": 250})
        assert time.monotonic() - start < 1.5
    finally:
        own_server.resume_answering()


def test_socket_timeout_retries_until_max_retries(own_server, client_factory):
    client = client_factory(own_server.client_config())
    client.put(("test", "retry", 1), {"a": 1})
    before = _node_commands(own_server)
    own_server.delay_replies(0.3)
    policy = {"socket_timeout": 60, "total_timeout": 2000, "max_retries": 3}
    with pytest.raises(AerospikeTimeoutError) as info:
        client.get(("test", "retry", 1), policy)
    time.sleep(0.5)
    own_server.delay_replies(0)
    assert _node_commands(own_server) - before == 4  # one try and three retries
    assert "4 attempt(s)" in str(info.value)


def test_total_timeout_zero_means_no_deadline(own_server, client_factory):
    client = client_factory(own_server.client_config())
    client.put(("test", "nolimit", 1), {"a": 1})
    own_server.delay_replies(0.3)
    policy = {"total_timeout": 0, "socket_timeout": 0}
    assert client.get(("test", "nolimit", 1), policy).bins == {"a": 1}
    own_server.delay_replies(0)


def test_write_that_may_have_happened_is_in_doubt(own_server, client_factory):
    client = client_factory(own_server.client_config())
    own_server.delay_replies(0.4)
    with pytest.raises(AerospikeTimeoutError) as info:
        client.put(("test", "doubt", 1), {"a": 1}, policy={"total_timeout": 100})
    own_server.delay_replies(0)
    assert info.value.in_doubt is True
    assert "in doubt" in str(info.value)
    time.sleep(0.5)
    # it did happen: the server applied the write after the client gave up
    assert client.get(("test", "doubt", 1)).bins == {"a": 1}


def test_a_retry_refused_because_the_first_attempt_landed_is_in_doubt(
    own_server, client_factory
):
    client = client_factory(own_server.client_config())
    key = ("test", "doubt-create", 1)
    own_server.delay_replies(0.3)  # the first attempt is answered late...
    threading.Timer(0.15, own_server.delay_replies, args=(0,)).start()
    policy = {
        "exists": aerospike_py.POLICY_EXISTS_CREATE_ONLY,
        "socket_timeout": 100,
        "total_timeout": 3000,
        "max_retries": 1,
        "sleep_between_retries": 600,  # ...and applied before the retry
    }
    with pytest.raises(aerospike_py.exception.RecordExistsError) as info:
        client.put(key, {"v": 1}, policy=policy)
    assert info.value.in_doubt is True
    assert client.get(key).bins == {"v": 1}


def test_a_sent_write_whose_retry_finds_no_connection_is_in_doubt(own_server):
    key = ("test", "doubt-pool", 1)
    config = own_server.client_config(max_conns_per_node=1)
    with aerospike_py.client(config).connect() as client:
        client.put(key, {"n": 0})
        own_server.delay_replies(0.3)

        def queue_for_the_connection():
            time.sleep(0.01)  # behind the write, which then times out
            client.get(key, {"total_timeout": 2000, "socket_timeout": 0})

        blocker = threading.Thread(target=queue_for_the_connection)
        blocker.start()
        policy = {
            "socket_timeout": 100,
            "total_timeout": 400,
            "max_retries": 1,
            "sleep_between_retries": 20,
        }
        with pytest.raises(NoMoreConnectionsError) as info:
            client.increment(key, "n", 1, policy=policy)
        blocker.join()
        own_server.delay_replies(0)
        assert info.value.in_doubt is True
        time.sleep(0.4)
        assert client.get(key).bins == {"n": 1}


def test_writes_are_not_retried_by_default(own_server, client_factory):
    client = client_factory(own_server.client_config())
    before = _node_commands(own_server)
    own_server.delay_replies(0.3)
    with pytest.raises(AerospikeTimeoutError):
        client.put(
            ("test", "once", 1),
            {"a": 1},
            policy={"socket_timeout": 50, "total_timeout": 1000},
        )
    time.sleep(0.4)
    own_server.delay_replies(0)
    assert _node_commands(own_server) - before == 1


def test_sleep_between_retries_is_honoured(own_server, client_factory):
    client = client_factory(own_server.client_config())
    own_server.stop_answering()
    try:
        start = time.monotonic()
        policy = {
            "socket_timeout": 20,
            "total_timeout": 5000,
            "max_retries": 2,
            "sleep_between_retries": 150,
        }
        with pytest.raises(AerospikeTimeoutError):
            client.get(("test", "sleepy", 1), policy)
        elapsed = time.monotonic() - start
    finally:
        own_server.resume_answering()
    assert 0.3 <= elapsed < 2.0


# -- server loss and return -----------------------------------------------------


def test_stopped_server_gives_a_connection_error_then_recovers_on_restart():
    server = EmbeddedServer().start()
    port = server.port
    config = {"hosts": [("127.0.0.1", port)], "tend_interval": 50}
    client = aerospike_py.client(config).connect()
    try:
        client.put(("test", "restart", 1), {"a": 1})
        server.stop()
        with pytest.raises(ClusterError):
            client.get(("test", "restart", 1), {"max_retries": 0})
        time.sleep(0.3)  # tends fail meanwhile
        server = EmbeddedServer(port=port).start()
        client.put(("test", "restart", 2), {"b": 2})
        assert client.get(("test", "restart", 2)).bins == {"b": 2}
    finally:
        client.close()
        server.stop()


# -- cancellation ---------------------------------------------------------------


def test_cancelled_tasks_leave_no_dirty_connection(own_server):
    async def main():
        config = own_server.client_config(max_conns_per_node=4)
        async with aerospike_py.async_client(config) as client:
            await client.connect()
            for i in range(10):
                await client.put(("test", "cancel", i), {"v": i})
            own_server.delay_replies(0.2)
            tasks = [
                asyncio.ensure_future(client.get(("test", "cancel", i % 10)))
                for i in range(40)
            ]
            await asyncio.sleep(0.05)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            own_server.delay_replies(0)
            await asyncio.sleep(0.3)  # late replies reach closed sockets
            values = []
            for i in range(100):
                values.append((await client.get(("test", "cancel", i % 10))).bins["v"])
            return values, all(t.cancelled() for t in tasks)

    values, all_cancelled = asyncio.run(main())
    assert all_cancelled
    assert values == [i % 10 for i in range(100)]


# -- thread safety --------------------------------------------------------------


def test_one_client_shared_by_sixteen_threads(own_server):
    client = aerospike_py.client(own_server.client_config()).connect()
    errors = []

    def work(thread_id):
        try:
            for i in range(50):
                key = ("test", "threads", f"{thread_id}-{i}")
                client.put(key, {"t": thread_id, "i": i})
                assert client.get(key).bins == {"t": thread_id, "i": i}
                client.increment(("test", "threads", "counter"), "n", 1)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert client.get(("test", "threads", "counter")).bins["n"] == 16 * 50
    finally:
        client.close()


# -- close and tending ------------------------------------------------------------


def test_close_stops_the_tender_and_releases_every_socket(own_server):
    before = _open_fds()
    client = aerospike_py.client(
        own_server.client_config(min_conns_per_node=3)
    ).connect()
    client.put(("test", "close", 1), {"a": 1})
    assert any(t.name == "aerospike-tend" for t in threading.enumerate())
    client.close()
    client.close()  # twice is fine
    assert not any(t.name == "aerospike-tend" for t in threading.enumerate())
    assert _fds_settle_at(before)
    assert not client.is_connected()
    with pytest.raises(aerospike_py.ClientError, match="not connected"):
        client.get(("test", "close", 1))


def test_async_close_leaves_no_task_behind(own_server):
    async def main():
        client = aerospike_py.async_client(own_server.client_config())
        await client.connect()
        await client.put(("test", "aclose", 1), {"a": 1})
        await client.close()
        await client.close()
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    before = _open_fds()
    assert asyncio.run(main()) == []
    assert _fds_settle_at(before)


# The first loop ends with the client still connected: its sockets can only
# be reclaimed by the garbage collector, which rightly warns about them.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_async_client_used_from_another_event_loop_says_so(own_server):
    key = ("test", "loops", 1)
    client = aerospike_py.async_client(own_server.client_config())
    asyncio.run(client.connect())  # this loop ends with the call
    for _ in range(2):  # every call, at once, not a stale socket every other one
        started = time.monotonic()
        with pytest.raises(
            aerospike_py.exception.ClientError, match="another event loop"
        ):
            asyncio.run(client.put(key, {"a": 1}))
        assert time.monotonic() - started < 0.5

    async def reconnect_and_use():
        await client.connect()  # the first loop is closed: start afresh here
        await client.put(key, {"a": 2})
        record = await client.get(key)
        await client.close()
        return record.bins

    assert asyncio.run(reconnect_and_use()) == {"a": 2}
    assert not client.is_connected()
    gc.collect()  # the first loop's sockets, while the warning filter holds


def test_async_client_of_a_live_loop_refuses_another_loop(own_server):
    owner = asyncio.new_event_loop()
    client = aerospike_py.async_client(own_server.client_config())
    try:
        owner.run_until_complete(client.connect())
        with pytest.raises(
            aerospike_py.exception.ClientError, match="another event loop"
        ):
            asyncio.run(client.connect())
        # close() from elsewhere lets go; the owner loop closes the sockets.
        asyncio.run(client.close())
        assert not client.is_connected()
        owner.run_until_complete(asyncio.sleep(0.05))
        assert [t for t in asyncio.all_tasks(owner) if not t.done()] == []
    finally:
        owner.close()


def test_tending_only_checks_generations_when_nothing_changes(own_server):
    config = own_server.client_config(tend_interval=50)
    with aerospike_py.client(config).connect() as client:
        start = client.get_stats()
        time.sleep(0.6)
        end = client.get_stats()
    tends = end["tend_count"] - start["tend_count"]
    requests = end["tend_requests"] - start["tend_requests"]
    assert tends >= 5
    assert requests == tends  # one generation check per node per tend


def test_partition_generation_change_rereads_the_map(own_server):
    config = own_server.client_config(tend_interval=50)
    with aerospike_py.client(config).connect() as client:
        start = client.get_stats()["tend_requests"]
        own_server.run_in_loop(own_server.cluster.rebalance)
        time.sleep(0.4)
        extra = client.get_stats()["tend_requests"] - start
        assert client.get_stats()["nodes"][0]["partitions"] == {"test": 4096}
    # generation checks, plus one replicas read and one peers read
    assert extra >= 2


# -- backpressure ----------------------------------------------------------------


def test_backpressure_error_when_no_slot_frees_in_time(own_server):
    async def main():
        config = own_server.client_config(
            max_concurrent_operations=2, operation_queue_timeout_ms=100
        )
        async with aerospike_py.async_client(config) as client:
            await client.connect()
            await client.put(("test", "bp", 1), {"a": 1})
            own_server.delay_replies(0.5)
            results = await asyncio.gather(
                *(
                    client.get(("test", "bp", 1), {"total_timeout": 3000})
                    for _ in range(3)
                ),
                return_exceptions=True,
            )
            own_server.delay_replies(0)
            return results

    results = asyncio.run(main())
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], BackpressureError)
    assert sum(1 for r in results if not isinstance(r, Exception)) == 2


def test_cancelling_callers_queued_for_a_connection_leaves_the_pool_whole(
    own_server,
):
    key = ("test", "cancel-queue", 1)

    async def main():
        config = own_server.client_config(max_conns_per_node=2)
        async with aerospike_py.async_client(config) as client:
            await client.connect()
            await client.put(key, {"v": 1})
            for _ in range(30):  # callers cancelled while queued, at random points
                tasks = [asyncio.ensure_future(client.get(key)) for _ in range(60)]
                await asyncio.sleep(0.002)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                record = await asyncio.wait_for(client.get(key), 3)
                assert record.bins == {"v": 1}
            pool = client._cluster.nodes[0].pool
            return pool.in_use, pool.total

    in_use, total = asyncio.run(main())
    assert in_use == 0 and total <= 2


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_callers_sharing_one_connection_are_served_in_turn(own_server, kind):
    key = ("test", "turns", 1)
    config = own_server.client_config(max_conns_per_node=1)
    rounds = 200
    workers = 5

    if kind == "async":

        async def main():
            async with aerospike_py.async_client(config) as client:
                await client.connect()
                await client.put(key, {"v": 1})
                served = [0] * workers
                done = asyncio.Event()

                async def work(index):
                    while not done.is_set():
                        await client.get(key)
                        served[index] += 1
                        if served[index] >= rounds:
                            done.set()

                await asyncio.gather(*(work(i) for i in range(workers)))
                return served

        served = asyncio.run(main())
    else:
        with aerospike_py.client(config).connect() as client:
            client.put(key, {"v": 1})
            served = [0] * workers
            done = threading.Event()

            def work(index):
                while not done.is_set():
                    client.get(key)
                    served[index] += 1
                    if served[index] >= rounds:
                        done.set()

            threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    # Handed over in order, the connection serves every caller about equally.
    assert min(served) >= rounds * 0.8


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_info_timeout_covers_the_wait_for_a_busy_connection(own_server, kind):
    key = ("test", "info-wait", 1)
    config = own_server.client_config(max_conns_per_node=1)
    with aerospike_py.client(config).connect() as writer:
        writer.put(key, {"v": 1})

    def hold_and_ask(client_get, info):
        own_server.delay_replies(1.5)
        holder = threading.Thread(target=client_get)
        holder.start()
        time.sleep(0.1)  # the holder owns the only connection
        started = time.monotonic()
        with pytest.raises(NoMoreConnectionsError):
            info()
        waited = time.monotonic() - started
        holder.join()
        return waited

    if kind == "sync":
        with aerospike_py.client(config).connect() as client:
            waited = hold_and_ask(
                lambda: client.get(key, {"total_timeout": 0, "socket_timeout": 0}),
                lambda: client.info_random_node("build", policy={"timeout": 200}),
            )
    else:

        async def main():
            async with aerospike_py.async_client(config) as client:
                await client.connect()
                own_server.delay_replies(1.5)
                holder = asyncio.ensure_future(
                    client.get(key, {"total_timeout": 0, "socket_timeout": 0})
                )
                await asyncio.sleep(0.1)
                started = time.monotonic()
                with pytest.raises(NoMoreConnectionsError):
                    await client.info_random_node("build", policy={"timeout": 200})
                waited = time.monotonic() - started
                await holder
                return waited

        waited = asyncio.run(main())
    own_server.delay_replies(0)
    assert waited < 1.0  # the 200 ms budget, not the holder's 1.5 s reply


def test_ping_from_another_event_loop_says_false_and_touches_nothing(own_server):
    owner = asyncio.new_event_loop()
    client = aerospike_py.async_client(own_server.client_config())
    try:
        owner.run_until_complete(client.connect())
        assert asyncio.run(client.ping()) is False
        record = owner.run_until_complete(client.exists(("test", "ping", 1)))
        assert record.meta is None
        owner.run_until_complete(client.close())
    finally:
        owner.close()


@pytest.mark.parametrize("pause", [0.02, 0.08, 0.15])
def test_close_while_the_tender_refills_the_pool_ends_and_closes_all(own_server, pause):
    # idle_timeout of 1 ms: every tend (each 10 ms) trims the pool and refills it.
    config = own_server.client_config(
        min_conns_per_node=30, idle_timeout=1, tend_interval=10
    )

    async def main():
        for _ in range(3):
            client = aerospike_py.async_client(config)
            await client.connect()
            await asyncio.sleep(pause)
            await asyncio.wait_for(client.close(), 5)  # used to hang here

    before = _open_fds()
    asyncio.run(main())
    assert _fds_settle_at(before)


def test_a_connect_cancelled_while_filling_the_pool_leaves_no_socket(own_server):
    config = own_server.client_config(min_conns_per_node=200, max_conns_per_node=200)

    async def main():
        client = aerospike_py.async_client(config)
        task = asyncio.ensure_future(client.connect())
        await asyncio.sleep(0.02)  # some of the 200 are open by now
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not client.is_connected()

    before = _open_fds()
    asyncio.run(main())
    assert _fds_settle_at(before)


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_connect_in_a_new_loop_after_one_ended_with_callers_queued(own_server):
    key = ("test", "queued-loop", 1)
    client = aerospike_py.async_client(own_server.client_config(max_conns_per_node=1))
    first = asyncio.new_event_loop()
    first.run_until_complete(client.connect())
    first.run_until_complete(client.put(key, {"v": 1}))
    own_server.delay_replies(0.5)
    # One holds the connection, two queue for it.
    callers = [first.create_task(client.get(key)) for _ in range(3)]
    first.run_until_complete(asyncio.sleep(0.05))
    own_server.delay_replies(0)
    first.close()  # the loop ends with callers still queued
    assert not any(caller.done() for caller in callers[1:])

    async def again():
        await client.connect()
        record = await client.get(key)
        await client.close()
        return record.bins

    assert asyncio.run(again()) == {"v": 1}
    del callers, first  # the old loop's sockets go now, under the filter
    gc.collect()
