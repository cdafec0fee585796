"""The a* methods of AerospikeCache, served by the AsyncClient."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from aerospike_testproject.testing import cache_entry, closed_port, run_async
from django.core.cache import caches

from aerospike_py.cache import TTLForbiddenError
from aerospike_py.exception import ClusterError


@pytest.fixture
def cache():
    return caches["default"]


def test_basic_calls_round_trip(cache):
    async def scenario():
        await cache.aset("k", {"a": (1, 2)})
        assert await cache.aadd("k", "other") is False
        assert await cache.aget("k") == {"a": (1, 2)}
        assert await cache.ahas_key("k") is True
        assert await cache.adelete("k") is True
        return await cache.aget("k", "dflt")

    assert run_async(scenario) == "dflt"


def test_a_value_too_big_is_neither_added_nor_stored_by_get_or_set(cache, caplog):
    big = b"x" * (2 * 1024 * 1024)  # over the 1 MiB record limit

    async def scenario():
        added = await cache.aadd("k", big)
        computed = await cache.aget_or_set("k", lambda: big)
        return added, computed == big, await cache.ahas_key("k")

    with caplog.at_level(logging.WARNING, logger="aerospike_py.cache"):
        assert run_async(scenario) == (False, True, False)
    assert caplog.text.count("refused") == 2


def test_values_written_async_are_read_sync(cache):
    run_async(lambda: cache.aset_many({"a": 1, "b": None}, timeout=60))
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": None}
    assert 55 <= cache.ttl("a") <= 60


def test_zero_timeout_stores_nothing(cache):
    cache.set("k", "old")

    async def scenario():
        await cache.aset("k", "new", timeout=0)
        added = await cache.aadd("fresh", "v", timeout=-1)
        await cache.aset_many({"m": 1}, timeout=0)
        return added, await cache.aget_many(["k", "fresh", "m"])

    assert run_async(scenario) == (True, {})


def test_touch_expire_persist_and_ttl(cache):
    async def scenario():
        await cache.aset("k", "v", timeout=None)
        assert await cache.atouch("k", 30) is True
        first = await cache.attl("k")
        assert await cache.apersist("k") is True
        second = await cache.attl("k")
        assert await cache.aexpire("k", 0) is True
        return first, second, await cache.aget("k")

    first, second, value = run_async(scenario)
    assert 25 <= first <= 30 and second is None and value is None


def test_incr_decr_and_missing_key(cache):
    cache.set("n", 1, timeout=100)

    async def scenario():
        assert await cache.aincr("n", 4) == 5
        assert await cache.adecr("n") == 4
        with pytest.raises(ValueError, match="not found"):
            await cache.aincr("absent")
        return await cache.attl("n")

    assert 95 <= run_async(scenario) <= 100


def test_incr_past_64_bits_raises_overflow_and_keeps_the_value(cache):
    cache.set("big", 2**63 - 1)
    cache.set("small", -(2**63))

    async def scenario():
        with pytest.raises(OverflowError, match="Key 'big'"):
            await cache.aincr("big")
        with pytest.raises(OverflowError, match="Key 'small'"):
            await cache.adecr("small", 3)
        with pytest.raises(ValueError, match=r"^Key 'nokey' not found$"):
            await cache.aincr("nokey")
        return await cache.aget_many(["big", "small"])

    assert run_async(scenario) == {"big": 2**63 - 1, "small": -(2**63)}


def test_incr_version_keeps_the_ttl(cache):
    cache.set("k", "v", timeout=100)

    async def scenario():
        assert await cache.aincr_version("k") == 2
        assert await cache.adecr_version("k", version=2) == 1
        return await cache.aget("k"), await cache.attl("k")

    value, ttl = run_async(scenario)
    assert value == "v" and 95 <= ttl <= 100


def test_get_or_set_with_a_lock_computes_once(cache):
    calls = []

    def compute():
        calls.append(1)
        return "expensive"

    async def caller():
        return await cache.aget_or_set("k", compute, 60, lock_timeout=5)

    async def scenario():
        return await asyncio.gather(*(caller() for _ in range(5)))

    assert run_async(scenario) == ["expensive"] * 5
    assert calls == [1]


def test_lock_keys_and_delete_pattern(cache):
    async def scenario():
        async with cache.alock("job", timeout=5):
            assert await cache.alock("job", blocking_timeout=0.05).acquire() is False
        await cache.aset_many({"user:1": 1, "user:2": 2, "item:1": 3})
        keys = await cache.akeys("user:*")
        deleted = await cache.adelete_pattern("user:*")
        return keys, deleted, await cache.akeys()

    assert run_async(scenario) == (["user:1", "user:2"], 2, ["item:1"])


def test_clear_and_close(cache):
    cache.set("k", 1)
    caches["other"].set("k", 2)

    async def scenario():
        await cache.aclear()
        await cache.aclose()
        return await cache.aget("k"), await caches["other"].aget("k")

    assert run_async(scenario) == (None, 2)


def test_calls_run_concurrently_not_one_thread_at_a_time(cache, django_server):
    cache.set("k", "v")
    django_server.delay_replies(0.2)
    try:

        async def scenario():
            await cache.aget("warm-up")
            started = time.perf_counter()
            values = await asyncio.gather(*(cache.aget("k") for _ in range(10)))
            return values, time.perf_counter() - started

        values, elapsed = run_async(scenario)
    finally:
        django_server.delay_replies(0)
    assert values == ["v"] * 10
    # Ten 0.2 s round trips one after the other would take 2 s.
    assert elapsed < 1.0


def test_each_event_loop_gets_a_live_client(cache):
    first = run_async(cache.aget_client)
    second = run_async(cache.aget_client)
    assert first is not second
    assert not first.is_connected()
    run_async(lambda: cache.aset("k", 1))
    assert cache.get("k") == 1


def test_namespace_without_expiry_explains_the_fix(settings, set_prefix):
    settings.CACHES = {
        "plain": cache_entry(f"p_{set_prefix}", OPTIONS={"namespace": "plain"})
    }
    with pytest.raises(TTLForbiddenError, match="nsup-period"):
        run_async(lambda: caches["plain"].aset("k", 1))


def test_locks_in_a_namespace_without_expiry_explain_the_fix(settings, set_prefix):
    settings.CACHES = {
        "plain": cache_entry(f"p_{set_prefix}", OPTIONS={"namespace": "plain"})
    }
    plain = caches["plain"]

    async def lock():
        async with plain.alock("job", timeout=5):
            pass

    with pytest.raises(TTLForbiddenError, match="plain:nsup-period=120"):
        run_async(lock)
    with pytest.raises(TTLForbiddenError, match="without lock_timeout"):
        run_async(lambda: plain.aget_or_set("k", "v", None, lock_timeout=5))


def test_ignore_exceptions_fills_without_the_lock_of_get_or_set(settings, set_prefix):
    down = {"LOCATION": f"127.0.0.1:{closed_port()}"}
    settings.CACHES = {
        "down": cache_entry("d", OPTIONS={"ignore_exceptions": True}, **down),
        "strict": cache_entry("d", **down),
    }
    calls = []

    def compute():
        calls.append(1)
        return "fresh"

    async def scenario():
        with pytest.raises(ClusterError):
            await caches["strict"].aget_or_set("k", compute, 60, lock_timeout=1)
        return await caches["down"].aget_or_set("k", compute, 60, lock_timeout=1)

    assert run_async(scenario) == "fresh"
    assert calls == [1]


def test_ignore_exceptions_turns_an_outage_into_misses(settings, set_prefix):
    down = {"LOCATION": f"127.0.0.1:{closed_port()}"}
    settings.CACHES = {
        "down": cache_entry("d", OPTIONS={"ignore_exceptions": True}, **down),
        "strict": cache_entry("d", **down),
    }

    async def scenario():
        assert await caches["down"].aget("k", "dflt") == "dflt"
        await caches["down"].aset("k", 1)
        assert await caches["down"].aget_many(["k"]) == {}
        with pytest.raises(ClusterError):
            await caches["down"].adelete("k")
        with pytest.raises(ClusterError):
            await caches["strict"].aget("k")

    run_async(scenario)
