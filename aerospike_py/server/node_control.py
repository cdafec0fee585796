"""The ``embedded-control`` info command: stop, start or add nodes of a
running embedded cluster from outside (``python -m
aerospike_py.server.control`` sends it; real servers do not know it).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Coroutine
from typing import Any

from aerospike_py.server.cluster import ServerCluster
from aerospike_py.server.info import InfoError, Params, command
from aerospike_py.server.membership import add_node, start_node, stop_node
from aerospike_py.server.node import ServerNode

ACTIONS = ("status", "stop-node", "start-node", "add-node")
MAX_NODES = 16  # enough for any cluster test; keeps a loop of add-node bounded

# Membership changes run after the reply; keep their tasks alive till done.
_pending: set[asyncio.Task[object]] = set()


def _schedule(change: Coroutine[Any, Any, object]) -> None:
    task = asyncio.get_running_loop().create_task(change)
    _pending.add(task)
    task.add_done_callback(_pending.discard)


# Nodes asked for but not started yet, per cluster.
_adding: weakref.WeakKeyDictionary[ServerCluster, int] = weakref.WeakKeyDictionary()


async def _add(cluster: ServerCluster, host: str) -> None:
    try:
        await add_node(cluster, host)
    finally:
        _adding[cluster] -= 1


@command("embedded-control")
def _control(node: ServerNode, params: Params, args: list[str]) -> str:
    action = params.get("action", "status")
    cluster = node.cluster
    if action == "status":
        return ";".join(
            f"{n.index}:{n.node_id}:{n.host}:{n.port}:{'up' if n.running else 'down'}"
            for n in cluster.nodes
        )
    if action == "add-node":
        if len(cluster.nodes) + _adding.get(cluster, 0) >= MAX_NODES:
            raise InfoError(4, f"the cluster already has {MAX_NODES} nodes, the most")
        _adding[cluster] = _adding.get(cluster, 0) + 1
        _schedule(_add(cluster, node.host))
        return "ok"
    if action not in ("stop-node", "start-node"):
        raise InfoError(4, f"unknown action {action!r}; use one of {ACTIONS}")
    try:
        index = int(params.get("index", ""))
    except ValueError:
        raise InfoError(4, "index=<node index> is required") from None
    if not 0 <= index < len(cluster.nodes):
        raise InfoError(4, f"no node {index}")
    change = stop_node if action == "stop-node" else start_node
    _schedule(change(cluster, index))
    return "ok"
