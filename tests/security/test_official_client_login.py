"""The official ``aerospike`` client logs in to the embedded server."""

from __future__ import annotations

import pytest
from certs import client_tls, server_tls

from aerospike_py.server import EmbeddedServer

aerospike = pytest.importorskip("aerospike")
official_errors = pytest.importorskip("aerospike.exception")


def _official(server: EmbeddedServer, **config: object):
    return aerospike.client({"hosts": server.hosts, **config}).connect()


def test_official_client_logs_in_and_is_held_to_its_roles(admin, secure_server):
    admin.admin_create_role(
        "ledger-rw", [{"code": "read-write", "ns": "test", "set": "ledger"}]
    )
    admin.admin_create_user("official", "official-pw", ["ledger-rw"])

    client = _official(secure_server, user="official", password="official-pw")
    try:
        key = ("test", "ledger", "entry")
        client.put(key, {"amount": 12})
        _, meta, bins = client.get(key)
        assert bins == {"amount": 12} and meta["gen"] == 1
        with pytest.raises(official_errors.RoleViolation) as caught:
            client.put(("test", "other", "entry"), {"amount": 1})
        assert caught.value.code == 81
    finally:
        client.close()
    assert admin.admin_query_user_info("official")["roles"] == ["ledger-rw"]


def test_official_client_is_refused_with_a_wrong_password(secure_server):
    with pytest.raises(official_errors.InvalidCredential) as caught:
        _official(secure_server, user="admin", password="not-the-password")
    assert caught.value.code == 65
    assert secure_server.security.login_attempts == 1


def test_official_admin_calls_read_our_users_and_roles(secure_server, admin_password):
    client = _official(secure_server, user="admin", password=admin_password)
    try:
        client.admin_create_role(
            "reader", [{"code": aerospike.PRIV_READ, "ns": "test", "set": "s"}]
        )
        client.admin_create_user("viewer", "viewer-pw", ["reader"])
        assert client.admin_query_role("reader") == [
            {"ns": "test", "set": "s", "code": aerospike.PRIV_READ}
        ]
        users = client.admin_query_users_info()
        assert users["viewer"]["roles"] == ["reader"]
        assert users["admin"]["roles"] == ["user-admin"]
    finally:
        client.close()
    viewer = _official(secure_server, user="viewer", password="viewer-pw")
    viewer.close()


def test_official_client_over_tls(certs):
    with EmbeddedServer(security=True, tls=server_tls(certs)) as server:
        tls = {"enable": True, **client_tls(certs)}
        config = {
            "hosts": server.client_config()["hosts"],
            "tls": tls,
            "user": "admin",
            "password": "admin",
        }
        client = aerospike.client(config).connect()
        try:
            assert client.admin_query_user_info("admin")["roles"] == ["user-admin"]
        finally:
            client.close()
