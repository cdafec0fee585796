"""The server-side session store shared by the framework integrations.

``SessionEngine`` is blocking; ``AsyncSessionEngine`` has the same methods
as coroutines.
"""

from aerospike_py._async.sessions import AsyncSessionEngine
from aerospike_py._cache_codec import (
    SessionExists,
    SessionMissing,
    TTLForbiddenError,
    new_session_key,
)
from aerospike_py._sync.sessions import SessionEngine

__all__ = [
    "AsyncSessionEngine",
    "SessionEngine",
    "SessionExists",
    "SessionMissing",
    "TTLForbiddenError",
    "new_session_key",
]
