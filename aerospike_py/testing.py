"""pytest fixtures: an embedded server and connected clients.

Enable them in a conftest.py with ``pytest_plugins = ["aerospike_py.testing"]``
(installing the package registers them too). Fixtures:

- ``aerospike_server``: one :class:`EmbeddedServer` for the test session,
  on a free loopback port;
- ``aerospike_config``: a ClientConfig dict that reaches it;
- ``aerospike_client``: a connected :class:`Client`, closed after the test;
- ``aerospike_set``: a set name unique to the test, so tests never share
  records.

Set ``AEROSPIKE_TEST_HOSTS="host:port,..."`` to run the same tests against a
real cluster instead of the embedded server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from aerospike_py._sync.client import Client
from aerospike_py.server import EmbeddedServer


@pytest.fixture(scope="session")
def aerospike_server() -> Iterator[EmbeddedServer | None]:
    """The embedded server of the session (None with AEROSPIKE_TEST_HOSTS)."""
    if os.environ.get("AEROSPIKE_TEST_HOSTS"):
        yield None
        return
    with EmbeddedServer(port=0) as server:
        yield server


@pytest.fixture
def aerospike_config(aerospike_server: EmbeddedServer | None) -> dict[str, Any]:
    """A ClientConfig for the session's server."""
    hosts = os.environ.get("AEROSPIKE_TEST_HOSTS")
    if hosts:
        return {"hosts": [h.strip() for h in hosts.split(",") if h.strip()]}
    assert aerospike_server is not None
    return aerospike_server.client_config()


@pytest.fixture
def aerospike_client(aerospike_config: dict[str, Any]) -> Iterator[Client]:
    """A connected Client, closed after the test."""
    client = Client(aerospike_config).connect()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def aerospike_set(request: pytest.FixtureRequest) -> str:
    """A set name unique to the running test (at most 63 bytes)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)
    return name[-60:]
