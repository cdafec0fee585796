"""Key tuples: check them and turn them into what a command needs."""

from __future__ import annotations

from typing import Any

from aerospike_py.exception import InvalidArgError
from aerospike_py.types import AerospikeKey
from aerospike_py.wire import message as msg
from aerospike_py.wire.digest import (
    DIGEST_SIZE,
    compute_digest,
    key_particle,
)
from aerospike_py.wire.packer import utf8

MAX_NAMESPACE = 31
MAX_SET = 63


class KeyInfo:
    """A checked key: names, user key, digest and partition."""

    __slots__ = (
        "digest",
        "namespace",
        "ns_bytes",
        "partition",
        "set_bytes",
        "set_name",
        "user_key",
    )

    def __init__(
        self, namespace: str, set_name: str, user_key: Any, digest: bytes
    ) -> None:
        self.namespace = namespace
        self.set_name = set_name
        self.user_key = user_key
        self.digest = digest
        self.ns_bytes = _checked_names.get(namespace) or namespace.encode()
        self.set_bytes = _checked_names.get(set_name) or set_name.encode()
        # partition id: low 12 bits of the digest's first two bytes, LE
        self.partition = (digest[0] | (digest[1] << 8)) & 0x0FFF

    def key_field(self) -> bytes:
        """The KEY field (particle type + bytes) for send-key writes."""
        key_type, data = key_particle(self.user_key)
        return bytes((key_type,)) + data

    def fields(self, send_key: bool = False) -> list[tuple[int, bytes]]:
        """Namespace, set, digest and (optionally) key fields."""
        fields = [
            (msg.FIELD_NAMESPACE, self.ns_bytes),
            (msg.FIELD_SET, self.set_bytes),
            (msg.FIELD_DIGEST, self.digest),
        ]
        if send_key and self.user_key is not None:
            fields.append((msg.FIELD_KEY, self.key_field()))
        return fields

    def result_key(self) -> AerospikeKey:
        return AerospikeKey(self.namespace, self.set_name, self.user_key, self.digest)


# Names already checked, with their UTF-8 bytes: keys repeat the same
# namespace and set on every call, so they are checked once. Bounded so a
# stream of distinct set names cannot grow it without limit.
_checked_names: dict[str, bytes] = {}
_MAX_CHECKED_NAMES = 4096


def check_name(kind: str, value: Any, limit: int) -> str:
    if isinstance(value, str):
        known = _checked_names.get(value)
        if known is not None and len(known) <= limit:
            return value
    else:
        raise InvalidArgError(f"{kind} must be a str, not {type(value).__name__}")
    encoded = utf8(value, kind)
    if len(encoded) > limit:
        raise InvalidArgError(
            f"{kind} {value!r} is {len(encoded)} bytes; Aerospike allows {limit}"
        )
    if len(_checked_names) < _MAX_CHECKED_NAMES:
        _checked_names[value] = encoded
    return value


def parse_key(key: Any) -> KeyInfo:
    """Check a key tuple and compute its digest.

    A key is ``(namespace, set, user_key)`` or
    ``(namespace, set, user_key_or_None, digest)``.
    """
    if not isinstance(key, tuple):
        raise InvalidArgError(
            f"a key must be a tuple (namespace, set, key), not {type(key).__name__}"
            f" ({key!r:.60})"
        )
    if len(key) not in (3, 4):
        raise InvalidArgError(
            f"a key tuple has 3 or 4 items (namespace, set, key[, digest]); "
            f"got {len(key)}: {key!r:.60}"
        )
    namespace = check_name("namespace", key[0], MAX_NAMESPACE)
    if not namespace:
        raise InvalidArgError("namespace must not be empty")
    set_name = "" if key[1] is None else check_name("set name", key[1], MAX_SET)
    user_key = key[2]
    if len(key) == 4 and key[3] is not None:
        digest = key[3]
        if not isinstance(digest, (bytes, bytearray)) or len(digest) != DIGEST_SIZE:
            raise InvalidArgError(
                f"a key's digest must be {DIGEST_SIZE} bytes, got {digest!r:.60}"
            )
        digest = bytes(digest)
        if user_key is not None and compute_digest(set_name, user_key) != digest:
            # Writing under the digest would overwrite some other record.
            raise InvalidArgError(
                f"the key's digest {digest.hex()} is not the digest of user key "
                f"{user_key!r:.60} in set {set_name!r}; give one or the other, "
                "or both from the same record"
            )
        return KeyInfo(namespace, set_name, user_key, digest)
    if user_key is None:
        raise InvalidArgError("a key needs a user key or a digest; both are None")
    if isinstance(user_key, float):
        raise InvalidArgError(
            f"Invalid key: a float is not a valid user key ({user_key!r})"
        )
    digest = compute_digest(set_name, user_key)
    return KeyInfo(namespace, set_name, user_key, digest)
