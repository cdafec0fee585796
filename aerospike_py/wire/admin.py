"""Admin messages: login, users and roles (PROTOCOL.md section 12).

An admin frame is a proto header of type 2, then a 16-byte header
(``scheme``, ``result``, ``command``, ``n_fields``, 12 zero bytes), then
the fields, each ``u32 size`` (the id byte plus the data), ``u8 id`` and
the data. Requests carry a command; replies carry a result.

Queries of users and roles answer with a stream of frames whose bodies
hold one block (header plus fields) per user or role; the stream ends with
a block whose result is 50 (QUERY_END).

The password never travels in clear except for external (LDAP) logins:
clients send the bcrypt hash of it, always with the same salt, so that the
server can compare hashes (PROTOCOL.md 12.2).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from Crypto.Protocol.KDF import bcrypt

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire.message import MSG_ADMIN, proto_header
from aerospike_py.wire.packer import utf8

# -- commands (the ``command`` byte of a request) -----------------------------

AUTHENTICATE = 0
CREATE_USER = 1
DROP_USER = 2
SET_PASSWORD = 3
CHANGE_PASSWORD = 4
GRANT_ROLES = 5
REVOKE_ROLES = 6
QUERY_USERS = 9
CREATE_ROLE = 10
DROP_ROLE = 11
GRANT_PRIVILEGES = 12
REVOKE_PRIVILEGES = 13
SET_WHITELIST = 14
SET_QUOTAS = 15
QUERY_ROLES = 16
LOGIN = 20

# -- field ids ------------------------------------------------------------------

USER = 0
PASSWORD = 1
OLD_PASSWORD = 2
CREDENTIAL = 3
CLEAR_PASSWORD = 4
SESSION_TOKEN = 5
SESSION_TTL = 6
ROLES = 10
ROLE = 11
PRIVILEGES = 12
WHITELIST = 13
READ_QUOTA = 14
WRITE_QUOTA = 15
READ_INFO = 16
WRITE_INFO = 17
CONNECTIONS = 18

# -- result codes (server: as/include/base/proto.h) ----------------------------

OK = 0
QUERY_END = 50
SECURITY_NOT_SUPPORTED = 51
SECURITY_NOT_ENABLED = 52
INVALID_COMMAND = 54
INVALID_FIELD = 55
INVALID_USER = 60
USER_ALREADY_EXISTS = 61
INVALID_PASSWORD = 62
FORBIDDEN_PASSWORD = 64
INVALID_CREDENTIAL = 65
EXPIRED_SESSION = 66
INVALID_ROLE = 70
ROLE_ALREADY_EXISTS = 71
INVALID_PRIVILEGE = 72
INVALID_WHITELIST = 73
QUOTAS_NOT_ENABLED = 74
INVALID_QUOTA = 75
NOT_AUTHENTICATED = 80
ROLE_VIOLATION = 81
NOT_WHITELISTED = 82
QUOTA_EXCEEDED = 83

# -- privilege codes (global below 10, scopable to namespace/set from 10) ------

PRIV_USER_ADMIN = 0
PRIV_SYS_ADMIN = 1
PRIV_DATA_ADMIN = 2
PRIV_UDF_ADMIN = 3
PRIV_SINDEX_ADMIN = 4
PRIV_READ = 10
PRIV_READ_WRITE = 11
PRIV_READ_WRITE_UDF = 12
PRIV_WRITE = 13
PRIV_TRUNCATE = 14

FIRST_SCOPED_PRIVILEGE = PRIV_READ

# The names servers and tools (asadm, aql) give the privileges; each is also
# the name of the predefined role that holds it globally.
PRIVILEGE_NAMES: dict[int, str] = {
    PRIV_USER_ADMIN: "user-admin",
    PRIV_SYS_ADMIN: "sys-admin",
    PRIV_DATA_ADMIN: "data-admin",
    PRIV_UDF_ADMIN: "udf-admin",
    PRIV_SINDEX_ADMIN: "sindex-admin",
    PRIV_READ: "read",
    PRIV_READ_WRITE: "read-write",
    PRIV_READ_WRITE_UDF: "read-write-udf",
    PRIV_WRITE: "write",
    PRIV_TRUNCATE: "truncate",
}

# Names are at most 63 bytes: the server keeps them in 64-byte buffers
# with their NUL (security.h MAX_USER_SIZE; the clients' AS_ROLE_SIZE).
MAX_NAME_SIZE = 63

HEADER_SIZE = 16
_HEADER = struct.Struct(">BBBB12x")
_FIELD_HEADER = struct.Struct(">IB")
_U32 = struct.Struct(">I")


class AdminMessageError(ValueError):
    """Bytes that do not form a valid admin message or field."""


class AdminMessage(NamedTuple):
    """One decoded admin message or query block."""

    result: int
    command: int
    fields: dict[int, bytes]


class PrivilegeSpec(NamedTuple):
    """A privilege as the wire carries it; empty scope means global."""

    code: int
    namespace: str = ""
    set_name: str = ""


# -- messages -------------------------------------------------------------------


def encode_block(
    command: int = 0, fields: Iterable[tuple[int, bytes]] = (), result: int = OK
) -> bytes:
    """Return one message without its proto header."""
    field_list = list(fields)
    out = bytearray(_HEADER.pack(0, result, command, len(field_list)))
    for field_id, data in field_list:
        out += _FIELD_HEADER.pack(len(data) + 1, field_id)
        out += data
    return bytes(out)


def frame(body: bytes) -> bytes:
    """Put a proto header of type 2 in front of ``body``."""
    return proto_header(MSG_ADMIN, len(body)) + body


def encode_request(command: int, fields: Iterable[tuple[int, bytes]] = ()) -> bytes:
    """Return a framed request."""
    return frame(encode_block(command, fields))


def encode_reply(result: int, fields: Iterable[tuple[int, bytes]] = ()) -> bytes:
    """Return a framed reply carrying ``result``."""
    return frame(encode_block(fields=fields, result=result))


def decode_block(data: bytes, pos: int = 0) -> tuple[AdminMessage, int]:
    """Decode the message at ``data[pos:]``; return it and its end offset."""
    end = len(data)
    if end - pos < HEADER_SIZE:
        raise AdminMessageError("admin message shorter than its 16-byte header")
    _, result, command, n_fields = _HEADER.unpack_from(data, pos)
    pos += HEADER_SIZE
    fields: dict[int, bytes] = {}
    for _ in range(n_fields):
        if end - pos < _FIELD_HEADER.size:
            raise AdminMessageError(
                "admin field header runs past the end of the message"
            )
        size, field_id = _FIELD_HEADER.unpack_from(data, pos)
        stop = pos + 4 + size
        if size < 1 or stop > end:
            raise AdminMessageError(
                f"admin field {field_id} runs past the end of the message"
            )
        fields[field_id] = data[pos + _FIELD_HEADER.size : stop]
        pos = stop
    return AdminMessage(result, command, fields), pos


def decode_blocks(body: bytes) -> list[AdminMessage]:
    """Decode every block of a frame body (a query reply frame)."""
    blocks = []
    pos = 0
    while pos < len(body):
        block, pos = decode_block(body, pos)
        blocks.append(block)
    return blocks


# -- field values -------------------------------------------------------------


def encode_u32(value: int) -> bytes:
    return _U32.pack(value)


def decode_u32(data: bytes) -> int:
    if len(data) != _U32.size:
        raise AdminMessageError(
            f"expected a 4-byte integer field, got {len(data)} bytes"
        )
    value: int = _U32.unpack(data)[0]
    return value


def _short_string(text: str, what: str) -> bytes:
    data = utf8(text, what)
    if len(data) > 255:
        raise InvalidArgError(f"{what} {text[:40]!r}... is over 255 bytes")
    return bytes([len(data)]) + data


class _Reader:
    """Walk a field's bytes, refusing to run past their end."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        stop = self.pos + size
        if stop > len(self.data):
            raise AdminMessageError("admin field ends in the middle of a value")
        chunk = self.data[self.pos : stop]
        self.pos = stop
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def short_string(self) -> str:
        try:
            return self.take(self.byte()).decode()
        except UnicodeDecodeError as exc:
            raise AdminMessageError(
                "admin field holds a name that is not UTF-8"
            ) from exc

    def done(self) -> None:
        if self.pos != len(self.data):
            raise AdminMessageError("admin field has bytes past its last value")


def encode_roles(roles: Sequence[str]) -> bytes:
    """The ROLES field: a count, then each name with a length byte."""
    if len(roles) > 255:
        raise InvalidArgError(f"{len(roles)} roles; a message holds at most 255")
    return bytes([len(roles)]) + b"".join(_short_string(r, "role") for r in roles)


def decode_roles(data: bytes) -> list[str]:
    reader = _Reader(data)
    roles = [reader.short_string() for _ in range(reader.byte())]
    reader.done()
    return roles


def encode_privileges(privileges: Sequence[PrivilegeSpec]) -> bytes:
    """The PRIVILEGES field: a count, then a code and, for data privileges,
    the namespace and set, each with a length byte."""
    if len(privileges) > 255:
        raise InvalidArgError(
            f"{len(privileges)} privileges; a message holds at most 255"
        )
    out = bytearray([len(privileges)])
    for privilege in privileges:
        out.append(privilege.code)
        if privilege.code >= FIRST_SCOPED_PRIVILEGE:
            out += _short_string(privilege.namespace, "namespace")
            out += _short_string(privilege.set_name, "set")
    return bytes(out)


def decode_privileges(data: bytes) -> list[PrivilegeSpec]:
    reader = _Reader(data)
    privileges = []
    for _ in range(reader.byte()):
        code = reader.byte()
        if code >= FIRST_SCOPED_PRIVILEGE:
            privileges.append(
                PrivilegeSpec(code, reader.short_string(), reader.short_string())
            )
        else:
            privileges.append(PrivilegeSpec(code))
    reader.done()
    return privileges


def encode_whitelist(addresses: Sequence[str]) -> bytes:
    """The WHITELIST field: the addresses joined by commas."""
    return ",".join(addresses).encode()


def decode_whitelist(data: bytes) -> list[str]:
    return [item for item in data.decode(errors="replace").split(",") if item]


def encode_info(values: Sequence[int]) -> bytes:
    """READ_INFO / WRITE_INFO: a count, then that many u32 statistics."""
    return bytes([len(values)]) + b"".join(_U32.pack(v) for v in values)


def decode_info(data: bytes) -> list[int]:
    reader = _Reader(data)
    values = [_U32.unpack(reader.take(4))[0] for _ in range(reader.byte())]
    reader.done()
    return values


# -- password hash -------------------------------------------------------------

# The salt every client uses: "7EqJtq98hPqEX7fNZaFWoO" in bcrypt's base64,
# decoded (Java AdminCommand.hashPassword, Go hashPassword, C as_password).
_SALT = bytes.fromhex("f46b0bbecffe8d1b0667d84f6dc1d8a9")
_COST = 10
# bcrypt reads at most 72 bytes of a password (OpenBSD bcrypt, which the
# clients' implementations follow).
_MAX_PASSWORD_BYTES = 72


def hash_password(password: str) -> bytes:
    """Return the 60-byte bcrypt text sent in place of ``password``."""
    data = utf8(password, "password")
    if b"\0" in data:
        raise InvalidArgError("a password cannot contain a NUL character")
    return bcrypt(data[:_MAX_PASSWORD_BYTES], _COST, _SALT)
