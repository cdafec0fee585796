"""Django's cache API: AerospikeCache against Django's own RedisCache.

The embedded server and a local ``redis-server`` (Debian package
``redis-server``; Python package ``redis`` from the ``bench`` extra) each
run in a process of their own on a free loopback port, started and
stopped here. Both caches are driven through ``django.core.cache.caches``
in the same run, so the ratios compare like with like.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from benchmarks._measure import Result, measure, table
from benchmarks._server import free_port, server_process

VALUE = {"name": "benchmark", "count": 12345, "score": 98.6, "tags": ["a", "b", "c"]}
BATCH = 100
LABELS = {"aerospike": "AerospikeCache", "redis": "Django RedisCache"}


@contextlib.contextmanager
def redis_process() -> Iterator[int | None]:
    """Start ``redis-server`` (no persistence); yield its port or None."""
    binary = shutil.which("redis-server")
    if binary is None:
        print("  (redis-server not found: apt-get install redis-server)")
        yield None
        return
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        _wait_for_redis(port)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _wait_for_redis(port: int) -> None:
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _configure(hosts: list[tuple[str, int]], redis_port: int | None) -> list[str]:
    """Point Django's CACHES at both servers; return the aliases to run."""
    from django.conf import settings

    location = ",".join(f"{host}:{port}" for host, port in hosts)
    caches: dict[str, Any] = {
        "aerospike": {
            "BACKEND": "django_aerospike.cache.AerospikeCache",
            "LOCATION": location,
            "OPTIONS": {"namespace": "test", "set": "django_bench"},
        }
    }
    if redis_port is not None:
        caches["redis"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis_port}",
        }
    if not settings.configured:
        settings.configure(CACHES=caches)
    else:
        settings.CACHES = caches
    return list(caches)


def _measure(alias: str, ops: int) -> list[Result]:
    from django.core.cache import caches

    cache = caches[alias]
    keys = [f"key-{i}" for i in range(ops)]
    batches = [keys[i : i + BATCH] for i in range(0, ops - BATCH + 1, BATCH)]
    label = LABELS[alias]
    results = [
        measure(f"{label} set", ops, lambda: [cache.set(k, VALUE) for k in keys]),
        measure(f"{label} get", ops, lambda: [cache.get(k) for k in keys]),
        measure(
            f"{label} get_many({BATCH})",
            len(batches),
            lambda: [cache.get_many(batch) for batch in batches],
        ),
    ]
    cache.clear()
    return results


def run(ops: int = 5000) -> None:
    try:
        import redis  # noqa: F401 - Django's RedisCache needs it
    except ImportError:
        print("  (redis not installed: pip install -e '.[bench]')")
        redis_wanted = False
    else:
        redis_wanted = True
    with server_process() as hosts, redis_process() as redis_port:
        aliases = _configure(hosts, redis_port if redis_wanted else None)
        for alias in aliases:  # warm-up: connections, code paths
            _measure(alias, min(ops, 1000))
        rows = [row for alias in aliases for row in _measure(alias, ops)]
    for op_name in ("set", "get", f"get_many({BATCH})"):
        table(
            f"Django cache.{op_name}, {ops} keys, servers in separate processes",
            [row for row in rows if row.label.endswith(f" {op_name}")],
            reference=f"{LABELS['redis']} {op_name}",
        )
