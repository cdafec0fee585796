"""Exceptions raised by aerospike_py.

Every error the client raises is an :class:`AerospikeError`::

    AerospikeError
    ├── ClientError                  misuse or a fault inside the client
    │   ├── BackpressureError        no operation slot free in time
    │   └── RustPanicError           kept for compatibility; never raised
    ├── ClusterError                 no usable node / connection
    │   ├── ConnectionFailure        a socket could not be opened or broke
    │   ├── NoMoreConnectionsError   the node's pool stayed full
    │   └── InvalidHostError         a malformed host in the config
    ├── AerospikeTimeoutError        a deadline passed (alias TimeoutError)
    │   └── ServerTimeoutError       ... on the server (also a ServerError)
    ├── InvalidArgError              bad input, refused before sending
    │                                (also a ValueError and a TypeError)
    ├── RecordError                  the record or a bin said no
    │   ├── RecordNotFound                2
    │   ├── RecordGenerationError         3
    │   ├── RecordExistsError             5
    │   ├── BinExistsError                6
    │   ├── BinTypeError                 12
    │   ├── RecordTooBig                 13
    │   ├── BinNotFound                  17
    │   ├── BinNameError                 21
    │   ├── ElementNotFoundError         23
    │   ├── ElementExistsError           24
    │   └── FilteredOut                  27
    └── ServerError                  any other server result code
        ├── ForbiddenError               22
        ├── AerospikeIndexError          (alias IndexError)
        │   ├── IndexFoundError         200
        │   └── IndexNotFound           201
        ├── QueryError
        │   └── QueryAbortedError    15, 210
        ├── AdminError               50-94 (security)
        │   ├── InvalidUserError          60
        │   ├── UserExistsError           61
        │   ├── InvalidPasswordError      62
        │   ├── InvalidCredentialError    65
        │   ├── ExpiredSessionError       66
        │   ├── InvalidRoleError          70
        │   ├── RoleExistsError           71
        │   ├── InvalidPrivilegeError     72
        │   ├── NotAuthenticatedError     80
        │   ├── RoleViolationError        81
        │   ├── NotAllowlistedError       82
        │   └── QuotaExceededError        83
        └── UDFError                    100

Each carries ``code`` (also ``result_code``): the server's result code, or a
negative client code; ``msg`` (also ``message``); ``node``, the name of the
node that answered, when one did; and ``in_doubt``, true when a write may
have been applied although the call failed.

Server result codes map to classes through one table, ``CODE_TO_CLASS``;
:func:`from_result_code` is the only place that turns a code into an
exception.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = [
    "AdminError",
    "AerospikeError",
    "AerospikeIndexError",
    "AerospikeTimeoutError",
    "BackpressureError",
    "BinExistsError",
    "BinNameError",
    "BinNotFound",
    "BinTypeError",
    "ClientError",
    "ClusterError",
    "ConnectionFailure",
    "ElementExistsError",
    "ElementNotFoundError",
    "ExpiredSessionError",
    "FilteredOut",
    "ForbiddenError",
    "IndexFoundError",
    "IndexNotFound",
    "InvalidArgError",
    "InvalidCredentialError",
    "InvalidHostError",
    "InvalidPasswordError",
    "InvalidPrivilegeError",
    "InvalidRoleError",
    "InvalidUserError",
    "NoMoreConnectionsError",
    "NotAllowlistedError",
    "NotAuthenticatedError",
    "QueryAbortedError",
    "QueryError",
    "QuotaExceededError",
    "RecordError",
    "RecordExistsError",
    "RecordGenerationError",
    "RecordNotFound",
    "RecordTooBig",
    "RoleExistsError",
    "RoleViolationError",
    "RustPanicError",
    "ServerError",
    "ServerTimeoutError",
    "UDFError",
    "UserExistsError",
    "from_result_code",
]

# Client-side codes, as the official C and Python clients number them.
ERR_CLIENT = -1
ERR_PARAM = -2
ERR_INVALID_HOST = -4
ERR_NO_MORE_CONNECTIONS = -7
ERR_CONNECTION = -10
ERR_CLUSTER = -11
ERR_TIMEOUT = 9


class AerospikeError(Exception):
    """The root of every error raised by aerospike_py."""

    default_code = ERR_CLIENT

    def __init__(
        self,
        message: str = "",
        code: int | None = None,
        *,
        node: str | None = None,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(message)
        self.msg = message
        self.code = self.default_code if code is None else code
        self.node = node
        self.in_doubt = in_doubt

    @property
    def message(self) -> str:
        return self.msg

    @property
    def result_code(self) -> int:
        return self.code

    def __str__(self) -> str:
        text = self.msg
        if self.in_doubt:
            text += " [in doubt: the write may have been applied]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, msg={self.msg!r})"

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (type(self), self.msg, self.code, self.node, self.in_doubt),
        )


def _rebuild(
    cls: type[AerospikeError],
    msg: str,
    code: int,
    node: str | None,
    in_doubt: bool,
) -> AerospikeError:
    return cls(msg, code, node=node, in_doubt=in_doubt)


class ClientError(AerospikeError):
    """The client was misused (e.g. not connected) or failed internally."""


class BackpressureError(ClientError):
    """No operation slot became free within ``operation_queue_timeout_ms``."""


class RustPanicError(ClientError):
    """Kept so code written for the Rust-based client still imports."""


class ClusterError(AerospikeError):
    """No node could serve the command."""

    default_code = ERR_CLUSTER


class ConnectionFailure(ClusterError):
    """A connection to a node could not be opened, or broke mid-command."""

    default_code = ERR_CONNECTION


class NoMoreConnectionsError(ClusterError):
    """Every connection of the node's pool stayed busy past the deadline."""

    default_code = ERR_NO_MORE_CONNECTIONS


class InvalidHostError(ClusterError):
    """A host entry of the configuration cannot be used."""

    default_code = ERR_INVALID_HOST


class AerospikeTimeoutError(AerospikeError):
    """The command's deadline passed before the server answered."""

    default_code = ERR_TIMEOUT


class InvalidArgError(AerospikeError, ValueError, TypeError):
    """An argument was refused before anything was sent.

    It is also a ``ValueError`` and a ``TypeError``, so handlers written for
    either builtin keep catching it.
    """

    default_code = ERR_PARAM


class RecordError(AerospikeError):
    """The server refused the command because of the record or one bin."""


class RecordNotFound(RecordError):
    default_code = 2


class RecordGenerationError(RecordError):
    default_code = 3


class RecordExistsError(RecordError):
    default_code = 5


class BinExistsError(RecordError):
    default_code = 6


class BinTypeError(RecordError):
    default_code = 12


class RecordTooBig(RecordError):
    default_code = 13


class BinNotFound(RecordError):
    default_code = 17


class BinNameError(RecordError):
    default_code = 21


class ElementNotFoundError(RecordError):
    default_code = 23


class ElementExistsError(RecordError):
    default_code = 24


class FilteredOut(RecordError):
    default_code = 27


class ServerError(AerospikeError):
    """The server answered with a result code that has no closer class."""

    default_code = 1


class ServerTimeoutError(ServerError, AerospikeTimeoutError):
    """The server gave up on the command (result code 9)."""

    default_code = 9


class ForbiddenError(ServerError):
    """The namespace's configuration forbids the command (result code 22)."""

    default_code = 22


class AerospikeIndexError(ServerError):
    """A secondary-index command failed."""

    default_code = 204


class IndexFoundError(AerospikeIndexError):
    default_code = 200


class IndexNotFound(AerospikeIndexError):
    default_code = 201


class QueryError(ServerError):
    """A query or scan failed on the server."""

    default_code = 213


class QueryAbortedError(QueryError):
    default_code = 210


class AdminError(ServerError):
    """A security command failed, or the user lacks a privilege."""

    default_code = 60


class InvalidUserError(AdminError):
    """The user does not exist, or its name is not valid."""

    default_code = 60


class UserExistsError(AdminError):
    default_code = 61


class InvalidPasswordError(AdminError):
    default_code = 62


class InvalidCredentialError(AdminError):
    """The password (or the client certificate) did not match the user."""

    default_code = 65


class ExpiredSessionError(AdminError):
    """The session token expired or was revoked; log in again."""

    default_code = 66


class InvalidRoleError(AdminError):
    default_code = 70


class RoleExistsError(AdminError):
    default_code = 71


class InvalidPrivilegeError(AdminError):
    default_code = 72


class NotAuthenticatedError(AdminError):
    """The connection is not logged in, or its session was revoked."""

    default_code = 80


class RoleViolationError(AdminError):
    """The user's roles do not grant the privilege the command needs."""

    default_code = 81


class NotAllowlistedError(AdminError):
    """The client's address is outside the allowlist of the user's roles."""

    default_code = 82


class QuotaExceededError(AdminError):
    """The user went over a read or write quota of its roles."""

    default_code = 83


class UDFError(ServerError):
    """A user-defined function failed."""

    default_code = 100


# Result code -> exception class. Codes missing here are ServerError.
CODE_TO_CLASS: dict[int, type[AerospikeError]] = {
    2: RecordNotFound,
    3: RecordGenerationError,
    5: RecordExistsError,
    6: BinExistsError,
    9: ServerTimeoutError,
    12: BinTypeError,
    13: RecordTooBig,
    15: QueryAbortedError,
    17: BinNotFound,
    21: BinNameError,
    22: ForbiddenError,
    23: ElementNotFoundError,
    24: ElementExistsError,
    27: FilteredOut,
    100: UDFError,
    200: IndexFoundError,
    201: IndexNotFound,
    202: AerospikeIndexError,
    203: AerospikeIndexError,
    204: AerospikeIndexError,
    205: AerospikeIndexError,
    206: AerospikeIndexError,
    210: QueryAbortedError,
    211: QueryError,
    212: QueryError,
    213: QueryError,
}
for _code in range(50, 95):
    CODE_TO_CLASS[_code] = AdminError
for _admin_class in (
    InvalidUserError,
    UserExistsError,
    InvalidPasswordError,
    InvalidCredentialError,
    ExpiredSessionError,
    InvalidRoleError,
    RoleExistsError,
    InvalidPrivilegeError,
    NotAuthenticatedError,
    RoleViolationError,
    NotAllowlistedError,
    QuotaExceededError,
):
    CODE_TO_CLASS[_admin_class.default_code] = _admin_class

# Short texts for result codes (server: as/include/base/proto.h).
RESULT_TEXT: dict[int, str] = {
    1: "server error",
    2: "record not found",
    3: "generation mismatch",
    4: "invalid request parameter",
    5: "record already exists",
    6: "bin already exists",
    7: "cluster changed during the command",
    8: "server out of space",
    9: "server-side timeout",
    10: "operation always forbidden",
    11: "partition unavailable",
    12: "incompatible bin type",
    13: "record too big",
    14: "record busy (hot key)",
    15: "scan or query aborted",
    16: "unsupported feature",
    17: "bin not found",
    18: "device overload",
    19: "key mismatch",
    20: "namespace not found",
    21: "invalid bin name",
    22: "forbidden by namespace configuration",
    23: "element not found",
    24: "element already exists",
    25: "enterprise-only feature",
    26: "operation not applicable",
    27: "filtered out by the filter expression",
    28: "lost conflict",
    51: "security not supported",
    52: "security not enabled",
    53: "security scheme not supported",
    54: "invalid security command",
    55: "invalid security field",
    56: "illegal security state",
    60: "invalid user",
    61: "user already exists",
    62: "invalid password",
    63: "expired password",
    64: "forbidden password",
    65: "invalid credential",
    66: "expired session",
    70: "invalid role",
    71: "role already exists",
    72: "invalid privilege",
    73: "invalid allowlist",
    74: "quotas not enabled",
    75: "invalid quota",
    80: "not authenticated",
    81: "role violation: the user's roles lack the privilege this command needs",
    82: "client address not allowlisted",
    83: "quota exceeded",
    100: "UDF execution failed",
    150: "batch disabled",
    151: "too many batch requests",
    152: "batch queues full",
    160: "invalid GeoJSON",
    200: "index already exists",
    201: "index not found",
    203: "index not readable",
    204: "index error",
    205: "index name too long",
    206: "too many indexes",
    210: "query aborted",
    211: "query queue full",
    212: "query timeout",
    213: "query error",
}


def from_result_code(
    code: int,
    detail: str = "",
    *,
    node: str | None = None,
    in_doubt: bool = False,
) -> AerospikeError:
    """Build the exception for a server result code."""
    cls = CODE_TO_CLASS.get(code, ServerError)
    text = RESULT_TEXT.get(code, "server error")
    message = f"{text} (result code {code})"
    if detail:
        message = f"{message}: {detail}"
    return cls(message, code, node=node, in_doubt=in_doubt)


_DEPRECATED = {
    "TimeoutError": AerospikeTimeoutError,
    "IndexError": AerospikeIndexError,
}


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:
        new = _DEPRECATED[name]
        warnings.warn(
            f"aerospike_py.exception.{name} is deprecated; use {new.__name__}",
            DeprecationWarning,
            stacklevel=2,
        )
        return new
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
