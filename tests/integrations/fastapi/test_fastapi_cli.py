"""python -m fastapi_aerospike: the admin commands, set up from the app."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

from fastapi_aerospike._cli import main

APP_MODULE = textwrap.dedent(
    """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from fastapi_aerospike import AerospikeSettings, lifespan

    settings = AerospikeSettings(
        client={{"hosts": [("127.0.0.1", {port})]}},
        cache_set="{cache_set}",
        session_set="{session_set}",
    )
    app = FastAPI(lifespan=lifespan(settings))

    aerospike = lifespan(settings)

    @asynccontextmanager
    async def composed_lifespan(app):
        async with aerospike(app) as state:
            yield state

    composed = FastAPI(lifespan=composed_lifespan)

    from fastapi_aerospike import health_router

    with_router = FastAPI(lifespan=lifespan(settings))
    with_router.include_router(health_router)

    plain = FastAPI()
    """
)


@pytest.fixture
def app_module(tmp_path, monkeypatch, aerospike_server, settings, aerospike_set):
    name = f"cli_app_{aerospike_set}"
    source = APP_MODULE.format(
        port=aerospike_server.port,
        cache_set=settings.cache_set,
        session_set=settings.session_set,
    )
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FASTAPI_AEROSPIKE_APP", raising=False)
    return name


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_ping_reaches_the_cluster_the_app_is_configured_for(app_module):
    code, out, _ = run("--app", f"{app_module}:app", "ping")

    assert code == 0 and out.startswith("ok: 1 node(s)")


def test_the_app_may_be_named_by_environment_variable(app_module, monkeypatch):
    monkeypatch.setenv("FASTAPI_AEROSPIKE_APP", f"{app_module}:app")

    code, out, _ = run("--json", "ping")

    assert code == 0 and json.loads(out)["nodes"] == 1


def test_cache_clear_empties_the_apps_response_cache(
    app_module, aerospike_client, settings
):
    aerospike_client.put(("test", settings.cache_set, "k"), {"v": 1})

    refused, _, err = run("--app", f"{app_module}:app", "cache", "clear")
    assert refused == 1 and "--yes" in err
    assert aerospike_client.exists(("test", settings.cache_set, "k")).meta is not None

    code, out, _ = run("--app", f"{app_module}:app", "cache", "clear", "--yes")
    assert code == 0 and "responses" in out
    assert aerospike_client.exists(("test", settings.cache_set, "k")).meta is None


def test_session_count_counts_the_apps_sessions(app_module, aerospike_client, settings):
    for sid in ("a", "b"):
        aerospike_client.put(("test", settings.session_set, sid), {"d": "{}"})

    code, out, _ = run("--app", f"{app_module}:settings", "--json", "session", "count")

    assert code == 0 and json.loads(out) == {"sessions": 2}


@pytest.mark.parametrize("attribute", ["composed", "with_router"])
def test_a_composed_or_merged_lifespan_is_found(app_module, attribute):
    # include_router merges the app's lifespan with the router's; an app's
    # own lifespan may enter ours. Both still name the app's settings.
    code, out, err = run("--app", f"{app_module}:{attribute}", "--json", "ping")

    assert (code, err) == (0, "")
    assert json.loads(out)["nodes"] == 1


def test_an_app_without_the_aerospike_lifespan_asks_for_the_settings(app_module):
    code, _, err = run("--app", f"{app_module}:plain", "ping")

    assert code == 1
    assert "point --app at the settings" in err and err.count("\n") == 1


def test_a_missing_app_is_explained(monkeypatch):
    monkeypatch.delenv("FASTAPI_AEROSPIKE_APP", raising=False)

    code, _, err = run("ping")

    assert code == 2 and "--app MODULE:ATTR" in err


@pytest.mark.parametrize(
    "spec, message",
    [("no_such_module_xyz:app", "No module named"), ("json", "module:attribute")],
)
def test_a_bad_app_reference_is_one_line_of_error(spec, message):
    code, _, err = run("--app", spec, "ping")

    assert code == 1 and message in err and err.count("\n") == 1


def test_python_dash_m_runs_the_commands(app_module, tmp_path):
    command = ["-m", "fastapi_aerospike", "--app", f"{app_module}:app", "--json"]
    result = subprocess.run(
        [sys.executable, *command, "ping"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
