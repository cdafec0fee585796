"""Fixtures for running the official ``aerospike`` client beside ours."""

from __future__ import annotations

import pytest

aerospike = pytest.importorskip("aerospike")


@pytest.fixture
def official(aerospike_server):
    if aerospike_server is None:
        pytest.skip("conformance runs against the embedded server")
    client = aerospike.client({"hosts": aerospike_server.hosts}).connect()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def ours(aerospike_client):
    return aerospike_client
