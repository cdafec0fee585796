"""The Flask-Caching backend, through ``Cache`` and its decorators."""

from __future__ import annotations

import datetime
import itertools
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from cachelib.serializers import BaseSerializer
from flask import Flask
from flask_caching import Cache

from aerospike_py.exception import ClusterError
from flask_aerospike import ConfigError
from flask_aerospike.cache import AerospikeCache

TTL_NEVER = 0xFFFFFFFF
TEN_YEARS = 315_360_000  # Aerospike's longest TTL


def cache_set(app: Flask) -> str:
    return app.config["CACHE_OPTIONS"]["set"]


def test_set_get_delete_and_has(app, cache):
    with app.app_context():
        assert cache.get("missing") is None
        assert cache.set("greeting", "hello") is True
        assert cache.get("greeting") == "hello"
        assert cache.has("greeting") is True
        assert cache.delete("greeting") is True
        assert cache.delete("greeting") is False
        assert cache.has("greeting") is False


def test_values_that_json_cannot_hold_survive_the_round_trip(app, cache):
    value = {
        "when": datetime.datetime(2024, 5, 6, 7, 8, 9),
        "pair": (1, "two"),
        "tags": {"a", "b"},
    }
    with app.app_context():
        cache.set("value", value)
        assert cache.get("value") == value
        assert type(cache.get("value")["pair"]) is tuple


def test_timeout_zero_never_expires_and_none_uses_the_default(
    make_app, advance_clock, aerospike_client
):
    app = make_app(CACHE_DEFAULT_TIMEOUT=50)
    cache = app.extensions["test_cache"]
    with app.app_context():
        cache.set("forever", 1, timeout=0)
        cache.set("default", 2)
        cache.set("explicit", 3, timeout=20)
        cache.set("delta", 4, timeout=datetime.timedelta(minutes=2))
        engine = cache.cache.engine
        assert engine.ttl("flask_cache_forever") is None
        assert 45 <= engine.ttl("flask_cache_default") <= 50
        assert 15 <= engine.ttl("flask_cache_explicit") <= 20
        assert 115 <= engine.ttl("flask_cache_delta") <= 120

        advance_clock(60)
        assert cache.get_many("forever", "default", "explicit", "delta") == [
            1,
            None,
            None,
            4,
        ]
    raw = aerospike_client.exists(("test", cache_set(app), "flask_cache_forever"))
    assert raw.meta.ttl == TTL_NEVER


def test_default_timeout_zero_means_never_expire(make_app):
    app = make_app(CACHE_DEFAULT_TIMEOUT=0)
    cache = app.extensions["test_cache"]
    with app.app_context():
        cache.set("k", "v")
        assert cache.cache.engine.ttl("flask_cache_k") is None


def test_a_timeout_beyond_ten_years_is_cut_to_the_longest_ttl(make_app):
    app = make_app(CACHE_DEFAULT_TIMEOUT=10**11)
    cache = app.extensions["test_cache"]
    with app.app_context():
        assert cache.set("k", "v", timeout=10**10) is True
        assert cache.add("new", "v", timeout=datetime.timedelta(days=365 * 20))
        assert cache.set_many({"a": 1}, timeout=TEN_YEARS + 1) == ["a"]
        assert cache.set("default", "v") is True
        engine = cache.cache.engine
        for key in ("k", "new", "a", "default"):
            assert TEN_YEARS - 5 <= engine.ttl(f"flask_cache_{key}") <= TEN_YEARS
        assert cache.get("k") == "v"


def test_negative_timeout_has_already_expired(app, cache):
    with app.app_context():
        cache.set("k", "old")
        assert cache.set("k", "new", timeout=-1) is True
        assert cache.get("k") is None
        assert cache.add("fresh", "x", timeout=-5) is True
        assert cache.has("fresh") is False
        cache.set("kept", "v")
        assert cache.add("kept", "x", timeout=-5) is False
        assert cache.get("kept") == "v"


def test_add_does_not_overwrite_a_live_key(app, cache):
    with app.app_context():
        assert cache.add("k", "first") is True
        assert cache.add("k", "second") is False
        assert cache.get("k") == "first"


def test_a_value_too_big_is_not_stored_by_add_or_set(app, cache, caplog):
    big = b"x" * (2 * 1024 * 1024)  # over the 1 MiB record limit
    with app.app_context(), caplog.at_level(logging.WARNING, "aerospike_py.cache"):
        assert cache.add("k", big) is False
        assert cache.has("k") is False
        assert "not added" in caplog.text
        cache.set("old", "value")
        assert cache.set("old", big) is False
        assert cache.get("old") is None
        assert cache.add("k", "small") is True


def test_inc_and_dec_start_from_zero_and_count_on_the_server(app, cache):
    with app.app_context():
        backend = cache.cache
        assert backend.inc("hits") == 1
        assert backend.inc("hits", 5) == 6
        assert backend.dec("hits", 2) == 4
        assert backend.dec("fresh") == -1
        assert cache.get("hits") == 4


def test_inc_from_many_threads_loses_no_update(app, cache):
    backend = cache.cache

    def bump(_):
        with app.app_context():
            return backend.inc("counter")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(bump, range(200)))
    assert sorted(results) == list(range(1, 201))


def test_inc_of_a_new_key_gets_the_default_timeout(make_app):
    app = make_app(CACHE_DEFAULT_TIMEOUT=40)
    backend = app.extensions["test_cache"].cache
    with app.app_context():
        backend.inc("n")
        assert 35 <= backend.engine.ttl("flask_cache_n") <= 40


def test_inc_of_a_value_that_is_not_a_number_is_a_type_error(app, cache):
    with app.app_context():
        cache.set("name", "ada")
        with pytest.raises(TypeError, match="does not hold an integer"):
            cache.cache.inc("name")


def test_many_key_calls_keep_the_callers_order(app, cache):
    with app.app_context():
        assert cache.set_many({"a": 1, "b": (2,), "c": None}) == ["a", "b", "c"]
        assert cache.get_many("c", "missing", "b", "a") == [None, None, (2,), 1]
        assert cache.get_dict("a", "b") == {"a": 1, "b": (2,)}
        assert cache.delete_many("a", "missing") == ["a", "missing"]
        assert cache.get_many("a", "b") == [None, (2,)]


def test_cache_key_prefix_is_part_of_the_record_key(make_app, aerospike_client):
    app = make_app(CACHE_KEY_PREFIX="shop_")
    cache = app.extensions["test_cache"]
    with app.app_context():
        cache.set("cart", ["apple"])
    record = aerospike_client.get(("test", cache_set(app), "shop_cart"))
    assert record.bins == {"v": ["apple"]}


def test_clear_removes_only_this_caches_records(
    make_app, aerospike_client, aerospike_set
):
    app = make_app()
    other = make_app(CACHE_OPTIONS={"set": f"{aerospike_set[:50]}_other"})
    neighbour = ("test", f"{aerospike_set[:50]}_plain", "kept")
    aerospike_client.put(neighbour, {"a": 1})
    with app.app_context():
        app.extensions["test_cache"].set("mine", 1)
    with other.app_context():
        other.extensions["test_cache"].set("theirs", 2)

    with app.app_context():
        assert app.extensions["test_cache"].clear() is True
        assert app.extensions["test_cache"].get("mine") is None
    with other.app_context():
        assert other.extensions["test_cache"].get("theirs") == 2
    assert aerospike_client.get(neighbour).bins == {"a": 1}


def test_clear_spares_caches_of_other_prefixes_in_the_same_set(make_app):
    first = make_app(CACHE_KEY_PREFIX="app1_")
    second = make_app(CACHE_KEY_PREFIX="app2_")
    long_key = "k" * 2000  # stored under its digest, still under the prefix
    with first.app_context():
        first.extensions["test_cache"].set("k", 1)
        first.extensions["test_cache"].set(long_key, 1)
    with second.app_context():
        second.extensions["test_cache"].set("k", 2)

    with first.app_context():
        assert first.extensions["test_cache"].clear() is True
        assert first.extensions["test_cache"].get("k") is None
        assert first.extensions["test_cache"].get(long_key) is None
    with second.app_context():
        assert second.extensions["test_cache"].get("k") == 2


def test_clear_without_a_prefix_empties_the_whole_set(make_app):
    plain = make_app(CACHE_KEY_PREFIX="")
    prefixed = make_app(CACHE_KEY_PREFIX="p_")
    with prefixed.app_context():
        prefixed.extensions["test_cache"].set("k", 1)
    with plain.app_context():
        plain.extensions["test_cache"].set("k", 2)
        assert plain.extensions["test_cache"].clear() is True
        assert plain.extensions["test_cache"].get("k") is None
    with prefixed.app_context():
        assert prefixed.extensions["test_cache"].get("k") is None


def test_cached_view_runs_once_per_timeout(app, cache):
    calls = itertools.count()

    @app.get("/report")
    @cache.cached(timeout=60)
    def report():
        return {"call": next(calls)}

    client = app.test_client()
    assert client.get("/report").json == {"call": 0}
    assert client.get("/report").json == {"call": 0}
    with app.app_context():
        cache.delete("view//report")
    assert client.get("/report").json == {"call": 1}


def test_memoize_and_delete_memoized(app, cache):
    calls = []

    @cache.memoize(timeout=60)
    def square(x):
        calls.append(x)
        return x * x

    with app.app_context():
        assert [square(3), square(3), square(4)] == [9, 9, 16]
        cache.delete_memoized(square, 3)
        assert square(3) == 9
    assert calls == [3, 4, 3]


def test_cache_serializer_setting_replaces_the_serializer(make_app, aerospike_client):
    class JSONText(BaseSerializer):
        def dumps(self, value, protocol=None):
            return json.dumps(value).encode()

        def loads(self, data):
            return json.loads(data)

    app = make_app(CACHE_SERIALIZER=JSONText())
    cache = app.extensions["test_cache"]
    with app.app_context():
        cache.set("point", (1, 2))
        assert cache.get("point") == [1, 2]
    record = aerospike_client.get(("test", cache_set(app), "flask_cache_point"))
    assert record.bins == {"v": b"[1, 2]", "f": "c"}


def test_serializer_and_namespace_come_from_cache_options(make_app, aerospike_set):
    app = make_app(
        CACHE_OPTIONS={
            "set": f"{aerospike_set[:50]}_json",
            "serializer": "json",
            "namespace": "test",
        }
    )
    backend = app.extensions["test_cache"].cache
    assert backend.serializer.name == "json"
    with app.app_context(), pytest.raises(TypeError, match="flask_cache_when"):
        backend.set("when", datetime.date(2024, 1, 1))


def test_an_outage_reads_as_a_miss_with_ignore_exceptions(make_app, free_port):
    app = make_app(
        AEROSPIKE={"hosts": [("127.0.0.1", free_port)], "timeout": 200},
        AEROSPIKE_SESSIONS=False,
        CACHE_OPTIONS={"set": "down", "ignore_exceptions": True},
    )
    cache = app.extensions["test_cache"]
    with app.app_context():
        assert cache.get("k") is None
        assert cache.set("k", "v") is False
        assert cache.get_many("a", "b") == [None, None]


@pytest.mark.parametrize(
    "call",
    [
        lambda backend: backend.delete("k"),
        lambda backend: backend.delete_many("k", "j"),
        lambda backend: backend.clear(),
        lambda backend: backend.set("k", "v", timeout=-1),
        lambda backend: backend.inc("k"),
        lambda backend: backend.dec("k"),
    ],
    ids=["delete", "delete_many", "clear", "set_expired", "inc", "dec"],
)
def test_ignore_exceptions_keeps_invalidations_and_counters_loud(
    make_app, free_port, call
):
    # As documented: swallowing these would leave stale data or wrong counts.
    app = make_app(
        AEROSPIKE={"hosts": [("127.0.0.1", free_port)], "timeout": 200},
        AEROSPIKE_SESSIONS=False,
        CACHE_OPTIONS={"set": "down", "ignore_exceptions": True},
    )
    with app.app_context(), pytest.raises(ClusterError):
        call(app.extensions["test_cache"].cache)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"CACHE_OPTIONS": {"sett": "typo"}}, r"unknown key\(s\) \['sett'\]"),
        ({"CACHE_OPTIONS": {"serializer": "yaml"}}, r"\['serializer'\] is 'yaml'"),
        ({"CACHE_OPTIONS": {"compress_min_length": -1}}, "compress_min_length"),
        ({"CACHE_OPTIONS": {"set": "s" * 64}}, r"\['set'\] .* 64 bytes"),
        ({"CACHE_OPTIONS": {"namespace": ""}}, r"\['namespace'\]"),
        ({"CACHE_ARGS": ["127.0.0.1"]}, "takes no CACHE_ARGS"),
    ],
)
def test_bad_cache_settings_fail_at_start_up_naming_the_key(
    make_app, overrides, message
):
    with pytest.raises(ConfigError, match=message):
        make_app(**overrides)


def test_a_cache_without_aerospike_config_names_the_missing_key():
    app = Flask("no_config")
    app.config["CACHE_TYPE"] = "flask_aerospike.cache.AerospikeCache"
    with pytest.raises(ConfigError, match=r"app.config\['AEROSPIKE'\] is not set"):
        Cache(app)


def test_the_cache_backend_is_what_flask_caching_loads(app, cache):
    with app.app_context():
        assert isinstance(cache.cache, AerospikeCache)


def test_ttl_reports_the_remaining_lifetime(app, cache):
    with app.app_context():
        cache.set("ttl-probe", 1, timeout=120)
        assert 115 <= cache.cache.ttl("ttl-probe") <= 120
        cache.set("forever", 1, timeout=0)
        assert cache.cache.ttl("forever") is None
        assert cache.cache.ttl("missing") == 0
