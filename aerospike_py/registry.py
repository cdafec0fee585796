"""One client per configuration per process, created on first use.

Framework integrations never build clients at import time or in
constructors: they ask the registry, which connects lazily, hands every
caller of the same configuration the same client, and closes everything at
interpreter exit. After ``fork()`` (gunicorn ``--preload``) the child drops
the clients it inherited - their sockets and tend thread belong to the
parent - and connects its own on first use. Async clients are kept per
event loop, so an application run twice under two loops (as test suites
do) never reuses a client bound to a dead loop.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aerospike_py._async.client import AsyncClient
from aerospike_py._config import parse_config
from aerospike_py._sync.client import Client

log = logging.getLogger("aerospike_py.registry")


def config_key(config: Mapping[str, Any]) -> str:
    """A stable text key for a ClientConfig.

    The config is checked when its client is first built, not on every
    lookup: lookups sit on the request path.
    """
    if not isinstance(config, Mapping):
        parse_config(config)  # raises the error that names the problem
    return json.dumps(config, sort_keys=True, default=repr)


class ClientRegistry:
    """Clients shared by every integration in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Client] = {}
        self._async: dict[
            tuple[str, int], tuple[asyncio.AbstractEventLoop, AsyncClient]
        ] = {}
        self._closers: dict[
            int, tuple[asyncio.AbstractEventLoop, AsyncIterator[None]]
        ] = {}
        self._pid = os.getpid()

    def _check_fork(self) -> None:
        if os.getpid() != self._pid:
            self.forget_after_fork()

    def forget_after_fork(self) -> None:
        """Drop inherited clients without touching the parent's sockets."""
        self._lock = threading.Lock()
        self._clients = {}
        self._async = {}
        self._closers = {}
        self._pid = os.getpid()

    def client(self, config: Mapping[str, Any]) -> Client:
        """The connected blocking client for ``config``."""
        self._check_fork()
        key = config_key(config)
        with self._lock:
            client = self._clients.get(key)
            if client is None or not client.is_connected():
                client = Client(config).connect()
                self._clients[key] = client
            return client

    async def async_client(self, config: Mapping[str, Any]) -> AsyncClient:
        """The connected AsyncClient for ``config`` on the running loop."""
        self._check_fork()
        loop = asyncio.get_running_loop()
        key = (config_key(config), id(loop))
        entry = self._async.get(key)
        if entry is not None and entry[0] is loop and entry[1].is_connected():
            return entry[1]
        self._drop_dead_loops()
        client = AsyncClient(config)
        await client.connect()
        existing = self._async.get(key)
        if existing is not None and existing[0] is loop and existing[1].is_connected():
            await client.close()  # another task connected first
            return existing[1]
        self._async[key] = (loop, client)
        await self._close_with_loop(loop)
        return client

    async def _close_with_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close the loop's clients when asyncio.run() (or asgiref) ends it.

        Both finish a loop with shutdown_asyncgens(), which closes every
        suspended async generator; one parked here runs aclose() then.
        Without it, a loop per call (async views under WSGI) would leave a
        connected client behind at each call.
        """
        entry = self._closers.get(id(loop))
        if entry is not None and entry[0] is loop:
            return
        closer = self._closer()
        await closer.__anext__()
        self._closers[id(loop)] = (loop, closer)

    async def _closer(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.aclose()

    def _drop_dead_loops(self) -> None:
        for key, (loop, _) in list(self._async.items()):
            if loop.is_closed():
                del self._async[key]
        for loop_id, (loop, _) in list(self._closers.items()):
            if loop.is_closed():
                del self._closers[loop_id]

    def close(self) -> None:
        """Close every blocking client (async ones close with their loop)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                client.close()
            except Exception as exc:  # closing at exit must not raise
                log.warning("closing a client failed: %s", exc)

    async def aclose(self) -> None:
        """Close the AsyncClients of the running loop."""
        loop = asyncio.get_running_loop()
        for key, (owner, client) in list(self._async.items()):
            if owner is loop:
                del self._async[key]
                await client.close()


registry = ClientRegistry()
atexit.register(registry.close)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=registry.forget_after_fork)
