"""Cache and session engines of both kinds, with the blocking call style."""

from __future__ import annotations

import pytest
from helpers import BlockingView

from aerospike_py.cache import AsyncCacheEngine, CacheEngine
from aerospike_py.sessions import AsyncSessionEngine, SessionEngine


def _engine(client_factory, aerospike_config, sync_cls, async_cls, **options):
    client = client_factory(aerospike_config)
    if client_factory.kind == "sync":
        return sync_cls(client, **options)
    engine = async_cls(client._target, **options)
    return BlockingView(engine, client._loop)


@pytest.fixture
def make_cache(client_factory, aerospike_config, aerospike_set):
    def make(**options):
        options.setdefault("namespace", "test")
        options.setdefault("set_name", aerospike_set)
        return _engine(
            client_factory, aerospike_config, CacheEngine, AsyncCacheEngine, **options
        )

    return make


@pytest.fixture
def cache(make_cache):
    return make_cache()


@pytest.fixture
def sessions(client_factory, aerospike_config, aerospike_set):
    return _engine(
        client_factory,
        aerospike_config,
        SessionEngine,
        AsyncSessionEngine,
        namespace="test",
        set_name=aerospike_set,
    )
