"""The admin codec: password hashes, message framing and field encodings."""

from __future__ import annotations

import pytest

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire import admin
from aerospike_py.wire.message import MSG_ADMIN, parse_proto_header

# Hashes the official clients send (PROTOCOL.md 12.2): the constant salt
# "7EqJtq98hPqEX7fNZaFWoO", cost 10.
KNOWN_HASHES = {
    "admin": b"$2a$10$7EqJtq98hPqEX7fNZaFWoO1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa",
    "": b"$2a$10$7EqJtq98hPqEX7fNZaFWoOLCkFexA7A9eoJ0Ew.mTDdk.E60D.9zS",
    "password": b"$2a$10$7EqJtq98hPqEX7fNZaFWoOqUH6KN8IKy3Yk5Kz..RHGKNAUCoP/LG",
}


@pytest.mark.parametrize("password", sorted(KNOWN_HASHES))
def test_password_hash_matches_the_official_clients(password):
    assert admin.hash_password(password) == KNOWN_HASHES[password]


def test_password_hash_reads_only_the_first_72_bytes_like_bcrypt():
    base = "p" * 72
    assert admin.hash_password(base + "tail") == admin.hash_password(base)
    assert admin.hash_password(base[:-1]) != admin.hash_password(base)


def test_password_with_a_nul_character_is_refused():
    with pytest.raises(InvalidArgError, match="NUL"):
        admin.hash_password("a\0b")


def test_request_is_a_type_2_frame_with_a_16_byte_header():
    frame = admin.encode_request(admin.DROP_USER, [(admin.USER, b"bob")])
    version, msg_type, size = parse_proto_header(frame)
    assert (version, msg_type, size) == (2, MSG_ADMIN, 16 + 5 + 3)
    body = frame[8:]
    assert body[:4] == bytes([0, 0, admin.DROP_USER, 1])
    assert body[4:16] == bytes(12)
    assert body[16:] == b"\x00\x00\x00\x04\x00bob"


def test_blocks_decode_back_with_their_fields():
    body = admin.encode_block(
        fields=[(admin.ROLE, b"reader"), (admin.READ_QUOTA, admin.encode_u32(7))]
    ) + admin.encode_block(result=admin.QUERY_END)
    first, second = admin.decode_blocks(body)
    assert first.fields == {admin.ROLE: b"reader", admin.READ_QUOTA: b"\0\0\0\7"}
    assert (second.result, second.fields) == (admin.QUERY_END, {})


def test_truncated_field_is_an_error_not_a_short_value():
    body = admin.encode_block(fields=[(admin.USER, b"someone")])
    with pytest.raises(admin.AdminMessageError, match="past the end"):
        admin.decode_block(body[:-2])


def test_privileges_keep_scope_only_for_data_privileges():
    privileges = [
        admin.PrivilegeSpec(admin.PRIV_SYS_ADMIN),
        admin.PrivilegeSpec(admin.PRIV_READ, "test", "users"),
        admin.PrivilegeSpec(admin.PRIV_WRITE, "test", ""),
    ]
    data = admin.encode_privileges(privileges)
    assert data == b"\x03\x01\x0a\x04test\x05users\x0d\x04test\x00"
    assert admin.decode_privileges(data) == privileges


def test_roles_whitelist_and_info_fields_round_trip():
    assert admin.decode_roles(admin.encode_roles(["read", "wr"])) == ["read", "wr"]
    allowlist = ["10.0.0.0/8", "127.0.0.1"]
    assert admin.encode_whitelist(allowlist) == b"10.0.0.0/8,127.0.0.1"
    assert admin.decode_whitelist(b"10.0.0.0/8,127.0.0.1") == allowlist
    assert admin.decode_info(admin.encode_info([5, 3, 0, 0])) == [5, 3, 0, 0]


def test_roles_field_with_trailing_bytes_is_refused():
    with pytest.raises(admin.AdminMessageError, match="past its last value"):
        admin.decode_roles(admin.encode_roles(["read"]) + b"x")
