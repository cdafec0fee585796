"""``python -m aerospike_py.server`` flags for security and TLS."""

from __future__ import annotations

import pytest
from certs import TLS_NAME, client_tls

import aerospike_py
from aerospike_py.server.__main__ import build_parser, server_from_args


def _server(*flags: str):
    return server_from_args(build_parser().parse_args(["--port", "0", *flags]))


def test_security_flags_start_a_server_that_wants_the_admin_password():
    with _server("--security", "--admin-password", "cli-secret") as server:
        config = server.client_config(user="admin", password="cli-secret")
        with aerospike_py.client(config).connect() as client:
            assert client.admin_query_user_info("admin")["roles"] == ["user-admin"]
        with pytest.raises(aerospike_py.InvalidCredentialError):
            aerospike_py.client(
                server.client_config(user="admin", password="admin")
            ).connect()


def test_tls_flags_serve_tls_with_the_given_name(certs):
    flags = [
        "--tls-certfile",
        str(certs.server.certfile),
        "--tls-keyfile",
        str(certs.server.keyfile),
        "--tls-cafile",
        str(certs.ca.certfile),
        "--tls-require-client-cert",
        "--tls-name",
        TLS_NAME,
    ]
    with _server(*flags) as server:
        assert server.client_config()["hosts"][0][2] == TLS_NAME
        tls = client_tls(certs, cert=certs.client)
        with aerospike_py.client(server.client_config(tls=tls)).connect() as client:
            client.put(("test", "cli", 1), {"ok": True})
            assert client.get(("test", "cli", 1)).bins == {"ok": True}


def test_quota_flag_without_security_is_a_usage_error(capsys):
    from aerospike_py.server.__main__ import main

    with pytest.raises(SystemExit) as caught:
        main(["--port", "0", "--enable-quotas"])
    assert caught.value.code == 2
    assert "enable_quotas needs security=True" in capsys.readouterr().err
