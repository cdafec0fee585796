"""``python -m fastapi_aerospike``: the shared admin commands, set up from
the app's own settings.

    python -m fastapi_aerospike --app myproject.main:app ping
    FASTAPI_AEROSPIKE_APP=myproject.main:app python -m fastapi_aerospike cache clear

``--app`` (or ``$FASTAPI_AEROSPIKE_APP``) names, as ``module:attribute``,
the FastAPI app whose lifespan is ``fastapi_aerospike.lifespan(...)``, that
lifespan itself, or the settings given to it (``AerospikeSettings``, a
ClientConfig dict, or an object with ``client_config()``). Nothing of the
app runs: the settings are read, not the lifespan. The response cache is
the cache alias ``responses``; ``session count`` counts the session set.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, TextIO

from aerospike_py._sync.client import Client
from aerospike_py.admin.cli import AdminContext, add_subcommands, execute
from aerospike_py.cache import CacheEngine
from aerospike_py.sessions import SessionEngine
from fastapi_aerospike._lifespan import AerospikeLifespan
from fastapi_aerospike._settings import AerospikeSettings, resolve_settings

PROG = "python -m fastapi_aerospike"
APP_ENV = "FASTAPI_AEROSPIKE_APP"
CACHE_ALIAS = "responses"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Aerospike admin commands for a FastAPI app."
    )
    parser.add_argument(
        "--app",
        default=os.environ.get(APP_ENV),
        metavar="MODULE:ATTR",
        help=f"the app, its lifespan or its settings (default: ${APP_ENV})",
    )
    add_subcommands(parser)
    return parser


def load_target(spec: str) -> Any:
    """Import ``module:attr.sub`` and return the attribute."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--app must look like module:attribute, not {spec!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def settings_of(target: Any) -> AerospikeSettings:
    """The AerospikeSettings an app, a lifespan or a settings object holds.

    An app's lifespan is often not ``fastapi_aerospike.lifespan(...)``
    itself: ``include_router`` merges lifespans, and apps compose their own
    around ours. The lifespan found is the one reachable from the app's
    lifespan context through wrappers, closures and the globals of the
    functions involved.
    """
    if isinstance(target, AerospikeLifespan):
        return target.settings
    router = getattr(target, "router", None)
    if router is None:
        return resolve_settings(target)
    found = find_lifespans(getattr(router, "lifespan_context", None))
    if len(found) == 1:
        return found[0].settings
    hint = (
        "; point --app at the settings you give to fastapi_aerospike.lifespan instead"
    )
    if not found:
        raise TypeError(
            "no fastapi_aerospike.lifespan(...) is reachable from this app's "
            "lifespan" + hint
        )
    raise TypeError(
        f"this app's lifespan reaches {len(found)} fastapi_aerospike "
        "lifespans with different settings" + hint
    )


def find_lifespans(root: Any, depth: int = 6) -> list[AerospikeLifespan]:
    """The distinct AerospikeLifespans reachable from ``root``."""
    found: dict[int, AerospikeLifespan] = {}
    seen: set[int] = set()

    def visit(obj: Any, depth: int) -> None:
        if depth < 0 or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, AerospikeLifespan):
            found.setdefault(id(obj.settings), obj)
            return
        func = getattr(obj, "__func__", obj)
        for inner in (
            getattr(obj, "__wrapped__", None),
            getattr(obj, "__self__", None),
            getattr(obj, "func", None),
        ):
            if inner is not None:
                visit(inner, depth - 1)
        for cell in getattr(func, "__closure__", None) or ():
            try:
                visit(cell.cell_contents, depth - 1)
            except ValueError:  # an empty cell
                continue
        code = getattr(func, "__code__", None)
        namespace = getattr(func, "__globals__", None)
        if code is None or not isinstance(namespace, dict):
            return
        for name in code.co_names:
            value = namespace.get(name)
            # Our lifespans, and the app's own functions that may enter one.
            if isinstance(value, AerospikeLifespan) or (
                callable(value)
                and getattr(value, "__module__", None) == func.__module__
            ):
                visit(value, depth - 1)

    visit(root, depth)
    return list(found.values())


def admin_context(settings: AerospikeSettings) -> AdminContext:
    """The admin commands' view of the app: its client, cache and sessions."""
    config = settings.client_config()
    opened: list[Client] = []

    def connect() -> Client:
        # One client for the command and the engines; execute() closes it.
        if not opened:
            opened.append(Client(config).connect())
        return opened[0]

    cache = CacheEngine(
        connect,
        namespace=settings.namespace,
        set_name=settings.cache_set,
        serializer="msgpack",
    )
    sessions = SessionEngine(
        connect, namespace=settings.namespace, set_name=settings.session_set
    )
    return AdminContext(
        connect=connect,
        close_after=True,
        caches={CACHE_ALIAS: cache},
        sessions=sessions,
        prog=PROG,
    )


def main(
    argv: list[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one admin command; return the exit status."""
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.app:
        err.write(f"error: name the app with --app MODULE:ATTR or ${APP_ENV}\n")
        return 2
    try:
        settings = settings_of(load_target(args.app))
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        err.write(f"error: --app {args.app}: {exc}\n")
        return 1
    return execute(args, admin_context(settings), out=out, err=err)
