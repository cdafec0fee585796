"""Server-side Flask sessions kept in Aerospike.

The cookie holds only the session id, signed with the app's secret key;
the data is one record in one set (the shared session engine), and the
record's TTL is ``PERMANENT_SESSION_LIFETIME`` (at most Aerospike's ten
years), so expired sessions vanish on the server without a cleanup job.

Settings, named as Flask and Flask-Session name them:

- ``AEROSPIKE_SESSION_NAMESPACE`` (default ``AEROSPIKE_NAMESPACE``) and
  ``AEROSPIKE_SESSION_SET`` (default ``"flask_sessions"``);
- ``SESSION_PERMANENT`` (default True): whether new sessions are permanent;
- ``SESSION_KEY_PREFIX`` (default ``"session:"``): prefix of record keys;
- ``SESSION_ID_LENGTH`` (default 32): random bytes in a session id;
- ``SESSION_SERIALIZATION_FORMAT``: ``"json"`` (default; Flask's tagged
  JSON, so tuples, bytes, datetimes and ``Markup`` survive) or
  ``"msgpack"``;
- Flask's own ``SESSION_COOKIE_*``, ``SESSION_REFRESH_EACH_REQUEST``,
  ``PERMANENT_SESSION_LIFETIME``, ``SECRET_KEY`` and
  ``SECRET_KEY_FALLBACKS``.

The record is read when the app first uses the session, not when the
request starts: a request that never touches ``session`` costs no read,
and keeps working while the session store is down. Such a request also
leaves the session as it is (no refresh, no cookie); one that uses it
saves it if modified, or refreshes it as ``SESSION_REFRESH_EACH_REQUEST``
says.

Behaviour follows Flask-Session: nothing is stored for an empty session,
``Vary: Cookie`` is sent whenever the session was used and with every
session cookie set or deleted, an id whose record is gone is never
reused, an emptied session is deleted with its cookie, and
:func:`regenerate_session` issues a new id at login. Beyond it: a save
never recreates a session deleted meanwhile (a logout in a parallel
request), and refreshing an unmodified session only touches its TTL.

A session the store refuses (a namespace without expiry, a session over
the record size limit) raises from ``save_session`` with the engine's
explanation, so Flask logs it and answers 500; the error response does
not try the same write again.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import math
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, current_app, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.wrappers import Response

from aerospike_py.cache import MAX_TTL, SERIALIZERS, Serializer
from aerospike_py.registry import registry
from aerospike_py.sessions import SessionEngine, SessionExists, SessionMissing
from flask_aerospike._config import (
    ConfigError,
    client_config,
    default_namespace,
    flag,
    namespace_name,
    set_name,
)

log = logging.getLogger("flask_aerospike.sessions")

NAMESPACE_KEY = "AEROSPIKE_SESSION_NAMESPACE"
SET_KEY = "AEROSPIKE_SESSION_SET"
DEFAULT_SET = "flask_sessions"
MIN_ID_LENGTH = 16  # bytes of randomness; fewer would make ids guessable


# What loading gives: the session's id and its stored data, or a fresh id
# and None when nothing is stored under the id the cookie named.
# What a loader reads: the id to use, the data (None: no record) and the
# data as serialized then, to tell later whether the request changed it.
Loaded = tuple[str, dict[str, Any] | None, bytes | None]

# The dict methods that read or change the data; each loads it first.
DATA_METHODS = (
    "__contains__",
    "__delitem__",
    "__eq__",
    "__getitem__",
    "__ior__",
    "__iter__",
    "__len__",
    "__ne__",
    "__or__",
    "__reversed__",
    "__ror__",
    "__setitem__",
    "clear",
    "copy",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
)


class AerospikeSession(SecureCookieSession):
    """A session whose data lives in Aerospike and whose id is ``sid``.

    Given a ``loader``, the data is read on first use (any read or write,
    ``sid``, ``new`` or ``permanent``), so a request that never uses the
    session does no I/O. ``new`` is True until the session has a record.
    ``permanent`` falls back to ``SESSION_PERMANENT`` without writing it
    into the data, so an untouched session stays empty and is never
    stored.
    """

    def __init__(
        self,
        initial: Mapping[str, Any] | None = None,
        *,
        sid: str,
        new: bool,
        default_permanent: bool = True,
        loader: Callable[[], Loaded] | None = None,
    ) -> None:
        super().__init__(initial)
        self._sid = sid
        self._new = new
        self._loader = loader
        self.default_permanent = default_permanent
        # The id a regenerate() replaced; its record goes at the next save.
        self.previous_sid: str | None = None
        #: True once storing this session failed; the error response that
        #: follows does not try again.
        self.save_failed = False
        #: The stored data as serialized when read; None for a new session.
        self.snapshot: bytes | None = None

    @property
    def loaded(self) -> bool:
        """Whether the stored data has been read (or there was none to read)."""
        return self._loader is None

    def load(self) -> None:
        """Read the stored data now; the first use of the session does it.

        A failed read (the store is down) raises, and the next use tries
        again.
        """
        if self._loader is None:
            return
        sid, data, self.snapshot = self._loader()
        self._loader = None
        # The response now depends on the cookie, whoever asked.
        self.accessed = True
        self._sid = sid
        if data is None:
            self._new = True
        else:
            dict.update(self, data)  # not a change: modified stays False

    @property
    def sid(self) -> str:
        """The session id: the cookie's, or a fresh one if nothing was stored."""
        self.load()
        return self._sid

    @sid.setter
    def sid(self, value: str) -> None:
        self.load()
        self._sid = value

    @property
    def new(self) -> bool:
        """True until the session has a record."""
        self.load()
        return self._new

    @new.setter
    def new(self, value: bool) -> None:
        self.load()
        self._new = value

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session."""
        self.load()
        return bool(dict.get(self, "_permanent", self.default_permanent))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    def __repr__(self) -> str:
        if not self.loaded:
            return f"<{type(self).__name__} (not loaded)>"
        return super().__repr__()


def _loading(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def load_first(session: AerospikeSession, *args: Any, **kwargs: Any) -> Any:
        session.load()
        return method(session, *args, **kwargs)

    return load_first


for _name in DATA_METHODS:
    setattr(AerospikeSession, _name, _loading(getattr(SecureCookieSession, _name)))


class AerospikeSessionInterface(SessionInterface):
    """Keep ``flask.session`` in Aerospike (see the module docstring).

    ``Aerospike.init_app`` installs one when ``AEROSPIKE_SESSIONS`` is
    True; ``app.session_interface = AerospikeSessionInterface.from_config(
    app.config)`` does the same by hand.
    """

    session_class = AerospikeSession
    #: Separates these signatures from any other use of the secret key.
    salt = "flask_aerospike.session"

    def __init__(
        self,
        engine: SessionEngine,
        *,
        key_prefix: str = "session:",
        id_length: int = 32,
        permanent: bool = True,
    ) -> None:
        self.engine = engine
        self.key_prefix = key_prefix
        self.id_length = id_length
        self.permanent = permanent

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AerospikeSessionInterface:
        """Build the interface from an app's config, checking every key."""
        connection = client_config(config)
        engine = SessionEngine(
            lambda: registry.client(connection),
            namespace=_session_namespace(config),
            set_name=set_name(config.get(SET_KEY, DEFAULT_SET), SET_KEY),
            serializer=_serializer(config),
        )
        _check_lifetime(config)
        return cls(
            engine,
            key_prefix=_key_prefix(config),
            id_length=_id_length(config),
            permanent=flag(config, "SESSION_PERMANENT", True),
        )

    # -- loading ---------------------------------------------------------------

    def open_session(self, app: Flask, request: Request) -> AerospikeSession | None:
        """Return the session the request's cookie names, or a new one.

        Nothing is read here: the record is loaded when the app first uses
        the session. A missing, tampered or unknown cookie gives a fresh,
        empty session with a new id. Without a secret key this returns
        None, and Flask answers writes with its "no secret key" error.
        """
        signer = self._signer(app)
        if signer is None:
            return None
        sid = _unsign(signer, request.cookies.get(self.get_cookie_name(app)))
        if sid is None:
            return self.session_class(
                sid=self._new_sid(), new=True, default_permanent=self.permanent
            )
        return self.session_class(
            sid=sid,
            new=False,
            default_permanent=self.permanent,
            loader=functools.partial(self._load, sid),
        )

    def _load(self, sid: str) -> Loaded:
        data = self.engine.load(self.key_prefix + sid)
        if data is None:
            # Never adopt an id without a record: it may have been planted.
            return self._new_sid(), None, None
        return sid, data, self.engine.serializer.dumps(data)

    def _signer(self, app: Flask) -> Signer | None:
        if not app.secret_key:
            return None
        # itsdangerous signs with the last key and accepts any of them.
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or []
        keys = [*fallbacks, app.secret_key]
        return Signer(
            keys,
            salt=self.salt,
            key_derivation="hmac",
            digest_method=hashlib.sha256,
        )

    def _new_sid(self) -> str:
        return secrets.token_urlsafe(self.id_length)

    # -- saving ----------------------------------------------------------------

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Store a changed session and set or delete its cookie.

        A session the request never used is left alone: nothing to store,
        and nothing to read while the store may be down.
        """
        if not isinstance(session, AerospikeSession):
            return  # the null session of an app without a secret key
        if session.accessed:
            response.vary.add("Cookie")
        if not session.loaded or session.save_failed:
            return
        try:
            self._save(app, session, response)
        except Exception:
            # Flask answers 500 and saves again for that response; the
            # same write would fail the same way, and be logged twice.
            session.save_failed = True
            raise

    def _save(self, app: Flask, session: AerospikeSession, response: Response) -> None:
        if session.previous_sid is not None:
            existed = self.engine.delete(self.key_prefix + session.previous_sid)
            session.previous_sid = None
            if not existed:
                # Ended by another request (a logout) while this one logged
                # in under a new id: its data must not come back.
                log.info("a session ended while a request regenerated it; not saved")
                self._delete_cookie(app, response)
                return
        if not session:
            if session.modified:
                self._forget(app, session, response)
            return
        if not self.should_set_cookie(app, session) and not self._changed_inside(
            session
        ):
            return
        if not self._store(app, session):
            # Deleted by another request meanwhile (a logout, a revocation):
            # this request must not bring it back.
            log.info("a session was deleted while a request used it; not saved")
            self._delete_cookie(app, response)
            return
        self._set_cookie(app, session, response)

    def _store(self, app: Flask, session: AerospikeSession) -> bool:
        """Write a modified session, or extend an unmodified one's TTL."""
        ttl = _lifetime(app)
        key = self.key_prefix + session.sid
        if not session.modified and not self._changed_inside(session):
            return self.engine.touch(key, ttl)
        try:
            self.engine.save(
                key,
                dict(session),
                ttl,
                must_create=session.new,
                must_exist=not session.new,
            )
        except SessionExists:
            key = self.engine.create(dict(session), ttl, key_factory=self._new_key)
            session.sid = key[len(self.key_prefix) :]
        except SessionMissing:
            return False
        session.new = False
        return True

    def _changed_inside(self, session: AerospikeSession) -> bool:
        """Whether a value was changed in place (``session["cart"].append``),
        which Flask's ``modified`` does not see."""
        if session.snapshot is None:
            return False
        return self.engine.serializer.dumps(dict(session)) != session.snapshot

    def _new_key(self) -> str:
        return self.key_prefix + self._new_sid()

    def _forget(
        self, app: Flask, session: AerospikeSession, response: Response
    ) -> None:
        if not session.new:
            self.engine.delete(self.key_prefix + session.sid)
        self._delete_cookie(app, response)

    def _set_cookie(
        self, app: Flask, session: AerospikeSession, response: Response
    ) -> None:
        signer = self._signer(app)
        assert signer is not None  # open_session made this session
        response.set_cookie(
            self.get_cookie_name(app),
            signer.sign(session.sid).decode("ascii"),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )
        # A cached response must not hand this cookie to other clients.
        response.vary.add("Cookie")

    def _delete_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )
        response.vary.add("Cookie")

    # -- session fixation --------------------------------------------------------

    def regenerate(self, session: AerospikeSession) -> None:
        """Give ``session`` a new id, keeping its data.

        Call it when the user logs in (or changes privilege), so an id an
        attacker planted before the login is worth nothing afterwards.
        The old record is deleted when the response is saved.
        """
        if not session.new:
            session.previous_sid = session.sid
        session.sid = self._new_sid()
        session.new = True
        session.modified = True


def regenerate_session() -> None:
    """Give the current request's session a new id (call it at login)."""
    interface = current_app.session_interface
    if not isinstance(interface, AerospikeSessionInterface):
        raise RuntimeError(
            "regenerate_session() needs Aerospike sessions: set "
            "AEROSPIKE_SESSIONS = True before Aerospike.init_app(app)"
        )
    target = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(target, AerospikeSession):
        raise RuntimeError("the session is unavailable: set the app's SECRET_KEY")
    interface.regenerate(target)


def _unsign(signer: Signer, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        return signer.unsign(cookie).decode("ascii")
    except (BadSignature, UnicodeError):
        return None


def _lifetime(app: Flask) -> int:
    """The record TTL: PERMANENT_SESSION_LIFETIME, at most ten years."""
    seconds = math.ceil(app.permanent_session_lifetime.total_seconds())
    return min(seconds, MAX_TTL)


# -- configuration -------------------------------------------------------------


def _session_namespace(config: Mapping[str, Any]) -> str:
    if NAMESPACE_KEY in config:
        return namespace_name(config[NAMESPACE_KEY], NAMESPACE_KEY)
    return default_namespace(config)


def _serializer(config: Mapping[str, Any]) -> Serializer:
    name = config.get("SESSION_SERIALIZATION_FORMAT", "json")
    if name == "json":
        tagged = TaggedJSONSerializer()
        return Serializer(
            "json",
            "j",
            lambda value: tagged.dumps(value).encode(),
            lambda data: tagged.loads(data.decode()),
        )
    if name == "msgpack":
        return SERIALIZERS["msgpack"]
    raise ConfigError(
        f"SESSION_SERIALIZATION_FORMAT is {name!r}; use 'json' or 'msgpack'"
    )


def _key_prefix(config: Mapping[str, Any]) -> str:
    prefix = config.get("SESSION_KEY_PREFIX", "session:")
    if not isinstance(prefix, str):
        raise ConfigError(f"SESSION_KEY_PREFIX must be a str, not {prefix!r}")
    return prefix


def _id_length(config: Mapping[str, Any]) -> int:
    length = config.get("SESSION_ID_LENGTH", 32)
    if isinstance(length, bool) or not isinstance(length, int):
        raise ConfigError(f"SESSION_ID_LENGTH must be an int, not {length!r}")
    if length < MIN_ID_LENGTH:
        raise ConfigError(
            f"SESSION_ID_LENGTH is {length}; use at least {MIN_ID_LENGTH} "
            "random bytes so session ids cannot be guessed"
        )
    return length


def _check_lifetime(config: Mapping[str, Any]) -> None:
    lifetime = config.get("PERMANENT_SESSION_LIFETIME")
    seconds = (
        lifetime.total_seconds()
        if isinstance(lifetime, datetime.timedelta)
        else lifetime
    )
    if not isinstance(seconds, (int, float)) or seconds < 1:
        raise ConfigError(
            "PERMANENT_SESSION_LIFETIME must be at least 1 second (it is the "
            f"TTL of Aerospike session records), not {lifetime!r}"
        )
