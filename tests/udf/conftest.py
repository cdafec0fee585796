"""Fixtures for UDF tests: Lua files registered for one test only."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("lupa")


@pytest.fixture
def register(
    client: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., str]]:
    """Register Lua source as a module unique to the test; return its name.

    The modules are removed again after the test, so tests never see each
    other's UDFs on the shared server. Names are short, so that Lua error
    messages show the whole file path.
    """
    stem = f"u{zlib.crc32(request.node.nodeid.encode()):08x}"
    registered: list[str] = []

    def put(source: str, suffix: str = "") -> str:
        module = f"{stem}{suffix}"
        path = tmp_path / f"{module}.lua"
        path.write_text(source)
        client.udf_put(str(path))
        registered.append(module)
        return module

    yield put
    for module in registered:
        client.udf_remove(module)
