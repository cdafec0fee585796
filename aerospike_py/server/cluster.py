"""The simulated cluster: its nodes, data and partition ownership.

All nodes of one process share the namespaces' data; what differs per node
is which partitions it owns (as master, or as the k-th replica). Ownership
is recomputed whenever a node starts or stops, with the partition and peers
generations bumped as a real cluster does after a rebalance, so clients see
the change and re-read the partition maps.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aerospike_py.server.storage import Clock, Namespace, NamespaceConfig
from aerospike_py.wire.digest import N_PARTITIONS

if TYPE_CHECKING:
    from aerospike_py.server.node import ServerNode

BUILD = "8.1.2.0"
EDITION = "Aerospike Community Edition"


class ServerCluster:
    """Namespaces plus the nodes that serve them."""

    def __init__(
        self,
        namespaces: Iterable[NamespaceConfig],
        *,
        cluster_name: str = "embedded",
        replication_factor: int = 1,
    ) -> None:
        self.clock = Clock()
        self.namespaces: dict[str, Namespace] = {}
        for config in namespaces:
            self.namespaces[config.name] = Namespace(config, self.clock)
        self.cluster_name = cluster_name
        self.replication_factor = replication_factor
        self.nodes: list[ServerNode] = []
        self.peers_generation = 1
        self.partition_generation = 1
        self.lock = threading.RLock()
        # owners[pid] = nodes owning the partition, master first
        self.owners: list[list[ServerNode]] = [[] for _ in range(N_PARTITIONS)]
        # (namespace, index name) -> secondary index
        self.sindexes: dict[tuple[str, str], Any] = {}
        # When a list, every decoded AS_MSG request is appended (for tests).
        self.recorder: list[Any] | None = None

    def add_node(self, node: ServerNode) -> None:
        with self.lock:
            self.nodes.append(node)

    def active_nodes(self) -> list[ServerNode]:
        return [node for node in self.nodes if node.running]

    def rebalance(self) -> None:
        """Recompute partition ownership over the running nodes.

        Each partition ranks the nodes by a hash of (node id, partition) and
        takes the best ``replication_factor`` of them, master first. A node
        joining or leaving therefore moves only the partitions it gains or
        loses, as the real cluster's succession lists do, and the data of
        moved partitions is there at once (a finished migration).
        """
        with self.lock:
            active = self.active_nodes()
            copies = min(self.replication_factor, len(active))
            owners: list[list[ServerNode]] = []
            for pid in range(N_PARTITIONS):
                ranked = sorted(active, key=lambda node: _rank(node.node_id, pid))
                owners.append(ranked[:copies])
            self.owners = owners
            self.partition_generation += 1
            self.peers_generation += 1

    def replicas_value(self, node: ServerNode, max_columns: int | None = None) -> str:
        """Return the value of the ``replicas`` info command for ``node``."""
        columns = min(self.replication_factor, max(len(self.active_nodes()), 1))
        if max_columns is not None:
            columns = min(columns, max_columns)
        maps = []
        for name in self.namespaces:
            encoded = [
                base64.b64encode(self._bitmap(node, k)).decode() for k in range(columns)
            ]
            maps.append(f"{name}:0,{columns}," + ",".join(encoded))
        return ";".join(maps)

    def _bitmap(self, node: ServerNode, column: int) -> bytes:
        bitmap = bytearray(N_PARTITIONS // 8)
        for pid, owners in enumerate(self.owners):
            if len(owners) > column and owners[column] is node:
                bitmap[pid >> 3] |= 0x80 >> (pid & 7)
        return bytes(bitmap)

    def owns(self, node: ServerNode, pid: int, *, write: bool) -> bool:
        """True when ``node`` holds ``pid``: as master for writes, as any
        replica for reads."""
        owners = self.owners[pid]
        if write:
            return bool(owners) and owners[0] is node
        return node in owners


def _rank(node_id: str, pid: int) -> bytes:
    return hashlib.blake2b(f"{node_id}/{pid}".encode(), digest_size=8).digest()
