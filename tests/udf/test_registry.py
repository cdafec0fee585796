"""udf_put, udf_list, udf_get and udf_remove through both clients."""

from __future__ import annotations

import re

import pytest

import aerospike_py
from aerospike_py.exception import InvalidArgError, UDFError
from aerospike_py.server import lua_runtime

HELLO = """
function hello(rec, name)
  return "hello " .. name
end
"""


def _listed(client, module):
    return [m for m in client.udf_list() if m["name"] == f"{module}.lua"]


def test_udf_put_registers_a_module_that_udf_list_shows(client, register):
    module = register(HELLO)

    [entry] = _listed(client, module)

    assert entry["type"] == aerospike_py.UDF_TYPE_LUA
    assert re.fullmatch(r"[0-9a-f]{40}", entry["hash"])


def test_udf_list_hash_is_stable_and_follows_the_content(client, register, tmp_path):
    module = register(HELLO)
    [first] = _listed(client, module)
    path = tmp_path / f"{module}.lua"

    client.udf_put(str(path))
    [same] = _listed(client, module)
    path.write_text(HELLO + "\n-- changed\n")
    client.udf_put(str(path))
    [changed] = _listed(client, module)

    assert same["hash"] == first["hash"]
    assert changed["hash"] != first["hash"]


def test_udf_get_returns_the_registered_source(client, register):
    module = register(HELLO)

    assert client.udf_get(module) == HELLO
    assert client.udf_get(f"{module}.lua") == HELLO


def test_a_new_version_of_a_module_replaces_the_old_functions(
    client, register, tmp_path, key
):
    module = register(HELLO)
    assert client.apply(key, module, "hello", ["ada"]) == "hello ada"

    path = tmp_path / f"{module}.lua"
    path.write_text('function hello(rec, name) return "bye " .. name end')
    client.udf_put(str(path))

    assert client.apply(key, module, "hello", ["ada"]) == "bye ada"


def test_udf_remove_unlists_the_module_and_its_functions_stop(client, register, key):
    module = register(HELLO)

    client.udf_remove(module)

    assert _listed(client, module) == []
    with pytest.raises(UDFError, match="UDF: Execution Error 1"):
        client.apply(key, module, "hello", ["ada"])


def test_udf_remove_of_an_unknown_module_succeeds(client):
    client.udf_remove("never_registered_module")

    assert _listed(client, "never_registered_module") == []


def test_udf_put_refuses_a_syntax_error_with_lua_file_line_and_message(
    client, tmp_path
):
    path = tmp_path / "broken_syntax.lua"
    path.write_text("function broken(rec)\n  return = 1\nend\n")

    with pytest.raises(UDFError) as caught:
        client.udf_put(str(path))

    error = caught.value
    assert error.code == 100
    assert (error.file, error.line) == ("broken_syntax.lua", 2)
    assert error.lua_message == "unexpected symbol near '='"
    assert "broken_syntax.lua:2: unexpected symbol near '='" in str(error)
    assert _listed(client, "broken_syntax") == []


def test_udf_put_refuses_a_module_whose_body_fails_to_run(client, tmp_path):
    path = tmp_path / "broken_body.lua"
    path.write_text("local x = 1\nundefined_function()\n")

    with pytest.raises(UDFError) as caught:
        client.udf_put(str(path))

    assert caught.value.line == 2
    assert "attempt to call a nil value" in caught.value.lua_message


def test_udf_put_of_a_missing_file_is_an_invalid_argument(client, tmp_path):
    with pytest.raises(InvalidArgError, match="cannot read UDF file"):
        client.udf_put(str(tmp_path / "missing.lua"))


def test_udf_put_needs_lua_as_udf_type(client, tmp_path):
    path = tmp_path / "typed.lua"
    path.write_text(HELLO)

    with pytest.raises(InvalidArgError, match="udf_type 1"):
        client.udf_put(str(path), 1)


def test_udf_get_of_an_unknown_module_raises_udf_error(client):
    with pytest.raises(UDFError, match="not_found"):
        client.udf_get("never_registered_module")


def test_the_raw_udf_list_entries_end_with_semicolons(client, register):
    module = register(HELLO)

    value = client.info_random_node("udf-list")

    assert re.search(
        rf"(^|;)filename={module}\.lua,hash=[0-9a-f]{{40}},type=LUA;", value
    )


def test_udf_put_with_bad_content_length_is_refused_by_the_server(client):
    value = client.info_random_node(
        "udf-put:filename=raw.lua;content=YQ==;content-len=3;udf-type=LUA;"
    )

    assert value == "error=invalid_content_len"


def test_udf_put_without_an_extension_is_refused_by_the_server(client):
    value = client.info_random_node(
        "udf-put:filename=raw;content=YQ==;content-len=4;udf-type=LUA;"
    )

    assert value == "error=invalid_filename"


def test_udf_calls_need_a_connected_client(aerospike_config):
    unconnected = aerospike_py.client(aerospike_config)

    with pytest.raises(aerospike_py.ClientError, match="not connected"):
        unconnected.udf_list()


def test_without_lupa_the_server_says_how_to_install_it(
    client, server, key, tmp_path, monkeypatch
):
    path = tmp_path / "needs_lua.lua"
    path.write_text(HELLO)
    monkeypatch.setattr(lua_runtime, "AVAILABLE", False)

    with pytest.raises(UDFError, match="pip install lupa"):
        client.udf_put(str(path))
    with pytest.raises(UDFError, match="pip install lupa"):
        client.apply(key, "needs_lua", "hello", ["ada"])
