"""User and role commands of the admin core on a security-enabled server;
passwords come from the environment and never show up in the output."""

from __future__ import annotations

import io
import json

import pytest

import aerospike_py
from aerospike_py.admin.cli import AdminContext, main
from aerospike_py.server import EmbeddedServer

SECRET = "s3cret-Passw0rd"


@pytest.fixture(scope="module")
def secure_server():
    with EmbeddedServer(security=True) as server:
        yield server


@pytest.fixture
def admin(secure_server):
    config = secure_server.client_config(user="admin", password="admin")
    client = aerospike_py.client(config).connect()
    yield client
    client.close()


def _run(client, *argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), AdminContext(connect=lambda: client), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_user_lifecycle_through_the_commands(admin, secure_server, monkeypatch):
    monkeypatch.setenv("AEROSPIKE_NEW_PASSWORD", SECRET)
    code, out, err = _run(admin, "user", "create", "alice", "--roles", "read-write")
    assert code == 0, err
    assert SECRET not in out + err
    code, out, _ = _run(admin, "--json", "user", "list")
    users = {u["user"]: u["roles"] for u in json.loads(out)}
    assert users["alice"] == ["read-write"]
    config = secure_server.client_config(user="alice", password=SECRET)
    with aerospike_py.client(config).connect() as alice:
        alice.put(("test", "cli_sec", 1), {"a": 1})
    assert _run(admin, "user", "revoke", "alice", "read-write")[0] == 0
    code, _, err = _run(admin, "user", "drop", "alice")
    assert code == 1 and "Drop user alice? - refusing without --yes" in err
    assert _run(admin, "user", "drop", "alice", "--yes")[0] == 0
    code, out, _ = _run(admin, "--json", "user", "list")
    assert "alice" not in {u["user"] for u in json.loads(out)}


def test_role_lifecycle_through_the_commands(admin):
    code, _, err = _run(
        admin, "role", "create", "reporting", "--privilege", "read:test:reports"
    )
    assert code == 0, err
    code, out, _ = _run(admin, "--json", "role", "list")
    roles = {r["role"]: r["privileges"] for r in json.loads(out)}
    assert roles["reporting"] == ["read:test:reports"]
    assert _run(admin, "role", "grant", "reporting", "write:test:reports")[0] == 0
    code, out, _ = _run(admin, "--json", "role", "list")
    roles = {r["role"]: r["privileges"] for r in json.loads(out)}
    assert "write:test:reports" in roles["reporting"]
    assert _run(admin, "role", "drop", "reporting")[0] == 1
    assert _run(admin, "role", "drop", "reporting", "--yes")[0] == 0
    code, out, _ = _run(admin, "--json", "role", "list")
    assert "reporting" not in {r["role"] for r in json.loads(out)}


def test_refusals_are_one_line_errors(secure_server, monkeypatch):
    monkeypatch.setenv("AEROSPIKE_NEW_PASSWORD", SECRET)
    config = secure_server.client_config(user="admin", password="admin")
    with aerospike_py.client(config).connect() as admin:
        _run(admin, "user", "create", "reader", "--roles", "read")
    reader_config = secure_server.client_config(user="reader", password=SECRET)
    with aerospike_py.client(reader_config).connect() as reader:
        code, _, err = _run(reader, "user", "create", "mallory", "--roles", "read")
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "role violation" in err


def test_options_are_taken_only_as_spelled(admin, monkeypatch, capsys):
    monkeypatch.setenv("AEROSPIKE_NEW_PASSWORD", SECRET)

    code, _, _ = _run(admin, "user", "create", "bob", "--role", "read")

    assert code == 2  # argparse's usage error
    assert "unrecognized arguments: --role" in capsys.readouterr().err
    code, out, _ = _run(admin, "user", "list", "--json")
    assert "bob" not in {u["user"] for u in json.loads(out)}


def test_errors_are_json_under_json(admin):
    code, out, err = _run(admin, "--json", "user", "drop", "nobody", "--yes")

    assert code == 1 and out == ""
    assert "invalid user" in json.loads(err)["error"]


def test_the_plain_admin_command_says_how_to_log_in(secure_server, monkeypatch, capsys):
    from aerospike_py.admin.__main__ import main as admin_main

    monkeypatch.delenv("AEROSPIKE_USER", raising=False)
    monkeypatch.setenv("AEROSPIKE_HOSTS", f"127.0.0.1:{secure_server.port}")

    assert admin_main(["ping"]) == 1
    err = capsys.readouterr().err
    assert "set AEROSPIKE_USER and AEROSPIKE_PASSWORD" in err
