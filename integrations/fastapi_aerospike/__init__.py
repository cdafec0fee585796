"""FastAPI integration of aerospike_py: lifespan, dependencies, caching, sessions.

    from fastapi import FastAPI
    from fastapi_aerospike import (
        AerospikeClient, AerospikeSettings, SessionMiddleware, cached,
        exception_handlers, health_router, lifespan,
    )

    settings = AerospikeSettings(client={"hosts": [("127.0.0.1", 3000)]})
    app = FastAPI(
        lifespan=lifespan(settings), exception_handlers=exception_handlers
    )
    app.add_middleware(SessionMiddleware, secret_key="change me")
    app.include_router(health_router)

    @app.get("/users/{uid}")
    @cached(ttl=60)
    async def user(uid: str, client: AerospikeClient) -> dict:
        return (await client.get(("test", "users", uid))).bins  # missing: 404

Admin commands: ``python -m fastapi_aerospike --app module:app ping``.
"""

from fastapi_aerospike._cache import cached, default_key_builder, etag_of
from fastapi_aerospike._collection import Collection, collection
from fastapi_aerospike._errors import (
    ModelConflict,
    ModelExists,
    ModelNotFound,
    exception_handlers,
)
from fastapi_aerospike._health import Health, check_health, health_router
from fastapi_aerospike._lifespan import (
    AerospikeCache,
    AerospikeClient,
    AerospikeLifespan,
    AerospikeRuntime,
    get_cache,
    get_client,
    lifespan,
)
from fastapi_aerospike._request import (
    AerospikeRequest,
    RequestClient,
    RequestStats,
    get_request_client,
    request_client,
)
from fastapi_aerospike._sessions import (
    SessionMiddleware,
    load_session,
    regenerate_session_id,
)
from fastapi_aerospike._settings import AerospikeSettings

__all__ = [
    "AerospikeCache",
    "AerospikeClient",
    "AerospikeLifespan",
    "AerospikeRequest",
    "AerospikeRuntime",
    "AerospikeSettings",
    "Collection",
    "Health",
    "ModelConflict",
    "ModelExists",
    "ModelNotFound",
    "RequestClient",
    "RequestStats",
    "SessionMiddleware",
    "cached",
    "check_health",
    "collection",
    "default_key_builder",
    "etag_of",
    "exception_handlers",
    "get_cache",
    "get_client",
    "get_request_client",
    "health_router",
    "lifespan",
    "load_session",
    "regenerate_session_id",
    "request_client",
]
