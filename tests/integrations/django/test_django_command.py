"""``manage.py aerospike``: the shared admin commands inside Django."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aerospike_testproject.testing import cache_entry
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from helpers import first_line_then_close

from django_aerospike import get_client
from django_aerospike.sessions import SessionStore

PROJECT = Path(__file__).resolve().parent


class Terminal(io.StringIO):
    """Input typed at a terminal."""

    def isatty(self) -> bool:
        return True


def aerospike(*args, stdin=None):
    """Run ``manage.py aerospike *args``; return its output."""
    out, err = io.StringIO(), io.StringIO()
    extra = {} if stdin is None else {"stdin": stdin}
    call_command("aerospike", *args, stdout=out, stderr=err, **extra)
    return out.getvalue() + err.getvalue()


def test_ping_reaches_the_default_alias():
    assert aerospike("ping").startswith("ok: 1 node(s)")
    assert json.loads(aerospike("--json", "ping"))["nodes"] == 1


def test_alias_selects_another_aerospike_entry(settings, django_server):
    settings.AEROSPIKE = {
        **settings.AEROSPIKE,
        "analytics": django_server.client_config(timeout=3000),
    }
    rows = json.loads(aerospike("--alias", "analytics", "--json", "namespaces"))
    assert {row["namespace"] for row in rows} == {"test", "plain"}


def test_options_are_accepted_after_the_subcommand_too(settings, django_server):
    settings.AEROSPIKE = {
        **settings.AEROSPIKE,
        "analytics": django_server.client_config(timeout=3000),
    }
    rows = json.loads(aerospike("namespaces", "--alias", "analytics", "--json"))
    assert {row["namespace"] for row in rows} == {"test", "plain"}
    with pytest.raises(CommandError, match="no alias 'nope'"):
        aerospike("ping", "--alias", "nope")
    # Given on both sides, the later one counts.
    assert aerospike("--alias", "nope", "ping", "--alias", "analytics").startswith("ok")
    assert aerospike("ping", "--verbosity", "0", "--no-color").startswith("ok")


def test_an_alias_option_after_cache_clear_is_not_the_cache_alias(settings):
    caches["default"].set("k", 1)
    caches["other"].set("k", 2)
    output = aerospike("cache", "clear", "other", "--alias", "default", "--noinput")
    assert "cleared other" in output
    assert caches["default"].get("k") == 1 and caches["other"].get("k") is None


def test_a_json_failure_from_call_command_is_a_command_error_too():
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"^every node refused 'nope'"):
        call_command(
            "aerospike", "info", "nope", "--json", stdout=io.StringIO(), stderr=err
        )
    assert json.loads(err.getvalue())["error"].startswith("every node refused")


def test_unknown_alias_is_a_command_error_listing_the_known_ones():
    with pytest.raises(CommandError, match=r"no alias 'nope'.*configured: default"):
        aerospike("--alias", "nope", "ping")


def test_truncate_needs_noinput_without_a_terminal(set_prefix):
    key = ("test", f"t_{set_prefix}", "k")
    get_client().put(key, {"a": 1})
    with pytest.raises(CommandError, match="--yes"):
        aerospike("truncate", "test", f"t_{set_prefix}")
    assert get_client().exists(key).meta is not None
    assert "truncated" in aerospike("truncate", "test", f"t_{set_prefix}", "--noinput")
    assert get_client().exists(key).meta is None


def test_truncate_asks_at_a_terminal(set_prefix):
    key = ("test", f"t_{set_prefix}", "k")
    get_client().put(key, {"a": 1})
    with pytest.raises(CommandError, match="cancelled"):
        aerospike("truncate", "test", f"t_{set_prefix}", stdin=Terminal("no\n"))
    assert get_client().exists(key).meta is not None
    output = aerospike("truncate", "test", f"t_{set_prefix}", stdin=Terminal("yes\n"))
    assert "Type 'yes' to continue: " in output and "truncated test." in output
    assert get_client().exists(key).meta is None


def test_cache_clear_knows_every_aerospike_alias_even_unused_ones():
    caches["default"].set("k", 1)
    caches["locmem"].set("k", 1)
    # "other" was never used in this thread: caches.all() would not list it.
    output = aerospike("cache", "clear", "--noinput")
    assert "cleared default, other" in output
    assert caches["default"].get("k") is None
    assert caches["locmem"].get("k") == 1


def test_cache_clear_of_one_alias(settings, set_prefix):
    caches["default"].set("k", 1)
    caches["other"].set("k", 2)
    assert "cleared other" in aerospike("cache", "clear", "other", "--noinput")
    assert caches["default"].get("k") == 1 and caches["other"].get("k") is None


def test_cache_clear_refuses_a_non_aerospike_alias():
    with pytest.raises(CommandError, match="no cache alias 'locmem'"):
        aerospike("cache", "clear", "locmem", "--noinput")


def test_session_count_counts_live_sessions():
    for _ in range(3):
        SessionStore().create()
    assert json.loads(aerospike("--json", "session", "count")) == {"sessions": 3}


def test_session_count_without_our_session_engine(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    with pytest.raises(CommandError, match="no Aerospike session store"):
        aerospike("session", "count")


def test_broken_session_settings_do_not_stop_other_subcommands(settings):
    settings.AEROSPIKE_SESSIONS = {"alias": "nope"}
    assert aerospike("ping").startswith("ok")
    with pytest.raises(CommandError, match="no alias 'nope'"):
        aerospike("session", "count")


def test_broken_cache_settings_are_a_command_error(settings, set_prefix):
    settings.CACHES = {"bad": cache_entry(set_prefix, OPTIONS={"serializer": "x"})}
    with pytest.raises(CommandError, match="serializer 'x' is unknown"):
        aerospike("cache", "clear", "--noinput")


@pytest.fixture
def manage_env(django_server):
    """The environment of a ``manage.py`` subprocess on the test server."""
    hosts = ",".join(f"{host}:{port}" for host, port in django_server.hosts)
    env = {**os.environ, "DJANGO_AEROSPIKE_HOSTS": hosts}
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT), env.get("PYTHONPATH", "")])
    return env


def test_manage_py_exits_non_zero_with_one_line(manage_env):
    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", "aerospike", *args],
            cwd=PROJECT,
            env=manage_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = manage("ping", "--alias", "default")
    assert done.returncode == 0 and done.stdout.startswith("ok: 1 node(s)")
    failed = manage("info", "no-such-command")
    assert failed.returncode == 1
    assert failed.stderr.startswith("CommandError: ")
    assert failed.stderr.count("\n") == 1
    for args in (("--json", "info", "nope"), ("info", "nope", "--json")):
        failed = manage(*args)
        assert failed.returncode == 1
        (line,) = failed.stderr.splitlines()
        assert json.loads(line)["error"].startswith("every node refused 'nope'")
    # A settings error (an unknown alias) is one JSON line too.
    failed = manage("--json", "ping", "--alias", "analytics-typo")
    assert failed.returncode == 1
    (line,) = failed.stderr.splitlines()
    assert "no alias 'analytics-typo'" in json.loads(line)["error"]


def test_a_dump_piped_into_a_reader_that_stops_early_ends_quietly(
    manage_env, set_prefix
):
    set_name = f"d_{set_prefix}"
    for i in range(2000):  # far more than a pipe buffers
        get_client().put(("test", set_name, i), {"pad": "x" * 200})
    command = [sys.executable, "manage.py", "aerospike", "dump", "test", set_name]
    first, err, status = first_line_then_close(command, cwd=PROJECT, env=manage_env)

    assert json.loads(first)["set"] == set_name
    assert (err, status) == (b"", 141)


class ClosedPipe(io.StringIO):
    """An output whose reader has gone away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_call_command_into_a_closed_pipe_returns_quietly(set_prefix):
    get_client().put(("test", f"d_{set_prefix}", 1), {"a": 1})
    err = io.StringIO()
    call_command(
        "aerospike", "dump", "test", f"d_{set_prefix}", stdout=ClosedPipe(), stderr=err
    )
    assert err.getvalue() == ""
