"""Helpers shared by the django_aerospike tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
AEROSPIKE_CACHE = "django_aerospike.cache.AerospikeCache"


def cache_entry(set_name: str, **extra: Any) -> dict[str, Any]:
    """A CACHES entry of AerospikeCache on the ``default`` alias."""
    options = {"namespace": "test", "set": set_name, **extra.pop("OPTIONS", {})}
    return {
        "BACKEND": AEROSPIKE_CACHE,
        "LOCATION": "default",
        "OPTIONS": options,
        **extra,
    }


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a fresh loop, as asgiref does for a sync caller.

    The registry closes the loop's AsyncClients when asyncio.run() ends it.
    """
    return asyncio.run(make())


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def upper_key(key: str, key_prefix: str, version: int) -> str:
    """A KEY_FUNCTION that differs from Django's default."""
    return f"{key.upper()}|{version}|{key_prefix}"
