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
import socket
import sys

from aerospike_py.server.node_control import ACTIONS
from aerospike_py.wire import info as info_codec
from aerospike_py.wire import message as msg


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
    parser.add_argument("action", choices=ACTIONS)
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
