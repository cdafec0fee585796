"""The ``peers-clear-std`` reply: the other nodes of the cluster.

Format: ``<generation>,<default port>,[[<node id>,<tls name>,[<addr>,...]],...]``
(PROTOCOL.md 2.3). An address without a port uses the default port.
"""

from __future__ import annotations

from typing import NamedTuple

from aerospike_py.cluster.hosts import DEFAULT_PORT, Host


class Peer(NamedTuple):
    node_name: str
    hosts: list[Host]


class PeersParseError(ValueError):
    pass


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    parts: list[str] = []
    depth = start = 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _unwrap(text: str) -> str:
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise PeersParseError(f"expected a [list], got {text!r:.60}")
    return text[1:-1]


def _address(text: str, default_port: int, tls_name: str | None) -> Host:
    if text.startswith("["):  # [v6]:port or [v6]
        end = text.index("]")
        name, rest = text[1:end], text[end + 1 :]
        port = int(rest[1:]) if rest.startswith(":") else default_port
        return Host(name, port, tls_name)
    name, sep, port_text = text.rpartition(":")
    if not sep:
        return Host(text, default_port, tls_name)
    return Host(name, int(port_text), tls_name)


def parse_peers(value: str) -> tuple[int, list[Peer]]:
    """Return the peers generation and the peers of a peers-* reply."""
    parts = _split_top(value.strip())
    if len(parts) != 3:
        raise PeersParseError(f"peers reply has {len(parts)} parts: {value!r:.80}")
    generation = int(parts[0])
    default_port = int(parts[1]) if parts[1] else DEFAULT_PORT
    peers = []
    body = _unwrap(parts[2])
    for entry in _split_top(body) if body else []:
        fields = _split_top(_unwrap(entry))
        if len(fields) != 3:
            raise PeersParseError(f"peer entry {entry!r:.60} is malformed")
        name, tls_name = fields[0], fields[1] or None
        addresses = _unwrap(fields[2])
        hosts = (
            [
                _address(item, default_port, tls_name)
                for item in _split_top(addresses)
                if item
            ]
            if addresses
            else []
        )
        peers.append(Peer(name, hosts))
    return generation, peers
