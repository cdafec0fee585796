"""Shared fixtures: the embedded server, and one client API over both clients.

``client`` is parametrized: every test that takes it runs once with the
blocking ``Client`` and once with ``AsyncClient`` (driven through an event
loop), so the two cannot drift apart.
"""

from __future__ import annotations

import asyncio
import inspect
import time
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


class ClientFactory:
    """Open connected clients of one kind (sync or async) for a test."""

    def __init__(self, kind: str, loop: asyncio.AbstractEventLoop | None) -> None:
        self.kind = kind
        self._loop = loop
        self._opened: list[Any] = []

    def __call__(self, config: dict[str, Any]) -> Any:
        if self.kind == "sync":
            sync_client = aerospike_py.client(config).connect()
            self._opened.append(sync_client)
            return sync_client
        assert self._loop is not None
        async_client = aerospike_py.async_client(config)
        self._loop.run_until_complete(async_client.connect())
        view = BlockingView(async_client, self._loop)
        self._opened.append(view)
        return view

    def sleep(self, seconds: float) -> None:
        """Wait, letting an async client's background tending run meanwhile."""
        if self._loop is None:
            time.sleep(seconds)
        else:
            self._loop.run_until_complete(asyncio.sleep(seconds))

    def close_all(self) -> None:
        for opened in self._opened:
            opened.close()


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
