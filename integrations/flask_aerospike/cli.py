"""``flask aerospike ...``: the shared admin commands inside a Flask app.

    flask aerospike ping
    flask aerospike --json sets test
    flask aerospike cache clear --yes
    flask aerospike session count

``init_app`` adds the group to ``app.cli``, and the ``flask.commands``
entry point offers it in every Flask project where the package is
installed. The arguments go untouched to :mod:`aerospike_py.admin.cli`,
which parses them (``flask aerospike --help`` lists the commands) and
prints one-line errors with a non-zero exit status.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from aerospike_py.admin.cli import AdminContext, main
from aerospike_py.sessions import SessionEngine
from flask_aerospike._config import ConfigError
from flask_aerospike._state import get_state
from flask_aerospike.sessions import AerospikeSessionInterface

PROG = "flask aerospike"


@click.command(
    "aerospike",
    add_help_option=False,  # --help goes to the admin parser, which knows the commands
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def aerospike_command(args: tuple[str, ...]) -> None:
    """Run Aerospike admin commands (flask aerospike --help lists them)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        context = admin_context(app)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    status = main(list(args), context)
    if status:
        click.get_current_context().exit(status)


def admin_context(app: Flask) -> AdminContext:
    """What the admin commands may reach in ``app``: client, caches, sessions."""
    state = get_state(app)
    return AdminContext(
        connect=state.client,
        caches=configured_caches(app),
        sessions=configured_sessions(app),
        prog=PROG,
    )


def configured_caches(app: Flask) -> dict[str, Any]:
    """The app's Aerospike caches, named ``namespace.set``."""
    try:
        from flask_aerospike.cache import AerospikeCache
    except ImportError:  # without Flask-Caching there is no cache to list
        return {}
    backends = app.extensions.get("cache", {}).values()
    return {
        f"{backend.engine.namespace}.{backend.engine.set_name}": backend
        for backend in backends
        if isinstance(backend, AerospikeCache)
    }


def configured_sessions(app: Flask) -> SessionEngine | None:
    """The app's session store, when its sessions live in Aerospike."""
    interface = app.session_interface
    if isinstance(interface, AerospikeSessionInterface):
        return interface.engine
    return None
