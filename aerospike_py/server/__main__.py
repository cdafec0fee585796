"""Run the embedded server as a process.

    python -m aerospike_py.server --port 3000 --namespace test
    python -m aerospike_py.server --namespace cache:default-ttl=3600 \\
        --namespace plain:nsup-period=0
    python -m aerospike_py.server --security --admin-password secret \\
        --tls-certfile server.pem --tls-keyfile server.key
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from aerospike_py.server.embedded import EmbeddedServer
from aerospike_py.server.storage import NamespaceConfig

STOP_GRACE = 5.0


def parse_namespace(spec: str) -> NamespaceConfig:
    try:
        return NamespaceConfig.parse(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aerospike_py.server",
        description="Run an in-memory Aerospike-compatible server.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=3000,
        help="port of the first node; 0 picks a free one (default: 3000)",
    )
    parser.add_argument(
        "--namespace",
        action="append",
        type=parse_namespace,
        metavar="NAME[:setting=value,...]",
        help="a namespace to serve (repeatable; default: test); settings: "
        "default-ttl, nsup-period, allow-ttl-without-nsup, max-record-size, "
        "replication-factor, default-read-touch-ttl-pct",
    )
    parser.add_argument(
        "--nodes", type=int, default=1, help="number of nodes (default: 1)"
    )
    parser.add_argument(
        "--replication-factor",
        type=int,
        default=1,
        help="copies of each partition (default: 1)",
    )
    parser.add_argument(
        "--cluster-name",
        default="embedded",
        help="name the nodes report; clients with cluster_name check it "
        "(default: embedded)",
    )
    _add_security_arguments(parser)
    return parser


def _add_security_arguments(parser: argparse.ArgumentParser) -> None:
    security = parser.add_argument_group("security")
    security.add_argument(
        "--security", action="store_true", help="require logins (user admin)"
    )
    security.add_argument(
        "--admin-password",
        default="admin",
        help="password of the user admin (default: admin)",
    )
    security.add_argument(
        "--session-ttl",
        type=int,
        default=86_400,
        help="seconds a login lasts (default: 86400)",
    )
    security.add_argument(
        "--enable-quotas", action="store_true", help="allow role quotas"
    )
    tls = parser.add_argument_group("TLS (serve TLS only when a certfile is given)")
    tls.add_argument("--tls-certfile", help="server certificate chain (PEM)")
    tls.add_argument("--tls-keyfile", help="server private key (PEM)")
    tls.add_argument("--tls-cafile", help="CA that client certificates chain to")
    tls.add_argument(
        "--tls-require-client-cert",
        action="store_true",
        help="refuse clients without a certificate (mutual TLS)",
    )
    tls.add_argument("--tls-name", help="TLS name announced to clients")


def _tls_settings(args: argparse.Namespace) -> dict[str, object] | None:
    if not args.tls_certfile:
        return None
    return {
        "certfile": args.tls_certfile,
        "keyfile": args.tls_keyfile,
        "cafile": args.tls_cafile,
        "require_client_cert": args.tls_require_client_cert,
        "name": args.tls_name,
    }


def server_from_args(args: argparse.Namespace) -> EmbeddedServer:
    """Build (not start) the server the command line describes."""
    return EmbeddedServer(
        host=args.host,
        port=args.port,
        namespaces=args.namespace or ["test"],
        nodes=args.nodes,
        replication_factor=args.replication_factor,
        cluster_name=args.cluster_name,
        security=args.security,
        admin_password=args.admin_password,
        session_ttl=args.session_ttl,
        enable_quotas=args.enable_quotas,
        tls=_tls_settings(args),
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        server = server_from_args(args)
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
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
    return _stop(server)


def _stop(server: EmbeddedServer) -> int:
    """Stop cleanly, or exit anyway when a request keeps the server busy
    past STOP_GRACE seconds (a Lua call stuck in a C function cannot be
    interrupted)."""
    stopper = threading.Thread(target=server.stop, daemon=True)
    stopper.start()
    stopper.join(STOP_GRACE)
    if stopper.is_alive():
        print(
            f"a request kept the server busy for {STOP_GRACE} s; exiting "
            "without a clean stop",
            file=sys.stderr,
            flush=True,
        )
        os._exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
