"""Run the example apps: ``python -m example_apps [--check]``.

Starts the embedded Aerospike-compatible server (or uses the cluster in
``$AEROSPIKE_HOSTS``) and the Django, Flask and FastAPI example apps on
loopback ports, and prints their URLs. Sign in as ``demo`` /
``demo-password``. With ``--check`` it drives a scripted session through
each app over HTTP, prints one line per step, and exits 0 only when every
step passed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from example_apps import common, runner


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m example_apps", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="run the scripted checks")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
    parser.add_argument(
        "--ports",
        default="8001,8002,8003",
        help="ports of the Django, Flask and FastAPI apps (0 = any free port)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        numbers = [int(p) for p in args.ports.split(",")]
    except ValueError:
        print(f"error: --ports {args.ports!r} must be three numbers", file=sys.stderr)
        return 2
    if len(numbers) != 3:
        print("error: --ports needs three ports: django,flask,fastapi", file=sys.stderr)
        return 2
    ports = dict(
        zip(runner.APP_NAMES, [0, 0, 0] if args.check else numbers, strict=True)
    )
    try:
        apps = runner.start(host=args.host, ports=ports)
    except OSError as exc:
        print(f"error: cannot start the apps: {exc}", file=sys.stderr)
        return 1
    try:
        where = "embedded server" if apps.server else "cluster"
        print(f"Aerospike: {where} at {apps.hosts}", flush=True)
        for app in apps.apps.values():
            print(f"{app.name:8} {app.url}", flush=True)
        if args.check:
            return _check(apps)
        print(
            f"Sign in as {common.DEMO_USER} / {common.DEMO_PASSWORD}. "
            "Press Ctrl-C to stop.",
            flush=True,
        )
        _wait()
        return 0
    finally:
        apps.stop()


def _check(apps: runner.Apps) -> int:
    from example_apps.checks import visit

    results = [visit(app, sys.stdout) for app in apps.apps.values()]
    passed = all(results)
    print("all checks passed" if passed else "some checks FAILED", flush=True)
    return 0 if passed else 1


def _wait() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
