"""Python value types that carry an Aerospike type Python has no word for.

A plain ``str`` is an Aerospike string and a plain ``dict`` an unordered map.
The classes below subclass those builtins, so code that expects a ``str`` or
a ``dict`` keeps working, while a round trip keeps the Aerospike type: a
GeoJSON bin read and written back stays GeoJSON, and a key-ordered map stays
key-ordered.
"""

from __future__ import annotations

from typing import Any


class GeoJSON(str):
    """A GeoJSON document stored with the GEOJSON particle type."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"GeoJSON({str.__repr__(self)})"


class HLL(bytes):
    """A HyperLogLog value, stored with the HLL particle type."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"HLL({bytes.__repr__(self)})"


class LanguageBlob(bytes):
    """Bytes written by another language's client with its own blob type.

    Java, C#, Python 2, Ruby, PHP and Erlang clients once stored serialized
    objects with particle types 7 to 12; they are handed back as bytes that
    remember their type, so that writing them back changes nothing.
    """

    particle_type: int

    def __new__(cls, data: bytes, particle_type: int) -> LanguageBlob:
        blob = super().__new__(cls, data)
        blob.particle_type = particle_type
        return blob

    def __reduce__(self) -> Any:
        return (LanguageBlob, (bytes(self), self.particle_type))


class KeyOrderedDict(dict):  # type: ignore[type-arg]
    """A map that the server keeps sorted by key (map order 1)."""

    map_order = 1


class KeyValueOrderedDict(KeyOrderedDict):
    """A map that the server keeps sorted by key and value (map order 3)."""

    map_order = 3


class OrderedList(list):  # type: ignore[type-arg]
    """A list that the server keeps sorted (list order 1)."""

    list_order = 1


class _Marker:
    """A CDT comparison marker: WILDCARD matches anything, INFINITY ends all."""

    __slots__ = ("code", "name")

    def __init__(self, name: str, code: int) -> None:
        self.name = name
        self.code = code

    def __repr__(self) -> str:
        return f"aerospike_py.{self.name}"

    def __reduce__(self) -> str:
        return self.name


WILDCARD = _Marker("WILDCARD", 0)
INFINITY = _Marker("INFINITY", 1)
