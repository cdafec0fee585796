"""Checks and reply shapes of the admin API, and the login session; no I/O.

The ``admin_*`` methods check their arguments here and turn query replies
into the UserInfo / RoleInfo dicts of :mod:`aerospike_py.types`. The login
half keeps what a client remembers between connections: the credential
hash, and the session token a LOGIN handed out (PROTOCOL.md 12.3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from aerospike_py import _constants as C
from aerospike_py._keys import MAX_NAMESPACE, MAX_SET, check_name
from aerospike_py.exception import ClientError, InvalidArgError
from aerospike_py.types import Privilege, RoleInfo, UserInfo
from aerospike_py.wire import admin
from aerospike_py.wire.packer import utf8

# Clients log in again this long before the server ends a session (Java,
# Go and C subtract 60 seconds from the session TTL).
RENEW_BEFORE = 60.0

_NAME_CODES = {name: code for code, name in admin.PRIVILEGE_NAMES.items()}
_PRIVILEGE_KEYS = {"code", "ns", "set"}
_MAX_QUOTA = 0xFFFFFFFF


# -- arguments --------------------------------------------------------------------


def name(value: Any, what: str) -> bytes:
    """A user or role name: 1 to 63 bytes of UTF-8."""
    if not isinstance(value, str) or not value:
        raise InvalidArgError(f"{what} must be a non-empty str, not {value!r:.60}")
    data = utf8(value, what)
    if len(data) > admin.MAX_NAME_SIZE:
        raise InvalidArgError(
            f"{what} {value[:20]!r}... is {len(data)} bytes; Aerospike allows "
            f"{admin.MAX_NAME_SIZE}"
        )
    return data


def password_hash(value: Any) -> bytes:
    """The hash sent for a password (never the password itself)."""
    if not isinstance(value, str):
        raise InvalidArgError(f"password must be a str, not {type(value).__name__}")
    return admin.hash_password(value)


def roles(value: Any, *, allow_empty: bool = False) -> bytes:
    """The ROLES field for a list of role names."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InvalidArgError(
            f"roles must be a list of role names, not {type(value).__name__}"
        )
    if not value and not allow_empty:
        raise InvalidArgError("roles is empty; give at least one role name")
    names = [name(role, "role name").decode() for role in value]
    return admin.encode_roles(names)


def privilege_code(code: Any) -> int:
    """A PRIV_* int, or a privilege name (any case, '_' for '-')."""
    if isinstance(code, str):
        found = _NAME_CODES.get(code.strip().lower().replace("_", "-"))
        if found is None:
            known = ", ".join(sorted(_NAME_CODES))
            raise InvalidArgError(f"Unknown privilege name {code!r}; known: {known}")
        return found
    if isinstance(code, bool) or not isinstance(code, int):
        raise InvalidArgError(
            f"privilege code must be a PRIV_* int or a name, not {code!r:.40}"
        )
    if code not in admin.PRIVILEGE_NAMES:
        raise InvalidArgError(f"Unknown privilege code {code}; use a PRIV_* constant")
    return code


def _scope(privilege: Mapping[str, Any], key: str) -> str:
    value = privilege.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArgError(
            f"privilege {key!r} must be a str or None, not {type(value).__name__}"
        )
    if key == "ns":
        return check_name("privilege 'ns'", value, MAX_NAMESPACE)
    return check_name("privilege 'set'", value, MAX_SET)


def privilege(value: Any) -> admin.PrivilegeSpec:
    """Check one Privilege dict: ``{"code": ..., "ns": ..., "set": ...}``."""
    if not isinstance(value, Mapping) or "code" not in value:
        raise InvalidArgError(
            f"a privilege is a dict with a 'code' (and 'ns', 'set'), not {value!r:.60}"
        )
    unknown = set(value) - _PRIVILEGE_KEYS
    if unknown:
        raise InvalidArgError(
            f"unknown privilege key(s) {sorted(unknown)}; known: code, ns, set"
        )
    code = privilege_code(value["code"])
    namespace, set_name = _scope(value, "ns"), _scope(value, "set")
    label = admin.PRIVILEGE_NAMES[code]
    if code < admin.FIRST_SCOPED_PRIVILEGE and (namespace or set_name):
        raise InvalidArgError(
            f"privilege {label!r} is global; it cannot be limited to a "
            "namespace or set (drop 'ns' and 'set')"
        )
    if set_name and not namespace:
        raise InvalidArgError(
            f"privilege {label!r} names set {set_name!r} without its namespace"
        )
    return admin.PrivilegeSpec(code, namespace, set_name)


def privileges(value: Any, *, allow_empty: bool = False) -> bytes:
    """The PRIVILEGES field for a list of Privilege dicts."""
    if isinstance(value, (Mapping, str)) or not isinstance(value, Sequence):
        raise InvalidArgError(
            f"privileges must be a list of Privilege dicts, not {type(value).__name__}"
        )
    if not value and not allow_empty:
        raise InvalidArgError("privileges is empty; give at least one privilege")
    return admin.encode_privileges([privilege(item) for item in value])


def allowlist(value: Any) -> list[str]:
    """Addresses or CIDR blocks a role may log in from."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidArgError(
            f"whitelist must be a list of addresses, not {type(value).__name__}"
        )
    for entry in value:
        if not isinstance(entry, str) or not entry or "," in entry:
            raise InvalidArgError(
                f"whitelist entry {entry!r:.40} must be one address or CIDR block"
            )
    return list(value)


def quota(value: Any, what: str) -> int:
    """A records-per-second quota: 0 (none) up to 2**32 - 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgError(f"{what} must be an int, not {type(value).__name__}")
    if not 0 <= value <= _MAX_QUOTA:
        raise InvalidArgError(f"{what} is {value}; allowed: 0..{_MAX_QUOTA}")
    return value


# -- replies ------------------------------------------------------------------------


def _u32(fields: dict[int, bytes], field_id: int) -> int:
    data = fields.get(field_id)
    return admin.decode_u32(data) if data is not None else 0


def user_info(block: admin.AdminMessage) -> UserInfo:
    """A QUERY_USERS block as a UserInfo dict (plus quota usage if sent)."""
    fields = block.fields
    info: dict[str, Any] = {
        "user": fields.get(admin.USER, b"").decode(errors="replace"),
        "roles": admin.decode_roles(fields.get(admin.ROLES, b"\0")),
        "conns_in_use": _u32(fields, admin.CONNECTIONS),
    }
    for key, field_id in (
        ("read_info", admin.READ_INFO),
        ("write_info", admin.WRITE_INFO),
    ):
        values = admin.decode_info(fields.get(field_id, b"\0"))
        if values:
            info[key] = values
    return cast(UserInfo, info)


def privilege_dict(spec: admin.PrivilegeSpec) -> Privilege:
    result = Privilege(code=spec.code)
    if spec.namespace:
        result["ns"] = spec.namespace
    if spec.set_name:
        result["set"] = spec.set_name
    return result


def role_info(block: admin.AdminMessage) -> RoleInfo:
    """A QUERY_ROLES block as a RoleInfo dict."""
    fields = block.fields
    specs = admin.decode_privileges(fields.get(admin.PRIVILEGES, b"\0"))
    return RoleInfo(
        name=fields.get(admin.ROLE, b"").decode(errors="replace"),
        privileges=[privilege_dict(spec) for spec in specs],
        allowlist=admin.decode_whitelist(fields.get(admin.WHITELIST, b"")),
        read_quota=_u32(fields, admin.READ_QUOTA),
        write_quota=_u32(fields, admin.WRITE_QUOTA),
    )


# -- login --------------------------------------------------------------------------


class Credentials:
    """What a client logs in with; ``repr`` shows the user only."""

    __slots__ = ("clear_password", "credential", "mode", "user")

    def __init__(self, mode: int, user: str | None, password: str | None) -> None:
        self.mode = mode
        self.user = user
        self.credential = b"" if password is None else password_hash(password)
        # External (LDAP) logins send the clear password, over TLS only.
        self.clear_password = password if mode == C.AUTH_EXTERNAL else None

    def __repr__(self) -> str:
        return f"Credentials(mode={self.mode}, user={self.user!r})"

    @classmethod
    def from_settings(
        cls, mode: int, user: str | None, password: str | None
    ) -> Credentials | None:
        """The credentials of a config; None when there is nothing to log in
        with (no user outside PKI mode)."""
        if mode == C.AUTH_PKI:
            return cls(mode, None, None)
        if user is None:
            return None
        if password is None:
            raise InvalidArgError(
                f"ClientConfig names user {user!r} but no 'password' "
                "(or pass both to connect())"
            )
        return cls(mode, user, password)

    def login_request(self) -> bytes:
        """LOGIN: PKI sends no fields, the TLS client certificate names the
        user; external mode adds the clear password."""
        if self.mode == C.AUTH_PKI:
            return admin.encode_request(admin.LOGIN)
        fields = [
            (admin.USER, (self.user or "").encode()),
            (admin.CREDENTIAL, self.credential),
        ]
        if self.clear_password is not None:
            fields.append((admin.CLEAR_PASSWORD, self.clear_password.encode()))
        return admin.encode_request(admin.LOGIN, fields)

    def authenticate_request(self, token: bytes) -> bytes:
        """AUTHENTICATE with a session token (PKI: the token alone)."""
        fields = [(admin.SESSION_TOKEN, token)]
        if self.mode != C.AUTH_PKI:
            fields.insert(0, (admin.USER, (self.user or "").encode()))
        return admin.encode_request(admin.AUTHENTICATE, fields)


class Session:
    """A session token and the moment (monotonic) to stop reusing it."""

    __slots__ = ("renew_at", "token")

    def __init__(self, token: bytes, renew_at: float) -> None:
        self.token = token
        self.renew_at = renew_at

    def __repr__(self) -> str:
        return f"Session(renew_at={self.renew_at:.0f})"

    def usable(self, now: float) -> bool:
        return now < self.renew_at


def session_from_login(reply: admin.AdminMessage, now: float, address: str) -> Session:
    """The session a successful LOGIN reply hands out.

    A reply without a TTL gives a token used once: the next connection
    logs in again, as the official clients do.
    """
    token = reply.fields.get(admin.SESSION_TOKEN)
    if not token:
        raise ClientError(f"{address} accepted the login but sent no session token")
    ttl_field = reply.fields.get(admin.SESSION_TTL)
    ttl = admin.decode_u32(ttl_field) if ttl_field is not None else 0
    return Session(token, now + ttl - RENEW_BEFORE)
