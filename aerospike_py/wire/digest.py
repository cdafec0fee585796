"""Record digests and partition ids (PROTOCOL.md section 4).

digest = RIPEMD-160(set name || key particle type || key bytes), 20 bytes.
The namespace is not part of it. partition id = low 12 bits of the first
two digest bytes, read little-endian.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import Any

from aerospike_py.exception import InvalidArgError
from aerospike_py.wire import particle
from aerospike_py.wire.packer import utf8

N_PARTITIONS = 4096
DIGEST_SIZE = 20

_q = struct.Struct(">q")
_H_LE = struct.Struct("<H")


def _ripemd160_hashlib() -> Callable[[bytes], bytes]:
    hashlib.new("ripemd160")  # raises where OpenSSL lacks the legacy digest

    def digest(data: bytes) -> bytes:
        return hashlib.new("ripemd160", data).digest()

    return digest


def _ripemd160_pycryptodome() -> Callable[[bytes], bytes]:
    from Crypto.Hash import RIPEMD160

    def digest(data: bytes) -> bytes:
        return RIPEMD160.new(data).digest()

    return digest


try:
    ripemd160 = _ripemd160_hashlib()
except ValueError:
    ripemd160 = _ripemd160_pycryptodome()


def key_particle(user_key: Any) -> tuple[int, bytes]:
    """Return the particle type and bytes a user key is hashed and sent with.

    ``str`` and ``bytes`` hash as strings (type 3), as the official Python
    client does, so records it wrote are found; ``bytes`` are hashed whole.
    ``bytearray`` hashes as a blob (type 4), like byte arrays of the Java and
    Go clients. ``int`` hashes as a signed 64-bit big-endian integer.
    """
    key_type = type(user_key)
    if key_type is str:
        try:
            return particle.STRING, user_key.encode()
        except UnicodeEncodeError:
            return particle.STRING, utf8(user_key, "user key")
    if key_type is int:
        try:
            return particle.INTEGER, _q.pack(user_key)
        except struct.error:
            raise InvalidArgError(
                f"integer key {user_key} does not fit in a signed 64-bit value"
            ) from None
    if key_type is bytes:
        return particle.STRING, user_key
    if key_type is bytearray:
        return particle.BLOB, bytes(user_key)
    if isinstance(user_key, bool):
        raise InvalidArgError(f"a bool is not a valid user key: {user_key!r}")
    if isinstance(user_key, str):
        return particle.STRING, utf8(str(user_key), "user key")
    if isinstance(user_key, int):
        return key_particle(int(user_key))
    raise InvalidArgError(
        f"user key must be str, int, bytes or bytearray, not "
        f"{type(user_key).__name__} ({user_key!r:.40})"
    )


def compute_digest(set_name: str, user_key: Any) -> bytes:
    """Return the 20-byte digest of ``user_key`` in ``set_name``."""
    key_type, key_bytes = key_particle(user_key)
    return ripemd160(utf8(set_name, "set name") + bytes((key_type,)) + key_bytes)


def partition_id(digest: bytes) -> int:
    """Return the partition (0-4095) that owns a digest."""
    value: int = _H_LE.unpack_from(digest)[0]
    return value & (N_PARTITIONS - 1)
