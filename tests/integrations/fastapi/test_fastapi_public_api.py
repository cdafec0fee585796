"""The public names of fastapi_aerospike, pinned so docs can rely on them."""

from __future__ import annotations

import typing

import fastapi_aerospike
from aerospike_py._async.client import AsyncClient
from fastapi_aerospike import AerospikeClient, RequestClient, get_client

PUBLIC = {
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
}


def test_the_public_names_are_exactly_these():
    assert set(fastapi_aerospike.__all__) == PUBLIC
    assert all(hasattr(fastapi_aerospike, name) for name in PUBLIC)


def test_aerospike_client_is_an_annotated_async_client_dependency():
    client_type, depends = typing.get_args(AerospikeClient)

    assert client_type is AsyncClient
    assert depends.dependency is get_client


def test_public_callables_are_documented():
    for name in PUBLIC:
        value = getattr(fastapi_aerospike, name)
        if callable(value) and not typing.get_origin(value):
            assert (value.__doc__ or "").strip(), name
    assert RequestClient.get.__doc__
