"""The shared admin commands, run against the embedded server."""

from __future__ import annotations

import io
import json

import pytest
from helpers import first_line_then_close

import aerospike_py
from aerospike_py.admin.cli import AdminContext, main
from aerospike_py.cache import CacheEngine
from aerospike_py.sessions import SessionEngine


@pytest.fixture
def run(aerospike_client):
    def run(*argv, context=None, stdin=""):
        out, err = io.StringIO(), io.StringIO()
        ctx = context or AdminContext(connect=lambda: aerospike_client)
        code = (
            main(list(argv), ctx, out=out, err=err)
            if not stdin
            else _with_stdin(argv, ctx, out, err, stdin)
        )
        return code, out.getvalue(), err.getvalue()

    return run


def _with_stdin(argv, ctx, out, err, text):
    from aerospike_py.admin.cli import build_parser, execute

    args = build_parser().parse_args(list(argv))
    return execute(args, ctx, out=out, err=err, stdin=io.StringIO(text))


def test_ping_reports_the_node_count(run):
    code, out, _ = run("ping")
    assert code == 0 and out.startswith("ok: 1 node(s)")
    code, out, _ = run("--json", "ping")
    assert json.loads(out)["nodes"] == 1


def test_nodes_and_namespaces_tables(run):
    code, out, _ = run("nodes")
    assert code == 0 and "PARTITIONS" in out and "4096" in out
    code, out, _ = run("--json", "namespaces")
    rows = json.loads(out)
    assert any(row["namespace"] == "test" for row in rows)


def test_info_runs_on_every_node(run):
    code, out, _ = run("--json", "info", "build")
    assert code == 0 and json.loads(out)[0]["response"] == "8.1.2.0"


def test_unknown_info_command_fails_with_one_line(run):
    code, _, err = run("info", "no-such-command")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ")


def test_sets_lists_record_counts(run, aerospike_client, aerospike_set):
    for i in range(3):
        aerospike_client.put(("test", aerospike_set, i), {"a": i})
    _, out, _ = run("--json", "sets", "test")
    row = next(r for r in json.loads(out) if r["set"] == aerospike_set)
    assert row["objects"] == 3


def test_truncate_needs_confirmation(run, aerospike_client, aerospike_set):
    aerospike_client.put(("test", aerospike_set, 1), {"a": 1})
    code, _, err = run("truncate", "test", aerospike_set)
    assert code == 1 and "--yes" in err
    assert aerospike_client.exists(("test", aerospike_set, 1)).meta is not None
    code, out, _ = run("truncate", "test", aerospike_set, "--yes")
    assert code == 0 and "truncated" in out
    assert aerospike_client.exists(("test", aerospike_set, 1)).meta is None


@pytest.mark.parametrize(
    "argv",
    [
        ("truncate", "nosuchns", "--yes"),
        ("truncate", "nosuchns", "s", "--yes"),
        ("sets", "nosuchns"),
        ("index", "list", "nosuchns"),
    ],
)
def test_a_namespace_the_cluster_lacks_is_an_error_not_a_success(run, argv):
    code, out, err = run(*argv)
    assert code == 1 and out == ""
    assert err == "error: namespace 'nosuchns' not found; the cluster has: test\n"


def test_index_create_list_remove(run, aerospike_set):
    name = f"idx_{aerospike_set[-20:]}"
    code, _, err = run(
        "index", "create", "test", aerospike_set, "age", name, "--type", "numeric"
    )
    assert code == 0, err
    code, out, _ = run("--json", "index", "list", "test")
    assert any(row["name"] == name and row["bin"] == "age" for row in json.loads(out))
    code, _, err = run("index", "remove", "test", name)
    assert code == 1 and "refusing without --yes" in err
    code, out, _ = run("index", "list", "test", "--json")  # --json after works
    assert any(row["name"] == name for row in json.loads(out))

    assert run("index", "remove", "test", name, "--yes")[0] == 0
    code, out, _ = run("--json", "index", "list", "test")
    assert all(row["name"] != name for row in json.loads(out))


def test_dump_then_load_round_trips_every_value_type(
    run, aerospike_client, aerospike_set, tmp_path
):
    records = {
        1: {
            "i": 1,
            "f": 2.0,
            "s": "x",
            "b": b"\x00\xff",
            "l": [1, b"y"],
            "m": {"k": 1},
        },
        "two": {"geo": aerospike_py.GeoJSON('{"type":"Point","coordinates":[1,2]}')},
        3: {
            "km": aerospike_py.KeyOrderedDict([("a", 1), ("b", 2)]),
            "im": {5: "int key"},
        },
    }
    for key, bins in records.items():
        aerospike_client.put(("test", aerospike_set, key), bins, policy={"key": 1})
    dump_file = tmp_path / "dump.jsonl"
    code, out, err = run("dump", "test", aerospike_set, "-o", str(dump_file))
    assert code == 0, err
    assert "dumped 3 record(s)" in out
    target = aerospike_set[:50] + "_copy"
    code, out, err = run("load", str(dump_file), "--set", target)
    assert code == 0, err
    for key, bins in records.items():
        assert aerospike_client.get(("test", target, key)).bins == bins


def test_records_stored_without_keys_reload_into_their_own_set_only(
    run, aerospike_client, aerospike_set, tmp_path
):
    aerospike_client.put(("test", aerospike_set, "k"), {"a": 1})  # digest only
    dump_file = tmp_path / "dump.jsonl"
    assert run("dump", "test", aerospike_set, "-o", str(dump_file))[0] == 0
    aerospike_client.truncate("test", aerospike_set, 0)

    code, _, err = run("load", str(dump_file), "--set", "elsewhere")
    assert code == 1
    assert f"can only be loaded into set {aerospike_set!r}" in err

    assert run("load", str(dump_file))[0] == 0
    assert aerospike_client.get(("test", aerospike_set, "k")).bins == {"a": 1}


def test_load_reports_the_bad_line(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"ns": "test", "set": "s", "key": 1, "bins": {"a": 1}}\nnot json\n'
    )
    code, _, err = run("load", str(path))
    assert code == 1 and "line 2" in err


def test_cache_clear_and_session_count(run, aerospike_client, aerospike_set):
    cache = CacheEngine(aerospike_client, set_name=aerospike_set[:50] + "_c")
    sessions = SessionEngine(aerospike_client, set_name=aerospike_set[:50] + "_s")
    cache.set("k", 1, 60)
    sessions.create({"a": 1}, 60)
    sessions.create({"b": 2}, 60)
    ctx = AdminContext(
        connect=lambda: aerospike_client, caches={"default": cache}, sessions=sessions
    )
    _, out, _ = run("--json", "session", "count", context=ctx)
    assert json.loads(out) == {"sessions": 2}
    code, _, err = run("cache", "clear", "missing", "--yes", context=ctx)
    assert code == 1 and "default" in err
    code, out, _ = run("cache", "clear", "--yes", context=ctx)
    assert code == 0 and cache.get("k") is None


def test_user_create_without_a_password_source_refuses(run, monkeypatch):
    monkeypatch.delenv("AEROSPIKE_NEW_PASSWORD", raising=False)
    code, _, err = run("user", "create", "bob", stdin="x")
    assert code == 1 and "AEROSPIKE_NEW_PASSWORD" in err


def test_standalone_module_entry_point(aerospike_server, capsys):
    from aerospike_py.admin.__main__ import main as admin_main

    code = admin_main(["--host", f"127.0.0.1:{aerospike_server.port}", "ping"])
    assert code == 0
    assert "ok: 1 node(s)" in capsys.readouterr().out


def test_a_dump_piped_into_a_reader_that_stops_early_ends_quietly(
    aerospike_server, aerospike_client, aerospike_set
):
    import sys

    for i in range(2000):
        aerospike_client.put(("test", aerospike_set, i), {"pad": "x" * 200})
    command = [sys.executable, "-m", "aerospike_py.admin"]
    command += ["--host", f"127.0.0.1:{aerospike_server.port}"]
    command += ["dump", "test", aerospike_set]
    first, err, status = first_line_then_close(command)

    assert json.loads(first)["set"] == aerospike_set
    assert (err, status) == (b"", 141)


def test_the_plain_admin_command_takes_host_after_the_subcommand(
    aerospike_server, capsys, monkeypatch
):
    from aerospike_py.admin.__main__ import main as admin_main

    monkeypatch.setenv("AEROSPIKE_HOSTS", "127.0.0.1:1")  # wrong unless overridden

    assert admin_main(["ping", "--host", f"127.0.0.1:{aerospike_server.port}"]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 node(s)")
