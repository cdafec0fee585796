"""``python -m example_apps --check``: the scripted HTTP session passes."""

from __future__ import annotations

import subprocess
import sys


def test_check_mode_passes_every_step_of_every_app():
    result = subprocess.run(
        [sys.executable, "-m", "example_apps", "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**_clean_env()},
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line for line in lines if line.startswith(("ok ", "FAIL"))]
    assert len(steps) == 39  # thirteen steps in each of the three apps
    assert all(line.startswith("ok ") for line in steps)
    assert lines[-1] == "all checks passed"


def test_a_busy_port_names_the_app_and_the_way_out():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "example_apps", "--ports", f"0,{port},0"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**_clean_env()},
        )

    assert result.returncode == 1
    assert f"the flask app cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--ports DJANGO,FLASK,FASTAPI" in result.stderr


def _clean_env():
    import os

    env = dict(os.environ)
    for name in ("AEROSPIKE_HOSTS", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env
