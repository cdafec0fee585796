"""Aerospike's msgpack dialect: list and map bins, CDT arguments, expressions.

It is msgpack with these conventions (PROTOCOL.md section 9.1):

* strings and byte strings both use the msgpack *str* header; the payload
  starts with one particle-type byte: 0x03 UTF-8 text, 0x04 bytes,
  0x12 HLL, 0x17 GeoJSON (7-12 are other languages' blobs);
* an ordered map or list starts with an ext element ``c7 00 <flags>``
  (followed by a nil value in maps);
* ``d4 ff 00`` is WILDCARD and ``d4 ff 01`` INFINITY.

Encoders choose the shortest header, as the official C client does, so our
bytes equal the official client's byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from msgpack import unpackb as _msgpack_unpackb

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire.values import (
    HLL,
    INFINITY,
    WILDCARD,
    GeoJSON,
    KeyOrderedDict,
    KeyValueOrderedDict,
    LanguageBlob,
    OrderedList,
    _Marker,
)

# Particle-type bytes at the start of a msgpack string payload.
PT_STRING = 0x03
PT_BLOB = 0x04
PT_HLL = 0x12
PT_GEOJSON = 0x17

MAX_DEPTH = 64
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

_B = struct.Struct(">B")
_BB = struct.Struct(">BB")
_BH = struct.Struct(">BH")
_BI = struct.Struct(">BI")
_BQ = struct.Struct(">BQ")
_Bb = struct.Struct(">Bb")
_Bh = struct.Struct(">Bh")
_Bi = struct.Struct(">Bi")
_Bq = struct.Struct(">Bq")
_Bd = struct.Struct(">Bd")
_H = struct.Struct(">H")
_I = struct.Struct(">I")
_Q = struct.Struct(">Q")
_b = struct.Struct(">b")
_h = struct.Struct(">h")
_i = struct.Struct(">i")
_q = struct.Struct(">q")
_d = struct.Struct(">d")
_f = struct.Struct(">f")

WILDCARD_BYTES = b"\xd4\xff\x00"
INFINITY_BYTES = b"\xd4\xff\x01"


def utf8(text: str, what: str) -> bytes:
    """``text`` as UTF-8; InvalidArgError naming ``what`` if it cannot be
    (a lone surrogate such as ``"\\ud800"``)."""
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise InvalidArgError(
            f"{what} {text!r:.60} is not valid text: {exc.reason} at position "
            f"{exc.start} (Aerospike strings are UTF-8)"
        ) from None


class PackError(InvalidArgError):
    """A value has no Aerospike msgpack encoding."""


# -- encoding ---------------------------------------------------------------


def pack_int(out: bytearray, value: int) -> None:
    if value >= 0:
        if value < 0x80:
            out.append(value)
        elif value < 0x100:
            out += _BB.pack(0xCC, value)
        elif value < 0x10000:
            out += _BH.pack(0xCD, value)
        elif value < 0x100000000:
            out += _BI.pack(0xCE, value)
        elif value <= INT64_MAX:
            out += _BQ.pack(0xCF, value)
        else:
            raise PackError(f"integer {value} does not fit in a signed 64-bit value")
    elif value >= -32:
        out.append(value & 0xFF)
    elif value >= -0x80:
        out += _Bb.pack(0xD0, value)
    elif value >= -0x8000:
        out += _Bh.pack(0xD1, value)
    elif value >= -0x80000000:
        out += _Bi.pack(0xD2, value)
    elif value >= INT64_MIN:
        out += _Bq.pack(0xD3, value)
    else:
        raise PackError(f"integer {value} does not fit in a signed 64-bit value")


def pack_str_header(out: bytearray, size: int) -> None:
    if size < 32:
        out.append(0xA0 | size)
    elif size < 0x100:
        out += _BB.pack(0xD9, size)
    elif size < 0x10000:
        out += _BH.pack(0xDA, size)
    else:
        out += _BI.pack(0xDB, size)


def pack_typed_bytes(out: bytearray, particle_type: int, data: bytes) -> None:
    """Pack ``data`` as a msgpack string led by its particle-type byte."""
    pack_str_header(out, len(data) + 1)
    out.append(particle_type)
    out += data


def pack_raw_str(out: bytearray, text: str) -> None:
    """Pack a name (bin, variable, regex) as a bare msgpack string."""
    data = utf8(text, "name")
    pack_str_header(out, len(data))
    out += data


def pack_array_header(out: bytearray, count: int) -> None:
    if count < 16:
        out.append(0x90 | count)
    elif count < 0x10000:
        out += _BH.pack(0xDC, count)
    else:
        out += _BI.pack(0xDD, count)


def pack_map_header(out: bytearray, count: int) -> None:
    if count < 16:
        out.append(0x80 | count)
    elif count < 0x10000:
        out += _BH.pack(0xDE, count)
    else:
        out += _BI.pack(0xDF, count)


def _pack_none(out: bytearray, value: Any, depth: int) -> None:
    out.append(0xC0)


def _pack_bool(out: bytearray, value: Any, depth: int) -> None:
    out.append(0xC3 if value else 0xC2)


def _pack_int(out: bytearray, value: Any, depth: int) -> None:
    pack_int(out, value)


def _pack_float(out: bytearray, value: Any, depth: int) -> None:
    out += _Bd.pack(0xCB, value)


def _pack_str(out: bytearray, value: Any, depth: int) -> None:
    try:
        data = value.encode()
    except UnicodeEncodeError:
        data = utf8(value, "string")
    pack_str_header(out, len(data) + 1)
    out.append(PT_STRING)
    out += data


def _pack_geojson(out: bytearray, value: Any, depth: int) -> None:
    pack_typed_bytes(out, PT_GEOJSON, utf8(value, "GeoJSON"))


def _pack_bytes(out: bytearray, value: Any, depth: int) -> None:
    pack_str_header(out, len(value) + 1)
    out.append(PT_BLOB)
    out += value


def _pack_hll(out: bytearray, value: Any, depth: int) -> None:
    pack_typed_bytes(out, PT_HLL, value)


def _pack_language_blob(out: bytearray, value: Any, depth: int) -> None:
    pack_typed_bytes(out, value.particle_type, value)


def _pack_list(out: bytearray, value: Any, depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise PackError(f"value nests deeper than {MAX_DEPTH} levels")
    order = getattr(value, "list_order", 0)
    if order:
        pack_array_header(out, len(value) + 1)
        out += b"\xc7\x00"
        out.append(order)
    else:
        pack_array_header(out, len(value))
    for item in value:
        pack_into(out, item, depth + 1)


def _pack_dict(out: bytearray, value: Any, depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise PackError(f"value nests deeper than {MAX_DEPTH} levels")
    order = getattr(value, "map_order", 0)
    if order:
        pack_map_header(out, len(value) + 1)
        out += b"\xc7\x00"
        out.append(order)
        out.append(0xC0)
    else:
        pack_map_header(out, len(value))
    for key, item in value.items():
        if type(key) is float or type(key) is bool:
            raise PackError(
                f"map key {key!r} is a {type(key).__name__}; Aerospike map "
                "keys are int, str or bytes"
            )
        pack_into(out, key, depth + 1)
        pack_into(out, item, depth + 1)


def _pack_marker(out: bytearray, value: Any, depth: int) -> None:
    out += INFINITY_BYTES if value is INFINITY else WILDCARD_BYTES


_PACKERS: dict[type, Callable[[bytearray, Any, int], None]] = {
    type(None): _pack_none,
    bool: _pack_bool,
    int: _pack_int,
    float: _pack_float,
    str: _pack_str,
    bytes: _pack_bytes,
    bytearray: _pack_bytes,
    list: _pack_list,
    dict: _pack_dict,
    GeoJSON: _pack_geojson,
    HLL: _pack_hll,
    LanguageBlob: _pack_language_blob,
    KeyOrderedDict: _pack_dict,
    KeyValueOrderedDict: _pack_dict,
    OrderedList: _pack_list,
    _Marker: _pack_marker,
}

# Subclasses of builtins fall back to the first matching base, in this order.
_FALLBACK: tuple[tuple[type, Callable[[bytearray, Any, int], None]], ...] = (
    (bool, _pack_bool),
    (int, _pack_int),
    (float, _pack_float),
    (GeoJSON, _pack_geojson),
    (str, _pack_str),
    (HLL, _pack_hll),
    (LanguageBlob, _pack_language_blob),
    (bytes, _pack_bytes),
    (bytearray, _pack_bytes),
    (list, _pack_list),
    (dict, _pack_dict),
)


def pack_into(out: bytearray, value: Any, depth: int = 0) -> None:
    """Append the msgpack encoding of ``value`` to ``out``."""
    packer = _PACKERS.get(type(value))
    if packer is None:
        packer = _find_packer(value)
    packer(out, value, depth)


def _find_packer(value: Any) -> Callable[[bytearray, Any, int], None]:
    for base, packer in _FALLBACK:
        if isinstance(value, base):
            return packer
    if hasattr(value, "__aerospike_pack__"):
        return _pack_custom
    raise PackError(
        f"unsupported type for an Aerospike value: {type(value).__name__} "
        f"({value!r:.60})"
    )


def _pack_custom(out: bytearray, value: Any, depth: int) -> None:
    out += value.__aerospike_pack__()


def pack(value: Any) -> bytes:
    """Return the msgpack encoding of ``value``."""
    out = bytearray()
    pack_into(out, value)
    return bytes(out)


class Raw:
    """Bytes that are already msgpack and are inserted as they are."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __aerospike_pack__(self) -> bytes:
        return self.data

    def __repr__(self) -> str:
        return f"Raw({self.data.hex()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raw) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)


# -- decoding ---------------------------------------------------------------


class UnpackError(ValueError):
    """The bytes are not valid Aerospike msgpack."""


def _typed_string(payload: bytes) -> Any:
    if not payload:
        return b""
    ptype = payload[0]
    if ptype == PT_STRING:
        try:
            return payload[1:].decode()
        except UnicodeDecodeError:
            return payload[1:]
    if ptype == PT_BLOB:
        return payload[1:]
    if ptype == PT_GEOJSON:
        return GeoJSON(payload[1:].decode())
    if ptype == PT_HLL:
        return HLL(payload[1:])
    return LanguageBlob(payload[1:], ptype)


class Unpacker:
    """Decode one Aerospike msgpack value after another from a buffer."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self.data = bytes(data) if not isinstance(data, bytes) else data
        self.pos = pos
        self.end = len(self.data)

    def _take(self, size: int) -> bytes:
        start = self.pos
        stop = start + size
        if stop > self.end:
            raise UnpackError("msgpack value runs past the end of its buffer")
        self.pos = stop
        return self.data[start:stop]

    def _byte(self) -> int:
        if self.pos >= self.end:
            raise UnpackError("msgpack value runs past the end of its buffer")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def _u16(self) -> int:
        value: int = _H.unpack(self._take(2))[0]
        return value

    def _u32(self) -> int:
        value: int = _I.unpack(self._take(4))[0]
        return value

    def unpack(self, depth: int = 0) -> Any:
        """Decode the next value."""
        if depth > MAX_DEPTH + 1:
            raise UnpackError(f"msgpack value nests deeper than {MAX_DEPTH} levels")
        code = self._byte()
        if code <= 0x7F:
            return code
        if code >= 0xE0:
            return code - 0x100
        if 0xA0 <= code <= 0xBF:
            return _typed_string(self._take(code & 0x1F))
        if 0x90 <= code <= 0x9F:
            return self._list(code & 0x0F, depth)
        if 0x80 <= code <= 0x8F:
            return self._map(code & 0x0F, depth)
        handler = _HANDLERS.get(code)
        if handler is None:
            raise UnpackError(f"unsupported msgpack type byte 0x{code:02x}")
        return handler(self, depth)

    def peek_ext_flags(self) -> int | None:
        """Consume an ordering ext header if one is next; return its flags."""
        pos = self.pos
        data = self.data
        if pos + 2 < self.end and data[pos] == 0xC7 and data[pos + 1] == 0:
            self.pos = pos + 3
            return data[pos + 2]
        return None

    def _list(self, count: int, depth: int) -> Any:
        if count and (flags := self.peek_ext_flags()) is not None:
            count -= 1
            items = [self.unpack(depth + 1) for _ in range(count)]
            return OrderedList(items) if flags & 1 else items
        return [self.unpack(depth + 1) for _ in range(count)]

    def _map(self, count: int, depth: int) -> Any:
        result: dict[Any, Any]
        flags = self.peek_ext_flags() if count else None
        if flags is not None:
            self.unpack(depth + 1)  # the nil value paired with the ext key
            count -= 1
            order = flags & 3
            if order == 3:
                result = KeyValueOrderedDict()
            elif order == 1:
                result = KeyOrderedDict()
            else:
                result = {}
        else:
            result = {}
        for _ in range(count):
            key = self.unpack(depth + 1)
            if isinstance(key, list):
                key = _freeze(key)
            result[key] = self.unpack(depth + 1)
        return result


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


def _h_nil(u: Unpacker, depth: int) -> Any:
    return None


def _h_false(u: Unpacker, depth: int) -> Any:
    return False


def _h_true(u: Unpacker, depth: int) -> Any:
    return True


def _h_u8(u: Unpacker, depth: int) -> Any:
    return u._byte()


def _h_u16(u: Unpacker, depth: int) -> Any:
    return u._u16()


def _h_u32(u: Unpacker, depth: int) -> Any:
    return u._u32()


def _h_u64(u: Unpacker, depth: int) -> Any:
    # The server reads 0xcf as a two's-complement 64-bit value.
    value: int = _q.unpack(u._take(8))[0]
    return value


def _h_i8(u: Unpacker, depth: int) -> Any:
    return _b.unpack(u._take(1))[0]


def _h_i16(u: Unpacker, depth: int) -> Any:
    return _h.unpack(u._take(2))[0]


def _h_i32(u: Unpacker, depth: int) -> Any:
    return _i.unpack(u._take(4))[0]


def _h_i64(u: Unpacker, depth: int) -> Any:
    return _q.unpack(u._take(8))[0]


def _h_f32(u: Unpacker, depth: int) -> Any:
    return _f.unpack(u._take(4))[0]


def _h_f64(u: Unpacker, depth: int) -> Any:
    return _d.unpack(u._take(8))[0]


def _h_str8(u: Unpacker, depth: int) -> Any:
    return _typed_string(u._take(u._byte()))


def _h_str16(u: Unpacker, depth: int) -> Any:
    return _typed_string(u._take(u._u16()))


def _h_str32(u: Unpacker, depth: int) -> Any:
    return _typed_string(u._take(u._u32()))


def _h_arr16(u: Unpacker, depth: int) -> Any:
    return u._list(u._u16(), depth)


def _h_arr32(u: Unpacker, depth: int) -> Any:
    return u._list(u._u32(), depth)


def _h_map16(u: Unpacker, depth: int) -> Any:
    return u._map(u._u16(), depth)


def _h_map32(u: Unpacker, depth: int) -> Any:
    return u._map(u._u32(), depth)


def _ext(u: Unpacker, size: int) -> Any:
    ext_type = u._byte()
    data = u._take(size)
    if ext_type == 0xFF and size == 1:
        return INFINITY if data[0] == 1 else WILDCARD
    return _ExtValue(ext_type, data)


def _h_fixext1(u: Unpacker, depth: int) -> Any:
    return _ext(u, 1)


def _h_fixext2(u: Unpacker, depth: int) -> Any:
    return _ext(u, 2)


def _h_fixext4(u: Unpacker, depth: int) -> Any:
    return _ext(u, 4)


def _h_fixext8(u: Unpacker, depth: int) -> Any:
    return _ext(u, 8)


def _h_fixext16(u: Unpacker, depth: int) -> Any:
    return _ext(u, 16)


def _h_ext8(u: Unpacker, depth: int) -> Any:
    return _ext(u, u._byte())


def _h_ext16(u: Unpacker, depth: int) -> Any:
    return _ext(u, u._u16())


def _h_ext32(u: Unpacker, depth: int) -> Any:
    return _ext(u, u._u32())


class _ExtValue:
    """An ext element other than WILDCARD / INFINITY (kept, never expected)."""

    __slots__ = ("data", "ext_type")

    def __init__(self, ext_type: int, data: bytes) -> None:
        self.ext_type = ext_type
        self.data = data

    def __repr__(self) -> str:
        return f"ExtValue({self.ext_type}, {self.data!r})"


_HANDLERS: dict[int, Callable[[Unpacker, int], Any]] = {
    0xC0: _h_nil,
    0xC2: _h_false,
    0xC3: _h_true,
    0xC4: _h_str8,  # msgpack bin family: same typed payload as strings
    0xC5: _h_str16,
    0xC6: _h_str32,
    0xC7: _h_ext8,
    0xC8: _h_ext16,
    0xC9: _h_ext32,
    0xCA: _h_f32,
    0xCB: _h_f64,
    0xCC: _h_u8,
    0xCD: _h_u16,
    0xCE: _h_u32,
    0xCF: _h_u64,
    0xD0: _h_i8,
    0xD1: _h_i16,
    0xD2: _h_i32,
    0xD3: _h_i64,
    0xD4: _h_fixext1,
    0xD5: _h_fixext2,
    0xD6: _h_fixext4,
    0xD7: _h_fixext8,
    0xD8: _h_fixext16,
    0xD9: _h_str8,
    0xDA: _h_str16,
    0xDB: _h_str32,
    0xDC: _h_arr16,
    0xDD: _h_arr32,
    0xDE: _h_map16,
    0xDF: _h_map32,
}


class _OrderHeader:
    """The ``c7 00 <flags>`` element that opens an ordered list or map."""

    __slots__ = ("flags",)

    def __init__(self, flags: int) -> None:
        self.flags = flags

    def __hash__(self) -> int:
        return hash(("order", self.flags))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _OrderHeader) and other.flags == self.flags


def _ext_hook(code: int, data: bytes) -> Any:
    if not data:
        return _OrderHeader(code & 0xFF)
    if code == -1 and len(data) == 1:
        return INFINITY if data[0] == 1 else WILDCARD
    return _ExtValue(code & 0xFF, data)


def _adapt(value: Any) -> Any:
    """Turn the C decoder's raw values into ours (typed strings, order)."""
    kind = type(value)
    if kind is bytes:
        return _typed_string(value)
    if kind is list:
        if value and type(value[0]) is _OrderHeader:
            items = [_adapt(item) for item in value[1:]]
            return OrderedList(items) if value[0].flags & 1 else items
        return [_adapt(item) for item in value]
    if kind is dict:
        result: dict[Any, Any] = {}
        for key, item in value.items():
            if type(key) is _OrderHeader:
                order = key.flags & 3
                if order == 3:
                    result = KeyValueOrderedDict()
                elif order == 1:
                    result = KeyOrderedDict()
                continue
            result[_adapt(key)] = _adapt(item)
        return result
    if kind is int and value > INT64_MAX:
        return value - (1 << 64)  # the server reads 0xcf as signed
    return value


def unpack(data: bytes | bytearray | memoryview) -> Any:
    """Decode one value that fills ``data`` exactly.

    The msgpack C decoder does the parsing and the result is adapted; any
    input it does not take as is (list map keys, malformed bytes) goes
    through the pure-Python decoder, which also gives the precise error.
    """
    try:
        raw = _msgpack_unpackb(
            data, raw=True, strict_map_key=False, ext_hook=_ext_hook, use_list=True
        )
    except Exception:
        return _unpack_pure(data)
    return _adapt(raw)


def _unpack_pure(data: bytes | bytearray | memoryview) -> Any:
    unpacker = Unpacker(data)
    value = unpacker.unpack()
    if unpacker.pos != unpacker.end:
        raise UnpackError(
            f"{unpacker.end - unpacker.pos} bytes left after the msgpack value"
        )
    return value
