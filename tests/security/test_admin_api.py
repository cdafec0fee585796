"""Every admin_* method against the embedded server, and its refusals."""

from __future__ import annotations

import socket

import pytest

import aerospike_py
from aerospike_py.exception import (
    InvalidArgError,
    InvalidCredentialError,
    InvalidRoleError,
    InvalidUserError,
    RoleExistsError,
    RoleViolationError,
    UserExistsError,
)
from aerospike_py.wire import admin as wire

PREDEFINED = {
    "data-admin": aerospike_py.PRIV_DATA_ADMIN,
    "read": aerospike_py.PRIV_READ,
    "read-write": aerospike_py.PRIV_READ_WRITE,
    "read-write-udf": aerospike_py.PRIV_READ_WRITE_UDF,
    "sindex-admin": aerospike_py.PRIV_SINDEX_ADMIN,
    "sys-admin": aerospike_py.PRIV_SYS_ADMIN,
    "truncate": aerospike_py.PRIV_TRUNCATE,
    "udf-admin": aerospike_py.PRIV_UDF_ADMIN,
    "user-admin": aerospike_py.PRIV_USER_ADMIN,
    "write": aerospike_py.PRIV_WRITE,
}


def test_user_life_cycle_round_trips(admin, users):
    admin.admin_create_user("carol", "carol-pw", ["read"])
    assert admin.admin_query_user_info("carol") == {
        "user": "carol",
        "roles": ["read"],
        "conns_in_use": 0,
        "read_info": [0, 0, 0, 0],
        "write_info": [0, 0, 0, 0],
    }

    admin.admin_grant_roles("carol", ["read-write", "udf-admin"])
    assert admin.admin_query_user_info("carol")["roles"] == [
        "read",
        "read-write",
        "udf-admin",
    ]
    admin.admin_revoke_roles("carol", ["read", "udf-admin"])
    assert admin.admin_query_user_info("carol")["roles"] == ["read-write"]

    carol = users.login("carol", "carol-pw")
    assert admin.admin_query_user_info("carol")["conns_in_use"] >= 1
    names = [info["user"] for info in admin.admin_query_users_info()]
    assert names == sorted(names) and {"admin", "carol"} <= set(names)

    carol.close()
    admin.admin_drop_user("carol")
    with pytest.raises(InvalidUserError):
        admin.admin_query_user_info("carol")
    assert "carol" not in [i["user"] for i in admin.admin_query_users_info()]


def test_role_life_cycle_round_trips(admin):
    admin.admin_create_role(
        "auditor",
        [
            {"code": "READ", "ns": "test", "set": "ledger"},
            {"code": aerospike_py.PRIV_SINDEX_ADMIN},
        ],
        None,
        whitelist=["10.0.0.0/8", "127.0.0.1"],
        read_quota=100,
        write_quota=7,
    )
    assert admin.admin_query_role("auditor") == {
        "name": "auditor",
        "privileges": [
            {"code": aerospike_py.PRIV_READ, "ns": "test", "set": "ledger"},
            {"code": aerospike_py.PRIV_SINDEX_ADMIN},
        ],
        "allowlist": ["10.0.0.0/8", "127.0.0.1"],
        "read_quota": 100,
        "write_quota": 7,
    }

    admin.admin_grant_privileges("auditor", [{"code": "read_write", "ns": "test"}])
    admin.admin_revoke_privileges(
        "auditor", [{"code": "read", "ns": "test", "set": "ledger"}]
    )
    admin.admin_set_whitelist("auditor", ["192.0.2.0/24"])
    admin.admin_set_quotas("auditor", read_quota=5, write_quota=0)
    assert admin.admin_query_role("auditor") == {
        "name": "auditor",
        "privileges": [
            {"code": aerospike_py.PRIV_SINDEX_ADMIN},
            {"code": aerospike_py.PRIV_READ_WRITE, "ns": "test"},
        ],
        "allowlist": ["192.0.2.0/24"],
        "read_quota": 5,
        "write_quota": 0,
    }

    admin.admin_drop_role("auditor")
    with pytest.raises(InvalidRoleError):
        admin.admin_query_role("auditor")


def test_predefined_roles_are_listed_and_cannot_be_changed(admin):
    roles = {role["name"]: role for role in admin.admin_query_roles()}
    for name, code in PREDEFINED.items():
        assert roles[name]["privileges"] == [{"code": code}]
    with pytest.raises(InvalidRoleError):
        admin.admin_drop_role("read")
    with pytest.raises(InvalidRoleError):
        admin.admin_grant_privileges("read", [{"code": "write"}])
    with pytest.raises(RoleExistsError):
        admin.admin_create_role("read-write", [{"code": "read"}])


def test_dropping_a_role_takes_it_from_its_users(admin):
    admin.admin_create_role("temp", [{"code": "read"}])
    admin.admin_create_user("dave", "pw", ["temp", "write"])
    admin.admin_drop_role("temp")
    assert admin.admin_query_user_info("dave")["roles"] == ["write"]


def test_duplicates_and_unknown_names_are_refused_with_their_codes(admin):
    admin.admin_create_user("erin", "pw", [])
    with pytest.raises(UserExistsError) as caught:
        admin.admin_create_user("erin", "pw", [])
    assert caught.value.code == 61
    with pytest.raises(InvalidRoleError):
        admin.admin_grant_roles("erin", ["no-such-role"])
    with pytest.raises(InvalidUserError):
        admin.admin_drop_user("nobody")
    with pytest.raises(InvalidRoleError):
        admin.admin_drop_role("no-such-role")


def test_set_password_then_log_in_with_the_new_one(admin, users):
    admin.admin_create_user("frank", "first", ["read"])
    admin.admin_set_password("frank", "second")
    with pytest.raises(InvalidCredentialError):
        users.login("frank", "first")
    frank = users.login("frank", "second")
    assert frank.admin_query_user_info("frank")["user"] == "frank"


def test_users_without_user_admin_see_only_themselves(users):
    role = users.role({"code": "read"})
    name = users.user(role)
    client = users.login(name)
    assert client.admin_query_user_info(name)["roles"] == [role]
    assert client.admin_query_role(role)["privileges"] == [{"code": 10}]
    with pytest.raises(RoleViolationError):
        client.admin_query_users_info()
    with pytest.raises(RoleViolationError):
        client.admin_query_user_info("admin")
    with pytest.raises(RoleViolationError):
        client.admin_create_user("mallory", "pw", ["read"])


@pytest.mark.parametrize(
    ("privilege", "message"),
    [
        ({"code": "reed"}, "Unknown privilege name 'reed'"),
        ({"code": 99}, "Unknown privilege code 99"),
        ({"code": "sys-admin", "ns": "test"}, "is global"),
        ({"code": "read", "set": "s"}, "without its namespace"),
        ({"code": "read", "namespace": "test"}, "unknown privilege key"),
        ({"ns": "test"}, "with a 'code'"),
        ({"code": "read", "ns": "n" * 300}, "privilege 'ns' 'nnn.* 300 bytes"),
        ({"code": "read", "ns": "test", "set": "s" * 64}, "privilege 'set'"),
    ],
)
def test_bad_privileges_are_refused_before_sending(admin, privilege, message):
    with pytest.raises(InvalidArgError, match=message):
        admin.admin_create_role("bad", [privilege])
    assert "bad" not in [role["name"] for role in admin.admin_query_roles()]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.admin_create_user("", "pw", []), "username must be"),
        (lambda c: c.admin_create_user("x" * 64, "pw", []), "64 bytes"),
        (lambda c: c.admin_create_user("u", None, []), "password must be a str"),
        (lambda c: c.admin_create_user("u", "a\0b", []), "NUL"),
        (lambda c: c.admin_grant_roles("u", "read"), "list of role names"),
        (lambda c: c.admin_grant_roles("u", []), "roles is empty"),
        (lambda c: c.admin_set_quotas("r", read_quota=-1), "read_quota is -1"),
        (lambda c: c.admin_set_whitelist("r", "10.0.0.1"), "list of addresses"),
        (
            lambda c: c.admin_create_user("u", "pw", [f"r{i}" for i in range(300)]),
            "300 roles; a message holds at most 255",
        ),
        (
            lambda c: c.admin_create_role(
                "r", [{"code": 10, "ns": "test", "set": f"s{i}"} for i in range(300)]
            ),
            "300 privileges; a message holds at most 255",
        ),
    ],
)
def test_bad_arguments_name_what_is_wrong(admin, call, message):
    with pytest.raises(InvalidArgError, match=message):
        call(admin)


def _exchange(sock: socket.socket, request: bytes) -> wire.AdminMessage:
    sock.sendall(request)
    header = sock.recv(8, socket.MSG_WAITALL)
    size = int.from_bytes(header[2:], "big")
    return wire.decode_block(sock.recv(size, socket.MSG_WAITALL))[0]


def test_server_refuses_a_set_scope_without_namespace_with_72(
    secure_server, admin_password
):
    # The client refuses this itself, so speak to the server directly.
    login = [
        (wire.USER, b"admin"),
        (wire.CREDENTIAL, wire.hash_password(admin_password)),
    ]
    scoped = wire.encode_privileges([wire.PrivilegeSpec(wire.PRIV_READ, "", "s")])
    create = [(wire.ROLE, b"raw"), (wire.PRIVILEGES, scoped)]
    with socket.create_connection(("127.0.0.1", secure_server.port)) as sock:
        assert _exchange(sock, wire.encode_request(wire.LOGIN, login)).result == 0
        reply = _exchange(sock, wire.encode_request(wire.CREATE_ROLE, create))
    assert reply.result == wire.INVALID_PRIVILEGE
    assert "raw" not in secure_server.security.roles
