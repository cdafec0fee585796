"""Flask integration of aerospike_py: extension, cache, sessions, CLI.

- :class:`Aerospike`: ``init_app`` reads ``app.config["AEROSPIKE"]`` and
  gives the app a lazily connected client (``aerospike.client``),
  server-side sessions (``AEROSPIKE_SESSIONS = True``) and the
  ``flask aerospike`` commands.
- ``CACHE_TYPE = "flask_aerospike.cache.AerospikeCache"``: a Flask-Caching
  backend (imported only when Flask-Caching loads it).
- :func:`regenerate_session`: a new session id at login.
"""

from flask_aerospike._config import ConfigError
from flask_aerospike._state import AerospikeState
from flask_aerospike.extension import Aerospike
from flask_aerospike.sessions import (
    AerospikeSession,
    AerospikeSessionInterface,
    regenerate_session,
)

__all__ = [
    "Aerospike",
    "AerospikeSession",
    "AerospikeSessionInterface",
    "AerospikeState",
    "ConfigError",
    "regenerate_session",
]
