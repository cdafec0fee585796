"""Sessions end when their user is dropped or its password changes."""

from __future__ import annotations

import pytest

from aerospike_py.exception import (
    InvalidCredentialError,
    InvalidUserError,
    NotAuthenticatedError,
    RoleViolationError,
)

KEY = ("test", "sessions", "k")


def test_dropping_a_user_ends_its_live_sessions(users):
    name = users.user(users.role({"code": "read-write", "ns": "test"}))
    client = users.login(name)
    client.put(KEY, {"v": 1})

    users.admin.admin_drop_user(name)

    with pytest.raises(NotAuthenticatedError) as caught:
        client.get(KEY)
    assert caught.value.code == 80
    with pytest.raises(InvalidUserError):
        users.login(name)


def test_resetting_a_password_ends_sessions_and_only_the_new_one_logs_in(users):
    name = users.user("read-write", password="old-pw")
    client = users.login(name, "old-pw")
    client.put(KEY, {"v": 1})

    users.admin.admin_set_password(name, "new-pw")

    with pytest.raises(NotAuthenticatedError):
        client.get(KEY)
    with pytest.raises(InvalidCredentialError):
        users.login(name, "old-pw")
    assert users.login(name, "new-pw").get(KEY).bins == {"v": 1}


def test_changing_ones_own_password_keeps_the_client_working(users):
    name = users.user("read-write", password="first-pw")
    client = users.login(name, "first-pw", min_conns_per_node=2)
    client.put(KEY, {"v": 1})
    logins = users.server.security.login_attempts

    client.admin_change_password(name, "second-pw")

    # Its old connections were retired; new ones log in with the new one.
    assert client.get(KEY).bins == {"v": 1}
    client.put(KEY, {"v": 2})
    assert users.server.security.login_attempts == logins + 1
    with pytest.raises(InvalidCredentialError):
        users.login(name, "first-pw")
    assert users.login(name, "second-pw").get(KEY).bins == {"v": 2}


def test_changing_another_users_password_needs_user_admin(users):
    victim = users.user("read", password="victim-pw")
    other = users.login(users.user("read-write"))
    with pytest.raises(RoleViolationError):
        other.admin_change_password(victim, "stolen")
    assert users.login(victim, "victim-pw").exists(KEY).meta is None
