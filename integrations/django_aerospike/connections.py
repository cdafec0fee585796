"""Clients for the aliases of ``settings.AEROSPIKE``.

The clients themselves live in :data:`aerospike_py.registry.registry`: one
per configuration per process, connected on first use, closed at exit and
dropped in a forked child (gunicorn ``--preload`` forks after the master
may have connected). Nothing here connects at import time.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from aerospike_py._async.client import AsyncClient
from aerospike_py._sync.client import Client
from aerospike_py.registry import registry
from django_aerospike import conf


def get_client(alias: str = conf.DEFAULT_ALIAS) -> Client:
    """Return the connected client of ``AEROSPIKE[alias]`` (process-wide)."""
    return registry.client(conf.client_config(alias))


async def aget_client(alias: str = conf.DEFAULT_ALIAS) -> AsyncClient:
    """Return the AsyncClient of ``AEROSPIKE[alias]`` for the running loop."""
    return await registry.async_client(conf.client_config(alias))


class SharedClient:
    """Hand out the registry's client for one ClientConfig, cheaply.

    A cache backend needs its client on every operation, and asking the
    registry checks and hashes the whole config each time. The answer is
    kept until the process forks, the event loop changes or the client
    closes; then the registry is asked again.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self._client: Client | None = None
        self._client_pid = 0
        self._async: tuple[int, asyncio.AbstractEventLoop, AsyncClient] | None = None

    def __call__(self) -> Client:
        client, pid = self._client, os.getpid()
        if client is None or self._client_pid != pid or not client.is_connected():
            client = registry.client(self.config)
            self._client, self._client_pid = client, pid
        return client

    async def async_client(self) -> AsyncClient:
        """Return the AsyncClient for the running event loop."""
        loop, pid = asyncio.get_running_loop(), os.getpid()
        entry = self._async
        if entry is None or entry[:2] != (pid, loop) or not entry[2].is_connected():
            client = await registry.async_client(self.config)
            entry = self._async = (pid, loop, client)
        return entry[2]
