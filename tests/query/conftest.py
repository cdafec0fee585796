"""Fixtures for query, index and truncate tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aerospike_py.exception import IndexNotFound


@pytest.fixture
def index_name(aerospike_set: str) -> Callable[[str], str]:
    """Index names unique to the test (sindex names stop at 63 bytes)."""

    def name(suffix: str) -> str:
        return f"{aerospike_set[-40:]}_{suffix}"

    return name


@pytest.fixture
def indexes(client: Any) -> Iterator[list[tuple[str, str]]]:
    """Indexes a test created, as (namespace, name); removed afterwards so
    the session server stays under the 256-index limit."""
    created: list[tuple[str, str]] = []
    yield created
    for namespace, name in created:
        try:
            client.index_remove(namespace, name)
        except IndexNotFound:
            pass


@pytest.fixture
def fill(client: Any, aerospike_set: str) -> Callable[..., list[tuple[str, str, int]]]:
    """Write records ``i`` = 0..count-1 built by ``bins(i)``; return keys."""

    def write(count: int, bins: Callable[[int], dict[str, Any]], **kw: Any):
        keys = []
        for i in range(count):
            key = ("test", aerospike_set, i)
            client.put(key, bins(i), **kw)
            keys.append(key)
        return keys

    return write
