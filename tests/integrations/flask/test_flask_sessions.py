"""Server-side sessions, driven through the Flask test client."""

from __future__ import annotations

import datetime
import json
import logging

import pytest
from flask import Flask, flash, get_flashed_messages, request, session
from markupsafe import Markup
from werkzeug.wrappers import Response

from aerospike_py.exception import ClusterError, RecordTooBig
from aerospike_py.sessions import TTLForbiddenError
from flask_aerospike import ConfigError, regenerate_session
from flask_aerospike.sessions import AerospikeSessionInterface

LIFETIME = 600
TEN_YEARS = 315_360_000  # Aerospike's longest TTL


@pytest.fixture
def make_session_app(make_app):
    """An app with a few views that read and write the session."""

    def make(**config) -> Flask:
        config.setdefault("PERMANENT_SESSION_LIFETIME", LIFETIME)
        app = make_app(**config)

        @app.get("/set")
        def set_values():
            session.update(request.args)
            return "ok"

        @app.get("/get")
        def get_values():
            return dict(session)

        @app.get("/pop/<name>")
        def pop_value(name):
            session.pop(name, None)
            return "ok"

        @app.get("/plain")
        def plain():
            return "no session here"

        @app.get("/login")
        def login():
            regenerate_session()
            session["user"] = "ada"
            return "ok"

        @app.get("/logout")
        def logout():
            session.clear()
            return "ok"

        @app.get("/temporary")
        def temporary():
            session.permanent = False
            session["visit"] = 1
            return "ok"

        return app

    return make


@pytest.fixture
def session_app(make_session_app):
    return make_session_app()


def interface(app) -> AerospikeSessionInterface:
    return app.session_interface


def session_id(client) -> str:
    """The id in the client's session cookie (the part before the signature)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value.rsplit(".", 1)[0]


def record_key(app, sid) -> tuple[str, str, str]:
    return ("test", app.config["AEROSPIKE_SESSION_SET"], f"session:{sid}")


def set_cookie_header(response) -> dict[str, str]:
    header = response.headers.get("Set-Cookie", "")
    return {
        part.split("=", 1)[0].strip().lower(): part.partition("=")[2]
        for part in header.split(";")
    }


def test_values_survive_across_requests(session_app):
    client = session_app.test_client()
    client.get("/set?name=ada&lang=python")
    assert client.get("/get").json == {"name": "ada", "lang": "python"}


def test_the_cookie_holds_a_signed_id_and_the_data_stays_on_the_server(
    session_app, aerospike_client
):
    client = session_app.test_client()
    client.get("/set?secret=swordfish")
    cookie = client.get_cookie("session").value
    assert "swordfish" not in cookie
    sid = session_id(client)
    record = aerospike_client.get(record_key(session_app, sid))
    assert json.loads(record.bins["d"]) == {"secret": "swordfish"}


def test_a_session_is_one_record_with_one_bin_in_the_configured_set(
    session_app, aerospike_client
):
    clients = [session_app.test_client() for _ in range(3)]
    for number, client in enumerate(clients):
        client.get(f"/set?a=1&b=2&a_rather_long_session_key_name={number}")
    set_name = session_app.config["AEROSPIKE_SESSION_SET"]
    sids = [session_id(client) for client in clients]
    for sid in sids:
        record = aerospike_client.get(record_key(session_app, sid))
        assert list(record.bins) == ["d"]
    sets = aerospike_client.info_random_node("sets/test")
    assert f"set={set_name}:objects=3:" in sets
    assert not any(sid in sets for sid in sids)  # no set per session


def test_keys_removed_from_the_session_are_gone_after_the_save(
    session_app, aerospike_client
):
    client = session_app.test_client()
    client.get("/set?keep=1&drop=2")
    client.get("/pop/drop")
    assert client.get("/get").json == {"keep": "1"}
    record = aerospike_client.get(record_key(session_app, session_id(client)))
    assert json.loads(record.bins["d"]) == {"keep": "1"}


def test_the_record_ttl_is_the_session_lifetime_permanent_or_not(
    session_app, aerospike_client
):
    permanent = session_app.test_client()
    permanent.get("/set?a=1")
    temporary = session_app.test_client()
    response = temporary.get("/temporary")

    for client in (permanent, temporary):
        meta = aerospike_client.exists(record_key(session_app, session_id(client))).meta
        assert LIFETIME - 5 <= meta.ttl <= LIFETIME
    assert "expires" not in set_cookie_header(response)
    assert "expires" in set_cookie_header(permanent.get("/set?a=2"))


def test_a_lifetime_past_ten_years_is_stored_for_ten_years(
    make_session_app, aerospike_client
):
    app = make_session_app(PERMANENT_SESSION_LIFETIME=datetime.timedelta(days=4000))
    client = app.test_client()
    response = client.get("/set?user=ada")
    assert response.status_code == 200
    meta = aerospike_client.exists(record_key(app, session_id(client))).meta
    assert TEN_YEARS - 5 <= meta.ttl <= TEN_YEARS
    assert client.get("/get").json == {"user": "ada"}


def test_an_expired_session_starts_over(session_app, advance_clock):
    client = session_app.test_client()
    client.get("/set?user=ada")
    advance_clock(LIFETIME + 1)
    assert client.get("/get").json == {}


def test_refreshing_touches_the_ttl_without_rewriting_the_data(
    session_app, aerospike_client, advance_clock
):
    client = session_app.test_client()
    client.get("/set?user=ada")
    key = record_key(session_app, session_id(client))
    before = aerospike_client.get(key)
    advance_clock(300)
    response = client.get("/get")
    after = aerospike_client.get(key)
    assert "session" in response.headers["Set-Cookie"]
    assert after.bins == before.bins
    # Without the refresh 300 s would be left.
    assert after.meta.ttl >= LIFETIME - 10


def test_an_unmodified_session_is_not_written_without_refresh(
    make_session_app, aerospike_client
):
    app = make_session_app(SESSION_REFRESH_EACH_REQUEST=False)
    client = app.test_client()
    client.get("/set?user=ada")
    key = record_key(app, session_id(client))
    generation = aerospike_client.exists(key).meta.gen
    response = client.get("/get")
    assert response.json == {"user": "ada"}
    assert "Set-Cookie" not in response.headers
    assert aerospike_client.exists(key).meta.gen == generation


def test_a_session_nobody_wrote_is_never_stored(session_app, aerospike_client):
    client = session_app.test_client()
    for path in ("/plain", "/get", "/get"):
        assert "Set-Cookie" not in client.get(path).headers
    assert interface(session_app).engine.count() == 0


def test_vary_cookie_is_sent_when_the_session_was_read(session_app):
    client = session_app.test_client()
    assert "Cookie" in client.get("/get").headers.get("Vary", "")
    assert "Vary" not in client.get("/plain").headers


def test_a_request_that_never_uses_the_session_does_not_read_it(session_app, server):
    client = session_app.test_client()
    client.get("/set?user=ada")
    with server.recording() as received:
        response = client.get("/plain")
    assert response.text == "no session here"
    assert received == []
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_routes_that_never_use_the_session_work_while_the_store_is_down(
    make_session_app, stoppable_server
):
    app = make_session_app(AEROSPIKE=stoppable_server.client_config())
    client = app.test_client()
    client.get("/set?user=ada")
    stoppable_server.stop()
    response = client.get("/plain")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with pytest.raises(ClusterError):
        client.get("/get")
    assert client.get_cookie("session") is not None


def test_a_write_keeps_what_was_stored_before(session_app):
    client = session_app.test_client()
    client.get("/set?user=ada")
    client.get("/set?lang=python")
    assert client.get("/get").json == {"user": "ada", "lang": "python"}


def test_a_session_used_outside_the_proxy_still_varies_on_cookie(session_app):
    client = session_app.test_client()
    client.get("/set?user=ada")
    cookie = client.get_cookie("session").value
    backend = interface(session_app)
    headers = {"Cookie": f"session={cookie}"}
    with session_app.test_request_context(headers=headers):
        opened = backend.open_session(session_app, request)
        assert opened["user"] == "ada"
        response = Response()
        backend.save_session(session_app, opened, response)
    assert "session=" in response.headers["Set-Cookie"]
    assert "Cookie" in response.headers["Vary"]


def test_a_tampered_cookie_gives_a_fresh_empty_session(session_app):
    victim = session_app.test_client()
    victim.get("/set?user=ada")
    sid = session_id(victim)

    attacker = session_app.test_client()
    for forged in (sid, f"{sid}.bad-signature", "garbage", "é.x"):
        attacker.set_cookie("session", forged)
        response = attacker.get("/get")
        assert response.status_code == 200
        assert response.json == {}


def test_an_id_without_a_record_is_not_reused(session_app):
    client = session_app.test_client()
    with session_app.test_request_context():
        signer = interface(session_app)._signer(session_app)
    planted = "planted-by-an-attacker"
    client.set_cookie("session", signer.sign(planted).decode())
    client.get("/set?user=ada")
    assert session_id(client) != planted
    assert client.get("/get").json == {"user": "ada"}


def test_emptying_the_session_deletes_it_and_expires_the_cookie(
    session_app, aerospike_client
):
    client = session_app.test_client()
    client.get("/set?user=ada")
    key = record_key(session_app, session_id(client))
    response = client.get("/logout")
    assert aerospike_client.exists(key).meta is None
    assert set_cookie_header(response)["expires"].startswith("Thu, 01 Jan 1970")
    assert client.get_cookie("session") is None


def test_regenerating_at_login_gives_a_new_id_and_drops_the_old_record(
    session_app, aerospike_client
):
    client = session_app.test_client()
    client.get("/set?cart=apples")
    old_sid = session_id(client)
    client.get("/login")
    new_sid = session_id(client)
    assert new_sid != old_sid
    assert aerospike_client.exists(record_key(session_app, old_sid)).meta is None
    assert client.get("/get").json == {"cart": "apples", "user": "ada"}


def test_a_session_deleted_during_a_request_is_not_brought_back(
    session_app, aerospike_client
):
    @session_app.get("/slow")
    def slow():
        # A logout in a parallel request deletes the record meanwhile.
        interface(session_app).engine.delete(f"session:{session.sid}")
        session["late"] = "write"
        return "ok"

    client = session_app.test_client()
    client.get("/set?user=ada")
    key = record_key(session_app, session_id(client))
    response = client.get("/slow")
    assert aerospike_client.exists(key).meta is None
    assert set_cookie_header(response)["expires"].startswith("Thu, 01 Jan 1970")


def test_json_is_the_default_and_flask_session_types_survive(
    session_app, aerospike_client
):
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)

    @session_app.get("/rich")
    def rich():
        session["pair"] = (1, 2)
        session["when"] = moment
        session["raw"] = b"\x00\x01"
        flash(Markup("<b>Welcome</b>"))
        return "ok"

    @session_app.get("/read-rich")
    def read_rich():
        assert session["pair"] == (1, 2)
        assert session["when"] == moment
        assert session["raw"] == b"\x00\x01"
        (message,) = get_flashed_messages()
        assert isinstance(message, Markup)
        return "checked"

    client = session_app.test_client()
    client.get("/rich")
    record = aerospike_client.get(record_key(session_app, session_id(client)))
    assert isinstance(json.loads(record.bins["d"]), dict)
    assert client.get("/read-rich").text == "checked"


def test_msgpack_can_be_chosen(make_session_app, aerospike_client):
    app = make_session_app(SESSION_SERIALIZATION_FORMAT="msgpack")
    client = app.test_client()
    client.get("/set?user=ada")
    assert client.get("/get").json == {"user": "ada"}
    raw = aerospike_client.get(record_key(app, session_id(client))).bins["d"]
    assert raw == b"\x81\xa4user\xa3ada"


def test_flasks_cookie_settings_are_honoured(make_session_app):
    app = make_session_app(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.org",
        SESSION_COOKIE_PATH="/shop",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    response = app.test_client().get("/set?a=1", base_url="https://example.org")
    cookie = set_cookie_header(response)
    assert "sid" in cookie
    assert cookie["domain"] == "example.org"
    assert cookie["path"] == "/shop"
    assert cookie["samesite"] == "Strict"
    assert {"secure", "httponly"} <= set(cookie)


def test_a_cookie_signed_with_a_retired_key_still_opens_the_session(
    make_session_app,
):
    old = make_session_app(SECRET_KEY="old key")
    client = old.test_client()
    client.get("/set?user=ada")
    cookie = client.get_cookie("session").value

    rotated = make_session_app(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["old key"])
    other = rotated.test_client()
    other.set_cookie("session", cookie)
    assert other.get("/get").json == {"user": "ada"}

    stranger = make_session_app(SECRET_KEY="new key")
    third = stranger.test_client()
    third.set_cookie("session", cookie)
    assert third.get("/get").json == {}


def test_without_a_secret_key_flask_explains_the_problem(make_session_app):
    app = make_session_app(SECRET_KEY=None)
    with app.test_request_context(), pytest.raises(RuntimeError, match="secret key"):
        session["a"] = 1


def test_the_test_clients_session_transaction_works(session_app):
    client = session_app.test_client()
    with client.session_transaction() as prepared:
        prepared["user"] = "grace"
    assert client.get("/get").json == {"user": "grace"}


def test_new_sessions_follow_session_permanent(make_session_app):
    app = make_session_app(SESSION_PERMANENT=False)
    response = app.test_client().get("/set?a=1")
    assert "expires" not in set_cookie_header(response)


def test_session_key_prefix_and_id_length_shape_the_record_key(
    make_session_app, aerospike_client
):
    app = make_session_app(SESSION_KEY_PREFIX="shop:", SESSION_ID_LENGTH=16)
    client = app.test_client()
    client.get("/set?a=1")
    sid = session_id(client)
    assert len(sid) == 22  # 16 random bytes, URL-safe base64
    key = ("test", app.config["AEROSPIKE_SESSION_SET"], f"shop:{sid}")
    assert aerospike_client.exists(key).meta is not None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SESSION_SERIALIZATION_FORMAT", "pickle", "SESSION_SERIALIZATION_FORMAT"),
        ("SESSION_ID_LENGTH", 8, "SESSION_ID_LENGTH is 8"),
        ("SESSION_PERMANENT", "no", "SESSION_PERMANENT must be True or False"),
        ("PERMANENT_SESSION_LIFETIME", 0, "PERMANENT_SESSION_LIFETIME"),
        ("AEROSPIKE_SESSION_SET", "s" * 64, "AEROSPIKE_SESSION_SET .* 64 bytes"),
        ("AEROSPIKE_SESSION_NAMESPACE", "", "AEROSPIKE_SESSION_NAMESPACE"),
    ],
)
def test_bad_session_settings_fail_at_init_app(make_app, key, value, message):
    with pytest.raises(ConfigError, match=message):
        make_app(**{key: value})


def test_regenerate_session_without_aerospike_sessions_says_how_to_enable_them(
    make_app,
):
    app = make_app(AEROSPIKE_SESSIONS=False)
    with (
        app.test_request_context(),
        pytest.raises(RuntimeError, match="AEROSPIKE_SESSIONS = True"),
    ):
        regenerate_session()


# -- writes the store refuses ----------------------------------------------------


@pytest.fixture
def plain_app(make_session_app, plain_server):
    """Sessions in a namespace without expiry, errors answered as in production."""
    return make_session_app(
        TESTING=False,
        AEROSPIKE=plain_server.client_config(),
        AEROSPIKE_SESSION_NAMESPACE="plain",
    )


def logged_errors(caplog) -> list[BaseException]:
    return [record.exc_info[1] for record in caplog.records if record.exc_info]


def test_a_namespace_without_expiry_fails_the_save_with_the_fix(
    make_session_app, plain_server
):
    app = make_session_app(
        AEROSPIKE=plain_server.client_config(), AEROSPIKE_SESSION_NAMESPACE="plain"
    )
    with pytest.raises(TTLForbiddenError, match="plain:nsup-period=120"):
        app.test_client().get("/set?user=ada")


def test_a_refused_save_is_logged_once_with_the_explanation(plain_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = plain_app.test_client().get("/set?user=ada")
    assert response.status_code == 500
    (error,) = logged_errors(caplog)
    assert isinstance(error, TTLForbiddenError)
    assert "nsup-period" in caplog.text


def test_request_finalizing_failure_logs_the_explanation(plain_app, caplog):
    @plain_app.get("/fail")
    def fail():
        session["user"] = "ada"
        raise RuntimeError("the view failed")

    with caplog.at_level(logging.ERROR):
        response = plain_app.test_client().get("/fail")
    assert response.status_code == 500
    (finalizing,) = [
        record
        for record in caplog.records
        if record.getMessage().startswith("Request finalizing failed")
    ]
    assert isinstance(finalizing.exc_info[1], TTLForbiddenError)
    assert "refuses records with a TTL" in str(finalizing.exc_info[1])


def test_a_session_too_big_to_store_is_logged_and_the_stored_one_kept(
    make_session_app, caplog
):
    app = make_session_app(TESTING=False)

    @app.get("/hoard")
    def hoard():
        session["blob"] = "x" * (2 * 1024 * 1024)
        return "ok"

    client = app.test_client()
    client.get("/set?user=ada")
    with caplog.at_level(logging.ERROR):
        response = client.get("/hoard")
    assert response.status_code == 500
    (error,) = logged_errors(caplog)
    assert isinstance(error, RecordTooBig)
    assert "record size limit" in str(error)
    assert client.get("/get").json == {"user": "ada"}


@pytest.mark.parametrize("permanent", [True, False])
def test_changes_inside_a_value_are_saved_like_any_other(make_session_app, permanent):
    app = make_session_app(SESSION_PERMANENT=permanent)

    @app.get("/append")
    def append():
        session.setdefault("cart", []).append(request.args["x"])  # not "modified"
        return session["cart"]

    client = app.test_client()
    for item in ("1", "2", "3"):
        client.get(f"/append?x={item}")

    assert client.get("/get").json == {"cart": ["1", "2", "3"]}


def test_a_login_racing_a_logout_does_not_bring_the_session_back(
    make_session_app, aerospike_client
):
    app = make_session_app()

    @app.get("/slow-login")
    def slow_login():
        session["user"] = "eve"
        aerospike_client.remove(record_key(app, session.sid))  # a logout elsewhere
        regenerate_session()
        return "ok"

    client = app.test_client()
    client.get("/set?cart=full")
    response = client.get("/slow-login")

    assert set_cookie_header(response)["session"] == ""  # the cookie is dropped
    records = aerospike_client.query("test", app.config["AEROSPIKE_SESSION_SET"])
    assert records.results() == []


def test_text_with_lone_surrogates_is_stored_as_json_escapes(session_app):
    app = session_app

    @app.get("/odd")
    def odd():
        session["s"] = "bad \ud800 text"
        return "ok"

    client = app.test_client()
    client.get("/odd")
    assert client.get("/get").json == {"s": "bad \ud800 text"}
