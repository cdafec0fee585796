"""batch_read of 100 and 1,000 keys: records decoded per second, our Client
against the official client, on the same server in the same run."""

from __future__ import annotations

from typing import Any

import aerospike_py
from benchmarks._measure import Result, measure, table
from benchmarks._server import server_process

BINS = {"name": "benchmark", "count": 12345, "score": 98.6, "tags": ["a", "b", "c"]}
SIZES = (100, 1000)
SET = "batchbench"


def _keys(size: int) -> list[tuple[str, str, int]]:
    return [("test", SET, i) for i in range(size)]


def _ours(hosts: list[tuple[str, int]], size: int, rounds: int) -> Result:
    with aerospike_py.client({"hosts": hosts}).connect() as client:
        keys = _keys(size)

        def run() -> None:
            for _ in range(rounds):
                batch = client.batch_read(keys)
                assert sum(1 for r in batch.batch_records if r.result == 0) == size

        client.batch_read(keys)  # warm-up
        return measure(f"aerospike_py batch_read({size})", size * rounds, run)


def _official(hosts: list[tuple[str, int]], size: int, rounds: int) -> Result | None:
    try:
        import aerospike
    except ImportError:
        return None
    client: Any = aerospike.client({"hosts": hosts}).connect()
    keys = _keys(size)

    def run() -> None:
        for _ in range(rounds):
            batch = client.batch_read(keys)
            assert sum(1 for r in batch.batch_records if r.result == 0) == size

    try:
        client.batch_read(keys)
        return measure(f"official batch_read({size})", size * rounds, run)
    finally:
        client.close()


def run(records: int = 50_000) -> None:
    """Each size reads about ``records`` records in total."""
    with server_process() as hosts:
        with aerospike_py.client({"hosts": hosts}).connect() as client:
            client.batch_write([(key, BINS) for key in _keys(max(SIZES))])
        for size in SIZES:
            rounds = max(1, records // size)
            rows = [_ours(hosts, size, rounds)]
            official = _official(hosts, size, rounds)
            if official is not None:
                rows.append(official)
            table(
                f"batch_read({size}), {size * rounds} records (ops/s = records/s)",
                rows,
                reference=f"official batch_read({size})",
            )
