"""The registry's AsyncClients end with the event loop that made them."""

from __future__ import annotations

import asyncio

from aerospike_py.registry import registry


def test_asyncio_run_closes_the_clients_of_its_loop(aerospike_config):
    async def use():
        client = await registry.async_client(aerospike_config)
        await client.put(("test", "registry_loops", "k"), {"a": 1})
        return client

    client = asyncio.run(use())
    assert not client.is_connected()


def test_a_loop_per_call_leaves_no_client_connected(aerospike_config):
    # What async views under WSGI do: asgiref runs each call in a new loop.
    async def use():
        return await registry.async_client(aerospike_config)

    clients = [asyncio.run(use()) for _ in range(3)]
    assert len({id(client) for client in clients}) == 3
    assert not any(client.is_connected() for client in clients)


def test_explicit_aclose_then_reuse_in_the_same_loop(aerospike_config):
    async def use():
        first = await registry.async_client(aerospike_config)
        await registry.aclose()
        second = await registry.async_client(aerospike_config)
        return first, second, second.is_connected()

    first, second, connected_inside = asyncio.run(use())
    assert first is not second and connected_inside
    assert not second.is_connected()
