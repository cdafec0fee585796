"""Namespace settings: expiry, default TTL and nsup-period 0."""

from __future__ import annotations

import pytest

import aerospike_py
from aerospike_py.exception import ForbiddenError, RecordNotFound
from aerospike_py.server import EmbeddedServer, NamespaceConfig


@pytest.fixture(scope="module")
def server():
    namespaces = [
        NamespaceConfig("test"),
        NamespaceConfig("noexpiry", nsup_period=0),
        NamespaceConfig("short", default_ttl=60),
    ]
    with EmbeddedServer(namespaces=namespaces) as srv:
        yield srv


@pytest.fixture(autouse=True)
def reset_clock(server):
    yield
    server.cluster.clock.offset_ns = 0


@pytest.fixture
def client(server):
    with aerospike_py.client(server.client_config()).connect() as c:
        yield c


def test_records_past_their_ttl_are_gone(server, client):
    key = ("test", "expiry", "k")
    client.put(key, {"a": 1}, meta={"ttl": 30})
    server.advance_clock(31)
    with pytest.raises(RecordNotFound):
        client.get(key)
    assert client.exists(key).meta is None


def test_ttls_read_back_count_down_with_the_advanced_clock(server, client):
    old, new = ("test", "countdown", "old"), ("test", "countdown", "new")
    client.put(old, {"a": 1}, meta={"ttl": 100})
    server.advance_clock(60)
    client.put(new, {"a": 1}, meta={"ttl": 100})

    assert 39 <= client.get(old).meta.ttl <= 40
    assert 99 <= client.get(new).meta.ttl <= 100
    low, high = sorted(r.meta.ttl for r in client.query("test", "countdown").results())
    assert 39 <= low <= 40 and 99 <= high <= 100
    first, second = client.batch_read([old, new]).batch_records
    assert 39 <= first.record.meta.ttl <= 40 and 99 <= second.record.meta.ttl <= 100


def test_record_without_ttl_outlives_clock_jumps(server, client):
    key = ("test", "expiry", "forever")
    client.put(key, {"a": 1})
    server.advance_clock(10 * 365 * 86400)
    assert client.get(key).bins == {"a": 1}


def test_namespace_without_expiry_refuses_ttl_with_result_22(client):
    key = ("noexpiry", "s", "k")
    with pytest.raises(ForbiddenError) as info:
        client.put(key, {"a": 1}, meta={"ttl": 100})
    assert info.value.code == 22
    client.put(key, {"a": 1})  # default TTL of 0 is allowed
    client.put(key, {"a": 2}, meta={"ttl": aerospike_py.TTL_NEVER_EXPIRE})
    assert client.get(key).bins == {"a": 2}


def test_namespace_default_ttl_applies_to_ttl_zero(client):
    key = ("short", "s", "k")
    client.put(key, {"a": 1})
    assert 55 <= client.get(key).meta.ttl <= 60


def test_unknown_namespace_raises_code_20(client):
    with pytest.raises(aerospike_py.ServerError) as info:
        client.get(("nonesuch", "s", "k"))
    assert info.value.code == 20


def test_ttl_above_ten_years_is_refused_before_sending(client):
    with pytest.raises(aerospike_py.InvalidArgError, match="ten years"):
        client.put(("test", "s", "k"), {"a": 1}, meta={"ttl": 400_000_000})


def test_sets_info_counts_objects(client):
    for i in range(3):
        client.put(("test", "counted", i), {"a": i})
    entries = client.info_random_node("sets/test/counted")
    assert "objects=3" in entries


def test_namespace_strings_take_settings_as_on_the_command_line():
    with EmbeddedServer(namespaces=["test", "cache:default-ttl=3600"]) as server:
        client = aerospike_py.client(server.client_config()).connect()
        client.put(("test", "s", "k"), {"a": 1})
        client.put(("cache", "s", "k"), {"a": 1})

        assert client.get(("cache", "s", "k")).meta.ttl in (3599, 3600)
        assert client.get(("test", "s", "k")).bins == {"a": 1}
        client.close()


def test_an_unknown_namespace_setting_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown namespace setting 'default_ttl'"):
        EmbeddedServer(namespaces=["cache:default_ttl=3600"])


@pytest.mark.parametrize(
    ("word", "allowed"), [("true", True), ("Yes", True), ("0", False), ("off", False)]
)
def test_a_boolean_namespace_setting_reads_its_words(word, allowed):
    config = NamespaceConfig.parse(f"plain:nsup-period=0,allow-ttl-without-nsup={word}")
    assert config.allow_ttl_without_nsup is allowed


def test_a_boolean_namespace_setting_refuses_other_words():
    with pytest.raises(ValueError, match="needs true or false, got 'maybe'"):
        NamespaceConfig.parse("plain:allow-ttl-without-nsup=maybe")


def test_read_touch_measures_against_the_ttl_of_the_last_write():
    namespaces = ["ttlns:default-ttl=3600"]
    with EmbeddedServer(namespaces=namespaces) as server:
        client = aerospike_py.client(server.client_config()).connect()
        key = ("ttlns", "s", "t")
        client.put(key, {"a": 1}, meta={"ttl": 100})
        touch = {"read_touch_ttl_percent": 80}

        # 100 s of 100 s left: above 80 %, no touch (and not the 3600 default).
        assert client.get(key, touch).meta == (1, 100)
        assert client.exists(key).meta.gen == 1

        server.advance_clock(30)  # 70 s left: below 80 % of 100 s
        read = client.get(key, touch)
        assert read.meta.gen == 1 and read.meta.ttl in (69, 70)  # as read
        touched = client.exists(key).meta
        assert touched.gen == 2 and touched.ttl in (99, 100)  # the write's TTL again
        client.close()
