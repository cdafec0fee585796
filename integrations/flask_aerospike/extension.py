"""The Flask extension: the app's Aerospike client, sessions and CLI.

    aerospike = Aerospike()

    def create_app() -> Flask:
        app = Flask(__name__)
        app.config["AEROSPIKE"] = {"hosts": [("127.0.0.1", 3000)]}
        aerospike.init_app(app)
        return app

Inside an app context ``aerospike.client`` is the blocking
:class:`aerospike_py.Client` of the current app. Nothing connects until
that first use; the client is shared by every extension, cache and
session store of the process with the same ClientConfig, closed at exit,
and replaced in a forked worker (gunicorn ``--preload``) on its first use
there.
"""

from __future__ import annotations

from flask import Flask, current_app

from aerospike_py import Client
from flask_aerospike._config import client_config, default_namespace, flag
from flask_aerospike._state import EXTENSION_KEY, AerospikeState, get_state
from flask_aerospike.cli import aerospike_command
from flask_aerospike.sessions import AerospikeSessionInterface

SESSIONS_KEY = "AEROSPIKE_SESSIONS"


class Aerospike:
    """Give Flask apps an Aerospike client, server-side sessions and CLI.

    Configuration comes from ``app.config``:

    - ``AEROSPIKE``: the ClientConfig dict (hosts, user, password, TLS,
      timeouts, policies). Required.
    - ``AEROSPIKE_NAMESPACE``: the namespace the app's data, cache and
      sessions use unless told otherwise (default ``"test"``).
    - ``AEROSPIKE_SESSIONS``: ``True`` to keep ``flask.session`` in
      Aerospike; see :class:`~flask_aerospike.AerospikeSessionInterface`
      for its settings.

    One instance may serve many apps; it keeps no reference to any.
    """

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Check the app's config and register the extension with it.

        Registers the state in ``app.extensions["aerospike"]``, installs
        the session interface when ``AEROSPIKE_SESSIONS`` is set, and adds
        the ``flask aerospike`` command group. Calling it again for the
        same app re-reads the config. Nothing connects here.
        """
        state = AerospikeState(
            config=client_config(app.config), namespace=default_namespace(app.config)
        )
        if flag(app.config, SESSIONS_KEY, False):
            app.session_interface = AerospikeSessionInterface.from_config(app.config)
        app.extensions[EXTENSION_KEY] = state
        app.cli.add_command(aerospike_command)

    @property
    def client(self) -> Client:
        """The current app's client, connected on first use."""
        return get_state(current_app).client()

    @property
    def namespace(self) -> str:
        """The current app's ``AEROSPIKE_NAMESPACE``."""
        return get_state(current_app).namespace
