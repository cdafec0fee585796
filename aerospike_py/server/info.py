"""Info commands of the embedded server (PROTOCOL.md section 2).

Every command is a function ``(node, params) -> value`` in the ``COMMANDS``
table, found by its name. ``params`` holds the parsed ``k=v`` pairs after a
``:``, or the ``/``-separated positional arguments under the key ``"/"``.
An unknown command answers ``ERROR:4:unrecognized command`` as servers from
7.1 on do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aerospike_py.server.cluster import BUILD, EDITION
from aerospike_py.server.storage import CITRUSLEAF_EPOCH

if TYPE_CHECKING:
    from aerospike_py.server.node import ServerNode

Params = dict[str, str]
InfoHandler = Callable[["ServerNode", Params, list[str]], str]

FEATURES = (
    "batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;"
    "float;geo;sindex-exists;peers;pipelining;pquery;pscans;"
    "relaxed-sc;replicas;replicas-all;replicas-master;replicas-max;"
    "truncate-namespace;udf"
)

COMMANDS: dict[str, InfoHandler] = {}


def command(*names: str) -> Callable[[InfoHandler], InfoHandler]:
    """Register an info command under one or more names."""

    def decorate(handler: InfoHandler) -> InfoHandler:
        for name in names:
            COMMANDS[name] = handler
        return handler

    return decorate


def parse_command(text: str) -> tuple[str, Params, list[str]]:
    """Split ``name:k=v;k=v`` or ``name/a/b`` into its parts."""
    name, sep, rest = text.partition(":")
    params: Params = {}
    if sep:
        for item in rest.split(";"):
            if item:
                key, _, value = item.partition("=")
                params[key.strip()] = value.strip()
    parts = name.split("/")
    return parts[0], params, parts[1:]


def answer(node: ServerNode, text: str) -> str:
    """Return the value of one info command."""
    name, params, args = parse_command(text)
    handler = COMMANDS.get(name)
    if handler is None:
        return "ERROR:4:unrecognized command"
    try:
        return handler(node, params, args)
    except InfoError as exc:
        return f"ERROR:{exc.code}:{exc.message}"


class InfoError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- identity and topology -----------------------------------------------------


@command("node")
def _node(node: ServerNode, params: Params, args: list[str]) -> str:
    return node.node_id


@command("build")
def _build(node: ServerNode, params: Params, args: list[str]) -> str:
    return BUILD


@command("version")
def _version(node: ServerNode, params: Params, args: list[str]) -> str:
    return f"{EDITION} build {BUILD}"


@command("edition")
def _edition(node: ServerNode, params: Params, args: list[str]) -> str:
    return EDITION


@command("release")
def _release(node: ServerNode, params: Params, args: list[str]) -> str:
    return f"edition={EDITION};version={BUILD};os=python;arch=any;sha=embedded"


@command("features")
def _features(node: ServerNode, params: Params, args: list[str]) -> str:
    return FEATURES


@command("compatibility-id")
def _compatibility_id(node: ServerNode, params: Params, args: list[str]) -> str:
    return "1"


@command("partition-generation")
def _partition_generation(node: ServerNode, params: Params, args: list[str]) -> str:
    return str(node.cluster.partition_generation)


@command("peers-generation")
def _peers_generation(node: ServerNode, params: Params, args: list[str]) -> str:
    return str(node.cluster.peers_generation)


@command("rebalance-generation")
def _rebalance_generation(node: ServerNode, params: Params, args: list[str]) -> str:
    return str(node.cluster.partition_generation)


@command("cluster-name")
def _cluster_name(node: ServerNode, params: Params, args: list[str]) -> str:
    return node.cluster.cluster_name


@command("partitions")
def _partitions(node: ServerNode, params: Params, args: list[str]) -> str:
    return "4096"


def _peer_list(node: ServerNode, alumni: bool) -> str:
    peers = []
    for other in node.cluster.nodes:
        if other is node or not (other.running or alumni):
            continue
        peers.append(f"[{other.node_id},,[{other.host}:{other.port}]]")
    return f"{node.cluster.peers_generation},{node.port},[{','.join(peers)}]"


@command("peers-clear-std", "peers-clear-alt", "peers-tls-std", "peers-tls-alt")
def _peers(node: ServerNode, params: Params, args: list[str]) -> str:
    return _peer_list(node, alumni=False)


@command("alumni-clear-std", "alumni-clear-alt", "alumni-tls-std", "alumni-tls-alt")
def _alumni(node: ServerNode, params: Params, args: list[str]) -> str:
    return _peer_list(node, alumni=True)


@command("services", "services-alternate")
def _services(node: ServerNode, params: Params, args: list[str]) -> str:
    others = node.cluster.active_nodes()
    return ";".join(f"{n.host}:{n.port}" for n in others if n is not node)


@command("services-alumni")
def _services_alumni(node: ServerNode, params: Params, args: list[str]) -> str:
    return ";".join(f"{n.host}:{n.port}" for n in node.cluster.nodes if n is not node)


@command("service", "service-clear-std", "service-clear-alt", "service-tls-std")
def _service(node: ServerNode, params: Params, args: list[str]) -> str:
    return f"{node.host}:{node.port}"


@command("replicas")
def _replicas(node: ServerNode, params: Params, args: list[str]) -> str:
    max_columns = int(params["max"]) if params.get("max", "").isdigit() else None
    return node.cluster.replicas_value(node, max_columns)


@command("replicas-all")
def _replicas_all(node: ServerNode, params: Params, args: list[str]) -> str:
    # The old format: the same columns without the regime.
    value = node.cluster.replicas_value(node)
    return ";".join(
        f"{ns}:{rest.split(',', 1)[1]}"
        for ns, _, rest in (item.partition(":") for item in value.split(";"))
    )


@command("replicas-master")
def _replicas_master(node: ServerNode, params: Params, args: list[str]) -> str:
    value = node.cluster.replicas_value(node, max_columns=1)
    return ";".join(
        f"{ns}:{rest.split(',')[2]}"
        for ns, _, rest in (item.partition(":") for item in value.split(";"))
    )


@command("namespaces")
def _namespaces(node: ServerNode, params: Params, args: list[str]) -> str:
    return ";".join(node.cluster.namespaces)


@command("user-agent-set")
def _user_agent_set(node: ServerNode, params: Params, args: list[str]) -> str:
    return "ok"


@command("cluster-stable")
def _cluster_stable(node: ServerNode, params: Params, args: list[str]) -> str:
    return f"{node.cluster.partition_generation:X}"


@command("racks", "rack-ids")
def _racks(node: ServerNode, params: Params, args: list[str]) -> str:
    raise InfoError(25, "enterprise only")


# -- statistics ----------------------------------------------------------------


@command("statistics")
def _statistics(node: ServerNode, params: Params, args: list[str]) -> str:
    cluster = node.cluster
    objects = sum(ns.count() for ns in cluster.namespaces.values())
    stats = {
        "cluster_size": len(cluster.active_nodes()),
        "cluster_key": f"{cluster.partition_generation:X}",
        "cluster_name": cluster.cluster_name,
        "objects": objects,
        "uptime": int(time.monotonic() - node.started_at),
        "client_connections": node.open_connections,
        "client_connections_opened": node.connections_opened,
        "info_requests": node.stats["info"],
        "commands": node.stats["commands"],
    }
    return ";".join(f"{k}={v}" for k, v in stats.items())


@command("namespace")
def _namespace(node: ServerNode, params: Params, args: list[str]) -> str:
    name = args[0] if args else params.get("id", "")
    namespace = node.cluster.namespaces.get(name)
    if namespace is None:
        return "type=unknown"
    config = namespace.config
    stats = {
        "objects": namespace.count(),
        "ns_cluster_size": len(node.cluster.active_nodes()),
        "effective_replication_factor": min(
            node.cluster.replication_factor, len(node.cluster.active_nodes())
        ),
        "replication-factor": node.cluster.replication_factor,
        "default-ttl": config.default_ttl,
        "nsup-period": config.nsup_period,
        "allow-ttl-without-nsup": str(config.allow_ttl_without_nsup).lower(),
        "max-record-size": config.max_record_size,
        "default-read-touch-ttl-pct": config.default_read_touch_ttl_pct,
        "storage-engine": "memory",
        "sets": len(namespace.sets),
    }
    return ";".join(f"{k}={v}" for k, v in stats.items())


def _set_entry(node: ServerNode, ns_name: str, set_name: str, prefix: bool) -> str:
    namespace = node.cluster.namespaces[ns_name]
    state = namespace.set_state(set_name)
    props = {
        "objects": namespace.count(set_name),
        "tombstones": 0,
        # Milliseconds since the 2010 epoch, as the server's own clock.
        "truncate_lut": _clepoch_ms(state.truncate_lut_ns),
        "sindexes": node.sindex_count(ns_name, set_name),
        "index_populating": "false",
        "truncating": "false",
        "default-read-touch-ttl-pct": 0,
        "default-ttl": state.default_ttl or 0,
        "disable-eviction": "false",
        "enable-index": "false",
        "stop-writes-count": 0,
        "stop-writes-size": 0,
    }
    head = f"ns={ns_name}:set={set_name}:" if prefix else ""
    return head + ":".join(f"{k}={v}" for k, v in props.items())


def _clepoch_ms(unix_ns: int) -> int:
    if not unix_ns:
        return 0
    return max(0, unix_ns // 1_000_000 - CITRUSLEAF_EPOCH * 1000)


@command("status")
def _status(node: ServerNode, params: Params, args: list[str]) -> str:
    return "ok"  # what load balancers and health checks ask


@command("sets")
def _sets(node: ServerNode, params: Params, args: list[str]) -> str:
    namespaces = node.cluster.namespaces
    if len(args) >= 2:
        if args[0] not in namespaces:
            return "ns_type=unknown"
        return _set_entry(node, args[0], args[1], prefix=False) + ";"
    names = [args[0]] if args else list(namespaces)
    entries = []
    for ns_name in names:
        namespace = namespaces.get(ns_name)
        if namespace is None:
            continue
        for set_name in sorted(namespace.sets):
            entries.append(_set_entry(node, ns_name, set_name, prefix=True) + ";")
    return "".join(entries)
