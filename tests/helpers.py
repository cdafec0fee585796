"""Test helpers shared by every test directory."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

import aerospike_py


class BlockingView:
    """Call an AsyncClient (or AsyncQuery) as if it were blocking."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if inspect.iscoroutinefunction(attr):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(self._loop.run_until_complete(attr(*args, **kwargs)))

            return call
        if callable(attr):

            def plain(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(attr(*args, **kwargs))

            return plain
        return attr

    def _wrap(self, value: Any) -> Any:
        if type(value).__name__.startswith("Async"):
            return BlockingView(value, self._loop)
        return value


class ClientFactory:
    """Open connected clients of one kind (sync or async) for a test."""

    def __init__(self, kind: str, loop: asyncio.AbstractEventLoop | None) -> None:
        self.kind = kind
        self._loop = loop
        self._opened: list[Any] = []

    def __call__(self, config: dict[str, Any]) -> Any:
        if self.kind == "sync":
            sync_client = aerospike_py.client(config).connect()
            self._opened.append(sync_client)
            return sync_client
        assert self._loop is not None
        async_client = aerospike_py.async_client(config)
        self._loop.run_until_complete(async_client.connect())
        view = BlockingView(async_client, self._loop)
        self._opened.append(view)
        return view

    def sleep(self, seconds: float) -> None:
        """Wait, letting an async client's background tending run meanwhile."""
        if self._loop is None:
            time.sleep(seconds)
        else:
            self._loop.run_until_complete(asyncio.sleep(seconds))

    def close_all(self) -> None:
        for opened in self._opened:
            opened.close()


def first_line_then_close(command: list[str], **popen: Any) -> tuple[bytes, bytes, int]:
    """Run ``command`` like ``command | head -1``: read one line of its
    output, close the pipe, and return that line, its stderr and its exit
    status."""
    import subprocess

    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    return first, err, process.returncode
