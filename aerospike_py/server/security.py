"""Access control of the embedded server: users, roles, sessions, quotas.

Enterprise servers keep security private, so the rules here come from the
clients' admin code and the permissions of the Community server's
``security.h`` and ``thr_info.c`` (PROTOCOL.md section 12):

- A server with security starts with the user ``admin`` holding the
  predefined role ``user-admin`` only, as a fresh Enterprise server does.
- A connection logs in with LOGIN (user + password hash; external mode adds
  the clear password; PKI sends nothing and is named by its TLS client
  certificate) and gets a session token with a TTL. Further connections
  present the token with AUTHENTICATE. Dropping a user or changing its
  password revokes its sessions: connections bound to them answer 80.
- Every data command, batch row, scan/query and privileged info command
  needs a permission; a role's privileges grant permissions globally, per
  namespace or per set. A missing permission answers 81.
- A role may carry an allowlist of client addresses (checked at login,
  82) and read/write quotas in records per second (83 when exceeded),
  the latter only with ``enable_quotas`` on (74 otherwise).

The checks sit where node.py dispatches requests (the ``guards`` hook), one
function per command kind. Handlers that need a finer check can call
:func:`check` with the namespace, set and permission they are about to use.
"""

from __future__ import annotations

import contextvars
import enum
import hmac
import ipaddress
import logging
import secrets
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from aerospike_py.server import batch, commands, info, node
from aerospike_py.server.cluster import ServerCluster
from aerospike_py.server.node import Connection, ServerNode
from aerospike_py.wire import admin
from aerospike_py.wire import message as msg

log = logging.getLogger("aerospike_py.server.security")


class Perm(enum.IntFlag):
    """Permissions (server: as/include/base/security.h ``as_sec_perm``)."""

    NONE = 0
    READ = 0x0001
    QUERY = 0x0002
    WRITE = 0x0004
    DELETE = 0x0008
    UDF_APPLY = 0x0010
    UDF_QUERY = 0x0020
    OPS_QUERY = 0x0040
    UDF_ADMIN = 0x00010000
    SINDEX_ADMIN = 0x00020000
    QUERY_ADMIN = 0x00040000
    TRUNCATE = 0x00080000
    EVICT_ADMIN = 0x00100000
    SET_CONFIG = 0x01000000
    LOGGING_CTRL = 0x02000000
    SERVICE_CTRL = 0x04000000
    XDR_SET_FILTER = 0x08000000
    USER_ADMIN = 0x100000000000


# The names of thr_info.c ``perm_to_string``, used in 81 info errors.
PERM_NAMES: dict[Perm, str] = {
    Perm.READ: "read",
    Perm.QUERY: "query",
    Perm.WRITE: "write",
    Perm.DELETE: "delete",
    Perm.UDF_APPLY: "udf-apply",
    Perm.UDF_QUERY: "udf-query",
    Perm.OPS_QUERY: "ops-query",
    Perm.UDF_ADMIN: "udf-admin",
    Perm.SINDEX_ADMIN: "sindex-admin",
    Perm.QUERY_ADMIN: "query-admin",
    Perm.TRUNCATE: "truncate",
    Perm.EVICT_ADMIN: "evict-admin",
    Perm.SET_CONFIG: "set-config",
    Perm.LOGGING_CTRL: "logging-ctrl",
    Perm.SERVICE_CTRL: "service-ctrl",
    Perm.XDR_SET_FILTER: "xdr-set-filter",
    Perm.USER_ADMIN: "user-admin",
}

_READ = Perm.READ | Perm.QUERY
_READ_WRITE = _READ | Perm.WRITE | Perm.DELETE | Perm.OPS_QUERY
_DATA_ADMIN = Perm.UDF_ADMIN | Perm.SINDEX_ADMIN | Perm.QUERY_ADMIN | Perm.TRUNCATE

# What each privilege grants (the clients' PrivilegeCode documentation:
# data-admin manages indexes and UDFs, sys-admin that plus the server's
# configuration and services).
PRIVILEGE_PERMS: dict[int, Perm] = {
    admin.PRIV_USER_ADMIN: Perm.USER_ADMIN,
    admin.PRIV_SYS_ADMIN: _DATA_ADMIN
    | Perm.EVICT_ADMIN
    | Perm.SET_CONFIG
    | Perm.LOGGING_CTRL
    | Perm.SERVICE_CTRL
    | Perm.XDR_SET_FILTER,
    admin.PRIV_DATA_ADMIN: _DATA_ADMIN,
    admin.PRIV_UDF_ADMIN: Perm.UDF_ADMIN,
    admin.PRIV_SINDEX_ADMIN: Perm.SINDEX_ADMIN,
    admin.PRIV_READ: _READ,
    admin.PRIV_READ_WRITE: _READ_WRITE,
    admin.PRIV_READ_WRITE_UDF: _READ_WRITE | Perm.UDF_APPLY | Perm.UDF_QUERY,
    admin.PRIV_WRITE: Perm.WRITE | Perm.DELETE,
    admin.PRIV_TRUNCATE: Perm.TRUNCATE,
}

# Info commands that need a permission (thr_info.c ``SPECS``); the rest
# need only an authenticated connection.
INFO_PERMS: dict[str, Perm] = {
    "truncate": Perm.TRUNCATE,
    "truncate-namespace": Perm.TRUNCATE,
    "truncate-undo": Perm.TRUNCATE,
    "truncate-namespace-undo": Perm.TRUNCATE,
    "sindex-create": Perm.SINDEX_ADMIN,
    "sindex-delete": Perm.SINDEX_ADMIN,
    "sindex-exists": Perm.SINDEX_ADMIN,
    "udf-put": Perm.UDF_ADMIN,
    "udf-remove": Perm.UDF_ADMIN,
    "udf-clear-cache": Perm.UDF_ADMIN,
    "query-abort": Perm.QUERY_ADMIN,
    "query-abort-all": Perm.QUERY_ADMIN,
    "eviction-reset": Perm.EVICT_ADMIN,
    "config-set": Perm.SET_CONFIG,
    "set-config": Perm.SET_CONFIG,
    "log-set": Perm.LOGGING_CTRL,
    "set-log": Perm.LOGGING_CTRL,
    "log-message": Perm.LOGGING_CTRL,
    "recluster": Perm.SERVICE_CTRL,
    "services-alumni-reset": Perm.SERVICE_CTRL,
    "tip": Perm.SERVICE_CTRL,
    "tip-clear": Perm.SERVICE_CTRL,
    "xdr-set-filter": Perm.XDR_SET_FILTER,
    # The embedded server's own node control (server/node_control.py).
    "embedded-control": Perm.SERVICE_CTRL,
}
# Info commands whose permission can be granted per namespace and set.
_SCOPED_INFO = frozenset(
    {"truncate", "truncate-namespace", "truncate-undo", "truncate-namespace-undo"}
)

# A stored password for PKI users: the hash clients send for the literal
# "nopassword" when they create one (C client 7.x aerospike_create_pki_user).
_PKI_PASSWORD = admin.hash_password("nopassword")


# -- configuration and state -----------------------------------------------------


@dataclass(frozen=True)
class SecurityConfig:
    """Server settings of the ``security`` stanza this server honours."""

    admin_password: str = field(default="admin", repr=False)
    session_ttl: int = 86_400
    enable_quotas: bool = False

    def __post_init__(self) -> None:
        if self.session_ttl < 1:
            raise ValueError(f"session_ttl must be >= 1 second, not {self.session_ttl}")


@dataclass
class Role:
    name: str
    privileges: list[admin.PrivilegeSpec] = field(default_factory=list)
    allowlist: list[str] = field(default_factory=list)
    read_quota: int = 0
    write_quota: int = 0
    predefined: bool = False


@dataclass
class User:
    name: str
    password_hash: bytes = field(repr=False)
    roles: list[str] = field(default_factory=list)

    @property
    def pki_only(self) -> bool:
        return hmac.compare_digest(self.password_hash, _PKI_PASSWORD)


class Session:
    """A login: the user it names, its token, and until when it is valid."""

    __slots__ = ("expires", "revoked", "token", "user")

    def __init__(self, user: str, token: bytes, expires: float) -> None:
        self.user = user
        self.token = token
        self.expires = expires
        self.revoked = False


class _Meter:
    """Records read and written by one user in the current second."""

    __slots__ = ("reads", "second", "writes")

    def __init__(self) -> None:
        self.second = 0
        self.reads = 0
        self.writes = 0


class SecurityState:
    """Users, roles and sessions of one embedded cluster."""

    def __init__(self, config: SecurityConfig) -> None:
        self.config = config
        self.roles: dict[str, Role] = {
            name: Role(name, [admin.PrivilegeSpec(code)], predefined=True)
            for code, name in admin.PRIVILEGE_NAMES.items()
        }
        self.users: dict[str, User] = {
            "admin": User(
                "admin", admin.hash_password(config.admin_password), ["user-admin"]
            )
        }
        self.sessions: dict[bytes, Session] = {}
        self.connections: list[Connection] = []
        self.meters: dict[str, _Meter] = {}
        # Counters tests and operators read: LOGIN and AUTHENTICATE requests.
        self.login_attempts = 0
        self.authentications = 0

    # -- sessions --------------------------------------------------------------

    def open_session(self, user: str) -> Session:
        now = time.monotonic()
        for token, old in list(self.sessions.items()):
            if now >= old.expires:
                del self.sessions[token]
        session = Session(user, secrets.token_bytes(32), now + self.config.session_ttl)
        self.sessions[session.token] = session
        return session

    def bind(self, connection: Connection, session: Session) -> None:
        connection.user = session
        self.connections = [c for c in self.connections if c.open]
        self.connections.append(connection)

    def revoke(self, user: str) -> None:
        """End every session of ``user``; its connections answer 80."""
        for token, session in list(self.sessions.items()):
            if session.user == user:
                session.revoked = True
                del self.sessions[token]

    def connections_of(self, user: str) -> int:
        return sum(
            1
            for c in self.connections
            if c.open and c.user is not None and c.user.user == user
        )

    # -- privileges --------------------------------------------------------------

    def roles_of(self, user: str) -> list[Role]:
        found = self.users.get(user)
        if found is None:
            return []
        return [self.roles[name] for name in found.roles if name in self.roles]

    def granted(self, user: str, namespace: str = "", set_name: str = "") -> Perm:
        """The permissions ``user`` holds on a namespace and set."""
        perms = Perm.NONE
        for role in self.roles_of(user):
            for privilege in role.privileges:
                if _applies(privilege, namespace, set_name):
                    perms |= PRIVILEGE_PERMS.get(privilege.code, Perm.NONE)
        return perms

    def missing(
        self, user: str, needed: Perm, namespace: str = "", set_name: str = ""
    ) -> Perm:
        """The permissions of ``needed`` that ``user`` lacks there."""
        return needed & ~self.granted(user, namespace, set_name)

    def allowed_from(self, user: str, peer: object) -> bool:
        """True when the user's roles allow logins from ``peer``'s address."""
        lists = [role.allowlist for role in self.roles_of(user) if role.allowlist]
        if not lists:
            return True
        address = _peer_address(peer)
        if address is None:
            return False
        return any(_matches(address, entry) for entries in lists for entry in entries)

    # -- quotas --------------------------------------------------------------------

    def quota(self, user: str, write: bool) -> int:
        """The user's records-per-second limit; 0 = none.

        With several limited roles, the largest limit wins.
        """
        if not self.config.enable_quotas:
            return 0
        roles = self.roles_of(user)
        return max(
            (role.write_quota if write else role.read_quota for role in roles),
            default=0,
        )

    def charge(self, user: str, write: bool, records: int = 1) -> bool:
        """Count records against the user's quota; False when over it."""
        limit = self.quota(user, write)
        if not limit:
            return True
        meter = self.meters.setdefault(user, _Meter())
        second = int(time.monotonic())
        if meter.second != second:
            meter.second, meter.reads, meter.writes = second, 0, 0
        used = meter.writes if write else meter.reads
        if used + records > limit:
            return False
        if write:
            meter.writes += records
        else:
            meter.reads += records
        return True

    def usage(self, user: str, write: bool) -> list[int]:
        """READ_INFO / WRITE_INFO: quota, records in the current second,
        scan/query records per second, unlimited scans/queries."""
        meter = self.meters.get(user)
        current = 0
        if meter is not None and meter.second == int(time.monotonic()):
            current = meter.writes if write else meter.reads
        return [self.quota(user, write), current, 0, 0]


def _applies(privilege: admin.PrivilegeSpec, namespace: str, set_name: str) -> bool:
    if not privilege.namespace:
        return True
    if privilege.namespace != namespace:
        return False
    return not privilege.set_name or privilege.set_name == set_name


def _peer_address(peer: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    host = peer[0] if isinstance(peer, tuple) and peer else None
    if not isinstance(host, str):
        return None
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None


def _matches(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, entry: str
) -> bool:
    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


# -- registry ---------------------------------------------------------------------

_states: weakref.WeakKeyDictionary[ServerCluster, SecurityState] = (
    weakref.WeakKeyDictionary()
)


def enable(cluster: ServerCluster, config: SecurityConfig) -> SecurityState:
    """Turn security on for every node of ``cluster``."""
    state = SecurityState(config)
    _states[cluster] = state
    if not node.guards:
        node.guards.append(_GUARD)
    return state


def state_of(cluster: ServerCluster) -> SecurityState | None:
    """The security state of ``cluster``; None when security is off."""
    return _states.get(cluster)


def current_connection() -> Connection | None:
    """The client connection whose request is being served."""
    return node.current_connection.get()


def check(
    cluster: ServerCluster,
    connection: Connection | None,
    namespace: str,
    set_name: str,
    permission: Perm,
) -> int:
    """The result code refusing a data access, or 0 when it is allowed.

    For handlers that run accesses of their own (a batch row, a UDF's
    record calls): 80 when the connection is not logged in, 81 when its
    user lacks ``permission`` on the namespace and set.
    """
    state = _states.get(cluster)
    if state is None or connection is None:
        return admin.OK
    session = _live_session(connection)
    if session is None:
        return admin.NOT_AUTHENTICATED
    if state.missing(session.user, permission, namespace, set_name):
        return admin.ROLE_VIOLATION
    return admin.OK


def _live_session(connection: Connection) -> Session | None:
    session = connection.user
    if not isinstance(session, Session) or session.revoked:
        return None
    return session


# -- checks at the dispatch points --------------------------------------------------


def _last_reply(code: int) -> bytes:
    """A refusal of a batch or query: one message with the LAST bit."""
    return msg.encode_message(info3=msg.INFO3_LAST, result_code=code)


def _text(value: bytes | None) -> str:
    return (value or b"").decode(errors="replace")


def _single_permission(message: msg.Message) -> tuple[Perm, bool]:
    """The permission a single-record command needs, and whether it writes.

    As thr_tsvc.c: a write that also reads needs both; a UDF apply needs
    udf-apply; a delete is a write.
    """
    if not message.info2 & msg.INFO2_WRITE:
        return Perm.READ, False
    if msg.FIELD_UDF_FILENAME in message.fields:
        return Perm.UDF_APPLY, True
    if message.info2 & msg.INFO2_DELETE:
        return Perm.DELETE, True
    if message.info1 & msg.INFO1_READ:
        return Perm.WRITE | Perm.READ, True
    return Perm.WRITE, True


def _authorize_record(
    state: SecurityState, session: Session, message: msg.Message
) -> int:
    fields = message.fields
    needed, write = _single_permission(message)
    namespace = _text(fields.get(msg.FIELD_NAMESPACE))
    set_name = _text(fields.get(msg.FIELD_SET))
    if state.missing(session.user, needed, namespace, set_name):
        return admin.ROLE_VIOLATION
    if not state.charge(session.user, write):
        return admin.QUOTA_EXCEEDED
    return admin.OK


def _check_single(
    state: SecurityState, session: Session, node_: ServerNode, message: msg.Message
) -> bytes | None:
    code = _authorize_record(state, session, message)
    return commands.reply(code) if code else None


# The user whose batch is being served; the row guard checks each row
# against it (the batch runs in the connection's own task).
_batch_user: contextvars.ContextVar[tuple[SecurityState, Session] | None] = (
    contextvars.ContextVar("batch_user", default=None)
)


def _check_batch(
    state: SecurityState, session: Session, node_: ServerNode, message: msg.Message
) -> bytes | None:
    """Let the batch in; each row is then checked on its own (81 per row)."""
    _batch_user.set((state, session))
    return None


def _guard_row(row: batch.Row) -> int:
    current = _batch_user.get()
    if current is None:
        return 0
    state, session = current
    return _authorize_record(state, session, row.message)


batch.row_guards.append(_guard_row)


def _query_permission(message: msg.Message) -> tuple[Perm, bool]:
    """As thr_tsvc.c ``query_perm``: UDF queries, ops queries, plain ones."""
    fields = message.fields
    if msg.FIELD_UDF_FILENAME in fields or msg.FIELD_UDF_OP in fields:
        background = fields.get(msg.FIELD_UDF_OP) == b"\x02"
        return Perm.UDF_QUERY, background
    if message.info2 & msg.INFO2_WRITE:
        return Perm.OPS_QUERY, True
    return Perm.QUERY, False


def _check_query(
    state: SecurityState, session: Session, node_: ServerNode, message: msg.Message
) -> bytes | None:
    fields = message.fields
    needed, write = _query_permission(message)
    namespace = _text(fields.get(msg.FIELD_NAMESPACE))
    set_name = _text(fields.get(msg.FIELD_SET))
    if state.missing(session.user, needed, namespace, set_name):
        return _last_reply(admin.ROLE_VIOLATION)
    # A scan or query may not ask for more records per second than the
    # quota allows (query.c ``as_security_check_rps``).
    limit = state.quota(session.user, write)
    rps_field = fields.get(msg.FIELD_RECORDS_PER_SECOND)
    rps = int.from_bytes(rps_field, "big") if rps_field else 0
    if limit and rps > limit:
        return _last_reply(admin.QUOTA_EXCEEDED)
    return None


MessageCheck = Callable[[SecurityState, Session, ServerNode, msg.Message], bytes | None]
_MESSAGE_CHECKS: dict[str, MessageCheck] = {
    "single": _check_single,
    "batch": _check_batch,
    "query": _check_query,
}


def _message_kind(message: msg.Message) -> str:
    """Classify an AS_MSG as node.py ``handle_message`` does."""
    if message.info1 & msg.INFO1_BATCH:
        return "batch"
    if msg.FIELD_DIGEST not in message.fields:
        return "query"
    return "single"


class _Guard:
    """The checks node.py runs before it dispatches a request."""

    def refuse_info(self, node_: ServerNode, connection: Connection) -> bytes | None:
        if node_.cluster not in _states or _live_session(connection) is not None:
            return None
        # thr_info.c ``authenticate``: one error line answers the request.
        body = b"ERROR:80:not authenticated\n"
        return msg.proto_header(msg.MSG_INFO, len(body)) + body

    def check_info(
        self, node_: ServerNode, connection: Connection, command: str
    ) -> str | None:
        state = _states.get(node_.cluster)
        session = _live_session(connection)
        if state is None or session is None:
            return None
        name, params, _ = info.parse_command(command)
        needed = INFO_PERMS.get(name)
        if needed is None:
            return None
        namespace = set_name = ""
        if name in _SCOPED_INFO:
            namespace, set_name = params.get("namespace", ""), params.get("set", "")
        if not state.missing(session.user, needed, namespace, set_name):
            return None
        return f"ERROR:81:role violation - requires permission '{PERM_NAMES[needed]}'"

    def check_message(
        self, node_: ServerNode, connection: Connection, message: msg.Message
    ) -> bytes | None:
        state = _states.get(node_.cluster)
        if state is None:
            return None
        kind = _message_kind(message)
        session = _live_session(connection)
        if session is None:
            code = admin.NOT_AUTHENTICATED
            return commands.reply(code) if kind == "single" else _last_reply(code)
        return _MESSAGE_CHECKS[kind](state, session, node_, message)


_GUARD = _Guard()


# -- login ------------------------------------------------------------------------


def _reply(code: int) -> bytes:
    return admin.encode_reply(code)


def _session_reply(state: SecurityState, session: Session) -> bytes:
    return admin.encode_reply(
        admin.OK,
        [
            (admin.SESSION_TOKEN, session.token),
            (admin.SESSION_TTL, admin.encode_u32(state.config.session_ttl)),
        ],
    )


def _password_matches(user: User, fields: dict[int, bytes]) -> bool:
    """Internal mode compares hashes; external mode sends the clear password
    too, which this server checks against the same user store (it has no
    LDAP directory)."""
    if user.pki_only:
        return False
    clear = fields.get(admin.CLEAR_PASSWORD)
    if clear is not None:
        try:
            offered = admin.hash_password(clear.decode())
        except (UnicodeDecodeError, admin.AdminMessageError):
            return False
    else:
        offered = fields.get(admin.CREDENTIAL, b"")
    return hmac.compare_digest(offered, user.password_hash)


def _login_user(
    state: SecurityState, connection: Connection, fields: dict[int, bytes]
) -> str | int:
    """The user a LOGIN names and proves, or the result code refusing it."""
    if not fields:
        # PKI: the verified client certificate names the user.
        name = connection.tls_subject
        if name is None:
            return admin.INVALID_CREDENTIAL
        return name if name in state.users else admin.INVALID_USER
    name = _text(fields.get(admin.USER))
    user = state.users.get(name)
    if user is None:
        return admin.INVALID_USER
    if not _password_matches(user, fields):
        return admin.INVALID_CREDENTIAL
    return name


def _login(
    state: SecurityState, connection: Connection, fields: dict[int, bytes]
) -> bytes:
    state.login_attempts += 1
    found = _login_user(state, connection, fields)
    if isinstance(found, int):
        log.debug("login refused with result %d", found)
        return _reply(found)
    if not state.allowed_from(found, connection.peer):
        return _reply(admin.NOT_WHITELISTED)
    session = state.open_session(found)
    state.bind(connection, session)
    log.debug("user %r logged in", found)
    return _session_reply(state, session)


def _authenticate(
    state: SecurityState, connection: Connection, fields: dict[int, bytes]
) -> bytes:
    state.authentications += 1
    token = fields.get(admin.SESSION_TOKEN)
    if token is None:
        # Clients from before session tokens authenticate with the hash.
        return _login(state, connection, fields)
    session = state.sessions.get(token)
    if session is None:
        return _reply(admin.INVALID_CREDENTIAL)
    if time.monotonic() >= session.expires:
        del state.sessions[token]
        return _reply(admin.EXPIRED_SESSION)
    name = fields.get(admin.USER)
    if name is not None and _text(name) != session.user:
        return _reply(admin.INVALID_CREDENTIAL)
    if not state.allowed_from(session.user, connection.peer):
        return _reply(admin.NOT_WHITELISTED)
    state.bind(connection, session)
    return _reply(admin.OK)


# -- users and roles ------------------------------------------------------------------


class _Refusal(Exception):
    """Stop an admin command and answer ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _name(fields: dict[int, bytes], field_id: int, invalid: int) -> str:
    data = fields.get(field_id)
    if not data or len(data) > admin.MAX_NAME_SIZE:
        raise _Refusal(invalid)
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise _Refusal(invalid) from None


def _user(state: SecurityState, fields: dict[int, bytes]) -> User:
    user = state.users.get(_name(fields, admin.USER, admin.INVALID_USER))
    if user is None:
        raise _Refusal(admin.INVALID_USER)
    return user


def _password(fields: dict[int, bytes], field_id: int = admin.PASSWORD) -> bytes:
    data = fields.get(field_id)
    # A bcrypt text: "$2a$10$" + 22 salt + 31 hash characters.
    if data is None or len(data) != 60 or not data.startswith(b"$2"):
        raise _Refusal(admin.INVALID_PASSWORD)
    return data


def _role_names(
    state: SecurityState, fields: dict[int, bytes], *, allow_empty: bool = False
) -> list[str]:
    try:
        names = admin.decode_roles(fields.get(admin.ROLES, b"\0"))
    except admin.AdminMessageError:
        raise _Refusal(admin.INVALID_ROLE) from None
    if not (names or allow_empty) or any(name not in state.roles for name in names):
        raise _Refusal(admin.INVALID_ROLE)
    return names


def _custom_role(state: SecurityState, fields: dict[int, bytes]) -> Role:
    """A role the admin commands may change: it exists and is not built in."""
    role = state.roles.get(_name(fields, admin.ROLE, admin.INVALID_ROLE))
    if role is None or role.predefined:
        raise _Refusal(admin.INVALID_ROLE)
    return role


def _privileges(fields: dict[int, bytes]) -> list[admin.PrivilegeSpec]:
    try:
        privileges = admin.decode_privileges(fields.get(admin.PRIVILEGES, b""))
    except admin.AdminMessageError:
        raise _Refusal(admin.INVALID_PRIVILEGE) from None
    for privilege in privileges:
        if privilege.code not in admin.PRIVILEGE_NAMES:
            raise _Refusal(admin.INVALID_PRIVILEGE)
        if privilege.set_name and not privilege.namespace:
            raise _Refusal(admin.INVALID_PRIVILEGE)
    return privileges


def _allowlist(fields: dict[int, bytes]) -> list[str]:
    entries = admin.decode_whitelist(fields.get(admin.WHITELIST, b""))
    for entry in entries:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise _Refusal(admin.INVALID_WHITELIST) from None
    return [entry.strip() for entry in entries]


def _quota(state: SecurityState, fields: dict[int, bytes], field_id: int) -> int:
    data = fields.get(field_id)
    if data is None:
        return 0
    if not state.config.enable_quotas:
        raise _Refusal(admin.QUOTAS_NOT_ENABLED)
    try:
        return admin.decode_u32(data)
    except admin.AdminMessageError:
        raise _Refusal(admin.INVALID_QUOTA) from None


AdminCommand = Callable[[SecurityState, Session, dict[int, bytes]], bytes]


def _create_user(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    name = _name(f, admin.USER, admin.INVALID_USER)
    if name in state.users:
        raise _Refusal(admin.USER_ALREADY_EXISTS)
    password = _password(f)
    roles = _role_names(state, f, allow_empty=True)
    state.users[name] = User(name, password, list(dict.fromkeys(roles)))
    return _reply(admin.OK)


def _drop_user(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    user = _user(state, f)
    del state.users[user.name]
    state.revoke(user.name)
    return _reply(admin.OK)


def _new_password(state: SecurityState, user: User, password: bytes) -> bytes:
    if user.pki_only:
        raise _Refusal(admin.FORBIDDEN_PASSWORD)
    user.password_hash = password
    state.revoke(user.name)
    return _reply(admin.OK)


def _set_password(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    return _new_password(state, _user(state, f), _password(f))


def _change_password(
    state: SecurityState, caller: Session, f: dict[int, bytes]
) -> bytes:
    """A user changes its own password (proving the old one); a user-admin
    may change anyone's."""
    user = _user(state, f)
    if user.name != caller.user:
        if state.missing(caller.user, Perm.USER_ADMIN):
            raise _Refusal(admin.ROLE_VIOLATION)
    elif not hmac.compare_digest(_password(f, admin.OLD_PASSWORD), user.password_hash):
        raise _Refusal(admin.INVALID_CREDENTIAL)
    return _new_password(state, user, _password(f))


def _grant_roles(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    user = _user(state, f)
    user.roles = list(dict.fromkeys([*user.roles, *_role_names(state, f)]))
    return _reply(admin.OK)


def _revoke_roles(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    user = _user(state, f)
    revoked = set(_role_names(state, f))
    user.roles = [name for name in user.roles if name not in revoked]
    return _reply(admin.OK)


def _create_role(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    name = _name(f, admin.ROLE, admin.INVALID_ROLE)
    if name in state.roles:
        raise _Refusal(admin.ROLE_ALREADY_EXISTS)
    role = Role(
        name,
        list(dict.fromkeys(_privileges(f))),
        _allowlist(f),
        _quota(state, f, admin.READ_QUOTA),
        _quota(state, f, admin.WRITE_QUOTA),
    )
    state.roles[name] = role
    return _reply(admin.OK)


def _drop_role(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    role = _custom_role(state, f)
    del state.roles[role.name]
    for user in state.users.values():
        user.roles = [name for name in user.roles if name != role.name]
    return _reply(admin.OK)


def _grant_privileges(
    state: SecurityState, caller: Session, f: dict[int, bytes]
) -> bytes:
    role = _custom_role(state, f)
    role.privileges = list(dict.fromkeys([*role.privileges, *_privileges(f)]))
    return _reply(admin.OK)


def _revoke_privileges(
    state: SecurityState, caller: Session, f: dict[int, bytes]
) -> bytes:
    role = _custom_role(state, f)
    # Only exact matches go: revoking read on a set keeps read on its
    # namespace, and revoking what the role lacks is no error.
    revoked = set(_privileges(f))
    role.privileges = [p for p in role.privileges if p not in revoked]
    return _reply(admin.OK)


def _set_allowlist(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    role = _custom_role(state, f)
    role.allowlist = _allowlist(f)
    return _reply(admin.OK)


def _set_quotas(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    if not state.config.enable_quotas:
        raise _Refusal(admin.QUOTAS_NOT_ENABLED)
    role = _custom_role(state, f)
    if admin.READ_QUOTA not in f and admin.WRITE_QUOTA not in f:
        raise _Refusal(admin.INVALID_QUOTA)
    if admin.READ_QUOTA in f:
        role.read_quota = _quota(state, f, admin.READ_QUOTA)
    if admin.WRITE_QUOTA in f:
        role.write_quota = _quota(state, f, admin.WRITE_QUOTA)
    return _reply(admin.OK)


# -- queries ---------------------------------------------------------------------------


def _query_reply(blocks: list[bytes]) -> bytes:
    """The blocks in one frame, then the QUERY_END block in its own."""
    end = admin.frame(admin.encode_block(result=admin.QUERY_END))
    if not blocks:
        return end
    return admin.frame(b"".join(blocks)) + end


def _user_block(state: SecurityState, user: User) -> bytes:
    fields = [
        (admin.USER, user.name.encode()),
        (admin.ROLES, admin.encode_roles(user.roles)),
    ]
    if state.config.enable_quotas:
        fields.append(
            (admin.READ_INFO, admin.encode_info(state.usage(user.name, False)))
        )
        fields.append(
            (admin.WRITE_INFO, admin.encode_info(state.usage(user.name, True)))
        )
    fields.append(
        (admin.CONNECTIONS, admin.encode_u32(state.connections_of(user.name)))
    )
    return admin.encode_block(fields=fields)


def _role_block(state: SecurityState, role: Role) -> bytes:
    fields = [
        (admin.ROLE, role.name.encode()),
        (admin.PRIVILEGES, admin.encode_privileges(role.privileges)),
    ]
    if role.allowlist:
        fields.append((admin.WHITELIST, admin.encode_whitelist(role.allowlist)))
    if state.config.enable_quotas:
        fields.append((admin.READ_QUOTA, admin.encode_u32(role.read_quota)))
        fields.append((admin.WRITE_QUOTA, admin.encode_u32(role.write_quota)))
    return admin.encode_block(fields=fields)


def _query_users(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    """Everyone may read their own user; reading others needs user-admin."""
    if admin.USER in f:
        user = _user(state, f)
        if user.name != caller.user and state.missing(caller.user, Perm.USER_ADMIN):
            raise _Refusal(admin.ROLE_VIOLATION)
        return _query_reply([_user_block(state, user)])
    if state.missing(caller.user, Perm.USER_ADMIN):
        raise _Refusal(admin.ROLE_VIOLATION)
    users = [state.users[name] for name in sorted(state.users)]
    return _query_reply([_user_block(state, user) for user in users])


def _query_roles(state: SecurityState, caller: Session, f: dict[int, bytes]) -> bytes:
    """Everyone may read the roles they hold; others need user-admin."""
    if admin.ROLE in f:
        role = state.roles.get(_name(f, admin.ROLE, admin.INVALID_ROLE))
        if role is None:
            raise _Refusal(admin.INVALID_ROLE)
        held = state.users.get(caller.user)
        mine = held is not None and role.name in held.roles
        if not mine and state.missing(caller.user, Perm.USER_ADMIN):
            raise _Refusal(admin.ROLE_VIOLATION)
        return _query_reply([_role_block(state, role)])
    if state.missing(caller.user, Perm.USER_ADMIN):
        raise _Refusal(admin.ROLE_VIOLATION)
    roles = [state.roles[name] for name in sorted(state.roles)]
    return _query_reply([_role_block(state, role) for role in roles])


# Commands after login: the handler, and the permission it needs up front
# (NONE: the handler decides, e.g. a user may change its own password).
_ADMIN_COMMANDS: dict[int, tuple[AdminCommand, Perm]] = {
    admin.CREATE_USER: (_create_user, Perm.USER_ADMIN),
    admin.DROP_USER: (_drop_user, Perm.USER_ADMIN),
    admin.SET_PASSWORD: (_set_password, Perm.USER_ADMIN),
    admin.CHANGE_PASSWORD: (_change_password, Perm.NONE),
    admin.GRANT_ROLES: (_grant_roles, Perm.USER_ADMIN),
    admin.REVOKE_ROLES: (_revoke_roles, Perm.USER_ADMIN),
    admin.QUERY_USERS: (_query_users, Perm.NONE),
    admin.CREATE_ROLE: (_create_role, Perm.USER_ADMIN),
    admin.DROP_ROLE: (_drop_role, Perm.USER_ADMIN),
    admin.GRANT_PRIVILEGES: (_grant_privileges, Perm.USER_ADMIN),
    admin.REVOKE_PRIVILEGES: (_revoke_privileges, Perm.USER_ADMIN),
    admin.SET_WHITELIST: (_set_allowlist, Perm.USER_ADMIN),
    admin.SET_QUOTAS: (_set_quotas, Perm.USER_ADMIN),
    admin.QUERY_ROLES: (_query_roles, Perm.NONE),
}


def _run_command(
    state: SecurityState, connection: Connection, message: admin.AdminMessage
) -> bytes:
    session = _live_session(connection)
    if session is None:
        return _reply(admin.NOT_AUTHENTICATED)
    entry = _ADMIN_COMMANDS.get(message.command)
    if entry is None:
        return _reply(admin.INVALID_COMMAND)
    handler, needed = entry
    if needed and state.missing(session.user, needed):
        return _reply(admin.ROLE_VIOLATION)
    try:
        return handler(state, session, message.fields)
    except _Refusal as refusal:
        if message.command in (admin.QUERY_USERS, admin.QUERY_ROLES):
            return admin.frame(admin.encode_block(result=refusal.code))
        return _reply(refusal.code)


async def handle_admin(
    node_: ServerNode, connection: Connection, body: bytes
) -> bytes | None:
    """Answer one type-2 message; 52 when the server runs without security."""
    state = _states.get(node_.cluster)
    if state is None:
        return _reply(admin.SECURITY_NOT_ENABLED)
    try:
        message, _ = admin.decode_block(body)
    except admin.AdminMessageError:
        return _reply(admin.INVALID_FIELD)
    if message.command == admin.LOGIN:
        return _login(state, connection, message.fields)
    if message.command == admin.AUTHENTICATE:
        return _authenticate(state, connection, message.fields)
    return _run_command(state, connection, message)


node.admin_handler.append(handle_admin)
