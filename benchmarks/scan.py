"""Scan throughput and foreach memory, up to a million records.

    python -m benchmarks.scan

The embedded server runs in its own process. Each measurement runs in a
fresh child process, so its peak RSS is that of one scan alone: foreach
(sync and asyncio) must stay flat as the set grows, while results(), which
keeps every record, grows with it (measured only up to 100,000 records).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from typing import Any

import aerospike_py
from benchmarks._server import server_process

SIZES = (10_000, 100_000, 1_000_000)
RESULTS_LIMIT = 100_000  # results() keeps every record: stop before it hurts
FILL_BATCH = 5_000
SET = "scanbench"
MODES = ("baseline", "foreach", "async-foreach", "results")


def _fill(hosts: list[tuple[str, int]], start: int, stop: int) -> None:
    with aerospike_py.client({"hosts": hosts}).connect() as client:
        for first in range(start, stop, FILL_BATCH):
            last = min(first + FILL_BATCH, stop)
            client.batch_write(
                [
                    (("test", SET, i), {"id": i, "name": f"user-{i}", "score": i % 97})
                    for i in range(first, last)
                ]
            )


# -- the child: one measurement ----------------------------------------------------


def _sync_foreach(hosts: list[tuple[str, int]]) -> int:
    count = 0

    def seen(record: Any) -> None:
        nonlocal count
        count += 1

    with aerospike_py.client({"hosts": hosts}).connect() as client:
        client.query("test", SET).foreach(seen)
    return count


def _async_foreach(hosts: list[tuple[str, int]]) -> int:
    count = 0

    def seen(record: Any) -> None:
        nonlocal count
        count += 1

    async def scan() -> None:
        async with aerospike_py.async_client({"hosts": hosts}) as client:
            await client.connect()
            await client.query("test", SET).foreach(seen)

    asyncio.run(scan())
    return count


def _results(hosts: list[tuple[str, int]]) -> int:
    with aerospike_py.client({"hosts": hosts}).connect() as client:
        return len(client.query("test", SET).results())


def _baseline(hosts: list[tuple[str, int]]) -> int:
    with aerospike_py.client({"hosts": hosts}).connect():
        return 0


_RUNNERS = {
    "baseline": _baseline,
    "foreach": _sync_foreach,
    "async-foreach": _async_foreach,
    "results": _results,
}


def _child(host: str, port: int, mode: str) -> None:
    start = time.perf_counter()
    count = _RUNNERS[mode]([(host, port)])
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": count, "seconds": seconds, "rss_kb": peak_kb}))


# -- the parent: sizes and table ----------------------------------------------------


def _measure(hosts: list[tuple[str, int]], mode: str) -> dict[str, Any]:
    host, port = hosts[0]
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.scan", "--child", host, str(port), mode],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _row(size: int, mode: str, result: dict[str, Any]) -> str:
    rate = result["records"] / result["seconds"] if result["records"] else 0.0
    rss = result["rss_kb"] / 1024
    return f"  {size:>9,} {mode:<14} {rate:>12,.0f} {rss:>12.1f}"


def run(sizes: tuple[int, ...] = SIZES) -> None:
    """Print scan throughput and peak RSS against record counts."""
    with server_process() as hosts:
        print("\nscan of one set: records/s and the client's peak RSS")
        print(f"  {'records':>9} {'mode':<14} {'records/s':>12} {'peak RSS MB':>12}")
        filled = 0
        for size in sizes:
            _fill(hosts, filled, size)
            filled = size
            for mode in MODES:
                if mode == "results" and size > RESULTS_LIMIT:
                    continue
                result = _measure(hosts, mode)
                if mode != "baseline" and result["records"] != size:
                    raise RuntimeError(f"{mode} saw {result['records']} of {size}")
                print(_row(size, mode, result), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("HOST", "PORT", "MODE"))
    args = parser.parse_args(argv)
    if args.child:
        host, port, mode = args.child
        _child(host, int(port), mode)
    else:
        run()


if __name__ == "__main__":
    main()
