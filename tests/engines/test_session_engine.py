"""The shared session store, through both clients."""

from __future__ import annotations

import pytest
from helpers import BlockingView

from aerospike_py.exception import RecordTooBig
from aerospike_py.server import EmbeddedServer, NamespaceConfig
from aerospike_py.sessions import (
    AsyncSessionEngine,
    SessionEngine,
    SessionExists,
    SessionMissing,
    TTLForbiddenError,
)


def test_create_load_save_delete(sessions):
    key = sessions.create({"user": 1}, 300)
    assert len(key) >= 40
    assert sessions.load(key) == {"user": 1}
    sessions.save(key, {"user": 2, "cart": ["a"]}, 300, must_exist=True)
    assert sessions.load(key) == {"user": 2, "cart": ["a"]}
    assert sessions.exists(key) is True
    assert sessions.delete(key) is True
    assert sessions.load(key) is None
    assert sessions.delete(key) is False


def test_create_never_overwrites_an_existing_session(sessions):
    sessions.save("fixed", {"a": 1}, 300)
    with pytest.raises(SessionExists):
        sessions.save("fixed", {"b": 2}, 300, must_create=True)
    assert sessions.load("fixed") == {"a": 1}


def test_update_never_resurrects_a_deleted_session(sessions):
    key = sessions.create({"a": 1}, 300)
    sessions.delete(key)
    with pytest.raises(SessionMissing):
        sessions.save(key, {"a": 2}, 300, must_exist=True)
    assert sessions.load(key) is None


def test_keys_removed_from_the_data_are_gone_after_save(sessions):
    key = sessions.create({"a": 1, "b": 2}, 300)
    sessions.save(key, {"a": 1}, 300)
    assert sessions.load(key) == {"a": 1}


def test_ttl_is_the_session_lifetime(sessions):
    key = sessions.create({"a": 1}, 600)
    assert 590 <= sessions.ttl(key) <= 600
    assert sessions.touch(key, 1200) is True
    assert 1190 <= sessions.ttl(key) <= 1200


def test_expired_lifetime_deletes_instead_of_writing(sessions):
    key = sessions.create({"a": 1}, 600)
    sessions.save(key, {"a": 2}, 0)
    assert sessions.load(key) is None


def test_undecodable_data_reads_as_no_session(
    sessions, aerospike_client, aerospike_set
):
    aerospike_client.put(("test", aerospike_set, "broken"), {"d": b"\xff not json"})
    assert sessions.load("broken") is None


def test_expiring_a_live_session_with_must_exist_is_not_missing(sessions):
    key = sessions.create({"a": 1}, 600)
    sessions.save(key, {"a": 2}, -10, must_exist=True)
    assert sessions.exists(key) is False
    with pytest.raises(SessionMissing):
        sessions.save(key, {"a": 3}, -10, must_exist=True)


def test_a_namespace_without_expiry_explains_why_sessions_fail(
    client_factory, aerospike_set
):
    plain = NamespaceConfig("plain", nsup_period=0)
    with EmbeddedServer(namespaces=["test", plain]) as server:
        client = client_factory(server.client_config())
        store = (
            SessionEngine(client, namespace="plain", set_name=aerospike_set)
            if client_factory.kind == "sync"
            else BlockingView(
                AsyncSessionEngine(
                    client._target, namespace="plain", set_name=aerospike_set
                ),
                client._loop,
            )
        )

        with pytest.raises(TTLForbiddenError, match="so sessions cannot be stored"):
            store.create({"user": 1}, 300)


def test_a_session_too_big_to_store_says_so_and_keeps_the_old_data(sessions):
    key = sessions.create({"user": 1}, 300)

    with pytest.raises(RecordTooBig, match="record size limit"):
        sessions.save(key, {"blob": "x" * (2 * 1024 * 1024)}, 300)

    assert sessions.load(key) == {"user": 1}


def test_a_lifetime_past_ten_years_is_stored_for_ten_years(sessions):
    key = sessions.create({"a": 1}, 20 * 365 * 86400)
    assert sessions.ttl(key) >= 315_360_000 - 2

    assert sessions.touch(key, 10**12) is True
    assert sessions.ttl(key) >= 315_360_000 - 2


def test_text_with_lone_surrogates_round_trips_through_json(sessions):
    data = {"s": "bad \ud800 text", "plain": "héllo"}
    key = sessions.create(data, 300)
    assert sessions.load(key) == data


def test_data_the_serializer_cannot_encode_is_a_clear_error(
    aerospike_client, aerospike_set
):
    engine = SessionEngine(
        aerospike_client, set_name=aerospike_set, serializer="msgpack"
    )
    with pytest.raises(TypeError, match="session data cannot be serialized: "):
        engine.create({"s": "bad \ud800 text"}, 300)
