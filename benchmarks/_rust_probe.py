"""Measure the Rust-based aerospike-py; runs inside its own virtualenv.

python _rust_probe.py HOST PORT OPS LEVELS   ->  JSON rows on stdout
"""

import asyncio
import json
import sys
import time

import aerospike_py

BINS = {"name": "benchmark", "count": 12345, "score": 98.6, "tags": ["a", "b", "c"]}


async def level_run(client, op, ops, level):
    keys = iter([("test", "bench-rust", i) for i in range(ops)])

    async def worker():
        for key in keys:
            if op == "put":
                await client.put(key, BINS)
            else:
                await client.get(key)

    await asyncio.gather(*(worker() for _ in range(level)))


async def main(host, port, ops, levels):
    rows = []
    client = aerospike_py.AsyncClient({"hosts": [(host, port)]})
    await client.connect()
    await level_run(client, "put", ops, 16)
    for op in ("put", "get"):
        for level in levels:
            wall, cpu = time.perf_counter(), time.process_time()
            await level_run(client, op, ops, level)
            rows.append(
                [
                    f"Rust aerospike-py {op} c={level}",
                    ops,
                    time.perf_counter() - wall,
                    time.process_time() - cpu,
                ]
            )
    await client.close()
    return rows


if __name__ == "__main__":
    host, port, ops, levels = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4],
    )
    result = asyncio.run(main(host, port, ops, [int(x) for x in levels.split(",")]))
    print(json.dumps(result))
