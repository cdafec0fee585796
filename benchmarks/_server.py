"""Run the embedded server in its own process for a benchmark."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server_process(
    *extra: str, nodes: int = 1, replication_factor: int = 1
) -> Iterator[list[tuple[str, int]]]:
    """Start ``python -m aerospike_py.server`` and yield its hosts."""
    command = [
        sys.executable,
        "-m",
        "aerospike_py.server",
        "--port",
        "0",  # every node takes a free port and prints it
        "--nodes",
        str(nodes),
        "--replication-factor",
        str(replication_factor),
        *extra,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        hosts = []
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while len(hosts) < nodes and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the benchmark server exited early")
            if "listening on" in line:
                host, _, port_text = line.rsplit(" ", 1)[1].strip().rpartition(":")
                hosts.append((host, int(port_text)))
        yield hosts
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
