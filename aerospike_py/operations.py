"""Builders of the basic record operations for ``operate``.

client.operate(key, [
    operations.increment("visits", 1),
    operations.read("visits"),
])
"""

from __future__ import annotations

from typing import Any

from aerospike_py import _constants as C
from aerospike_py.types import Operation

__all__ = [
    "Operation",
    "append",
    "delete",
    "increment",
    "prepend",
    "read",
    "touch",
    "write",
]


def read(bin: str | None = None) -> Operation:
    """Read one bin, or every bin when ``bin`` is None."""
    if bin is None:
        return {"op": C.OPERATOR_READ}
    return {"op": C.OPERATOR_READ, "bin": bin}


def write(bin: str, val: Any) -> Operation:
    """Set a bin (None deletes it)."""
    return {"op": C.OPERATOR_WRITE, "bin": bin, "val": val}


def increment(bin: str, val: int | float = 1) -> Operation:
    """Add ``val`` to an integer or float bin."""
    return {"op": C.OPERATOR_INCR, "bin": bin, "val": val}


def append(bin: str, val: str | bytes) -> Operation:
    """Append to a string (or bytes) bin."""
    return {"op": C.OPERATOR_APPEND, "bin": bin, "val": val}


def prepend(bin: str, val: str | bytes) -> Operation:
    """Prepend to a string (or bytes) bin."""
    return {"op": C.OPERATOR_PREPEND, "bin": bin, "val": val}


def touch() -> Operation:
    """Reset the record's TTL (to the meta / policy ``ttl``)."""
    return {"op": C.OPERATOR_TOUCH}


def delete() -> Operation:
    """Delete the record."""
    return {"op": C.OPERATOR_DELETE}
