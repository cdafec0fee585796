"""Compile a filter expression value into its wire bytes."""

from __future__ import annotations

from typing import Any

from aerospike_py.exception import InvalidArgError


def compile_filter(value: Any, where: str) -> bytes:
    """Return the msgpack bytes of a filter expression.

    Accepts an expression built with :mod:`aerospike_py.exp`, or bytes that
    are already compiled.
    """
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, dict) and "__expr__" in value:
        from aerospike_py.exp import compile_expression

        compiled: bytes = compile_expression(value)
        return compiled
    raise InvalidArgError(
        f"{where} must be an expression built with aerospike_py.exp, not "
        f"{type(value).__name__} ({value!r:.60})"
    )
