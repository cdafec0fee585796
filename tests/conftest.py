"""Shared fixtures: the embedded server, and one client API over both clients.

``client`` is parametrized: every test that takes it runs once with the
blocking ``Client`` and once with ``AsyncClient`` (driven through an event
loop), so the two cannot drift apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import ClientFactory

pytest_plugins = ["aerospike_py.testing"]


@pytest.fixture
def event_loop_for_client() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.fixture(params=["sync", "async"])
def client_factory(request: pytest.FixtureRequest) -> Iterator[ClientFactory]:
    """Connect clients of each kind (the test runs once per kind)."""
    loop = None
    if request.param == "async":
        loop = request.getfixturevalue("event_loop_for_client")
    factory = ClientFactory(request.param, loop)
    try:
        yield factory
    finally:
        factory.close_all()


@pytest.fixture
def client(client_factory: ClientFactory, aerospike_config: dict[str, Any]) -> Any:
    """A connected client of each kind, with the blocking call style."""
    return client_factory(aerospike_config)


@pytest.fixture
def server(aerospike_server: Any) -> Any:
    if aerospike_server is None:
        pytest.skip("needs the embedded server")
    return aerospike_server


@pytest.fixture
def key(aerospike_set: str) -> tuple[str, str, str]:
    return ("test", aerospike_set, "key-1")
