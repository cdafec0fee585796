"""Logging in: sessions, refused credentials, servers without security."""

from __future__ import annotations

import logging
import socket
import time

import pytest

import aerospike_py
from aerospike_py._config import parse_config
from aerospike_py.exception import (
    InvalidArgError,
    InvalidCredentialError,
    InvalidUserError,
    NotAuthenticatedError,
)
from aerospike_py.server import EmbeddedServer
from aerospike_py.wire import admin
from aerospike_py.wire import info as info_codec
from aerospike_py.wire import message as msg


def _round_trip(sock: socket.socket, request: bytes) -> tuple[int, bytes]:
    sock.sendall(request)
    header = sock.recv(8, socket.MSG_WAITALL)
    _, msg_type, size = msg.parse_proto_header(header)
    return msg_type, sock.recv(size, socket.MSG_WAITALL)


def test_connections_share_one_login_through_the_session_token(
    client_factory, secure_server, admin_password
):
    config = secure_server.client_config(
        user="admin", password=admin_password, min_conns_per_node=4
    )
    client = client_factory(config)
    assert client.is_connected()
    state = secure_server.security
    # One LOGIN (the seed); the tend connection and the four pooled ones
    # present the token instead.
    assert state.login_attempts == 1
    assert state.authentications >= 5
    info = client.admin_query_user_info("admin")
    assert info["conns_in_use"] >= 5


def test_client_logs_in_again_when_the_session_nears_its_end(client_factory):
    # A 62 s session is reused for 2 s: clients stop 60 s before the end.
    with EmbeddedServer(security=True, session_ttl=62) as server:
        state = server.security
        config = server.client_config(user="admin", password="admin", idle_timeout=100)
        client = client_factory(config)
        assert state.login_attempts == 1

        client_factory.sleep(0.3)  # the pooled connection is now too idle
        client.admin_query_users_info()
        assert state.login_attempts == 1

        client_factory.sleep(2.2)
        client.admin_query_users_info()
        assert state.login_attempts == 2


@pytest.mark.parametrize(
    ("user", "password", "error"),
    [
        ("admin", "wrong-password", InvalidCredentialError),
        ("nobody", "whatever", InvalidUserError),
    ],
)
def test_refused_login_raises_at_connect_after_one_attempt(
    client_factory, secure_server, user, password, error
):
    # Two seeds for the same node: a refused login must not be retried on
    # the next seed, or by the tender.
    hosts = [("127.0.0.1", secure_server.port), f"localhost:{secure_server.port}"]
    started = time.monotonic()
    with pytest.raises(error) as caught:
        client_factory({"hosts": hosts, "user": user, "password": password})
    assert time.monotonic() - started < 5
    assert secure_server.security.login_attempts == 1
    assert caught.value.code == error.default_code
    assert repr(user) in str(caught.value)


def test_credentials_work_against_a_server_without_security(client_factory, server):
    # The server answers LOGIN with 52: the client carries on without.
    client = client_factory(server.client_config(user="someone", password="pw"))
    key = ("test", "no_security", "k")
    client.put(key, {"a": 1})
    assert client.get(key).bins == {"a": 1}


def test_admin_commands_on_a_server_without_security_say_so(client_factory, server):
    client = client_factory(server.client_config())
    with pytest.raises(aerospike_py.AdminError) as caught:
        client.admin_query_users_info()
    assert caught.value.code == 52
    assert "security not enabled" in str(caught.value)


def test_connecting_without_credentials_says_a_login_is_needed(
    client_factory, secure_server
):
    config = {"hosts": [("127.0.0.1", secure_server.port)]}

    with pytest.raises(NotAuthenticatedError, match="set 'user' and 'password'"):
        client_factory(config)


def test_requests_before_login_are_refused_with_80(secure_server):
    with socket.create_connection(("127.0.0.1", secure_server.port)) as sock:
        msg_type, body = _round_trip(sock, info_codec.encode_request("node", "build"))
        assert (msg_type, body) == (msg.MSG_INFO, b"ERROR:80:not authenticated\n")

        get = msg.encode_message(
            info1=msg.INFO1_READ | msg.INFO1_GET_ALL,
            fields=[(msg.FIELD_NAMESPACE, b"test"), (msg.FIELD_DIGEST, bytes(20))],
        )
        _, body = _round_trip(sock, get)
        reply, _ = msg.decode_message(body)
        assert reply.result_code == 80

        query_users = admin.encode_request(admin.QUERY_USERS)
        _, body = _round_trip(sock, query_users)
        assert admin.decode_block(body)[0].result == admin.NOT_AUTHENTICATED


def test_login_reply_carries_a_token_and_ttl_and_opens_the_socket():
    login = admin.encode_request(
        admin.LOGIN,
        [(admin.USER, b"admin"), (admin.CREDENTIAL, admin.hash_password("admin"))],
    )
    with (
        EmbeddedServer(security=True, session_ttl=300) as server,
        socket.create_connection(("127.0.0.1", server.port)) as sock,
    ):
        _, body = _round_trip(sock, login)
        reply, _ = admin.decode_block(body)
        assert reply.result == admin.OK
        assert len(reply.fields[admin.SESSION_TOKEN]) >= 16
        assert admin.decode_u32(reply.fields[admin.SESSION_TTL]) == 300
        _, body = _round_trip(sock, info_codec.encode_request("build"))
        assert body == b"build\t8.1.2.0\n"


def test_external_mode_without_tls_is_refused_before_connecting():
    config = {
        "hosts": [("127.0.0.1", 3000)],
        "user": "u",
        "password": "p",
        "auth_mode": aerospike_py.AUTH_EXTERNAL,
    }
    with pytest.raises(InvalidArgError, match="needs TLS"):
        aerospike_py.client(config)


def test_pki_mode_without_a_client_certificate_is_refused():
    config = {
        "hosts": [("127.0.0.1", 3000)],
        "auth_mode": aerospike_py.AUTH_PKI,
        "tls": {"verify": False},
    }
    with pytest.raises(InvalidArgError, match="certfile"):
        aerospike_py.client(config)


def test_user_without_password_is_refused_at_connect(secure_server):
    client = aerospike_py.client(secure_server.client_config(user="admin"))
    with pytest.raises(InvalidArgError, match="no 'password'"):
        client.connect()
    assert secure_server.security.login_attempts == 0


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [(5, "x", "username must be a str, not int"), ("u", b"x", "password must be")],
)
def test_connect_credentials_of_the_wrong_type_are_refused(
    secure_server, username, password, message
):
    client = aerospike_py.client(secure_server.client_config())
    with pytest.raises(InvalidArgError, match=message):
        client.connect(username, password)
    assert secure_server.security.login_attempts == 0
    assert not client.is_connected()


def test_connect_arguments_override_the_configured_credentials(
    secure_server, admin_password
):
    config = secure_server.client_config(user="admin", password="stale")
    with aerospike_py.client(config) as client:
        client.connect("admin", admin_password)
        assert client.admin_query_user_info("admin")["roles"] == ["user-admin"]


def test_passwords_and_tokens_never_reach_the_logs(
    caplog, client_factory, secure_server, admin_password
):
    caplog.set_level(logging.DEBUG)
    secret = "very-secret-pw"
    admin_client = client_factory(
        secure_server.client_config(user="admin", password=admin_password)
    )
    admin_client.admin_create_user("logged", secret, ["read"])
    user = client_factory(secure_server.client_config(user="logged", password=secret))
    user.exists(("test", "logs", 1))
    with pytest.raises(InvalidCredentialError):
        client_factory(secure_server.client_config(user="logged", password="bad-pw"))
    admin_client.admin_set_password("logged", "another-secret")

    settings = parse_config(secure_server.client_config(user="x", password=secret))
    text = caplog.text + repr(settings)
    assert "logged in to" in caplog.text  # the login was logged, without secrets
    tokens = [s.token for s in secure_server.security.sessions.values()]
    for forbidden in (secret, "bad-pw", "another-secret", admin_password):
        assert forbidden not in text
        assert admin.hash_password(forbidden).decode() not in text
    for token in tokens:
        assert token.hex() not in text and repr(token) not in text
