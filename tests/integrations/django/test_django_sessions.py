"""SESSION_ENGINE = "django_aerospike.sessions" against the embedded server."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import pytest
from aerospike_testproject.testing import closed_port, run_async
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from aerospike_py.exception import ClusterError, RecordTooBig
from aerospike_py.sessions import TTLForbiddenError
from django_aerospike import get_client
from django_aerospike.sessions import SessionStore

TEN_YEARS = 315_360_000  # Aerospike's longest TTL


def record_of(settings, session_key):
    """The raw record of a session, or None."""
    key = ("test", settings.AEROSPIKE_SESSIONS["set"], session_key)
    result = get_client().exists(key)
    return result.meta


def test_create_stores_an_empty_session_under_a_django_style_key(settings):
    session = SessionStore()
    session.create()
    assert len(session.session_key) == 32
    assert session.session_key.isalnum() and session.session_key.islower()
    assert session.exists(session.session_key)
    assert SessionStore(session.session_key).load() == {}


def test_save_then_load_in_another_store(settings):
    session = SessionStore()
    session["cart"] = ["book", 2]
    session.save()
    loaded = SessionStore(session.session_key)
    assert loaded["cart"] == ["book", 2]
    loaded["cart"] = []
    loaded.save()
    assert SessionStore(session.session_key)["cart"] == []


def test_keys_removed_from_the_session_are_gone_after_save():
    session = SessionStore()
    session.update({"a": 1, "b": 2})
    session.save()
    again = SessionStore(session.session_key)
    del again["a"]
    again.save()
    assert dict(SessionStore(session.session_key).items()) == {"b": 2}


def test_exists_is_false_for_empty_and_unknown_keys():
    session = SessionStore()
    assert session.exists(None) is False
    assert session.exists("") is False
    assert session.exists("x" * 32) is False


def test_loading_an_unknown_key_starts_a_fresh_session():
    session = SessionStore("unknownsessionkey")
    assert session.load() == {}
    assert session.session_key is None
    assert not session.exists("unknownsessionkey")


def test_save_must_create_refuses_an_existing_key():
    session = SessionStore()
    session["a"] = 1
    session.save()
    clash = SessionStore(session.session_key)
    clash._session_cache = {"b": 2}
    with pytest.raises(CreateError):
        clash.save(must_create=True)
    assert SessionStore(session.session_key)["a"] == 1


def test_save_never_resurrects_a_session_deleted_meanwhile():
    session = SessionStore()
    session["user"] = 1
    session.save()
    slow_request = SessionStore(session.session_key)
    slow_request["seen"] = True
    SessionStore(session.session_key).delete()  # a logout elsewhere
    with pytest.raises(UpdateError):
        slow_request.save()
    assert not session.exists(session.session_key)


def test_delete_by_key_and_of_the_current_session():
    first, second = SessionStore(), SessionStore()
    first.create()
    second.create()
    first.delete(second.session_key)
    assert not first.exists(second.session_key)
    first.delete()
    assert not first.exists(first.session_key)
    SessionStore().delete()  # no key: nothing to do


def test_cycle_key_keeps_the_data_under_a_new_key():
    session = SessionStore()
    session["user"] = 7
    session.save()
    old_key = session.session_key
    session.cycle_key()
    assert session.session_key != old_key
    assert not session.exists(old_key)
    assert SessionStore(session.session_key)["user"] == 7


def test_flush_deletes_and_forgets_the_key():
    session = SessionStore()
    session["user"] = 7
    session.save()
    old_key = session.session_key
    session.flush()
    assert session.session_key is None
    assert not session.exists(old_key)


def test_record_ttl_is_the_expiry_age(settings):
    session = SessionStore()
    session.set_expiry(600)
    session.save()
    assert 595 <= record_of(settings, session.session_key).ttl <= 600
    session.set_expiry(timezone.now() + timedelta(hours=2))
    session.save()
    assert 7190 <= record_of(settings, session.session_key).ttl <= 7200


def test_an_expiry_past_ten_years_is_stored_for_ten_years(settings):
    session = SessionStore()
    session["a"] = 1
    session.set_expiry(timedelta(days=4000))
    session.save()
    assert TEN_YEARS - 5 <= record_of(settings, session.session_key).ttl <= TEN_YEARS

    async def scenario():
        later = SessionStore()
        await later.aset_expiry(20 * 365 * 86400)
        await later.acreate()
        return later.session_key

    assert record_of(settings, run_async(scenario)).ttl >= TEN_YEARS - 5


def test_default_expiry_is_the_session_cookie_age(settings):
    settings.SESSION_COOKIE_AGE = 1234
    session = SessionStore()
    session.create()
    assert 1230 <= record_of(settings, session.session_key).ttl <= 1234


def test_expired_session_is_gone_on_the_server(django_server):
    session = SessionStore()
    session["a"] = 1
    session.set_expiry(60)
    session.save()
    django_server.advance_clock(61)
    fresh = SessionStore(session.session_key)
    assert "a" not in fresh
    assert fresh.session_key is None


def test_expiry_in_the_past_stores_nothing():
    # Django's test_actual_expiry: a past expiry expires the session at once.
    session = SessionStore()
    session["foo"] = "bar"
    session.set_expiry(-timedelta(seconds=10))
    session.save()
    assert "foo" not in SessionStore(session.session_key)


def test_expiring_a_live_session_deletes_it_without_error():
    session = SessionStore()
    session["foo"] = "bar"
    session.save()
    session.set_expiry(-10)
    session.save()
    assert not session.exists(session.session_key)


def test_undecodable_payload_is_an_empty_logged_session(settings, caplog):
    session = SessionStore()
    session.create()
    key = ("test", settings.AEROSPIKE_SESSIONS["set"], session.session_key)
    get_client().put(key, {"d": b"tampered:payload"})
    with caplog.at_level(logging.WARNING, logger="django.security.SuspiciousSession"):
        assert SessionStore(session.session_key).load() == {}
    assert "Session data corrupted" in caplog.text


def test_payload_is_signed_with_the_session_serializer(settings):
    session = SessionStore()
    session["a"] = 1
    session.save()
    key = ("test", settings.AEROSPIKE_SESSIONS["set"], session.session_key)
    payload = get_client().get(key).bins["d"]
    assert session.decode(payload.decode()) == {"a": 1}


def test_clear_expired_has_nothing_to_do_and_says_so(caplog):
    with caplog.at_level(logging.INFO, logger="django_aerospike.sessions"):
        SessionStore.clear_expired()
        call_command("clearsessions")
    assert "nothing to clear" in caplog.text


# -- the async twins --------------------------------------------------------


def test_async_create_save_load_and_delete():
    async def scenario():
        session = SessionStore()
        await session.aset("n", 1)
        await session.asave()
        key = session.session_key
        loaded = SessionStore(key)
        assert await loaded.aget("n") == 1
        assert await loaded.aexists(key) is True
        await loaded.adelete()
        return key, await loaded.aexists(key)

    key, exists = run_async(scenario)
    assert len(key) == 32 and exists is False


def test_async_create_and_cycle_key():
    async def scenario():
        session = SessionStore()
        await session.acreate()
        first = session.session_key
        await session.aset("user", 3)
        await session.acycle_key()
        second = session.session_key
        loaded = await SessionStore(second).aload()
        return first, second, loaded, await session.aexists(first)

    first, second, loaded, old_exists = run_async(scenario)
    assert first != second and loaded == {"user": 3} and old_exists is False


def test_async_save_refuses_create_over_and_update_of_deleted():
    async def scenario():
        session = SessionStore()
        await session.aset("a", 1)
        await session.asave()
        with pytest.raises(CreateError):
            await SessionStore(session.session_key).asave(must_create=True)
        await SessionStore().adelete(session.session_key)
        with pytest.raises(UpdateError):
            await session.asave()

    run_async(scenario)


def test_async_flush_and_clear_expired():
    async def scenario():
        session = SessionStore()
        await session.aset("a", 1)
        await session.asave()
        key = session.session_key
        await session.aflush()
        await SessionStore.aclear_expired()
        return await session.aexists(key), session.session_key

    assert run_async(scenario) == (False, None)


# -- through the middleware, as an application uses it ---------------------


def test_session_middleware_keeps_a_counter():
    client = Client()
    assert client.get("/visit/").json() == {"visits": 1}
    assert client.get("/visit/").json() == {"visits": 2}
    client.get("/logout/")
    assert client.get("/visit/").json() == {"visits": 1}


def test_async_view_shares_the_session_with_sync_views():
    client = Client()
    client.get("/visit/")
    assert client.get("/avisit/").json() == {"visits": 2}
    assert client.get("/visit/").json() == {"visits": 3}


def test_a_view_that_never_uses_the_session_works_while_the_store_is_down(
    settings, set_prefix
):
    settings.AEROSPIKE = {
        **settings.AEROSPIKE,
        "down": {"hosts": [f"127.0.0.1:{closed_port()}"]},
    }
    settings.AEROSPIKE_SESSIONS = {"alias": "down", "set": f"s_{set_prefix}"}
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    response = client.get("/plain/")
    assert response.status_code == 200
    assert not response.has_header("Vary")
    with pytest.raises(ClusterError):
        client.get("/visit/")


# -- writes the store refuses -----------------------------------------------


@pytest.fixture
def plain_sessions(settings, set_prefix):
    """Sessions in the namespace without expiry (nsup-period 0)."""
    settings.AEROSPIKE_SESSIONS = {"namespace": "plain", "set": f"p_{set_prefix}"}


@pytest.mark.usefixtures("plain_sessions")
def test_a_namespace_without_expiry_fails_the_save_with_the_fix():
    session = SessionStore()
    session["user"] = "ada"
    with pytest.raises(TTLForbiddenError, match="plain:nsup-period=120"):
        session.save()
    with pytest.raises(TTLForbiddenError, match="sessions cannot be stored"):
        SessionStore().create()
    with pytest.raises(TTLForbiddenError, match="nsup-period"):
        Client().get("/visit/")


@pytest.mark.usefixtures("plain_sessions")
def test_a_namespace_without_expiry_fails_the_async_save_with_the_fix():
    async def scenario():
        session = SessionStore()
        await session.aset("user", "ada")
        await session.asave()

    with pytest.raises(TTLForbiddenError, match="plain:nsup-period=120"):
        run_async(scenario)


def test_a_session_too_big_to_store_fails_the_save_and_keeps_the_stored_one():
    session = SessionStore()
    session["user"] = "ada"
    session.save()
    # Random, so that Django's compression cannot shrink it under 1 MiB.
    session["blob"] = secrets.token_urlsafe(1024 * 1024)
    with pytest.raises(RecordTooBig, match="record size limit"):
        session.save()
    assert SessionStore(session.session_key).load() == {"user": "ada"}


def test_changed_session_settings_apply_to_new_stores(settings, set_prefix):
    first = SessionStore()
    first.create()
    settings.AEROSPIKE_SESSIONS = {"set": f"moved_{set_prefix}"}
    second = SessionStore()
    second.create()
    assert record_of(settings, second.session_key) is not None
    assert record_of(settings, first.session_key) is None


def test_django_cache_session_engine_over_aerospike_cache(settings):
    # What django-redis users configure: sessions in a CACHES alias.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client = Client()
    assert client.get("/visit/").json() == {"visits": 1}
    assert client.get("/visit/").json() == {"visits": 2}
    assert len(caches["default"].keys("django.contrib.sessions.cache*")) == 1
