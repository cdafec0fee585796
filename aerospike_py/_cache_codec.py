"""How cache and session values are laid out in a record, without I/O.

A cache entry is one record whose bin ``v`` holds the value. Values other
Aerospike clients can read natively (int, float, str, bytes, bool, and
lists / str-keyed dicts of them) are stored as they are, so an integer can
be incremented by the server in one operation. Anything else goes through
the configured serializer, and bin ``f`` names the format (``p`` pickle,
``j`` json, ``m`` msgpack), with a ``z`` suffix when zlib-compressed. A
cached ``None`` is bin ``f`` = ``"n"`` alone, since writing None to a bin
deletes it. Writes replace the whole record, so no bin of an older value
survives.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgpack

from aerospike_py.exception import ForbiddenError, InvalidArgError

VALUE_BIN = "v"
FORMAT_BIN = "f"
NONE_FORMAT = "n"
COMPRESSED = "z"
MAX_KEY_BYTES = 1024  # longer keys are stored under a digest of themselves
NEVER = -1  # TTL_NEVER_EXPIRE
KEEP = -2  # TTL_DONT_UPDATE
SESSION_KEY_BYTES = 32


class CacheMiss(KeyError):
    """``incr`` of a key that holds nothing."""


class TTLForbiddenError(ForbiddenError):
    """The namespace refuses records with a TTL (nsup-period 0)."""


def ttl_forbidden(namespace: str, what: str, remedy: str) -> TTLForbiddenError:
    """The explanation for code 22 on a write with a TTL."""
    return TTLForbiddenError(
        f"namespace {namespace!r} refuses records with a TTL because it has no "
        f"expiry (nsup-period 0), so {what} cannot be stored. Set nsup-period "
        "in the namespace config (embedded server: --namespace "
        f"{namespace}:nsup-period=120){remedy}",
        22,
    )


class SessionExists(Exception):
    """A session created with ``must_create`` already existed."""


class SessionMissing(Exception):
    """A session updated with ``must_exist`` no longer existed."""


def new_session_key() -> str:
    """A fresh random session key (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(SESSION_KEY_BYTES)


@dataclass(frozen=True)
class Serializer:
    """A named pair of functions between Python values and bytes."""

    name: str
    tag: str
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]


def _pickle_dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _json_dumps(value: Any) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # lone surrogates: JSON escapes carry them
        return json.dumps(value, separators=(",", ":")).encode()


def _msgpack_dumps(value: Any) -> bytes:
    data: bytes = msgpack.packb(value, use_bin_type=True)
    return data


def _msgpack_loads(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


SERIALIZERS: dict[str, Serializer] = {
    "pickle": Serializer("pickle", "p", _pickle_dumps, pickle.loads),
    "json": Serializer("json", "j", _json_dumps, json.loads),
    "msgpack": Serializer("msgpack", "m", _msgpack_dumps, _msgpack_loads),
}
_BY_TAG = {serializer.tag: serializer for serializer in SERIALIZERS.values()}


def get_serializer(name: str | Serializer) -> Serializer:
    if isinstance(name, Serializer):
        return name
    serializer = SERIALIZERS.get(name)
    if serializer is None:
        raise InvalidArgError(
            f"unknown serializer {name!r}; choose one of {sorted(SERIALIZERS)}"
        )
    return serializer


def is_native(value: Any, depth: int = 0) -> bool:
    """True when ``value`` round-trips through Aerospike types unchanged."""
    kind = type(value)
    if kind is str:
        return value.isascii() or _is_utf8(value)
    if kind in (int, float, bytes, bool):
        return kind is not int or -(1 << 63) <= value < (1 << 63)
    if depth > 16:
        return False
    if kind is list:
        return all(is_native(item, depth + 1) for item in value)
    if kind is dict:
        return all(type(k) is str and is_native(v, depth + 1) for k, v in value.items())
    return False


def _is_utf8(text: str) -> bool:
    """False for text with lone surrogates, which Aerospike strings cannot
    hold; such values go through the serializer instead."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class Codec:
    """Encode values into bins and back, for one cache or session store."""

    def __init__(
        self,
        serializer: str | Serializer = "pickle",
        *,
        compress_min_length: int = 0,
        native: bool = True,
    ) -> None:
        self.serializer = get_serializer(serializer)
        if compress_min_length < 0:
            raise InvalidArgError("compress_min_length must be >= 0 (0 = never)")
        self.compress_min_length = compress_min_length
        self.native = native

    def encode(self, value: Any, key: str) -> dict[str, Any]:
        """Return the bins that store ``value`` under ``key``."""
        if value is None:
            return {FORMAT_BIN: NONE_FORMAT}
        if self.native and is_native(value) and not self._compresses(value):
            return {VALUE_BIN: value}
        try:
            data = self.serializer.dumps(value)
        except Exception as exc:
            raise _named(exc, key, self.serializer.name) from exc
        tag = self.serializer.tag
        if self.compress_min_length and len(data) >= self.compress_min_length:
            data = zlib.compress(data)
            tag += COMPRESSED
        return {VALUE_BIN: data, FORMAT_BIN: tag}

    def _compresses(self, value: Any) -> bool:
        """Long text and bytes are compressed when compression is on (and
        so stored serialized); lists and dicts stay native bins."""
        limit = self.compress_min_length
        return bool(limit) and type(value) in (str, bytes) and len(value) >= limit

    def decode(self, bins: dict[str, Any]) -> Any:
        """Return the value stored in a record's bins."""
        tag = bins.get(FORMAT_BIN)
        if tag is None:
            return bins.get(VALUE_BIN)
        if tag == NONE_FORMAT:
            return None
        data = bins.get(VALUE_BIN)
        if not isinstance(data, bytes):
            raise ValueError(f"cache record of format {tag!r} holds no bytes")
        if tag.endswith(COMPRESSED):
            data = zlib.decompress(data)
            tag = tag[:-1]
        # A custom Serializer given to this codec reads back its own tag.
        if tag == self.serializer.tag:
            serializer: Serializer | None = self.serializer
        else:
            serializer = _BY_TAG.get(tag)
        if serializer is None:
            raise ValueError(f"unknown value format {tag!r} in a cache record")
        return serializer.loads(data)


def _named(exc: Exception, key: str, serializer: str) -> Exception:
    context = f"cannot serialize the value of cache key {key!r} ({serializer})"
    return retold(exc, context)


def retold(exc: Exception, context: str) -> Exception:
    """``exc`` again, its message prefixed with ``context``; a TypeError when
    its class cannot be built from a message (UnicodeEncodeError)."""
    message = f"{context}: {exc}"
    try:
        return type(exc)(message)
    except Exception:
        return TypeError(message)


GLOB_SPECIALS = "*?["  # a lone "]" is already literal


def glob_escape(text: str) -> str:
    """``text`` as a glob pattern that matches only itself."""
    return "".join(f"[{char}]" if char in GLOB_SPECIALS else char for char in text)


def storage_key(key: str) -> str:
    """The record key of a cache key.

    Very long keys, and keys that are not valid UTF-8 (lone surrogates),
    are stored as their first characters and their digest, so that a key
    prefix still selects them (``iter_keys("prefix*")``).
    """
    try:
        if len(key.encode()) <= MAX_KEY_BYTES:
            return key
    except UnicodeEncodeError:
        pass
    head = key[:_KEPT_CHARS].encode("utf-8", "ignore").decode()
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{head}~sha256:{digest}"


_KEPT_CHARS = 64
