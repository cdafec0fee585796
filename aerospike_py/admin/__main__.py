"""Run the admin commands against any cluster.

    python -m aerospike_py.admin --host 127.0.0.1:3000 nodes
    AEROSPIKE_USER=admin AEROSPIKE_PASSWORD=... python -m aerospike_py.admin user list
    python -m aerospike_py.admin --host db1:db1.example:4333 --tls-cafile ca.pem ping

Credentials come from the environment, never from arguments (which other
users of the machine can see in the process list).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from aerospike_py._sync.client import Client
from aerospike_py.admin.cli import (
    AdminContext,
    CommandFailed,
    accept_options_after_subcommands,
    add_subcommands,
    execute,
)
from aerospike_py.exception import NotAuthenticatedError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aerospike_py.admin",
        allow_abbrev=False,
        description="Aerospike admin commands.",
        epilog=(
            "environment: AEROSPIKE_HOSTS (comma-separated seeds), AEROSPIKE_USER "
            "and AEROSPIKE_PASSWORD (credentials of security-enabled clusters), "
            "AEROSPIKE_NEW_PASSWORD (the password of user create/set-password), "
            "AEROSPIKE_TLS_CAFILE, AEROSPIKE_TLS_CERTFILE and AEROSPIKE_TLS_KEYFILE "
            "(as the --tls-* options). Credentials are never taken from arguments."
        ),
    )
    parser.add_argument(
        "--host",
        action="append",
        default=[],
        help="seed host:port (repeatable; default $AEROSPIKE_HOSTS or 127.0.0.1:3000)",
    )
    tls = [
        parser.add_argument(
            f"--tls-{name}",
            metavar="FILE",
            default=os.environ.get(f"AEROSPIKE_TLS_{name.upper()}"),
            help=f"{what} (default $AEROSPIKE_TLS_{name.upper()}); any of "
            "these turns TLS on; a host may name its TLS name as host:name:port",
        )
        for name, what in (
            ("cafile", "CA certificates that sign the nodes' certificates"),
            ("certfile", "client certificate, for mutual TLS"),
            ("keyfile", "key of the client certificate"),
        )
    ]
    add_subcommands(parser)
    host = next(a for a in parser._actions if "--host" in a.option_strings)
    accept_options_after_subcommands(parser, [host, *tls])
    return parser


def client_config(
    hosts: list[str], tls: dict[str, str | None] | None = None
) -> dict[str, Any]:
    seeds = hosts or os.environ.get("AEROSPIKE_HOSTS", "127.0.0.1:3000").split(",")
    config: dict[str, Any] = {"hosts": [seed.strip() for seed in seeds if seed.strip()]}
    if os.environ.get("AEROSPIKE_USER"):
        config["user"] = os.environ["AEROSPIKE_USER"]
        config["password"] = os.environ.get("AEROSPIKE_PASSWORD", "")
    files = {key: path for key, path in (tls or {}).items() if path}
    if files:
        config["tls"] = files
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tls = {
        "cafile": args.tls_cafile,
        "certfile": args.tls_certfile,
        "keyfile": args.tls_keyfile,
    }
    config = client_config(args.host, tls)
    context = AdminContext(
        connect=lambda: _connect(config),
        close_after=True,
        prog="python -m aerospike_py.admin",
    )
    return execute(args, context)


def _connect(config: dict[str, Any]) -> Client:
    try:
        return Client(config).connect()
    except NotAuthenticatedError:
        raise CommandFailed(
            "the cluster has security enabled: set AEROSPIKE_USER and "
            "AEROSPIKE_PASSWORD to log in"
        ) from None


if __name__ == "__main__":
    sys.exit(main())
