"""Single-record get and put: our Client against the official client."""

from __future__ import annotations

import aerospike_py
from benchmarks._measure import Result, measure, table
from benchmarks._server import server_process

BINS = {"name": "benchmark", "count": 12345, "score": 98.6, "tags": ["a", "b", "c"]}


def _ours(hosts: list[tuple[str, int]], ops: int) -> list[Result]:
    client = aerospike_py.client({"hosts": hosts}).connect()
    keys = [("test", "bench", i) for i in range(ops)]
    try:
        put = measure(
            "aerospike_py Client put", ops, lambda: [client.put(k, BINS) for k in keys]
        )
        get = measure(
            "aerospike_py Client get", ops, lambda: [client.get(k) for k in keys]
        )
    finally:
        client.close()
    return [put, get]


def _official(hosts: list[tuple[str, int]], ops: int) -> list[Result]:
    try:
        import aerospike
    except ImportError:
        print("  (official client not installed: pip install aerospike)")
        return []
    client = aerospike.client({"hosts": hosts}).connect()
    keys = [("test", "bench-official", i) for i in range(ops)]
    try:
        put = measure(
            "official aerospike put", ops, lambda: [client.put(k, BINS) for k in keys]
        )
        get = measure(
            "official aerospike get", ops, lambda: [client.get(k) for k in keys]
        )
    finally:
        client.close()
    return [put, get]


def run(ops: int = 5000) -> None:
    with server_process() as hosts:
        ours = _ours(hosts, ops)
        official = _official(hosts, ops)
        # warm-up passes are not reported; measure again now both are warm
        ours = _ours(hosts, ops)
        official = _official(hosts, ops) or official
    for op_name in ("put", "get"):
        rows = [r for r in ours + official if r.label.endswith(op_name)]
        table(
            f"sync {op_name}, {ops} ops, server in a separate process",
            rows,
            reference=f"official aerospike {op_name}",
        )
