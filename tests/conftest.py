"""Shared fixtures: the embedded server, and one client API over both clients.

``client`` is parametrized: every test that takes it runs once with the
blocking ``Client`` and once with ``AsyncClient`` (driven through an event
loop), so the two cannot drift apart.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import aerospike_py

pytest_plugins = ["aerospike_py.testing"]


class BlockingView:
    """Call an AsyncClient (or AsyncQuery) as if it were blocking."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if inspect.iscoroutinefunction(attr):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(self._loop.run_until_complete(attr(*args, **kwargs)))

            return call
        if callable(attr):

            def plain(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(attr(*args, **kwargs))

            return plain
        return attr

    def _wrap(self, value: Any) -> Any:
        if type(value).__name__.startswith("Async"):
            return BlockingView(value, self._loop)
        return value


@pytest.fixture
def event_loop_for_client() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.fixture(params=["sync", "async"])
def client(
    request: pytest.FixtureRequest, aerospike_config: dict[str, Any]
) -> Iterator[Any]:
    """A connected client of each kind, with the blocking call style."""
    if request.param == "sync":
        sync_client = aerospike_py.client(aerospike_config).connect()
        try:
            yield sync_client
        finally:
            sync_client.close()
        return
    loop = request.getfixturevalue("event_loop_for_client")
    async_client = aerospike_py.async_client(aerospike_config)
    loop.run_until_complete(async_client.connect())
    try:
        yield BlockingView(async_client, loop)
    finally:
        loop.run_until_complete(async_client.close())


@pytest.fixture
def server(aerospike_server: Any) -> Any:
    if aerospike_server is None:
        pytest.skip("needs the embedded server")
    return aerospike_server


@pytest.fixture
def key(aerospike_set: str) -> tuple[str, str, str]:
    return ("test", aerospike_set, "key-1")
