"""TLS for the embedded server: listening contexts and TLS peer lists.

A server started with :class:`ServerTLS` serves TLS only, as a node whose
``service`` stanza has only a ``tls-port``. Clients find the other nodes
through ``peers-tls-std`` / ``peers-tls-alt``, whose entries carry the TLS
name every node's certificate answers to (PROTOCOL.md 2.3); the clear peer
lists stay empty then, since no node listens in clear.
"""

from __future__ import annotations

import ssl
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aerospike_py.server.info import Params, command

if TYPE_CHECKING:
    from aerospike_py.server.cluster import ServerCluster
    from aerospike_py.server.node import ServerNode


@dataclass(frozen=True)
class ServerTLS:
    """How the server's nodes listen with TLS.

    ``certfile`` / ``keyfile`` hold the server's certificate chain and key;
    ``cafile`` the authorities that client certificates must chain to;
    ``require_client_cert`` makes the handshake fail without one (mutual
    TLS; PKI logins need a client certificate either way); ``name`` is the
    TLS name announced to clients in the peer lists.
    """

    certfile: str
    keyfile: str | None = None
    cafile: str | None = None
    require_client_cert: bool = False
    name: str | None = None

    @classmethod
    def from_value(cls, value: ServerTLS | Mapping[str, Any]) -> ServerTLS:
        """Accept a ServerTLS or a dict of its fields."""
        if isinstance(value, ServerTLS):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(f"tls must be a ServerTLS or a dict, not {value!r:.60}")
        known = set(cls.__dataclass_fields__)
        unknown = set(value) - known
        if unknown:
            raise ValueError(
                f"unknown tls setting(s) {sorted(unknown)}; known: {sorted(known)}"
            )
        if "certfile" not in value:
            raise ValueError("tls needs 'certfile' (the server certificate)")
        return cls(**value)

    def context(self) -> ssl.SSLContext:
        """Build the server side SSL context."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        if self.cafile:
            context.load_verify_locations(self.cafile)
            # Without a required certificate, still ask for one: a PKI
            # login is made with the certificate a client chooses to send.
            context.verify_mode = (
                ssl.CERT_REQUIRED if self.require_client_cert else ssl.CERT_OPTIONAL
            )
        elif self.require_client_cert:
            raise ValueError("tls: require_client_cert needs 'cafile' to verify with")
        return context


_settings: weakref.WeakKeyDictionary[
    ServerCluster, tuple[ServerTLS, ssl.SSLContext]
] = weakref.WeakKeyDictionary()


def enable(cluster: ServerCluster, settings: ServerTLS) -> None:
    """Make every node of ``cluster`` listen with TLS from now on."""
    _settings[cluster] = (settings, settings.context())


def context_for(cluster: ServerCluster) -> ssl.SSLContext | None:
    """The SSL context nodes of ``cluster`` listen with; None in clear."""
    entry = _settings.get(cluster)
    return None if entry is None else entry[1]


def name_for(cluster: ServerCluster) -> str:
    """The TLS name peers are announced with ("" when none is set)."""
    entry = _settings.get(cluster)
    return (entry[0].name or "") if entry is not None else ""


def client_common_name(peercert: Any) -> str | None:
    """The subject common name of a verified client certificate, if any.

    ``peercert`` is what ``SSLSocket.getpeercert()`` returns: a dict whose
    ``subject`` is a tuple of RDNs, each a tuple of ``(name, value)``.
    """
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return None


# -- peer lists ------------------------------------------------------------------


def _tls_peers(node: ServerNode, alumni: bool) -> str:
    cluster = node.cluster
    peers = []
    if context_for(cluster) is not None:
        tls_name = name_for(cluster)
        for other in cluster.nodes:
            if other is node or not (other.running or alumni):
                continue
            peers.append(f"[{other.node_id},{tls_name},[{other.host}:{other.port}]]")
    return f"{cluster.peers_generation},{node.port},[{','.join(peers)}]"


@command("peers-tls-std", "peers-tls-alt")
def _peers_tls(node: ServerNode, params: Params, args: list[str]) -> str:
    return _tls_peers(node, alumni=False)


@command("alumni-tls-std", "alumni-tls-alt")
def _alumni_tls(node: ServerNode, params: Params, args: list[str]) -> str:
    return _tls_peers(node, alumni=True)
