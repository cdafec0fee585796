"""Changing a running cluster: stopping, starting and adding nodes.

Every change ends with a rebalance, which bumps the generations that
clients watch while tending.
"""

from __future__ import annotations

from aerospike_py.server.cluster import ServerCluster
from aerospike_py.server.node import ServerNode


async def stop_node(cluster: ServerCluster, index: int) -> None:
    node = _node_at(cluster, index)
    if node.running:
        await node.stop()
        cluster.rebalance()


async def start_node(cluster: ServerCluster, index: int) -> None:
    node = _node_at(cluster, index)
    if not node.running:
        await node.start()
        cluster.rebalance()


async def add_node(cluster: ServerCluster, host: str) -> ServerNode:
    node = ServerNode(cluster, host=host, port=0, index=len(cluster.nodes))
    await node.start()
    cluster.add_node(node)
    cluster.rebalance()
    return node


def _node_at(cluster: ServerCluster, index: int) -> ServerNode:
    if not 0 <= index < len(cluster.nodes):
        raise ValueError(f"no node {index}: the cluster has {len(cluster.nodes)}")
    return cluster.nodes[index]
