"""The shared cache engine, through both clients."""

from __future__ import annotations

import datetime
import time

import pytest

import aerospike_py
from aerospike_py.cache import CacheMiss, Serializer, TTLForbiddenError
from aerospike_py.server import EmbeddedServer, NamespaceConfig


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (other.x, other.y) == (self.x, self.y)


@pytest.mark.parametrize(
    "value",
    [
        42,
        -7,
        1.5,
        "text",
        b"\x00bytes",
        True,
        [1, "a", [2.5]],
        {"a": {"b": [1, 2]}},
        (1, 2),
        {1, 2},
        datetime.date(2024, 1, 2),
        Point(1, 2),
        {"k": (1, 2)},
        "",
        0,
    ],
)
def test_values_round_trip_with_their_types(cache, value):
    cache.set("k", value, 60)
    got = cache.get("k")
    assert got == value
    assert type(got) is type(value)


def test_native_values_are_readable_by_any_client(
    cache, aerospike_client, aerospike_set
):
    cache.set("plain", {"a": [1, 2]}, 60)
    bins = aerospike_client.get(("test", aerospike_set, "plain")).bins
    assert bins == {"v": {"a": [1, 2]}}


def test_cached_none_is_a_hit(cache):
    cache.set("nothing", None, 60)
    assert cache.get("nothing", "default") is None
    assert cache.get_with_ttl("nothing")[0] is True
    assert cache.get("missing", "default") == "default"


def test_overwriting_a_serialized_value_with_a_native_one(cache):
    cache.set("k", (1, 2), 60)
    cache.set("k", 5, 60)
    assert cache.get("k") == 5
    assert cache.incr("k", 1) == 6


def test_add_does_not_overwrite_a_live_key(cache):
    assert cache.add("k", 1, 60) is True
    assert cache.add("k", 2, 60) is False
    assert cache.get("k") == 1


def test_delete_reports_whether_something_was_removed(cache):
    cache.set("k", 1, 60)
    assert cache.delete("k") is True
    assert cache.delete("k") is False
    assert cache.has("k") is False


def test_incr_is_atomic_and_keeps_the_ttl(cache):
    cache.set("n", 10, 1000)
    assert cache.incr("n", 5) == 15
    assert cache.incr("n", -20) == -5
    assert 990 <= cache.ttl("n") <= 1000


def test_incr_of_a_missing_key_raises_cache_miss(cache):
    with pytest.raises(CacheMiss):
        cache.incr("missing", 1)
    assert cache.incr("created", 3, create=True) == 3


def test_incr_of_a_non_integer_raises_type_error(cache):
    cache.set("s", "text", 60)
    with pytest.raises(TypeError):
        cache.incr("s", 1)
    cache.set("t", (1,), 60)
    with pytest.raises(TypeError):
        cache.incr("t", 1)
    cache.set("none", None, 60)
    with pytest.raises(TypeError):
        cache.incr("none", 1)
    assert cache.get("none", "default") is None


def test_ttl_expire_persist_touch(cache):
    assert cache.ttl("missing") == 0
    cache.set("k", 1, 100)
    assert 95 <= cache.ttl("k") <= 100
    assert cache.expire("k", 5000) is True
    assert 4990 <= cache.ttl("k") <= 5000
    assert cache.persist("k") is True
    assert cache.ttl("k") is None
    assert cache.touch("k", 30) is True
    assert 25 <= cache.ttl("k") <= 30
    assert cache.touch("missing", 30) is False
    cache.set("forever", 1, None)
    assert cache.ttl("forever") is None


def test_get_with_ttl_returns_the_remaining_lifetime(cache):
    cache.set("k", "v", 300)
    found, value, ttl = cache.get_with_ttl("k")
    assert found and value == "v" and 295 <= ttl <= 300


def test_many_key_calls(cache):
    assert cache.get_many([]) == {}
    assert cache.set_many({}, 60) == []
    assert cache.delete_many([]) == 0
    assert cache.set_many({"a": 1, "b": (2,), "c": None}, 60) == []
    assert cache.get_many(["a", "b", "c", "missing"]) == {"a": 1, "b": (2,), "c": None}
    assert cache.delete_many(["a", "b", "missing"]) == 2
    assert cache.get_many(["a", "b", "c"]) == {"c": None}


def test_clear_removes_only_this_caches_set(make_cache):
    mine = make_cache()
    other = make_cache(set_name="other_cache_set")
    mine.set("k", 1, 60)
    other.set("k", 2, 60)
    mine.clear()
    assert mine.get("k") is None
    assert other.get("k") == 2
    other.clear()


def test_lock_is_exclusive_and_released(cache):
    first = cache.lock("job", 10, blocking_timeout=0)
    second = cache.lock("job", 10, blocking_timeout=0)
    assert first.acquire() is True
    assert first.locked() is True
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()
    assert first.locked() is False


def test_get_or_set_computes_once(cache):
    calls = []

    def compute():
        calls.append(1)
        return "value"

    assert cache.get_or_set("k", compute, 60) == "value"
    assert cache.get_or_set("k", compute, 60) == "value"
    assert cache.get_or_set("locked", compute, 60, lock_timeout=5) == "value"
    assert cache.get_or_set("locked", compute, 60, lock_timeout=5) == "value"
    assert len(calls) == 2


@pytest.mark.parametrize("serializer", ["json", "msgpack", "pickle"])
def test_selectable_serializers(make_cache, serializer):
    cache = make_cache(serializer=serializer, native=False)
    cache.set("k", {"a": [1, 2]}, 60)
    assert cache.get("k") == {"a": [1, 2]}


def test_a_custom_serializer_reads_back_its_own_values(make_cache):
    reversed_text = Serializer(
        "reversed", "r", lambda v: repr(v)[::-1].encode(), lambda b: b.decode()[::-1]
    )
    cache = make_cache(serializer=reversed_text)
    cache.set("k", (1, "a"), 60)
    assert cache.get("k") == "(1, 'a')"


def test_compression_above_the_threshold(make_cache, aerospike_client, aerospike_set):
    cache = make_cache(compress_min_length=100)
    big = ("x" * 5000,)
    cache.set("big", big, 60)
    stored = aerospike_client.get(("test", aerospike_set, "big")).bins
    assert stored["f"] == "pz"
    assert len(stored["v"]) < 500
    assert cache.get("big") == big


@pytest.mark.parametrize("big", ["x" * (2 << 20), b"y" * (2 << 20)])
def test_long_text_and_bytes_are_compressed_too(
    make_cache, aerospike_client, aerospike_set, big
):
    cache = make_cache(compress_min_length=100)
    assert cache.set("big", big, 60) is True  # 2 MiB raw would be refused
    stored = aerospike_client.get(("test", aerospike_set, "big")).bins
    assert stored["f"] == "pz"
    assert cache.get("big") == big
    cache.set("short", "x" * 99, 60)  # under the threshold: a native bin
    assert aerospike_client.get(("test", aerospike_set, "short")).bins == {
        "v": "x" * 99
    }


def test_text_with_lone_surrogates_round_trips(cache):
    value = {"a": "bad \ud800 text", "b": ["\udc80"]}
    cache.set("s", "\ud800", 60)
    cache.set("nested", value, 60)
    assert cache.get("s") == "\ud800"
    assert cache.get("nested") == value
    cache.set("key \udc80", 1, 60)  # a key that is not valid UTF-8
    assert cache.get("key \udc80") == 1
    assert cache.get("key \udc81") is None


def test_unserializable_value_names_the_key(make_cache):
    cache = make_cache(serializer="json", native=False)
    with pytest.raises(TypeError, match="'bad'"):
        cache.set("bad", {1, 2}, 60)


def test_value_too_big_is_refused_and_old_value_removed(cache):
    cache.set("k", "small", 60)
    assert cache.set("k", b"x" * (2 * 1024 * 1024), 60) is False
    assert cache.get("k", "gone") == "gone"


def test_set_many_with_a_value_too_big_removes_its_old_value(cache):
    cache.set("a", "old", 60)
    cache.set("c", "kept", 60)
    failed = cache.set_many({"a": b"x" * (2 * 1024 * 1024), "b": "new"}, 60)
    assert failed == ["a"]
    assert cache.get("a", "gone") == "gone"
    assert cache.get_many(["a", "b", "c"]) == {"b": "new", "c": "kept"}


def test_a_value_too_big_is_not_added_and_get_or_set_still_answers(cache):
    big = b"x" * (2 * 1024 * 1024)

    assert cache.add("k", big, 60) is False
    assert cache.get("k", "missing") == "missing"
    assert cache.get_or_set("k", big, 60) == big


def test_very_long_keys_work(cache):
    key = "k" * 5000
    cache.set(key, 1, 60)
    assert cache.get(key) == 1


def test_namespace_without_expiry_explains_the_fix(client_factory):
    with EmbeddedServer(namespaces=[NamespaceConfig("plain", nsup_period=0)]) as server:
        from aerospike_py.cache import CacheEngine

        client = aerospike_py.client(server.client_config()).connect()
        try:
            cache = CacheEngine(client, namespace="plain", set_name="c")
            with pytest.raises(TTLForbiddenError, match="nsup-period"):
                cache.set("k", 1, 60)
            assert cache.set("k", 1, None) is True
        finally:
            client.close()


def test_ignore_exceptions_turns_an_outage_into_misses():
    from aerospike_py.cache import CacheEngine

    server = EmbeddedServer().start()
    config = server.client_config()
    client = aerospike_py.client(config).connect()
    try:
        cache = CacheEngine(client, set_name="c", ignore_exceptions=True)
        cache.set("k", 1, 60)
        server.stop()
        start = time.monotonic()
        assert cache.get("k", "fallback") == "fallback"
        assert cache.set("k", 2, 60) is False
        assert cache.get_many(["k"]) == {}
        assert time.monotonic() - start < 5
        strict = CacheEngine(client, set_name="c")
        with pytest.raises(aerospike_py.ClusterError):
            strict.get("k")
    finally:
        client.close()
        server.stop()


@pytest.mark.parametrize(
    ("start", "delta"),
    [
        (2**63 - 1, 1),
        (2**63 - 10, 10),
        (-(2**63), -1),
        (0, 2**63),
        (5, 2**64),
        (-1, 2**64),
        (0, 2**64 - 1),
        (1, -(2**64) + 1),
    ],
)
def test_incr_past_64_bits_raises_overflow_and_keeps_the_value(cache, start, delta):
    cache.set("n", start, 60)

    with pytest.raises(OverflowError, match="'n' cannot change by"):
        cache.incr("n", delta)

    assert cache.get("n") == start


def test_incr_up_to_the_64_bit_limits_still_works(cache):
    cache.set("n", 2**63 - 2, 60)
    assert cache.incr("n") == 2**63 - 1
    cache.set("m", -(2**63) + 1, 60)
    assert cache.incr("m", -1) == -(2**63)


@pytest.mark.parametrize(
    ("start", "delta"),
    [
        (-5, 2**63),  # decr(k, -2**63) from -5: the result fits
        (-(2**63), 2**64 - 1),
        (2**63 - 1, -(2**64) + 1),
        (-1, 2**63),
        (10, -(2**63) - 5),
    ],
)
def test_incr_by_more_than_64_bits_works_when_the_result_fits(cache, start, delta):
    cache.set("n", start, 60)
    assert cache.incr("n", delta) == start + delta
    assert cache.get("n") == start + delta


def test_locks_in_a_namespace_without_expiry_explain_the_fix():
    from aerospike_py.cache import CacheEngine

    with EmbeddedServer(namespaces=[NamespaceConfig("plain", nsup_period=0)]) as server:
        client = aerospike_py.client(server.client_config()).connect()
        try:
            cache = CacheEngine(client, namespace="plain", set_name="c")
            with pytest.raises(TTLForbiddenError, match="so cache locks cannot"):
                cache.lock("job", 10).acquire()
            with pytest.raises(TTLForbiddenError, match="without lock_timeout"):
                cache.get_or_set("k", 1, None, lock_timeout=5)
        finally:
            client.close()


def test_get_or_set_with_a_lock_computes_without_it_during_an_outage():
    from aerospike_py.cache import CacheEngine

    server = EmbeddedServer().start()
    client = aerospike_py.client(server.client_config()).connect()
    calls = []
    try:
        cache = CacheEngine(client, set_name="c", ignore_exceptions=True)
        server.stop()

        value = cache.get_or_set(
            "k", lambda: calls.append(1) or "fresh", 60, lock_timeout=5
        )

        assert (value, calls) == ("fresh", [1])
        strict = CacheEngine(client, set_name="c")
        with pytest.raises(aerospike_py.ClusterError):
            strict.get_or_set("k", "x", 60, lock_timeout=5)
    finally:
        client.close()
        server.stop()


@pytest.mark.parametrize("lock_timeout", [None, 5])
def test_get_or_set_spends_one_timeout_in_an_outage_not_three(lock_timeout):
    from aerospike_py.cache import CacheEngine

    read = {"total_timeout": 300, "max_retries": 0}
    with EmbeddedServer() as server:
        client = aerospike_py.client(
            server.client_config(policies={"read": read})
        ).connect()
        try:
            cache = CacheEngine(client, set_name="c", ignore_exceptions=True)
            server.stop_answering()
            value = cache.get_or_set("k", "fresh", 60, lock_timeout=lock_timeout)
            node = client.get_stats()["nodes"][0]
            server.resume_answering()
        finally:
            client.close()
    assert value == "fresh"
    # The read that timed out, and no add, lock or second read after it.
    assert (node["commands"], node["timeouts"]) == (1, 1)


def test_iter_keys_and_delete_pattern_match_globs_on_the_server(cache):
    for key in ("user:1", "user:2", "user:10", "session:1", "user[x]"):
        cache.set(key, 1, 60)
    assert cache.iter_keys("user:?") == ["user:1", "user:2"]
    assert cache.iter_keys("user:*") == ["user:1", "user:10", "user:2"]
    assert cache.iter_keys("user[[]x]") == ["user[x]"]
    assert cache.iter_keys() == sorted(
        ["user:1", "user:2", "user:10", "session:1", "user[x]"]
    )
    assert cache.delete_pattern("user:*") == 3
    assert cache.iter_keys() == ["session:1", "user[x]"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("user|*", ["user|1", "user|2"]),
        ("f(1)", ["f(1)"]),
        ("f(*", ["f(1)"]),
        ("a+b", ["a+b"]),
        ("x{2}", ["x{2}"]),
        ("a.c", ["a.c"]),
        ("^a$", ["^a$"]),
        ("back\\slash", ["back\\slash"]),
    ],
)
def test_glob_punctuation_is_literal_and_never_widens_a_delete(
    cache, pattern, expected
):
    keys = ["user|1", "user|2", "other", "f(1)", "f1", "a+b", "aab", "x{2}", "xx"]
    keys += ["a.c", "abc", "^a$", "a", "back\\slash"]
    for key in keys:
        cache.set(key, 1, 60)
    assert cache.iter_keys(pattern) == expected
    assert cache.delete_pattern(pattern) == len(expected)
    assert sorted(cache.iter_keys()) == sorted(set(keys) - set(expected))
