"""Run the embedded server as a process.

    python -m aerospike_py.server --port 3000 --namespace test
    python -m aerospike_py.server --namespace cache:default-ttl=3600 \\
        --namespace plain:nsup-period=0
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from dataclasses import fields

from aerospike_py.server.embedded import EmbeddedServer
from aerospike_py.server.storage import NamespaceConfig

_SETTINGS = {
    f.name.replace("_", "-"): f for f in fields(NamespaceConfig) if f.name != "name"
}


def parse_namespace(spec: str) -> NamespaceConfig:
    """Parse ``NAME[:setting=value,...]`` into a NamespaceConfig."""
    name, _, rest = spec.partition(":")
    config = NamespaceConfig(name)
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        setting = _SETTINGS.get(key.strip())
        if setting is None or not sep:
            known = ", ".join(sorted(_SETTINGS))
            raise argparse.ArgumentTypeError(
                f"unknown namespace setting {key!r} in {spec!r}; known: {known}"
            )
        if setting.type in (bool, "bool"):
            parsed: object = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            try:
                parsed = int(value)
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"namespace setting {key!r} needs an integer, got {value!r}"
                ) from None
        setattr(config, setting.name, parsed)
    return config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aerospike_py.server",
        description="Run an in-memory Aerospike-compatible server.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=3000, help="port of the first node")
    parser.add_argument(
        "--namespace",
        action="append",
        type=parse_namespace,
        metavar="NAME[:setting=value,...]",
        help="a namespace to serve (repeatable; default: test)",
    )
    parser.add_argument("--nodes", type=int, default=1, help="number of nodes")
    parser.add_argument(
        "--replication-factor", type=int, default=1, help="copies of each partition"
    )
    parser.add_argument("--cluster-name", default="embedded")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    server = EmbeddedServer(
        host=args.host,
        port=args.port,
        namespaces=args.namespace or ["test"],
        nodes=args.nodes,
        replication_factor=args.replication_factor,
        cluster_name=args.cluster_name,
    )
    try:
        server.start()
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    names = ", ".join(server.cluster.namespaces)
    for host, port in server.hosts:
        print(f"aerospike_py embedded server listening on {host}:{port}", flush=True)
    print(f"namespaces: {names}; press Ctrl-C to stop", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
