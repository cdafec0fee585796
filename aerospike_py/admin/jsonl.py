"""Records as JSON Lines, for dump and load.

Each line is one record::

    {"ns": "test", "set": "users", "key": "ada", "digest": "<hex>",
     "ttl": 3600, "bins": {...}}

JSON has no bytes, GeoJSON, HyperLogLog or ordered-map types, so those are
written as one-key objects (``{"$bytes": "<base64>"}``, ``{"$geo": ...}``,
``{"$hll": ...}``, ``{"$kmap": [[k, v], ...]}``, ``{"$map": ...}`` for maps
whose keys are not strings), which ``decode_value`` turns back exactly.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aerospike_py.types import Record
from aerospike_py.wire.values import HLL, GeoJSON, KeyOrderedDict

NEVER_EXPIRES = 0xFFFFFFFF


def encode_value(value: Any) -> Any:
    if isinstance(value, GeoJSON):
        return {"$geo": str(value)}
    if isinstance(value, HLL):
        return {"$hll": base64.b64encode(value).decode()}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, KeyOrderedDict):
        return {"$kmap": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode_value(v) for k, v in value.items()}
        return {"$map": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    return value


def decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$geo":
            return GeoJSON(inner)
        if tag == "$hll":
            return HLL(base64.b64decode(inner))
        if tag in ("$kmap", "$map"):
            pairs = [(_hashable(decode_value(k)), decode_value(v)) for k, v in inner]
            return KeyOrderedDict(pairs) if tag == "$kmap" else dict(pairs)
    return {k: decode_value(v) for k, v in value.items()}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def record_line(record: Record) -> str:
    """One JSON line for a scanned record."""
    key = record.key
    assert key is not None
    meta = record.meta
    ttl = None if meta is None or meta.ttl == NEVER_EXPIRES else meta.ttl
    entry = {
        "ns": key.namespace,
        "set": key.set_name,
        "key": encode_value(key.user_key),
        "digest": key.digest.hex(),
        "ttl": ttl,
        "bins": encode_value(record.bins or {}),
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def parse_line(line: str, number: int) -> dict[str, Any]:
    """Check one line of a dump and return its fields, values decoded."""
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
    if not isinstance(entry, dict) or not isinstance(entry.get("bins"), dict):
        raise ValueError(f"line {number}: expected an object with a 'bins' object")
    for name in ("ns", "set"):
        if not isinstance(entry.get(name), str):
            raise ValueError(f"line {number}: '{name}' must be a string")
    entry["key"] = decode_value(entry.get("key"))
    entry["bins"] = decode_value(entry["bins"])
    return entry
