"""Particle types: how one bin value is encoded in an op (PROTOCOL.md 3.5)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from aerospike_py.wire import packer
from aerospike_py.wire.packer import PackError
from aerospike_py.wire.values import HLL, GeoJSON, LanguageBlob

NULL = 0
INTEGER = 1
FLOAT = 2
STRING = 3
BLOB = 4
JAVA_BLOB = 7
CSHARP_BLOB = 8
PYTHON_BLOB = 9
RUBY_BLOB = 10
PHP_BLOB = 11
ERLANG_BLOB = 12
VECTOR = 16
BOOL = 17
HLL_TYPE = 18
MAP = 19
LIST = 20
GEOJSON = 23

LANGUAGE_BLOBS = frozenset(range(JAVA_BLOB, ERLANG_BLOB + 1))

_q = struct.Struct(">q")
_d = struct.Struct(">d")
_BH = struct.Struct(">BH")

TRUE_BYTES = b"\x01"
FALSE_BYTES = b"\x00"
GEO_PREFIX = b"\x00\x00\x00"  # flags 0, no cells: the server computes them


def _enc_int(value: Any) -> tuple[int, bytes]:
    try:
        return INTEGER, _q.pack(value)
    except struct.error:
        raise PackError(
            f"integer {value} does not fit in a signed 64-bit value"
        ) from None


def _enc_str(value: Any) -> tuple[int, bytes]:
    try:
        return STRING, value.encode()
    except UnicodeEncodeError:
        return STRING, packer.utf8(value, "string value")


def _enc_geo(value: Any) -> tuple[int, bytes]:
    return GEOJSON, GEO_PREFIX + packer.utf8(value, "GeoJSON value")


def _enc_bytes(value: Any) -> tuple[int, bytes]:
    return BLOB, bytes(value)


def _enc_hll(value: Any) -> tuple[int, bytes]:
    return HLL_TYPE, bytes(value)


def _enc_language_blob(value: Any) -> tuple[int, bytes]:
    return value.particle_type, bytes(value)


def _enc_list(value: Any) -> tuple[int, bytes]:
    return LIST, packer.pack(value)


def _enc_map(value: Any) -> tuple[int, bytes]:
    return MAP, packer.pack(value)


def _enc_float(value: Any) -> tuple[int, bytes]:
    return FLOAT, _d.pack(value)


def _enc_bool(value: Any) -> tuple[int, bytes]:
    return BOOL, TRUE_BYTES if value else FALSE_BYTES


def _enc_none(value: Any) -> tuple[int, bytes]:
    return NULL, b""


_ENCODERS: dict[type, Callable[[Any], tuple[int, bytes]]] = {
    int: _enc_int,
    str: _enc_str,
    bytes: _enc_bytes,
    bytearray: _enc_bytes,
    float: _enc_float,
    bool: _enc_bool,
    type(None): _enc_none,
    list: _enc_list,
    dict: _enc_map,
    GeoJSON: _enc_geo,
    HLL: _enc_hll,
    LanguageBlob: _enc_language_blob,
}

_FALLBACK: tuple[tuple[type, Callable[[Any], tuple[int, bytes]]], ...] = (
    (bool, _enc_bool),
    (int, _enc_int),
    (float, _enc_float),
    (GeoJSON, _enc_geo),
    (str, _enc_str),
    (HLL, _enc_hll),
    (LanguageBlob, _enc_language_blob),
    (bytes, _enc_bytes),
    (bytearray, _enc_bytes),
    (list, _enc_list),
    (dict, _enc_map),
)


def encode(value: Any) -> tuple[int, bytes]:
    """Return ``(particle_type, bytes)`` for a bin value.

    ``bool`` is tested before ``int`` (it is an ``int`` subclass), so
    ``True`` is stored as a boolean, never as 1.
    """
    encoder = _ENCODERS.get(type(value))
    if encoder is None:
        for base, candidate in _FALLBACK:
            if isinstance(value, base):
                encoder = candidate
                break
        else:
            raise PackError(
                f"unsupported type for an Aerospike value: {type(value).__name__}"
            )
    return encoder(value)


def decode(particle_type: int, data: bytes | memoryview) -> Any:
    """Return the Python value of a bin given its particle type and bytes."""
    if particle_type == INTEGER:
        if len(data) != 8:
            return int.from_bytes(data, "big", signed=True)
        return _q.unpack(data)[0]
    if particle_type == STRING:
        return bytes(data).decode()
    if particle_type == BLOB:
        return bytes(data)
    if particle_type == FLOAT:
        return _d.unpack(data)[0]
    if particle_type in (MAP, LIST):
        return packer.unpack(data)
    if particle_type == BOOL:
        return bool(data[0]) if data else False
    if particle_type == NULL:
        return None
    if particle_type == GEOJSON:
        return GeoJSON(bytes(geojson_text(data)).decode())
    if particle_type == HLL_TYPE:
        return HLL(data)
    if particle_type in LANGUAGE_BLOBS:
        return LanguageBlob(bytes(data), particle_type)
    if particle_type == VECTOR:
        return bytes(data)
    raise ValueError(f"unknown particle type {particle_type}")


def geojson_text(data: bytes | memoryview) -> bytes | memoryview:
    """Strip the flags byte and cell ids that precede a GeoJSON text."""
    if len(data) < 3:
        raise ValueError("GeoJSON particle shorter than its 3-byte header")
    _, ncells = _BH.unpack(data[:3])
    return data[3 + 8 * ncells :]
