"""TLS between the clients and the embedded server; PKI logins."""

from __future__ import annotations

import pytest
from certs import PKI_USER, TLS_NAME, client_tls, server_tls

import aerospike_py
from aerospike_py.exception import ClusterError, InvalidUserError
from aerospike_py.server import EmbeddedServer

KEY = ("test", "tls", "k")


@pytest.fixture
def tls_server(certs):
    with EmbeddedServer(tls=server_tls(certs)) as server:
        yield server


def test_client_trusting_the_ca_reads_and_writes_over_tls(
    client_factory, tls_server, certs
):
    client = client_factory(tls_server.client_config(tls=client_tls(certs)))
    client.put(KEY, {"over": "tls"})
    assert client.get(KEY).bins == {"over": "tls"}


def test_server_certificate_from_another_ca_is_refused(tls_server, certs):
    config = tls_server.client_config(tls=client_tls(certs, ca=certs.stranger_ca))
    with pytest.raises(ClusterError, match="certificate verify failed"):
        aerospike_py.client(config).connect()


def test_wrong_tls_name_is_refused(client_factory, tls_server, certs):
    hosts = [("127.0.0.1", tls_server.port, "other.aerospike.test")]
    config = {"hosts": hosts, "tls": client_tls(certs)}
    with pytest.raises(
        ClusterError, match=r"Hostname mismatch.*other\.aerospike\.test"
    ):
        client_factory(config)


def test_clear_client_cannot_talk_to_a_tls_server(tls_server):
    with pytest.raises(ClusterError, match="could not connect"):
        aerospike_py.client(tls_server.client_config(timeout=2000)).connect()


def test_tls_name_of_the_host_string_form_is_used(tls_server, certs):
    host = f"127.0.0.1:{TLS_NAME}:{tls_server.port}"
    config = {"hosts": [host], "tls": client_tls(certs)}
    with aerospike_py.client(config).connect() as client:
        assert client.get_node_names() == [tls_server.nodes[0].node_id]


def test_client_finds_tls_peers_by_their_tls_name(client_factory, certs):
    with EmbeddedServer(nodes=3, tls=server_tls(certs)) as server:
        seed = server.client_config(tls=client_tls(certs))["hosts"][:1]
        client = client_factory({"hosts": seed, "tls": client_tls(certs)})
        assert sorted(client.get_node_names()) == sorted(
            node.node_id for node in server.nodes
        )
        for i in range(20):
            client.put(("test", "tls", i), {"i": i})
        assert client.get(("test", "tls", 19)).bins == {"i": 19}


def test_mutual_tls_needs_a_client_certificate_from_the_ca(client_factory, certs):
    settings = server_tls(certs, require_client_cert=True)
    with EmbeddedServer(tls=settings) as server:
        with pytest.raises(ClusterError):
            client_factory(server.client_config(tls=client_tls(certs)))
        stranger = client_tls(certs, cert=certs.stranger_client)
        with pytest.raises(ClusterError):
            client_factory(server.client_config(tls=stranger))

        trusted = client_tls(certs, cert=certs.client)
        client = client_factory(server.client_config(tls=trusted))
        client.put(KEY, {"mutual": True})
        assert client.get(KEY).bins == {"mutual": True}


def test_pki_login_names_the_user_by_its_certificate(client_factory, certs):
    with EmbeddedServer(security=True, tls=server_tls(certs)) as server:
        admin_tls = client_tls(certs, cert=certs.client)
        admin = client_factory(
            server.client_config(tls=admin_tls, user="admin", password="admin")
        )
        # The official clients create PKI users with this stand-in password.
        admin.admin_create_user(PKI_USER, "nopassword", ["read-write"])

        pki_config = server.client_config(
            tls=client_tls(certs, cert=certs.pki_user),
            auth_mode=aerospike_py.AUTH_PKI,
        )
        pki = client_factory(pki_config)
        pki.put(KEY, {"by": "certificate"})
        assert pki.get(KEY).bins == {"by": "certificate"}
        assert admin.admin_query_user_info(PKI_USER)["conns_in_use"] >= 1

        # A certificate whose name is no user is refused; so is a password
        # login of the PKI user.
        with pytest.raises(InvalidUserError, match="TLS client certificate"):
            client_factory(
                server.client_config(tls=admin_tls, auth_mode=aerospike_py.AUTH_PKI)
            )
        with pytest.raises(aerospike_py.InvalidCredentialError):
            client_factory(
                server.client_config(
                    tls=admin_tls, user=PKI_USER, password="nopassword"
                )
            )


def test_external_login_sends_the_clear_password_over_tls(client_factory, certs):
    with EmbeddedServer(security=True, tls=server_tls(certs)) as server:
        config = server.client_config(
            tls=client_tls(certs),
            user="admin",
            password="admin",
            auth_mode=aerospike_py.AUTH_EXTERNAL,
        )
        client = client_factory(config)
        assert client.admin_query_user_info("admin")["roles"] == ["user-admin"]
        wrong = dict(config, password="nope")
        with pytest.raises(aerospike_py.InvalidCredentialError):
            client_factory(wrong)


def test_admin_command_reaches_a_tls_cluster(tls_server, certs, capsys, monkeypatch):
    from aerospike_py.admin.__main__ import main as admin_main

    host = f"127.0.0.1:{TLS_NAME}:{tls_server.port}"
    cafile = client_tls(certs)["cafile"]
    assert admin_main(["--host", host, "--tls-cafile", cafile, "ping"]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 node(s)")

    monkeypatch.setenv("AEROSPIKE_TLS_CAFILE", cafile)
    assert admin_main(["ping", "--host", host]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 node(s)")

    code = admin_main(["--host", host, "--tls-cafile", "/nonexistent/ca.pem", "ping"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and "/nonexistent/ca.pem" in err
