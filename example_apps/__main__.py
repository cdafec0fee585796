"""Start the embedded server and show a real round trip through both clients.

python -m example_apps
"""

from __future__ import annotations

import asyncio
import sys

import aerospike_py
from aerospike_py import operations as op
from aerospike_py.server import EmbeddedServer


def sync_round_trip(config: dict) -> None:
    with aerospike_py.client(config).connect() as client:
        key = ("test", "demo", "user:1")
        client.put(key, {"name": "Ada", "visits": 1, "tags": ["math", "engines"]})
        record = client.operate(key, [op.increment("visits", 1), op.read("visits")])
        print(
            f"sync  Client     : visits={record.bins['visits']} gen={record.meta.gen}"
        )
        print(f"sync  Client     : {client.get(key).bins}")


async def async_round_trip(config: dict) -> None:
    async with aerospike_py.async_client(config) as client:
        await client.connect()
        key = ("test", "demo", "user:1")
        await client.increment(key, "visits", 1)
        record = await client.get(key)
        print(
            f"async AsyncClient: visits={record.bins['visits']} gen={record.meta.gen}"
        )


def main() -> int:
    with EmbeddedServer() as server:
        print(f"embedded Aerospike-compatible server on 127.0.0.1:{server.port}")
        config = server.client_config()
        sync_round_trip(config)
        asyncio.run(async_round_trip(config))
    print("round trip complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
