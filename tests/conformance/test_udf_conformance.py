"""UDFs through the official client and ours return the same things.

The official client keeps the GIL while ``udf_put`` waits for the module to
be listed, so an embedded server in this process could never answer it.
These tests therefore run the embedded server as a child process on a free
port, and point both clients at it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import aerospike_py

aerospike = pytest.importorskip("aerospike")
pytest.importorskip("lupa")

SOURCE = """
function value(rec, kind)
  if kind == "int" then return 7
  elseif kind == "float" then return 0.25
  elseif kind == "str" then return "text"
  elseif kind == "bool" then return true
  elseif kind == "bytes" then
    local b = bytes(0)
    bytes.append_string(b, "raw")
    return b
  elseif kind == "list" then return list{1, "a", list{2.5}}
  elseif kind == "map" then return map{k = "v", n = 3}
  end
  return nil
end

function echo(rec, v)
  return v
end

function store(rec, v)
  rec["v"] = v
  if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end
  return record.gen(rec)
end

function boom(rec)
  error("kaboom")
end
"""


@pytest.fixture(scope="module")
def server_hosts() -> Iterator[list[tuple[str, int]]]:
    """An embedded server in a child process; its address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aerospike_py.server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        address = line.rsplit(" ", 1)[-1].strip()
        host, _, port = address.rpartition(":")
        yield [(host, int(port))]
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def official_client(server_hosts, tmp_path_factory) -> Iterator[Any]:
    # The official client keeps copies of UDF files in its Lua user path,
    # the working directory unless told otherwise.
    lua_path = str(tmp_path_factory.mktemp("official_lua"))
    config = {"hosts": server_hosts, "lua": {"user_path": lua_path}}
    client = aerospike.client(config).connect()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def our_client(server_hosts) -> Iterator[aerospike_py.Client]:
    client = aerospike_py.client({"hosts": server_hosts}).connect()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def module(official_client, tmp_path_factory) -> Iterator[str]:
    """SOURCE, registered once through the official client (its udf_put
    waits about a second for the module to be listed)."""
    path = tmp_path_factory.mktemp("udf") / "conform.lua"
    path.write_text(SOURCE)
    official_client.udf_put(str(path))
    yield "conform"
    official_client.udf_remove("conform.lua")


@pytest.fixture
def key(request) -> tuple[str, str, str]:
    return ("test", request.node.name[-50:].replace("[", "_").replace("]", ""), "k")


def test_both_clients_list_the_module_with_the_same_hash(
    official_client, our_client, module
):
    theirs = {
        entry["name"]: bytes(entry["hash"]).decode()
        for entry in official_client.udf_list()
    }
    ours = {entry["name"]: entry["hash"] for entry in our_client.udf_list()}

    assert ours[f"{module}.lua"] == theirs[f"{module}.lua"]
    assert set(ours) == set(theirs)


def test_both_clients_read_back_the_same_source(official_client, our_client, module):
    assert our_client.udf_get(module) == official_client.udf_get(f"{module}.lua")


@pytest.mark.parametrize(
    "kind", ["int", "float", "str", "bool", "bytes", "list", "map", "nil"]
)
def test_apply_returns_the_same_value_through_both_clients(
    official_client, our_client, module, key, kind
):
    theirs = official_client.apply(key, module, "value", [kind])
    ours = our_client.apply(key, module, "value", [kind])

    assert ours == theirs
    assert type(ours) is type(theirs) or isinstance(theirs, bytearray)


@pytest.mark.parametrize(
    "argument", [5, -2.5, "s", [1, [2, "x"]], {"a": 1, "b": [True]}]
)
def test_arguments_round_trip_the_same_through_both_clients(
    official_client, our_client, module, key, argument
):
    theirs = official_client.apply(key, module, "echo", [argument])
    ours = our_client.apply(key, module, "echo", [argument])

    assert ours == theirs == argument


def test_a_record_written_by_a_udf_reads_the_same(
    official_client, our_client, module, key
):
    assert official_client.apply(key, module, "store", ["first"]) == 0
    assert our_client.apply(key, module, "store", ["second"]) == 1

    _, meta, bins = official_client.get(key)
    record = our_client.get(key)
    assert bins == record.bins == {"v": "second"}
    assert meta["gen"] == record.meta.gen == 2


def test_a_lua_error_reaches_both_clients_with_the_same_text(
    official_client, our_client, module, key
):
    with pytest.raises(aerospike.exception.UDFError) as theirs:
        official_client.apply(key, module, "boom", [])
    with pytest.raises(aerospike_py.UDFError) as ours:
        our_client.apply(key, module, "boom", [])

    line = SOURCE.splitlines().index('  error("kaboom")') + 1
    text = f"/opt/aerospike/usr/udf/lua/{module}.lua:{line}: kaboom"
    assert text in theirs.value.msg
    assert text in str(ours.value)
    assert theirs.value.code == ours.value.code == 100


def test_a_compile_error_is_refused_for_both_clients(
    official_client, our_client, tmp_path
):
    path = tmp_path / "conformance_broken.lua"
    path.write_text("function f(rec)\n  return = 1\nend\n")

    with pytest.raises(aerospike.exception.UDFError) as theirs:
        official_client.udf_put(str(path))
    with pytest.raises(aerospike_py.UDFError) as ours:
        our_client.udf_put(str(path))

    assert "line=2;message=unexpected symbol near '='" in theirs.value.msg
    assert (ours.value.line, ours.value.lua_message) == (
        2,
        "unexpected symbol near '='",
    )


def test_a_module_ours_registers_is_callable_and_removable_by_theirs(
    official_client, our_client, tmp_path, key
):
    path = tmp_path / "registered_by_ours.lua"
    path.write_text(SOURCE)
    our_client.udf_put(str(path))

    assert official_client.apply(key, "registered_by_ours", "value", ["int"]) == 7

    official_client.udf_remove("registered_by_ours.lua")
    assert "registered_by_ours.lua" not in [m["name"] for m in our_client.udf_list()]
