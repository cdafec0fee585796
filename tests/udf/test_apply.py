"""apply(): return values, arguments, errors and limits of a UDF call."""

from __future__ import annotations

import time

import pytest

import aerospike_py
from aerospike_py.exception import InvalidArgError, UDFError
from aerospike_py.wire import message as msg
from aerospike_py.wire import packer

VALUES = """
function value(rec, kind)
  if kind == "int" then return 42
  elseif kind == "negative" then return -7
  elseif kind == "float" then return 2.5
  elseif kind == "whole_float" then return 3 / 1
  elseif kind == "str" then return "text"
  elseif kind == "true" then return true
  elseif kind == "false" then return false
  elseif kind == "bytes" then
    local b = bytes(0)
    bytes.append_string(b, "ab")
    bytes.append_byte(b, 0)
    return b
  elseif kind == "list" then return list{1, "two", 3.5, list{true}}
  elseif kind == "map" then
    local m = map()
    m["name"] = "ada"
    m[7] = list{1, 2}
    return m
  elseif kind == "geojson" then
    return geojson('{"type":"Point","coordinates":[1.5,2.5]}')
  elseif kind == "table" then return {1, 2}
  end
  return nil
end

function echo(rec, v)
  return v
end

function count_args(rec, ...)
  return select("#", ...)
end
"""

FAILURES = """
function boom(rec)
  error("kaboom")
end

function bad_call(rec)
  list.append(nil, 1)
end

function table_error(rec)
  error({code = 1})
end

function spin(rec)
  local n = 0
  while true do n = n + 1 end
end

function stubborn(rec)
  while true do
    pcall(function() while true do end end)
  end
end

function spin_in_coroutine(rec)
  local co = coroutine.create(function() while true do end end)
  return coroutine.resume(co)
end
"""


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("int", 42),
        ("negative", -7),
        ("float", 2.5),
        ("whole_float", 3.0),
        ("str", "text"),
        ("true", True),
        ("false", False),
        ("bytes", b"ab\x00"),
        ("list", [1, "two", 3.5, [True]]),
        ("map", {"name": "ada", 7: [1, 2]}),
        ("nil", None),
        ("table", None),
    ],
)
def test_apply_returns_the_lua_value_as_python(client, register, key, kind, expected):
    module = register(VALUES)

    result = client.apply(key, module, "value", [kind])

    assert result == expected
    assert type(result) is type(expected)


def test_apply_returns_geojson_as_geojson(client, register, key):
    module = register(VALUES)

    result = client.apply(key, module, "value", ["geojson"])

    assert isinstance(result, aerospike_py.GeoJSON)
    assert result == '{"type":"Point","coordinates":[1.5,2.5]}'


@pytest.mark.parametrize(
    "argument",
    [7, -1, 1.25, "text", b"\x00\x01", True, [1, [2, "x"]], {"k": {"n": 1}}, None],
)
def test_arguments_reach_lua_and_come_back_unchanged(client, register, key, argument):
    module = register(VALUES)

    assert client.apply(key, module, "echo", [argument]) == argument


def test_apply_without_args_calls_the_function_with_none(client, register, key):
    module = register(VALUES)

    assert client.apply(key, module, "count_args") == 0
    assert client.apply(key, module, "count_args", (1, 2, 3)) == 3


def test_apply_accepts_the_module_file_name(client, register, key):
    module = register(VALUES)

    assert client.apply(key, f"{module}.lua", "value", ["int"]) == 42


def test_a_lua_error_raises_udf_error_with_file_line_and_text(client, register, key):
    module = register(FAILURES)

    with pytest.raises(UDFError) as caught:
        client.apply(key, module, "boom")

    assert caught.value.code == 100
    assert f"/opt/aerospike/usr/udf/lua/{module}.lua:3: kaboom" in str(caught.value)


def test_a_bad_library_call_names_the_udf_line(client, register, key):
    module = register(FAILURES)

    with pytest.raises(UDFError, match=r"\.lua:7: bad argument #1 to 'append'"):
        client.apply(key, module, "bad_call")


def test_an_error_that_is_not_a_string_is_reported_as_unexpected(client, register, key):
    module = register(FAILURES)

    with pytest.raises(UDFError, match="result value type unexpected"):
        client.apply(key, module, "table_error")


def test_an_unknown_function_raises_function_not_found(client, register, key):
    module = register(FAILURES)

    with pytest.raises(UDFError, match="function not found"):
        client.apply(key, module, "no_such_function")


def test_an_unknown_module_raises_udf_error_naming_the_module(client, key):
    with pytest.raises(UDFError, match="UDF: Execution Error 1") as info:
        client.apply(key, "no_such_module", "f", [])

    assert "module 'no_such_module' is not registered or failed to load" in str(
        info.value
    )


def test_calls_to_unregistered_modules_leave_nothing_behind(client, key, server):
    from aerospike_py.server.udf import registry_of

    for n in range(5):
        with pytest.raises(UDFError):
            client.apply(key, f"never_registered_{n}", "f", [])

    remembered = registry_of(server.cluster)._states
    assert not any(name.startswith("never_registered_") for name in remembered)


@pytest.mark.parametrize("function", ["spin", "stubborn", "spin_in_coroutine"])
def test_a_runaway_udf_is_stopped_and_the_server_keeps_answering(
    client, register, key, function
):
    module = register(FAILURES)
    started = time.monotonic()

    with pytest.raises(UDFError, match="UDF Execution Timeout"):
        client.apply(key, module, function, policy={"total_timeout": 1000})

    assert time.monotonic() - started < 3
    client.put(key, {"alive": 1})
    assert client.get(key).bins == {"alive": 1}


@pytest.mark.parametrize(
    ("module", "function", "args", "complaint"),
    [
        ("", "f", None, "UDF module"),
        ("m", "", None, "UDF function"),
        (7, "f", None, "UDF module"),
        ("m", "f", "not-a-list", "UDF args"),
        ("m", "f", [object()], "unsupported type"),
    ],
)
def test_bad_call_arguments_are_refused_before_sending(
    client, key, module, function, args, complaint
):
    with pytest.raises(InvalidArgError, match=complaint):
        client.apply(key, module, function, args)


def test_apply_sends_a_write_with_the_three_udf_fields(client, register, key, server):
    module = register(VALUES)

    with server.recording() as received:
        client.apply(
            key,
            module,
            "echo",
            [5],
            policy={"exists": aerospike_py.POLICY_EXISTS_UPDATE_ONLY, "ttl": 100},
        )

    [request] = [m for m in received if msg.FIELD_UDF_FILENAME in m.fields]
    assert request.info2 & msg.INFO2_WRITE
    assert request.fields[msg.FIELD_UDF_FILENAME] == module.encode()
    assert request.fields[msg.FIELD_UDF_FUNCTION] == b"echo"
    assert request.fields[msg.FIELD_UDF_ARGLIST] == packer.pack([5])
    assert request.record_ttl == 100
    # The server refuses exists policies with a UDF, so none is sent.
    assert request.info3 & msg.INFO3_UPDATE_ONLY == 0


def test_the_server_command_exits_on_sigterm_even_while_a_udf_keeps_it_busy(
    tmp_path,
):
    import signal
    import socket
    import subprocess
    import sys
    import threading

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "aerospike_py.server", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening" in server.stdout.readline()
        module = tmp_path / "busy.lua"
        module.write_text("function forever(rec)\n  while true do end\nend\n")
        client = aerospike_py.client({"hosts": [("127.0.0.1", port)]}).connect()
        client.udf_put(str(module))
        policy = {"total_timeout": 60_000, "socket_timeout": 60_000}
        call = threading.Thread(
            target=lambda: _ignore_errors(
                lambda: client.apply(("test", "s", "k"), "busy", "forever", [], policy)
            ),
            daemon=True,
        )
        call.start()
        time.sleep(0.5)  # the UDF now holds the server

        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
        client.close()

        assert server.returncode == 1
        assert "exiting without a clean stop" in err
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _ignore_errors(call):
    try:
        call()
    except aerospike_py.AerospikeError:
        pass
