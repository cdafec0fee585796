"""AsyncClient get and put at several concurrency levels.

Beside it: the official client (blocking, the reference row) and the
Rust-based ``aerospike-py`` package from PyPI. That package installs under
the same import name as ours, so it runs in a virtualenv of its own
(``.bench-venv-rust``, created on first use) as a separate process against
the same server; its numbers come back as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aerospike_py
from benchmarks._measure import Result, measure, table
from benchmarks._server import server_process

ROOT = Path(__file__).resolve().parent.parent
RUST_VENV = ROOT / ".bench-venv-rust"
RUST_PACKAGE = "aerospike-py==0.14.4"
BINS = {"name": "benchmark", "count": 12345, "score": 98.6, "tags": ["a", "b", "c"]}
LEVELS = (1, 16, 128)


async def _run_level(
    client: aerospike_py.AsyncClient, op: str, ops: int, level: int
) -> None:
    keys = [("test", "bench-async", i) for i in range(ops)]
    queue = iter(keys)

    async def worker() -> None:
        for key in queue:
            if op == "put":
                await client.put(key, BINS)
            else:
                await client.get(key)

    await asyncio.gather(*(worker() for _ in range(level)))


def _ours(hosts: list[tuple[str, int]], ops: int) -> list[Result]:
    async def main() -> list[Result]:
        results = []
        config = {"hosts": hosts, "max_conns_per_node": 256}
        async with aerospike_py.async_client(config) as client:
            await client.connect()
            await _run_level(client, "put", ops, 16)  # warm-up and data
            for op in ("put", "get"):
                for level in LEVELS:
                    wall, cpu = time.perf_counter(), time.process_time()
                    await _run_level(client, op, ops, level)
                    results.append(
                        Result(
                            f"aerospike_py AsyncClient {op} c={level}",
                            ops,
                            time.perf_counter() - wall,
                            time.process_time() - cpu,
                        )
                    )
        return results

    return asyncio.run(main())


def _official(hosts: list[tuple[str, int]], ops: int) -> list[Result]:
    try:
        import aerospike
    except ImportError:
        return []
    client = aerospike.client({"hosts": hosts}).connect()
    keys = [("test", "bench-async", i) for i in range(ops)]
    try:
        [client.put(k, BINS) for k in keys]
        return [
            measure(
                "official aerospike put (sync)",
                ops,
                lambda: [client.put(k, BINS) for k in keys],
            ),
            measure(
                "official aerospike get (sync)",
                ops,
                lambda: [client.get(k) for k in keys],
            ),
        ]
    finally:
        client.close()


def _rust_python() -> Path | None:
    python = RUST_VENV / "bin" / "python"
    if python.exists():
        return python
    if os.environ.get("BENCH_NO_RUST"):
        return None
    print(f"  creating {RUST_VENV.name} with {RUST_PACKAGE} (one time) ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(RUST_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", RUST_PACKAGE],
            check=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  (skipping {RUST_PACKAGE}: {exc})")
        return None
    return python


def _rust(hosts: list[tuple[str, int]], ops: int) -> list[Result]:
    python = _rust_python()
    if python is None:
        return []
    host, port = hosts[0]
    probe = Path(__file__).with_name("_rust_probe.py")
    levels = ",".join(str(level) for level in LEVELS)
    completed = subprocess.run(
        [str(python), str(probe), host, str(port), str(ops), levels],
        capture_output=True,
        text=True,
        timeout=900,
        cwd="/",  # keep our package (same import name) off its path
    )
    if completed.returncode != 0:
        print(f"  (aerospike-py probe failed: {completed.stderr.strip()[-300:]})")
        return []
    return [Result(*row) for row in json.loads(completed.stdout)]


def run(ops: int = 5000) -> None:
    with server_process() as hosts:
        ours = _ours(hosts, ops)
        official = _official(hosts, ops)
        rust = _rust(hosts, ops)
    rows = ours + official + rust
    for op in ("put", "get"):
        selected = [r for r in rows if f" {op}" in r.label]
        table(
            f"{op}: AsyncClient vs official (sync) and Rust aerospike-py, {ops} ops",
            selected,
            reference=f"official aerospike {op} (sync)",
        )
