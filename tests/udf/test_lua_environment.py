"""What UDF code can use: list, map, bytes, require, and what it cannot."""

from __future__ import annotations

import pytest

from aerospike_py.exception import UDFError

LISTS = """
function build(rec)
  local l = list()
  list.append(l, 2)
  list.prepend(l, 1)
  list.insert(l, 3, "three")
  list.append(l, list{4, 5})
  l[6] = "six"
  return l
end

function shape(rec)
  local l = list{10, 20, 30, 40}
  list.remove(l, 2)
  local first_two = list.take(l, 2)
  local rest = list.drop(l, 1)
  list.trim(l, 3)
  return list{list.size(l), #first_two, rest, l[1], l[99] == nil}
end

function iterate(rec, items)
  local total = 0
  for v in list.iterator(items) do total = total + v end
  for _, v in ipairs(items) do total = total + v end
  return total
end

function shared(rec)
  local inner = list{1}
  local outer = list{inner}
  list.append(inner, 2)
  return outer
end

function concat(rec)
  local l = list{1}
  list.concat(l, list{2, 3})
  return list.merge(l, list{4})
end
"""

MAPS = """
function build(rec)
  local m = map{a = 1, b = 2}
  m["c"] = list{3}
  m.b = nil
  map.remove(m, "a")
  m[5] = "five"
  return m
end

function summary(rec, m)
  local keys, total = 0, 0
  for k, v in map.pairs(m) do
    keys = keys + 1
    total = total + v
  end
  return list{map.size(m), #m, keys, total, m["x"], m["missing"] == nil}
end

function merge(rec)
  local merged = map.merge(map{a = 1, b = 2}, map{b = 10, c = 3},
    function(v1, v2) return v1 + v2 end)
  return list{merged, map.diff(map{a = 1, b = 2}, map{b = 5, c = 3})}
end

function bytes_key(rec, m, k)
  return m[k]
end
"""

BYTES = """
function build(rec)
  local b = bytes(4)
  bytes.set_byte(b, 1, 0x41)
  b[2] = 0x42
  bytes.append_int16_be(b, 0x0102)
  bytes.append_string(b, "xy")
  bytes.append_var_int(b, 300)
  return b
end

function read(rec, b)
  local s = bytes.get_string(b, 1, 2)
  return list{bytes.size(b), #b, b[1], bytes.get_int16_le(b, 1), s,
    bytes.get_var_int(b, 3), bytes.get_type(b)}
end
"""

SANDBOX = """
function probe(rec)
  return list{type(io), type(os.execute), type(dofile), type(loadfile),
    type(package), type(python), type(string.format), type(os.time)}
end

function needs_missing(rec)
  return require("a_module_that_is_not_registered")
end

function load_binary(rec)
  return load(string.dump(function() return 1 end))
end
"""

HELPER = """
local helper = {}
function helper.double(x) return 2 * x end
return helper
"""


def test_list_functions_build_a_list(client, register, key):
    module = register(LISTS)

    assert client.apply(key, module, "build") == [1, 2, "three", [4, 5], None, "six"]


def test_list_remove_take_drop_and_trim(client, register, key):
    module = register(LISTS)

    assert client.apply(key, module, "shape") == [2, 2, [30, 40], 10, True]


def test_list_iteration_visits_every_element(client, register, key):
    module = register(LISTS)

    assert client.apply(key, module, "iterate", [[1, 2, 3]]) == 12


def test_lists_are_shared_by_reference(client, register, key):
    module = register(LISTS)

    assert client.apply(key, module, "shared") == [[1, 2]]


def test_list_concat_and_merge(client, register, key):
    module = register(LISTS)

    assert client.apply(key, module, "concat") == [1, 2, 3, 4]


def test_map_functions_build_a_map(client, register, key):
    module = register(MAPS)

    assert client.apply(key, module, "build") == {"c": [3], 5: "five"}


def test_map_size_pairs_and_lookup(client, register, key):
    module = register(MAPS)

    result = client.apply(key, module, "summary", [{"x": 4, "y": 6}])

    assert result == [2, 2, 2, 10, 4, True]


def test_map_merge_and_diff(client, register, key):
    module = register(MAPS)

    merged, diff = client.apply(key, module, "merge")

    assert merged == {"a": 1, "b": 12, "c": 3}
    assert diff == {"a": 1, "c": 3}


def test_map_keys_of_bytes_compare_by_content(client, register, key):
    module = register(MAPS)

    result = client.apply(key, module, "bytes_key", [{b"k": "found"}, b"k"])

    assert result == "found"


def test_bytes_functions_build_bytes(client, register, key):
    module = register(BYTES)

    assert client.apply(key, module, "build") == b"AB\x01\x02xy\xac\x02"


def test_bytes_functions_read_bytes(client, register, key):
    module = register(BYTES)

    result = client.apply(key, module, "read", [b"AB\xac\x02"])

    assert result == [4, 4, 0x41, 0x4241, "AB", 300, 4]


def test_the_sandbox_has_no_files_processes_or_python(client, register, key):
    module = register(SANDBOX)

    result = client.apply(key, module, "probe")

    assert result == ["nil"] * 6 + ["function", "function"]


def test_require_of_an_unregistered_module_fails(client, register, key):
    module = register(SANDBOX)

    with pytest.raises(UDFError, match="module 'a_module_that_is_not_registered'"):
        client.apply(key, module, "needs_missing")


def test_binary_chunks_cannot_be_loaded(client, register, key):
    module = register(SANDBOX)

    assert client.apply(key, module, "load_binary") is None


def test_require_loads_another_registered_module(client, register, key):
    helper = register(HELPER, suffix="_helper")
    module = register(
        f'local h = require("{helper}")\n'
        "function double(rec, x) return h.double(x) end\n"
    )

    assert client.apply(key, module, "double", [21]) == 42
