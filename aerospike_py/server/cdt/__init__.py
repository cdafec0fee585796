"""CDT (list and map) operations of the embedded server.

The server side of op types 3 (CDT_READ) and 4 (CDT_MODIFY), following
the real server (as/src/base/cdt.c, particle_list.c, particle_map.c):

- :func:`cdt_read` and :func:`cdt_modify` take a bin value and a decoded
  operation, ``[op_code, args...]`` or ``[0xff, ctx, [op_code, args...]]``
  (PROTOCOL.md 9.3), and return the result (and the new bin value); the
  expression engine calls them too.
- Bin values are the Python values of :mod:`aerospike_py.wire.packer`:
  ``list`` / ``OrderedList`` and ``dict`` / ``KeyOrderedDict`` /
  ``KeyValueOrderedDict``. Ordered containers are kept sorted
  (:func:`~aerospike_py.server.cdt.order.normalize`).
- Failures raise :class:`~aerospike_py.server.errors.Failure` with the
  server's result code: 4 bad arguments, 12 wrong bin type, 23 / 24
  element missing / already there, 26 an index out of bounds or a return
  type the selection cannot give.

How map-shaped results reach users: the server sends a KEY_VALUE result
as a map flagged 0x08 (keep this order), UNORDERED_MAP as a plain map and
ORDERED_MAP as a key-ordered one. They are encoded exactly so (the 0x08 map
as an :class:`~aerospike_py.server.ops.EncodedBin`); the official client
turns the first into a list of ``(key, value)`` tuples, while
``aerospike_py`` decodes all three as maps: KEY_VALUE as a ``dict`` whose
order is the server's (Python dicts keep insertion order), ORDERED_MAP as a
``KeyOrderedDict``, UNORDERED_MAP as a ``dict``. Ordered bins come back
as ``OrderedList`` / ``KeyOrderedDict`` / ``KeyValueOrderedDict``, so
writing one back keeps its order.
"""

from __future__ import annotations

import struct
from typing import Any

from aerospike_py.server import errors
from aerospike_py.server.cdt import context, lists, maps
from aerospike_py.server.cdt.common import OpSpec, bad_param
from aerospike_py.server.cdt.order import normalize
from aerospike_py.server.cdt.results import PRESERVE_ORDER, MapResult
from aerospike_py.server.errors import Failure
from aerospike_py.wire import packer, particle

__all__ = ["cdt_modify", "cdt_read", "decode_payload", "normalize"]

CONTEXT_EVAL = 0xFF
SELECT = 0xFE
FIRST_MAP_OP = 64  # op codes below are list ops (IS_CDT_LIST_OP in cdt.h)

_U16 = struct.Struct(">H")


def decode_payload(data: bytes) -> list[Any]:
    """The operation array of a CDT op value.

    A first byte of 0 is the legacy form (Go client v7): a 16-bit op code,
    then the arguments as one msgpack array (cdt_process_state_init_from_vec).
    """
    try:
        if data[:1] == b"\x00":
            if len(data) < 2:
                raise bad_param("CDT op value too short")
            (code,) = _U16.unpack_from(data)
            args = packer.unpack(data[2:]) if len(data) > 2 else []
            if not isinstance(args, list):
                raise bad_param("legacy CDT arguments must be an array")
            return [code, *args]
        payload = packer.unpack(data)
    except (packer.UnpackError, UnicodeDecodeError) as exc:
        raise bad_param(f"CDT op value is not valid msgpack: {exc}") from exc
    if not isinstance(payload, list):
        raise bad_param("a CDT op value must be a msgpack array")
    return payload


def cdt_read(value: Any, payload: list[Any]) -> Any:
    """Run a CDT read on a bin value; return the result (None: no result)."""
    result, _ = _execute(value, payload, modify=False)
    return result


def cdt_modify(value: Any, payload: list[Any]) -> tuple[Any, Any]:
    """Run a CDT modify op; return the result and the new bin value.

    ``value`` None is a missing bin; a new value of None leaves it missing.
    """
    return _execute(value, payload, modify=True)


def _execute(value: Any, payload: list[Any], modify: bool) -> tuple[Any, Any]:
    code = _op_code(payload)
    if code == SELECT:
        raise Failure(errors.ERR_UNSUPPORTED_FEATURE, "CDT select (0xfe)")
    if code != CONTEXT_EVAL:
        spec = _spec(code, modify)
        result, new = _run(spec, value, payload[1:])
        return _finish(result), new
    if len(payload) != 3:
        raise bad_param("a context op is [0xff, context, op]")
    steps = context.parse_steps(payload[1])
    inner = payload[2]
    spec = _spec(_op_code(inner), modify)

    def run(target: Any) -> tuple[Any, Any]:
        return _run(spec, target, inner[1:])

    result, new = context.apply(value, steps, run, modify)
    return _finish(result), new


def _op_code(payload: Any) -> int:
    if not isinstance(payload, list) or not payload:
        raise bad_param("a CDT op must be a non-empty array")
    code = payload[0]
    if type(code) is not int or code < 0:
        raise bad_param(f"CDT op code {code!r:.40} is not an integer")
    return code


def _spec(code: int, modify: bool) -> OpSpec:
    table = lists.SPECS if code < FIRST_MAP_OP else maps.SPECS
    spec = table.get(code)
    if spec is None or spec.modify != modify:
        kind = "modify" if modify else "read"
        raise bad_param(f"{code} is not a CDT {kind} op code")
    return spec


def _run(spec: OpSpec, value: Any, args: list[Any]) -> tuple[Any, Any]:
    if spec.code < FIRST_MAP_OP:
        return lists.run(spec, value, args)
    return maps.run(spec, value, args)


def _finish(result: Any) -> Any:
    """Map-shaped results as values; the order-keeping one pre-encoded."""
    if not isinstance(result, MapResult):
        return result
    if result.flags == PRESERVE_ORDER:
        # Imported here: server.ops imports this package to sort the ordered
        # lists and maps that plain writes store.
        from aerospike_py.server.ops import EncodedBin

        return EncodedBin(particle.MAP, result.encode())
    return result.to_value()
