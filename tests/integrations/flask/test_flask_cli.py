"""``flask aerospike ...`` through Flask's CLI runner."""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import entry_points

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup
from helpers import first_line_then_close

from flask_aerospike.cli import aerospike_command


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def run(*args, input=None):
        return runner.invoke(args=["aerospike", *args], input=input)

    return run


def test_ping_answers_with_the_node_count(run):
    result = run("ping")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 1 node(s)")


def test_help_lists_the_admin_commands_under_the_flask_name(run):
    result = run("--help")
    assert result.exit_code == 0
    assert result.output.startswith("usage: flask aerospike")
    for command in ("info", "truncate", "index", "udf", "user", "dump", "cache"):
        assert command in result.output


def test_json_output_for_machines(run):
    result = run("--json", "info", "build")
    assert result.exit_code == 0
    assert json.loads(result.output)[0]["response"]


def test_a_failure_is_one_line_and_a_non_zero_exit(run):
    result = run("info", "no-such-command")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: every node refused 'no-such-command'")
    assert result.stderr.count("\n") == 1


def test_a_usage_error_exits_with_argparse_status(run):
    result = run("no-such-subcommand")
    assert result.exit_code == 2
    assert "invalid choice" in result.output


def test_cache_clear_asks_first_and_clears_only_the_cache(app, cache, run):
    with app.app_context():
        cache.set("k", "v")
    alias = f"test.{app.config['CACHE_OPTIONS']['set']}"

    refused = run("cache", "clear")
    assert refused.exit_code == 1 and "--yes" in refused.output
    with app.app_context():
        assert cache.get("k") == "v"

    result = run("cache", "clear", alias, "--yes")
    assert result.exit_code == 0, result.output
    assert f"cleared {alias}" in result.output
    with app.app_context():
        assert cache.get("k") is None


def test_cache_clear_names_the_configured_caches_on_a_typo(run, app):
    result = run("cache", "clear", "nope", "--yes")
    assert result.exit_code == 1
    assert app.config["CACHE_OPTIONS"]["set"] in result.output


def test_session_count_counts_the_apps_sessions(app, run):
    @app.get("/login/<name>")
    def login(name):
        from flask import session

        session["user"] = name
        return "ok"

    for name in ("ada", "grace"):
        app.test_client().get(f"/login/{name}")
    result = run("--json", "session", "count")
    assert result.exit_code == 0
    assert json.loads(result.output) == {"sessions": 2}


def test_session_count_without_aerospike_sessions_says_so(make_app):
    app = make_app(AEROSPIKE_SESSIONS=False)
    result = app.test_cli_runner().invoke(args=["aerospike", "session", "count"])
    assert result.exit_code == 1
    assert "no Aerospike session store is configured" in result.output


def test_truncate_and_dump_then_load(run, aerospike_client, aerospike_set, tmp_path):
    for number in range(3):
        aerospike_client.put(
            ("test", aerospike_set, number), {"n": number}, policy={"key": 1}
        )
    dump = tmp_path / "dump.jsonl"
    assert run("dump", "test", aerospike_set, "-o", str(dump)).exit_code == 0

    result = run("truncate", "test", aerospike_set, "--yes")
    assert result.exit_code == 0, result.output
    assert aerospike_client.exists(("test", aerospike_set, 1)).meta is None

    result = run("load", str(dump))
    assert result.exit_code == 0, result.output
    assert "loaded 3 record(s)" in result.output
    assert aerospike_client.get(("test", aerospike_set, 1)).bins == {"n": 1}


def test_index_create_and_list(run, aerospike_set):
    name = f"ix_{aerospike_set[-20:]}"
    created = run("index", "create", "test", aerospike_set, "age", name)
    assert created.exit_code == 0, created.output
    listed = json.loads(run("--json", "index", "list", "test").output)
    assert any(row["name"] == name and row["bin"] == "age" for row in listed)
    assert run("index", "remove", "test", name, "--yes").exit_code == 0


def test_user_commands_report_a_server_without_security(run):
    result = run("user", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


def test_each_app_reaches_its_own_cluster(make_app, other_server, run):
    other = make_app(AEROSPIKE=other_server.client_config(), AEROSPIKE_NAMESPACE="apps")
    runner = other.test_cli_runner()
    mine = json.loads(run("--json", "namespaces").output)
    theirs = json.loads(
        runner.invoke(args=["aerospike", "--json", "namespaces"]).output
    )
    assert [row["namespace"] for row in mine] == ["test"]
    assert [row["namespace"] for row in theirs] == ["apps"]


def test_the_flask_commands_entry_point_offers_the_group():
    (entry,) = [
        ep for ep in entry_points(group="flask.commands") if ep.name == "aerospike"
    ]
    assert entry.load() is aerospike_command


def test_the_flask_cli_finds_the_command_and_explains_a_missing_init_app():
    group = FlaskGroup(create_app=lambda: Flask("without_the_extension"))
    result = CliRunner().invoke(group, ["aerospike", "ping"])
    assert result.exit_code == 1
    assert "flask_aerospike is not set up" in result.output
    assert "init_app" in result.output


APP_MODULE = """
from flask import Flask
from flask_aerospike import Aerospike

app = Flask(__name__)
app.config["AEROSPIKE"] = %r
Aerospike(app)
"""


def test_a_dump_piped_into_a_reader_that_stops_early_ends_quietly(
    aerospike_config, aerospike_client, aerospike_set, tmp_path
):
    for i in range(2000):  # far more than a pipe buffers
        aerospike_client.put(("test", aerospike_set, i), {"pad": "x" * 200})
    (tmp_path / "pipe_app.py").write_text(APP_MODULE % (aerospike_config,))
    command = [sys.executable, "-m", "flask", "--app", "pipe_app", "aerospike"]
    first, err, status = first_line_then_close(
        [*command, "dump", "test", aerospike_set],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )

    assert json.loads(first)["set"] == aerospike_set
    assert (err, status) == (b"", 141)
