"""Flask apps wired to the embedded server, built the way users build them."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask_caching import Cache

from aerospike_py.server import EmbeddedServer
from aerospike_py.server.storage import NamespaceConfig
from flask_aerospike import Aerospike

AppFactory = Callable[..., Flask]


@pytest.fixture(scope="session")
def other_server() -> Iterator[EmbeddedServer]:
    """A second cluster, with its own namespace, for a second app.

    It lives as long as the session, as the process-wide clients that
    reach it do.
    """
    with EmbeddedServer(port=0, namespaces=["apps"]) as server:
        yield server


@pytest.fixture(scope="session")
def plain_server() -> Iterator[EmbeddedServer]:
    """A cluster whose namespace ``plain`` has no expiry (nsup-period 0)."""
    with EmbeddedServer(
        port=0, namespaces=["test", NamespaceConfig("plain", nsup_period=0)]
    ) as server:
        yield server


@pytest.fixture
def stoppable_server() -> Iterator[EmbeddedServer]:
    """A cluster of the test's own, which the test stops for an outage."""
    with EmbeddedServer(port=0) as server:
        yield server


@pytest.fixture
def make_app(aerospike_config: dict[str, Any], aerospike_set: str) -> AppFactory:
    """Build an app with the extension, Flask-Caching and Aerospike sessions.

    Keyword arguments override config keys; the cache and the sessions get
    sets of their own, named after the test.
    """

    def make(**overrides: Any) -> Flask:
        app = Flask(f"app_{aerospike_set}")
        app.config.update(
            TESTING=True,
            SECRET_KEY="test secret",
            AEROSPIKE=aerospike_config,
            AEROSPIKE_SESSIONS=True,
            AEROSPIKE_SESSION_SET=f"{aerospike_set[:50]}_sessions",
            CACHE_TYPE="flask_aerospike.cache.AerospikeCache",
            CACHE_OPTIONS={"set": f"{aerospike_set[:50]}_cache"},
        )
        app.config.update(overrides)
        Aerospike(app)
        app.extensions["test_cache"] = Cache(app)
        return app

    return make


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def cache(app: Flask) -> Cache:
    return app.extensions["test_cache"]


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def advance_clock(server: EmbeddedServer) -> Iterator[Callable[[float], None]]:
    """Move the shared server's clock forward; it is moved back afterwards.

    A clock left moved would expire the records of every later test early.
    """
    moved = 0.0

    def advance(seconds: float) -> None:
        nonlocal moved
        server.advance_clock(seconds)
        moved += seconds

    yield advance
    server.advance_clock(-moved)
