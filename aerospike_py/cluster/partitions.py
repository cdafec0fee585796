"""Partition maps: which node owns each of the 4096 partitions.

A node's ``replicas`` reply lists, per namespace, one base64 bitmap per
replica column (0 = master); bit ``p`` (most significant first) set means
the node holds partition ``p`` in that column (PROTOCOL.md 2.4). The table
is rebuilt copy-on-write and swapped as one reference, so readers never
lock.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Generic, NamedTuple, TypeVar

from aerospike_py.wire.digest import N_PARTITIONS

N = TypeVar("N")

BITMAP_SIZE = N_PARTITIONS // 8


class NamespaceReplicas(NamedTuple):
    regime: int
    bitmaps: list[bytes]


class ReplicasParseError(ValueError):
    pass


def parse_replicas(value: str) -> dict[str, NamespaceReplicas]:
    """Parse ``ns:regime,count,b64,...;ns2:...`` (regime is optional)."""
    result: dict[str, NamespaceReplicas] = {}
    for item in value.split(";"):
        if not item:
            continue
        namespace, sep, rest = item.partition(":")
        if not sep:
            raise ReplicasParseError(f"replicas entry {item!r:.60} has no namespace")
        parts = rest.split(",")
        try:
            if len(parts) >= 2 and len(parts) == int(parts[1]) + 2:
                regime, columns = int(parts[0]), parts[2:]
            else:
                regime, columns = 0, parts[1:]
            bitmaps = [base64.b64decode(column, validate=True) for column in columns]
        except (ValueError, binascii.Error) as exc:
            raise ReplicasParseError(f"replicas for {namespace!r}: {exc}") from exc
        for bitmap in bitmaps:
            if len(bitmap) != BITMAP_SIZE:
                raise ReplicasParseError(
                    f"replicas for {namespace!r}: bitmap of {len(bitmap)} bytes"
                )
        result[namespace] = NamespaceReplicas(regime, bitmaps)
    return result


def owned_partitions(bitmap: bytes) -> list[int]:
    """The partition ids set in a bitmap."""
    owned = []
    for index, byte in enumerate(bitmap):
        if not byte:
            continue
        base = index << 3
        for bit in range(8):
            if byte & (0x80 >> bit):
                owned.append(base + bit)
    return owned


class PartitionTable(Generic[N]):
    """Owners of every partition of every namespace; never mutated."""

    __slots__ = ("namespaces", "regimes")

    def __init__(
        self,
        namespaces: Mapping[str, list[list[N | None]]] | None = None,
        regimes: Mapping[str, list[int]] | None = None,
    ) -> None:
        self.namespaces: dict[str, list[list[N | None]]] = dict(namespaces or {})
        self.regimes: dict[str, list[int]] = dict(regimes or {})

    def owners(self, namespace: str, partition: int) -> list[N | None]:
        """Master first, then replicas; None where no node is known."""
        columns = self.namespaces.get(namespace)
        if columns is None:
            return []
        return [column[partition] for column in columns]

    def with_node(
        self, node: N, replicas: Mapping[str, NamespaceReplicas]
    ) -> PartitionTable[N]:
        """Return a table updated with one node's ``replicas`` reply."""
        namespaces = dict(self.namespaces)
        regimes = dict(self.regimes)
        for name, info in replicas.items():
            columns = [list(c) for c in namespaces.get(name, [])]
            regime = list(regimes.get(name, [0] * N_PARTITIONS))
            while len(columns) < len(info.bitmaps):
                columns.append([None] * N_PARTITIONS)
            for index, column in enumerate(columns):
                bitmap = info.bitmaps[index] if index < len(info.bitmaps) else None
                owned = set(owned_partitions(bitmap)) if bitmap is not None else set()
                for pid in range(N_PARTITIONS):
                    if pid in owned:
                        # A strong-consistency regime older than the one
                        # seen says the node's claim is stale.
                        if info.regime < regime[pid]:
                            continue
                        column[pid] = node
                        if index == 0:
                            regime[pid] = info.regime
                    elif column[pid] is node:
                        column[pid] = None
            namespaces[name] = columns
            regimes[name] = regime
        return PartitionTable(namespaces, regimes)

    def without_node(self, node: N) -> PartitionTable[N]:
        """Return a table in which ``node`` owns nothing."""
        namespaces = {
            name: [
                [None if owner is node else owner for owner in column]
                for column in columns
            ]
            for name, columns in self.namespaces.items()
        }
        return PartitionTable(namespaces, self.regimes)

    def partition_counts(self, node: N) -> dict[str, int]:
        """How many partitions ``node`` masters, per namespace."""
        return {
            name: sum(1 for owner in columns[0] if owner is node)
            for name, columns in self.namespaces.items()
            if columns
        }
