"""A mixed get / put workload on a three-node embedded cluster, and the cost
of tending it when nothing changes."""

from __future__ import annotations

import random
import time

import aerospike_py
from benchmarks._measure import Result, measure, table
from benchmarks._server import server_process

BINS = {"name": "benchmark", "count": 12345}


def _mixed(client: object, keys: list[tuple[str, str, int]], seed: int) -> None:
    chooser = random.Random(seed)
    for key in keys:
        if chooser.random() < 0.5:
            client.put(key, BINS)  # type: ignore[attr-defined]
        else:
            try:
                client.get(key)  # type: ignore[attr-defined]
            except Exception:  # a miss is part of the workload
                pass


def _ours(hosts: list[tuple[str, int]], ops: int) -> Result:
    with aerospike_py.client({"hosts": hosts[:1]}).connect() as client:
        keys = [("test", "mixed", i % 1000) for i in range(ops)]
        return measure(
            "aerospike_py Client 50/50", ops, lambda: _mixed(client, keys, 1)
        )


def _official(hosts: list[tuple[str, int]], ops: int) -> Result | None:
    try:
        import aerospike
    except ImportError:
        return None
    client = aerospike.client({"hosts": hosts[:1]}).connect()
    keys = [("test", "mixed", i % 1000) for i in range(ops)]
    try:
        return measure("official aerospike 50/50", ops, lambda: _mixed(client, keys, 1))
    finally:
        client.close()


def _tend_cost(hosts: list[tuple[str, int]], seconds: float) -> tuple[float, int]:
    config = {"hosts": hosts[:1], "tend_interval": 1000}
    with aerospike_py.client(config).connect() as client:
        start = client.get_stats()["tend_requests"]
        time.sleep(seconds)
        requests = client.get_stats()["tend_requests"] - start
    return requests * 60 / seconds, len(hosts)


def run(ops: int = 5000, idle_seconds: float = 6.0) -> None:
    with server_process(nodes=3, replication_factor=2) as hosts:
        rows = [_ours(hosts, ops)]
        official = _official(hosts, ops)
        if official is not None:
            rows.append(official)
        per_minute, nodes = _tend_cost(hosts, idle_seconds)
    table(
        f"mixed get/put on a 3-node cluster, {ops} ops",
        rows,
        "official aerospike 50/50",
    )
    print(
        f"\nidle tending: {per_minute:.0f} info requests per minute for {nodes} nodes "
        f"(the generation checks alone would be {nodes * 60})"
    )
