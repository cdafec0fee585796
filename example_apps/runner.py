"""Start the embedded server and the three example apps on loopback ports.

Used by ``python -m example_apps`` and by the browser tests: ``start()``
returns the running :class:`Apps`, ``Apps.stop()`` ends them.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from aerospike_py.server import EmbeddedServer
from example_apps import common

APP_NAMES = ("django", "flask", "fastapi")
Admin = Callable[[list[str]], tuple[int, str]]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class RunningApp:
    name: str
    url: str
    stop: Callable[[], None]
    admin: Admin


@dataclass
class Apps:
    """The server (when embedded) and the running apps."""

    apps: dict[str, RunningApp] = field(default_factory=dict)
    server: EmbeddedServer | None = None
    hosts: str = ""

    def stop(self) -> None:
        for app in reversed(list(self.apps.values())):
            app.stop()
        self.apps.clear()
        if self.server is not None:
            self.server.stop()
            self.server = None
            # the apps read the cluster from the environment: forget ours
            os.environ.pop(common.HOSTS_ENV, None)


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _serve_wsgi(
    application: Any, host: str, port: int
) -> tuple[str, Callable[[], None]]:
    server = make_server(
        host,
        port,
        application,
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(
        target=server.serve_forever, name="example-wsgi", daemon=True
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return f"http://{host}:{server.server_port}", stop


def _serve_asgi(
    application: Any, host: str, port: int
) -> tuple[str, Callable[[], None]]:
    import uvicorn

    config = uvicorn.Config(application, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="example-asgi", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the FastAPI app did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join()

    return f"http://{host}:{bound}", stop


def _start_django(host: str, port: int) -> RunningApp:
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_apps.django_site.settings"
    from django.core.management import call_command

    from example_apps.django_site.wsgi import application

    url, stop = _serve_wsgi(application, host, port)

    def admin(argv: list[str]) -> tuple[int, str]:
        out = io.StringIO()
        try:
            call_command("aerospike", *argv, stdout=out, stderr=out)
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue()
        except Exception as exc:  # CommandError: the command's own failure
            return 1, out.getvalue() + str(exc)
        return 0, out.getvalue()

    return RunningApp("django", url, stop, admin)


def _start_flask(host: str, port: int) -> RunningApp:
    from example_apps.flask_app import create_app

    app = create_app()
    url, stop = _serve_wsgi(app, host, port)

    def admin(argv: list[str]) -> tuple[int, str]:
        result = app.test_cli_runner().invoke(args=["aerospike", *argv])
        return result.exit_code, result.output

    return RunningApp("flask", url, stop, admin)


def _start_fastapi(host: str, port: int) -> RunningApp:
    from example_apps.fastapi_app import app, run_admin

    url, stop = _serve_asgi(app, host, port)
    return RunningApp("fastapi", url, stop, run_admin)


_STARTERS = {"django": _start_django, "flask": _start_flask, "fastapi": _start_fastapi}


def start(
    *,
    host: str = "127.0.0.1",
    ports: dict[str, int] | None = None,
    names: tuple[str, ...] = APP_NAMES,
) -> Apps:
    """Start the embedded server (unless $AEROSPIKE_HOSTS) and the apps."""
    apps = Apps()
    if not os.environ.get(common.HOSTS_ENV):
        apps.server = EmbeddedServer(host="127.0.0.1", port=0).start()
        os.environ[common.HOSTS_ENV] = ",".join(
            f"{h}:{p}" for h, p in apps.server.hosts
        )
    apps.hosts = os.environ[common.HOSTS_ENV]
    try:
        for name in names:
            port = (ports or {}).get(name, 0)
            try:
                apps.apps[name] = _STARTERS[name](host, port)
            except OSError as exc:
                raise OSError(
                    exc.errno,
                    f"the {name} app cannot listen on {host}:{port} "
                    f"({exc.strerror or exc}); choose free ports with "
                    "--ports DJANGO,FLASK,FASTAPI",
                ) from exc
    except BaseException:
        apps.stop()
        raise
    return apps


@contextlib.contextmanager
def running(**options: Any) -> Iterator[Apps]:
    apps = start(**options)
    try:
        yield apps
    finally:
        apps.stop()
