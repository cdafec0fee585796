"""The cache engine shared by the Django, Flask and FastAPI integrations.

    from aerospike_py.cache import CacheEngine
    cache = CacheEngine(client, namespace="test", set_name="cache")
    cache.set("greeting", "hello", ttl=60)

``AsyncCacheEngine`` offers the same methods as coroutines.
"""

from aerospike_py._async.cache import OUTAGES, AsyncCacheEngine, AsyncCacheLock
from aerospike_py._cache_codec import (
    KEEP,
    NEVER,
    SERIALIZERS,
    CacheMiss,
    Codec,
    Serializer,
    TTLForbiddenError,
)
from aerospike_py._policy import MAX_TTL
from aerospike_py._sync.cache import CacheEngine, CacheLock

__all__ = [
    "KEEP",
    "MAX_TTL",
    "NEVER",
    "OUTAGES",
    "SERIALIZERS",
    "AsyncCacheEngine",
    "AsyncCacheLock",
    "CacheEngine",
    "CacheLock",
    "CacheMiss",
    "Codec",
    "Serializer",
    "TTLForbiddenError",
]
