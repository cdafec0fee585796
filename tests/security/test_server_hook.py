"""``security.check``: the hook server handlers call for their own accesses."""

from __future__ import annotations

from aerospike_py.server import EmbeddedServer, security
from aerospike_py.server.node import Connection
from aerospike_py.wire import admin


def test_check_follows_the_users_roles_and_sessions():
    with EmbeddedServer(security=True) as server:
        state = server.security
        connection = Connection(("127.0.0.1", 50000))
        read_set = security.Perm.READ

        def check() -> int:
            return security.check(server.cluster, connection, "test", "s", read_set)

        assert check() == admin.NOT_AUTHENTICATED
        state.bind(connection, state.open_session("admin"))
        assert check() == admin.ROLE_VIOLATION  # admin holds user-admin only

        state.users["admin"].roles.append("read")
        assert check() == admin.OK
        state.revoke("admin")
        assert check() == admin.NOT_AUTHENTICATED


def test_check_allows_everything_without_security(server):
    connection = Connection(("127.0.0.1", 50000))
    code = security.check(server.cluster, connection, "test", "s", security.Perm.WRITE)
    assert code == admin.OK
    assert security.state_of(server.cluster) is None
