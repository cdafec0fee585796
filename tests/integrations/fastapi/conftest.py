"""Apps built on fastapi_aerospike, run against the embedded server."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aerospike_py.server import EmbeddedServer
from fastapi_aerospike import AerospikeSettings, lifespan


def suffixed(name: str, suffix: str) -> str:
    """A set name of at most 63 bytes, unique to the test."""
    return name[-(63 - len(suffix)) :] + suffix


@pytest.fixture
def settings(aerospike_config, aerospike_set) -> AerospikeSettings:
    # A generous connect timeout: other suites may load the machine.
    return AerospikeSettings(
        client={**aerospike_config, "timeout": 5000},
        set_name=aerospike_set,
        cache_set=suffixed(aerospike_set, "_cache"),
        session_set=suffixed(aerospike_set, "_sess"),
    )


@pytest.fixture
def make_app(settings):
    """A FastAPI app with the Aerospike lifespan (other settings optional)."""

    def make(app_settings: AerospikeSettings | None = None, **kwargs) -> FastAPI:
        return FastAPI(lifespan=lifespan(app_settings or settings), **kwargs)

    return make


@pytest.fixture
def serve():
    """Enter TestClient blocks (so the lifespan runs); leave them at the end."""
    clients = []

    def serve(app: FastAPI, **options) -> TestClient:
        options.setdefault("raise_server_exceptions", False)
        client = TestClient(app, **options)
        client.__enter__()
        clients.append(client)
        return client

    yield serve
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def private_server():
    """A server of the test's own, free to be slowed down or stopped."""
    server = EmbeddedServer(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def private_settings(private_server, aerospike_set) -> AerospikeSettings:
    return AerospikeSettings(
        client=private_server.client_config(),
        set_name=aerospike_set,
        cache_set=suffixed(aerospike_set, "_cache"),
        session_set=suffixed(aerospike_set, "_sess"),
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
