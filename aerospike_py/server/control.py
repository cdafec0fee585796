"""Change a running embedded cluster from outside: stop, start or add nodes.

    python -m aerospike_py.server.control --port 3000 status
    python -m aerospike_py.server.control --port 3000 stop-node 1
    python -m aerospike_py.server.control --port 3000 start-node 1
    python -m aerospike_py.server.control --port 3000 add-node

It sends the embedded server's own ``embedded-control`` info command (real
servers do not know it) to any running node.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Coroutine
from typing import Any

from aerospike_py.server.info import InfoError, Params, command
from aerospike_py.server.membership import add_node, start_node, stop_node
from aerospike_py.server.node import ServerNode
from aerospike_py.wire import info as info_codec
from aerospike_py.wire import message as msg

_ACTIONS = ("status", "stop-node", "start-node", "add-node")

# Membership changes run after the reply; keep their tasks alive till done.
_pending: set[asyncio.Task[object]] = set()


def _schedule(change: Coroutine[Any, Any, object]) -> None:
    task = asyncio.get_running_loop().create_task(change)
    _pending.add(task)
    task.add_done_callback(_pending.discard)


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
        _schedule(add_node(cluster, node.host))
        return "ok"
    if action not in ("stop-node", "start-node"):
        raise InfoError(4, f"unknown action {action!r}; use one of {_ACTIONS}")
    try:
        index = int(params.get("index", ""))
    except ValueError:
        raise InfoError(4, "index=<node index> is required") from None
    if not 0 <= index < len(cluster.nodes):
        raise InfoError(4, f"no node {index}")
    change = stop_node if action == "stop-node" else start_node
    _schedule(change(cluster, index))
    return "ok"


def _request(host: str, port: int, text: str) -> str:
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(info_codec.encode_request(text))
        header = _recv(sock, msg.PROTO_HEADER_SIZE)
        _, _, size = msg.parse_proto_header(header)
        reply = info_codec.parse_reply(_recv(sock, size))
    return reply.get(text, "")


def _recv(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aerospike_py.server.control",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="port of a running node")
    parser.add_argument("action", choices=_ACTIONS)
    parser.add_argument("index", nargs="?", type=int, help="node index (stop/start)")
    args = parser.parse_args(argv)
    text = f"embedded-control:action={args.action}"
    if args.index is not None:
        text += f";index={args.index}"
    try:
        answer = _request(args.host, args.port, text)
    except OSError as exc:
        print(f"error: cannot reach {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if answer.startswith("ERROR"):
        print(f"error: {answer}", file=sys.stderr)
        return 1
    print(answer.replace(";", "\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
