"""AerospikeCache through Django's cache API, against the embedded server."""

from __future__ import annotations

import logging
import threading
import time
import warnings

import pytest
from aerospike_testproject.testing import cache_entry, closed_port
from django.core.cache import caches
from django.core.cache.backends.base import CacheKeyWarning
from django.core.exceptions import ImproperlyConfigured

from aerospike_py.cache import TTLForbiddenError
from aerospike_py.exception import ClusterError
from django_aerospike.cache import AerospikeCache, get_aerospike_client

HOUR = 3600
TEN_YEARS = 315_360_000  # Aerospike's longest TTL
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
TOO_BIG = b"x" * (2 * 1024 * 1024)  # over the 1 MiB record limit


@pytest.fixture
def cache():
    return caches["default"]


def use_cache(settings, set_prefix, **entry):
    """Configure CACHES['custom'] and return that cache."""
    settings.CACHES = {
        **settings.CACHES,
        "custom": cache_entry(f"x_{set_prefix}", **entry),
    }
    return caches["custom"]


# -- basic operations ---------------------------------------------------------


def test_get_returns_what_set_stored(cache):
    cache.set("greeting", {"text": "hello", "n": (1, 2)})
    assert cache.get("greeting") == {"text": "hello", "n": (1, 2)}


def test_get_of_a_missing_key_returns_the_default(cache):
    assert cache.get("absent") is None
    assert cache.get("absent", "dflt") == "dflt"


def test_a_cached_none_is_a_hit(cache):
    cache.set("k", None)
    assert cache.get("k", "dflt") is None
    assert cache.has_key("k") and "k" in cache
    assert cache.get_or_set("k", "computed") is None


def test_add_stores_only_when_the_key_is_absent(cache):
    assert cache.add("k", "first") is True
    assert cache.add("k", "second") is False
    assert cache.get("k") == "first"


def test_delete_reports_whether_the_key_existed(cache):
    cache.set("k", 1)
    assert cache.delete("k") is True
    assert cache.delete("k") is False
    assert cache.get("k") is None


def test_values_keep_their_python_types(cache):
    values = {
        "int": 7,
        "float": 1.5,
        "str": "text",
        "bytes": b"\x00\xff",
        "bool": True,
        "tuple": (1, "a"),
        "set": {1, 2},
        "nested": {"a": [1, {"b": (2,)}]},
        "int_keys": {1: "one"},
    }
    cache.set_many(values)
    for key, value in values.items():
        got = cache.get(key)
        assert got == value and type(got) is type(value), key


# -- timeouts: Django's meaning, never Aerospike's ----------------------------


def test_timeout_none_never_expires(cache, django_server):
    cache.set("k", "v", timeout=None)
    assert cache.ttl("k") is None
    django_server.advance_clock(10 * 365 * 24 * HOUR)
    assert cache.get("k") == "v"


def test_infinite_timeouts_follow_their_sign_and_nan_is_refused(cache):
    cache.set("forever", 1, float("inf"))
    assert cache.get("forever") == 1
    assert cache.ttl("forever") is None
    cache.set("gone", 1, float("-inf"))
    assert cache.get("gone") is None
    with pytest.raises(ValueError, match="NaN"):
        cache.set("k", 1, float("nan"))


def test_default_timeout_is_the_alias_timeout(settings, set_prefix, django_server):
    custom = use_cache(settings, set_prefix, TIMEOUT=60)
    custom.set("k", "v")
    assert 55 <= custom.ttl("k") <= 60
    django_server.advance_clock(61)
    assert custom.get("k") is None


def test_alias_timeout_none_means_forever(settings, set_prefix):
    custom = use_cache(settings, set_prefix, TIMEOUT=None)
    custom.set("k", "v")
    assert custom.ttl("k") is None


def test_explicit_timeout_is_the_record_ttl(cache, django_server):
    cache.set("k", "v", timeout=30)
    assert 25 <= cache.ttl("k") <= 30
    django_server.advance_clock(31)
    assert cache.get("k") is None


@pytest.mark.parametrize("timeout", [0, -1, -3600])
def test_zero_or_negative_timeout_stores_nothing(cache, timeout):
    cache.set("old", "stale")
    cache.set("old", "new", timeout=timeout)
    assert cache.get("old") is None
    assert cache.add("fresh", "v", timeout=timeout) is True
    assert cache.get("fresh") is None
    cache.set_many({"a": 1, "b": 2}, timeout=timeout)
    assert cache.get_many(["a", "b"]) == {}


def test_add_with_zero_timeout_still_reports_a_live_key(cache):
    cache.set("k", "v")
    assert cache.add("k", "other", timeout=0) is False
    assert cache.get("k") == "v"


def test_fractional_timeout_rounds_up_to_a_whole_second(cache):
    cache.set("k", "v", timeout=0.4)
    assert cache.get("k") == "v"
    assert cache.ttl("k") == 1


def test_timeout_beyond_thirty_days_is_relative(cache):
    month = 60 * 60 * 24 * 30 + 1
    cache.set("k", "v", timeout=month)
    assert month - 5 <= cache.ttl("k") <= month


def test_timeout_beyond_ten_years_is_cut_to_the_longest_ttl(cache):
    cache.set("k", "v", 10**10)
    assert cache.get("k") == "v"
    assert TEN_YEARS - 5 <= cache.ttl("k") <= TEN_YEARS
    assert cache.add("new", "v", timeout=10**12) is True
    assert cache.touch("k", 10**10) is True
    cache.set_many({"a": 1}, timeout=TEN_YEARS + 1)
    assert cache.get_or_set("made", "v", timeout=10**10) == "v"
    for key in ("new", "k", "a", "made"):
        assert TEN_YEARS - 5 <= cache.ttl(key) <= TEN_YEARS


def test_touch_sets_a_new_timeout(cache, django_server):
    cache.set("k", "v", timeout=10)
    assert cache.touch("k", 100) is True
    django_server.advance_clock(50)
    assert cache.get("k") == "v"
    assert cache.touch("k", None) is True
    assert cache.ttl("k") is None
    assert cache.touch("absent") is False


def test_touch_with_zero_timeout_expires_the_key(cache):
    cache.set("k", "v")
    assert cache.touch("k", 0) is True
    assert cache.get("k") is None


# -- keys: prefix, version, key function, warnings ----------------------------


def test_key_prefix_separates_caches_sharing_a_set(settings, set_prefix):
    shared = {"OPTIONS": {"set": f"shared_{set_prefix}"}}
    settings.CACHES = {
        "a": cache_entry("unused", KEY_PREFIX="a", **shared),
        "b": cache_entry("unused", KEY_PREFIX="b", **shared),
    }
    caches["a"].set("k", "from a")
    caches["b"].set("k", "from b")
    assert caches["a"].get("k") == "from a"
    assert caches["b"].get("k") == "from b"


def test_versions_are_separate_entries(cache):
    cache.set("k", "v1", version=1)
    cache.set("k", "v2", version=2)
    assert cache.get("k", version=1) == "v1"
    assert cache.get("k", version=2) == "v2"
    assert cache.get("k") == "v1"


def test_alias_version_is_the_default_version(settings, set_prefix):
    custom = use_cache(settings, set_prefix, VERSION=3)
    custom.set("k", "v")
    assert custom.get("k", version=3) == "v"
    assert custom.get("k", version=1) is None


def test_key_function_from_a_dotted_path(settings, set_prefix):
    custom = use_cache(
        settings, set_prefix, KEY_FUNCTION="aerospike_testproject.testing.upper_key"
    )
    custom.set("k", "v")
    assert custom.get("k") == "v"
    assert custom.keys("*") == ["K"]
    client = custom.get_client()
    record = client.get(("test", custom.settings.set_name, "K|1|"))
    assert record.bins == {"v": "v"}


def test_long_key_warns_like_django_and_still_works(cache):
    key = "k" * 300
    with pytest.warns(CacheKeyWarning, match="longer than 250"):
        cache.set(key, "v")
    with pytest.warns(CacheKeyWarning):
        assert cache.get(key) == "v"


def test_key_too_long_for_the_server_is_stored_under_its_hash(cache):
    key = "k" * 5000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CacheKeyWarning)
        cache.set(key, "v")
        assert cache.get(key) == "v"
        assert cache.delete(key) is True
        cache.set(key, "again")
    query = cache.get_client().query("test", cache.settings.set_name)
    stored = [record.key.user_key for record in query.results()]
    assert len(stored) == 1
    assert stored[0].startswith(":1:" + "k" * 61 + "~sha256:")


def test_key_with_spaces_warns_like_django(cache):
    with pytest.warns(CacheKeyWarning, match="characters that will cause errors"):
        cache.set("a key", "v")
    with pytest.warns(CacheKeyWarning):
        assert cache.get("a key") == "v"


def test_every_operation_validates_the_key(cache):
    bad = "bad key"
    calls = [
        lambda: cache.add(bad, 1),
        lambda: cache.set(bad, 1),
        lambda: cache.get(bad),
        lambda: cache.touch(bad),
        lambda: cache.incr(bad),
        lambda: cache.has_key(bad),
        lambda: cache.get_many([bad]),
        lambda: cache.set_many({bad: 1}),
        lambda: cache.delete_many([bad]),
        lambda: cache.delete(bad),
    ]
    for call in calls:
        with pytest.warns(CacheKeyWarning):
            try:
                call()
            except ValueError:
                pass


# -- counters -----------------------------------------------------------------


def test_incr_and_decr(cache):
    cache.set("n", 10)
    assert cache.incr("n") == 11
    assert cache.incr("n", 5) == 16
    assert cache.decr("n") == 15
    assert cache.decr("n", 20) == -5
    assert cache.get("n") == -5


def test_incr_of_a_missing_key_raises_value_error(cache):
    with pytest.raises(ValueError, match="not found"):
        cache.incr("absent")
    with pytest.raises(ValueError, match="not found"):
        cache.decr("absent")
    assert cache.get("absent") is None


def test_incr_errors_name_the_key_as_the_caller_wrote_it(cache):
    # Django's own backends say "Key 'nokey' not found".
    with pytest.raises(ValueError) as caught:
        cache.incr("nokey")
    assert str(caught.value) == "Key 'nokey' not found"
    cache.set("s", "text")
    with pytest.raises(TypeError) as caught:
        cache.incr("s")
    assert "'s'" in str(caught.value) and ":1:" not in str(caught.value)


def test_incr_of_a_non_integer_raises_type_error(cache):
    cache.set("s", "text")
    with pytest.raises(TypeError):
        cache.incr("s")
    assert cache.get("s") == "text"


@pytest.mark.parametrize(
    ("start", "call", "delta"),
    [
        (INT64_MAX, "incr", 1),
        (INT64_MAX - 5, "incr", 10),
        (INT64_MIN, "decr", 1),
        (0, "incr", 2**64),
        (5, "decr", 2**63 + 10),
    ],
)
def test_incr_past_64_bits_raises_overflow_and_keeps_the_value(
    cache, start, call, delta
):
    cache.set("big", start)
    with pytest.raises(OverflowError, match="Key 'big'") as caught:
        getattr(cache, call)("big", delta)
    assert ":1:big" not in str(caught.value)
    assert cache.get("big") == start


def test_incr_up_to_the_64_bit_limits_still_works(cache):
    cache.set("n", INT64_MAX - 1)
    assert cache.incr("n") == INT64_MAX
    cache.set("n", INT64_MIN + 1)
    assert cache.decr("n") == INT64_MIN


def test_incr_and_decr_keep_the_remaining_ttl(cache, django_server):
    cache.set("n", 1, timeout=100)
    cache.incr("n")
    cache.decr("n", 3)
    assert 95 <= cache.ttl("n") <= 100
    # Had incr restarted the TTL at t=40, the entry would live until t=140.
    django_server.advance_clock(40)
    cache.incr("n")
    django_server.advance_clock(61)
    assert cache.get("n") is None


def test_incr_is_atomic_across_threads(cache):
    cache.set("n", 0)

    def bump():
        for _ in range(50):
            caches["default"].incr("n")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("n") == 200


def test_incr_version_moves_the_value_and_keeps_the_ttl(cache):
    cache.set("k", "v", timeout=100)
    assert cache.incr_version("k") == 2
    assert cache.get("k") is None
    assert cache.get("k", version=2) == "v"
    assert 95 <= cache.ttl("k", version=2) <= 100
    assert cache.decr_version("k", version=2) == 1
    assert cache.get("k") == "v"


def test_incr_version_of_a_forever_key_stays_forever(cache):
    cache.set("k", "v", timeout=None)
    cache.incr_version("k", delta=5)
    assert cache.ttl("k", version=6) is None


def test_incr_version_of_a_missing_key_raises_value_error(cache):
    with pytest.raises(ValueError, match="not found"):
        cache.incr_version("absent")


# -- many keys ----------------------------------------------------------------


def test_get_many_returns_only_found_keys(cache):
    cache.set_many({"a": 1, "b": None, "c": "x"})
    assert cache.get_many(["a", "b", "c", "missing"]) == {"a": 1, "b": None, "c": "x"}


def test_set_many_returns_an_empty_list_on_success(cache):
    assert cache.set_many({"a": 1, "b": 2}, timeout=60) == []
    assert 55 <= cache.ttl("b") <= 60


def test_delete_many_removes_every_key(cache):
    cache.set_many({"a": 1, "b": 2, "c": 3})
    assert cache.delete_many(["a", "b", "missing"]) is None
    assert cache.get_many(["a", "b", "c"]) == {"c": 3}


def test_empty_batches_are_no_ops(cache):
    assert cache.get_many([]) == {}
    assert cache.set_many({}) == []
    assert cache.delete_many([]) is None


def test_set_many_reports_values_the_server_refused(cache):
    failed = cache.set_many({"small": 1, "huge": b"x" * (2 * 1024 * 1024)})
    assert failed == ["huge"]
    assert cache.get("small") == 1


# -- get_or_set and stampede protection ---------------------------------------


def test_get_or_set_stores_the_default_once(cache):
    assert cache.get_or_set("k", "first") == "first"
    assert cache.get_or_set("k", "second") == "first"


def test_get_or_set_calls_a_callable_default_only_on_a_miss(cache):
    calls = []

    def compute():
        calls.append(1)
        return 42

    assert cache.get_or_set("k", compute, timeout=60) == 42
    assert cache.get_or_set("k", compute) == 42
    assert calls == [1]
    assert 55 <= cache.ttl("k") <= 60


def test_get_or_set_with_zero_timeout_returns_the_default_unstored(cache):
    assert cache.get_or_set("k", "v", timeout=0) == "v"
    assert cache.has_key("k") is False


def test_get_or_set_with_a_lock_computes_once_for_concurrent_callers(cache):
    calls = []
    results = []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return "expensive"

    def worker():
        value = caches["default"].get_or_set("k", compute, 60, lock_timeout=5)
        results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["expensive"] * 5
    assert len(calls) == 1


# -- clear and close ----------------------------------------------------------


def test_clear_empties_only_this_cache(cache):
    other = caches["other"]
    cache.set("k", 1)
    other.set("k", 2)
    cache.clear()
    assert cache.get("k") is None
    assert other.get("k") == 2


def test_close_keeps_the_shared_client_connected(cache):
    cache.set("k", 1)
    client = cache.get_client()
    cache.close()
    assert client.is_connected()
    assert cache.get("k") == 1
    assert cache.get_client() is client


# -- extras named as in django-redis ------------------------------------------


def test_ttl_of_missing_forever_and_expiring_keys(cache):
    assert cache.ttl("absent") == 0
    cache.set("forever", 1, timeout=None)
    assert cache.ttl("forever") is None
    cache.set("soon", 1, timeout=50)
    assert 45 <= cache.ttl("soon") <= 50


def test_expire_and_persist(cache, django_server):
    cache.set("k", "v", timeout=None)
    assert cache.expire("k", 20) is True
    assert 15 <= cache.ttl("k") <= 20
    assert cache.persist("k") is True
    django_server.advance_clock(30)
    assert cache.get("k") == "v"
    assert cache.expire("absent", 20) is False
    assert cache.persist("absent") is False


def test_lock_is_exclusive_until_released(cache):
    with cache.lock("job", timeout=5):
        second = cache.lock("job", timeout=5, blocking_timeout=0.1)
        assert second.acquire() is False
    assert cache.lock("job", timeout=5).acquire(blocking=False) is True


def test_lock_in_a_namespace_without_expiry_explains_the_fix(settings, set_prefix):
    custom = use_cache(settings, set_prefix, OPTIONS={"namespace": "plain"})
    lock = custom.lock("job", timeout=5)
    with pytest.raises(TTLForbiddenError, match="plain:nsup-period=120") as caught:
        lock.acquire()
    assert "crashed holder" in str(caught.value)


def test_get_or_set_lock_in_a_namespace_without_expiry_explains_the_fix(
    settings, set_prefix
):
    custom = use_cache(settings, set_prefix, OPTIONS={"namespace": "plain"})
    with pytest.raises(TTLForbiddenError, match="without lock_timeout"):
        custom.get_or_set("k", "v", timeout=None, lock_timeout=5)
    assert custom.get_or_set("k", "v", timeout=None) == "v"


def test_lock_expires_when_its_holder_dies(cache, django_server):
    assert cache.lock("job", timeout=5).acquire() is True
    django_server.advance_clock(6)
    assert cache.lock("job", timeout=5).acquire(blocking=False) is True


def test_iter_keys_and_keys_match_a_glob(cache):
    cache.set_many({"user:1": 1, "user:2": 2, "item:1": 3})
    assert sorted(cache.iter_keys("user:*")) == ["user:1", "user:2"]
    assert cache.keys("*:1") == ["item:1", "user:1"]
    assert cache.keys("user:[2]") == ["user:2"]


def test_keys_belong_to_one_version_and_prefix(settings, set_prefix):
    custom = use_cache(settings, set_prefix, KEY_PREFIX="a*b")
    custom.set("k1", 1)
    custom.set("k2", 2, version=2)
    settings.CACHES = {
        **settings.CACHES,
        "sibling": cache_entry(f"x_{set_prefix}", KEY_PREFIX="axxb"),
    }
    caches["sibling"].set("k3", 3)
    assert custom.keys("*") == ["k1"]
    assert custom.keys("*", version=2) == ["k2"]


def test_delete_pattern_removes_matching_keys_only(cache):
    cache.set_many({"session:1": 1, "session:2": 2, "other": 3})
    assert cache.delete_pattern("session:*") == 2
    assert cache.get_many(["session:1", "session:2", "other"]) == {"other": 3}


def test_delete_pattern_with_regex_punctuation_spares_other_keys(cache):
    cache.set_many({"user|1": 1, "user|2": 2, "other": 3})
    cache.set("user|1", 5, version=2)
    assert cache.delete_pattern("user|*") == 2
    assert cache.get_many(["user|1", "user|2", "other"]) == {"other": 3}
    assert cache.get("user|1", version=2) == 5


def test_get_aerospike_client_returns_the_caches_client(cache):
    client = get_aerospike_client("default")
    assert client is cache.get_client()
    cache.set("k", 5)
    record = client.get(("test", cache.settings.set_name, ":1:k"))
    assert record.bins == {"v": 5}


def test_get_aerospike_client_refuses_other_backends():
    with pytest.raises(ImproperlyConfigured, match="LocMemCache"):
        get_aerospike_client("locmem")


# -- failures -----------------------------------------------------------------


def test_unpicklable_value_raises_the_serializer_error_naming_the_key(cache):
    cache.set("lock-holder", "old")
    with pytest.raises(TypeError, match="lock-holder") as caught:
        cache.set("lock-holder", threading.Lock())
    assert "cannot pickle" in str(caught.value)
    assert cache.get("lock-holder") == "old"


def test_value_json_cannot_encode_raises_naming_the_key(settings, set_prefix):
    custom = use_cache(settings, set_prefix, OPTIONS={"serializer": "json"})
    with pytest.raises(TypeError, match=r"tags.*not JSON serializable"):
        custom.set("tags", {"a": {1, 2}})


def test_value_too_big_is_refused_and_the_old_value_removed(cache):
    cache.set("k", "old")
    cache.set("k", b"x" * (2 * 1024 * 1024))
    assert cache.get("k") is None


def test_add_of_a_value_too_big_stores_nothing_and_warns(cache, caplog):
    with caplog.at_level(logging.WARNING, logger="aerospike_py.cache"):
        assert cache.add("k", TOO_BIG) is False
    assert "refused" in caplog.text and ":1:k" in caplog.text
    assert cache.get("k", "missing") == "missing"
    assert cache.add("k", "small") is True


def test_get_or_set_of_a_value_too_big_returns_it_without_storing(cache, caplog):
    computed = []

    def compute():
        computed.append(1)
        return TOO_BIG

    with caplog.at_level(logging.WARNING, logger="aerospike_py.cache"):
        assert cache.get_or_set("k", compute) == TOO_BIG
    assert computed == [1]
    assert "refused" in caplog.text
    assert cache.has_key("k") is False


def test_namespace_without_expiry_explains_the_fix(settings, set_prefix):
    custom = use_cache(settings, set_prefix, OPTIONS={"namespace": "plain"})
    with pytest.raises(TTLForbiddenError, match="nsup-period") as caught:
        custom.set("k", 1)
    assert "plain" in str(caught.value)
    custom.set("k", 1, timeout=None)
    assert custom.get("k") == 1


def test_outage_raises_by_default(settings, set_prefix):
    custom = use_cache(settings, set_prefix, LOCATION=f"127.0.0.1:{closed_port()}")
    with pytest.raises(ClusterError):
        custom.get("k")


def test_ignore_exceptions_turns_an_outage_into_logged_misses(
    settings, set_prefix, caplog
):
    custom = use_cache(
        settings,
        set_prefix,
        LOCATION=f"127.0.0.1:{closed_port()}",
        OPTIONS={"ignore_exceptions": True},
    )
    with caplog.at_level(logging.WARNING, logger="aerospike_py.cache"):
        assert custom.get("k", "dflt") == "dflt"
        custom.set("k", 1)
        assert custom.add("k", 1) is False
        assert custom.get_many(["a", "b"]) == {}
        assert custom.has_key("k") is False
    assert "Connection refused" in caplog.text
    with pytest.raises(ClusterError):
        custom.delete("k")


def outage_cache(settings, set_prefix, **options):
    return use_cache(
        settings,
        set_prefix,
        LOCATION=f"127.0.0.1:{closed_port()}",
        OPTIONS={"ignore_exceptions": True, **options},
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda cache: cache.delete("k"),
        lambda cache: cache.delete_many(["k", "j"]),
        lambda cache: cache.delete_pattern("k*"),
        lambda cache: cache.clear(),
        lambda cache: cache.set("k", 1, 0),
        lambda cache: cache.set_many({"k": 1}, -1),
        lambda cache: cache.touch("k", 0),
        lambda cache: cache.incr("k"),
        lambda cache: cache.decr("k"),
        lambda cache: cache.lock("k").acquire(),
    ],
    ids=[
        "delete",
        "delete_many",
        "delete_pattern",
        "clear",
        "set_timeout_0",
        "set_many_expired",
        "touch_timeout_0",
        "incr",
        "decr",
        "lock",
    ],
)
def test_ignore_exceptions_keeps_invalidations_counters_and_locks_loud(
    settings, set_prefix, call
):
    # As documented: swallowing these would leave stale data or wrong counts.
    custom = outage_cache(settings, set_prefix)
    with pytest.raises(ClusterError):
        call(custom)


def test_ignore_exceptions_fills_without_the_lock_of_get_or_set(
    settings, set_prefix, caplog
):
    custom = outage_cache(settings, set_prefix)
    calls = []

    def compute():
        calls.append(1)
        return "fresh"

    with caplog.at_level(logging.WARNING, logger="aerospike_py.cache"):
        assert custom.get_or_set("k", compute, 60, lock_timeout=1) == "fresh"
        assert custom.get_or_set("k", "plain", 60, lock_timeout=1) == "plain"
    assert calls == [1]
    # The failed read already tells of the outage; no lock is tried after it.
    assert "cache get of ':1:k' failed, treated as a miss" in caplog.text
    assert "Connection refused" in caplog.text


def test_get_or_set_with_a_lock_raises_during_an_outage_by_default(
    settings, set_prefix
):
    custom = use_cache(settings, set_prefix, LOCATION=f"127.0.0.1:{closed_port()}")
    with pytest.raises(ClusterError):
        custom.get_or_set("k", "v", 60, lock_timeout=1)


def test_backend_construction_connects_nothing(settings, set_prefix):
    custom = use_cache(settings, set_prefix, LOCATION=f"127.0.0.1:{closed_port()}")
    assert isinstance(custom, AerospikeCache)
    custom.close()


def test_location_as_host_port_list(settings, set_prefix, django_server):
    hosts = ",".join(f"{host}:{port}" for host, port in django_server.hosts)
    custom = use_cache(settings, set_prefix, LOCATION=hosts)
    custom.set("k", "v")
    assert custom.get("k") == "v"


def test_client_options_override_the_alias_config(settings, set_prefix):
    custom = use_cache(settings, set_prefix, OPTIONS={"client": {"timeout": 2500}})
    custom.set("k", "v")
    assert custom.settings.client["timeout"] == 2500
    assert custom.get_client() is not caches["default"].get_client()


def test_bad_options_raise_improperly_configured_naming_the_fix(settings, set_prefix):
    custom = use_cache(settings, set_prefix, OPTIONS={"TIMEOUT": 5})
    with pytest.raises(ImproperlyConfigured, match="beside OPTIONS"):
        custom.get("k")


@pytest.mark.parametrize("serializer", ["pickle", "json", "msgpack"])
def test_selectable_serializers(settings, set_prefix, serializer):
    custom = use_cache(settings, set_prefix, OPTIONS={"serializer": serializer})
    custom.set("k", {"a": [1, 2], "b": None, 3: "int key"})
    assert custom.get("k")["a"] == [1, 2]


def test_compression_of_large_values(settings, set_prefix):
    custom = use_cache(settings, set_prefix, OPTIONS={"compress_min_length": 100})
    value = ["row"] * 10_000 + [(1, 2)]
    custom.set("k", value)
    assert custom.get("k") == value
    record = custom.get_client().get(("test", custom.settings.set_name, ":1:k"))
    assert len(record.bins["v"]) < 1000
