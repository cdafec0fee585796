"""The Lua side of record UDFs: the API UDF authors program against.

``PRELUDE`` runs once in every fresh Lua state, before any UDF module. It
builds the sandbox a module runs in (the safe parts of the standard library
plus Aerospike's ``record``, ``aerospike``, ``list``, ``map``, ``bytes`` and
``geojson`` objects and the ``trace/debug/info/warn`` loggers), and returns
the table the Python side drives: constructors and a describer for values
crossing the boundary, ``require`` of registered modules, and ``run``.

The names and behaviour follow Aerospike's mod-lua (mod_lua_list.c,
mod_lua_map.c, mod_lua_bytes.c, mod_lua_record.c, mod_lua_aerospike.c):
lists and maps are shared by reference, indexes are 1-based, a map entry
set to nil is removed, a value of an unsupported type is ignored by list
and map writes and is an error when assigned to a bin.

Values are plain tables with one of the class metatables; their contents
live in the weak table ``STATE`` so that UDF code cannot reach them. Nil
inside a list or map is kept as the ``NIL`` marker.

A count hook checks the deadline every ``HOOK_COUNT`` instructions, in the
main thread and in every coroutine the UDF creates; once it fired, the
sandbox's ``pcall``, ``xpcall`` and ``coroutine.resume`` raise the timeout
again, so UDF code cannot swallow it.
"""

from __future__ import annotations

PRELUDE = r"""
local host, USER_PATH, HOOK_COUNT = ...

local error, type, pairs, ipairs, next = error, type, pairs, ipairs, next
local select, tostring = select, tostring
local getmetatable, setmetatable, rawequal = getmetatable, setmetatable, rawequal
local tpack, tunpack, concat, sort = table.pack, table.unpack, table.concat, table.sort
local tinsert, tremove = table.insert, table.remove
local format, char, srep = string.format, string.char, string.rep
local spack, sunpack, ssub, sbyte = string.pack, string.unpack, string.sub, string.byte
local tointeger, huge, floor = math.tointeger, math.huge, math.floor
local getinfo, sethook = debug.getinfo, debug.sethook
local raw_pcall, raw_xpcall, raw_load = pcall, xpcall, load
local co_create, co_resume = coroutine.create, coroutine.resume
local clock = host.clock

python = nil

-- -- values ---------------------------------------------------------------

local STATE = setmetatable({}, {__mode = "k"})
local NIL = setmetatable({}, {__name = "nil", __tostring = function()
  return "nil"
end})

local List = {__name = "List"}
local Map = {__name = "Map"}
local Bytes = {__name = "Bytes"}
local GeoJSON = {__name = "GeoJSON"}
local Record = {__name = "Record"}
local STORABLE = {[List] = true, [Map] = true, [Bytes] = true, [GeoJSON] = true}

local function kind_name(v)
  local mt = getmetatable(v)
  if type(v) == "table" and mt and STORABLE[mt] or mt == Record then
    return mt.__name
  end
  return type(v)
end

-- The innermost frame of UDF code on the stack, skipping this prelude.
local function caller()
  for level = 3, 16 do
    local info = getinfo(level, "Sl")
    if info == nil then break end
    if info.what ~= "C" and info.source ~= "=prelude" then
      return info.short_src, info.currentline
    end
  end
  return nil, 0
end

-- Raise `message` at the UDF line that caused it ("<file>:<line>: ...").
local function fail(message)
  local file, line = caller()
  if file ~= nil then message = file .. ":" .. line .. ": " .. message end
  error(message, 0)
end

local function check(v, class, n, fname)
  if getmetatable(v) ~= class or STATE[v] == nil then
    fail(format("bad argument #%d to '%s' (%s expected, got %s)",
      n, fname, class.__name, kind_name(v)))
  end
  return STATE[v]
end

local function opt_int(v, n, fname)
  if v == nil then return 0 end
  local i = tointeger(v)
  if i == nil then
    fail(format("bad argument #%d to '%s' (number has no integer "
      .. "representation)", n, fname))
  end
  return i
end

-- A value a list or map can hold: its stored form, or nil if unsupported.
local function storable(v)
  if v == nil then return NIL end
  local t = type(v)
  if t == "number" or t == "string" or t == "boolean" then return v end
  if t == "table" and STORABLE[getmetatable(v)] and STATE[v] then
    return v
  end
  return nil
end

local function visible(v)
  if rawequal(v, NIL) then return nil end
  return v
end

local show

local function quote(v)
  if type(v) == "string" then return '"' .. v .. '"' end
  return show(v)
end

show = function(v)
  if v == nil or rawequal(v, NIL) then return "NIL" end
  local mt = getmetatable(v)
  if type(v) == "table" and mt and mt.__tostring then return mt.__tostring(v) end
  return tostring(v)
end

-- -- list -------------------------------------------------------------------

local function new_list(items, n, order)
  local l = setmetatable({}, List)
  STATE[l] = {items = items, n = n, order = order or 0}
  return l
end

local function pad(s, upto)
  for k = s.n + 1, upto do s.items[k] = NIL end
  if upto > s.n then s.n = upto end
end

local function list_tostring(l)
  local s = STATE[l]
  local parts = {}
  for i = 1, s.n do parts[i] = quote(s.items[i]) end
  return "[" .. concat(parts, ", ") .. "]"
end

local function sub_list(s, first, last)
  local items = {}
  for i = first, last do items[#items + 1] = s.items[i] end
  return new_list(items, #items, s.order)
end

local list = {}

function list.create(capacity, step)
  if capacity == nil or opt_int(capacity, 1, "create") < 0 then return end
  return new_list({}, 0)
end
list.new = list.create

function list.insert(l, i, v)
  local s = check(l, List, 1, "insert")
  i = opt_int(i, 2, "insert")
  local x = storable(v)
  if i < 1 or x == nil then return end
  if i > s.n + 1 then pad(s, i - 1) end
  tinsert(s.items, i, x)
  s.n = s.n + 1
end

function list.append(l, v)
  local s = check(l, List, 1, "append")
  local x = storable(v)
  if x == nil then return end
  s.n = s.n + 1
  s.items[s.n] = x
end

function list.prepend(l, v)
  local s = check(l, List, 1, "prepend")
  local x = storable(v)
  if x == nil then return end
  tinsert(s.items, 1, x)
  s.n = s.n + 1
end

function list.remove(l, i)
  local s = check(l, List, 1, "remove")
  i = opt_int(i, 2, "remove")
  if i >= 1 and i <= s.n then
    tremove(s.items, i)
    s.n = s.n - 1
  end
end

function list.concat(l, other)
  local s = check(l, List, 1, "concat")
  local o = check(other, List, 2, "concat")
  local count = o.n
  for i = 1, count do
    s.n = s.n + 1
    s.items[s.n] = o.items[i]
  end
end

-- Keep the elements before position i (mod-lua: as_list_trim).
function list.trim(l, i)
  local s = check(l, List, 1, "trim")
  i = opt_int(i, 2, "trim")
  if i < 1 then return end
  for k = s.n, i, -1 do s.items[k] = nil end
  if s.n > i - 1 then s.n = i - 1 end
end

function list.take(l, n)
  local s = check(l, List, 1, "take")
  n = opt_int(n, 2, "take")
  if n < 1 then return nil end
  return sub_list(s, 1, n < s.n and n or s.n)
end

function list.drop(l, n)
  local s = check(l, List, 1, "drop")
  n = opt_int(n, 2, "drop")
  if n < 1 then return nil end
  return sub_list(s, n + 1, s.n)
end

function list.size(l)
  return check(l, List, 1, "size").n
end

function list.nbytes(l)
  check(l, List, 1, "nbytes")
  return host.nbytes(l)
end

function list.iterator(l)
  local s = check(l, List, 1, "iterator")
  local i = 0
  return function()
    i = i + 1
    if i <= s.n then return visible(s.items[i]) end
  end
end

function list.tostring(l)
  check(l, List, 1, "tostring")
  return list_tostring(l)
end

function list.clone(l)
  local s = check(l, List, 1, "clone")
  return sub_list(s, 1, s.n)
end

function list.merge(l1, l2)
  local a = check(l1, List, 1, "merge")
  local b = check(l2, List, 2, "merge")
  local merged = sub_list(a, 1, a.n)
  list.concat(merged, l2)
  STATE[merged].order = 0
  return merged
end

setmetatable(list, {__call = function(_, t)
  local items = {}
  if type(t) == "table" and getmetatable(t) == nil then
    local keys = {}
    for k in pairs(t) do
      if type(k) == "number" then keys[#keys + 1] = k end
    end
    sort(keys)
    for _, k in ipairs(keys) do items[#items + 1] = storable(t[k]) or NIL end
  end
  return new_list(items, #items)
end})

List.__index = function(l, i)
  local s = STATE[l]
  i = opt_int(i, 2, "__index")
  if i >= 1 and i <= s.n then return visible(s.items[i]) end
  return nil
end

List.__newindex = function(l, i, v)
  local s = STATE[l]
  i = opt_int(i, 2, "__newindex")
  local x = storable(v)
  if i < 1 or x == nil then return end
  if i > s.n then pad(s, i) end
  s.items[i] = x
end

List.__len = function(l) return STATE[l].n end
List.__tostring = list_tostring
List.__pairs = function(l)
  local s = STATE[l]
  local i = 0
  return function()
    i = i + 1
    if i <= s.n then return i, visible(s.items[i]) end
  end, l, nil
end

-- -- map --------------------------------------------------------------------

-- Byte keys compare by content: equal contents share one token key.
local BYTES_KEYS = setmetatable({}, {__mode = "v"})

local function key_id(k)
  if getmetatable(k) == Bytes and STATE[k] then
    local data = STATE[k].data
    local token = BYTES_KEYS[data]
    if token == nil then
      token = {}
      BYTES_KEYS[data] = token
    end
    return token
  end
  return k
end

local function usable_key(k)
  local x = storable(k)
  return x ~= nil and not rawequal(x, NIL) and k == k
end

local function new_map(order)
  local m = setmetatable({}, Map)
  STATE[m] = {keys = {}, vals = {}, n = 0, order = order or 0}
  return m
end

local function map_put(s, k, v)
  local id = key_id(k)
  if s.keys[id] == nil then s.n = s.n + 1 end
  s.keys[id] = k
  s.vals[id] = v
end

local function map_del(s, k)
  local id = key_id(k)
  if s.keys[id] ~= nil then
    s.n = s.n - 1
    s.keys[id] = nil
    s.vals[id] = nil
  end
end

local function map_get(s, k)
  if not usable_key(k) then return nil end
  return visible(s.vals[key_id(k)])
end

local function map_tostring(m)
  local s = STATE[m]
  local parts = {}
  for id, k in pairs(s.keys) do
    parts[#parts + 1] = quote(k) .. ":" .. quote(s.vals[id])
  end
  return "{" .. concat(parts, ", ") .. "}"
end

local function map_pairs(s)
  local id
  return function()
    local k
    id, k = next(s.keys, id)
    if id ~= nil then return k, visible(s.vals[id]) end
  end
end

local map = {}

function map.create(n)
  if opt_int(n, 1, "create") < 1 then return end
  return new_map()
end
map.new = map.create

function map.pairs(m) return map_pairs(check(m, Map, 1, "pairs")) end
map.iterator = map.pairs

function map.keys(m)
  local s = check(m, Map, 1, "keys")
  local id
  return function()
    local k
    id, k = next(s.keys, id)
    return k
  end
end

function map.values(m)
  local s = check(m, Map, 1, "values")
  local id
  return function()
    id = next(s.keys, id)
    if id ~= nil then return visible(s.vals[id]) end
  end
end

function map.remove(m, k)
  local s = check(m, Map, 1, "remove")
  if usable_key(k) then map_del(s, k) end
end

function map.size(m) return check(m, Map, 1, "size").n end

function map.nbytes(m)
  check(m, Map, 1, "nbytes")
  return host.nbytes(m)
end

function map.tostring(m)
  check(m, Map, 1, "tostring")
  return map_tostring(m)
end

function map.clone(m)
  local s = check(m, Map, 1, "clone")
  local copy = new_map(s.order)
  for id, k in pairs(s.keys) do map_put(STATE[copy], k, s.vals[id]) end
  return copy
end

-- Entries of both maps; where a key is in both, f(v1, v2) (when given and
-- not false or nil) replaces the second map's value.
function map.merge(m1, m2, f)
  local a = check(m1, Map, 1, "merge")
  local b = check(m2, Map, 2, "merge")
  local merged = map.clone(m1)
  local s = STATE[merged]
  for id, k in pairs(b.keys) do
    local v = b.vals[id]
    if s.keys[id] ~= nil and type(f) == "function" then
      local combined = f(visible(a.vals[id]), visible(v))
      if combined then v = storable(combined) or v end
    end
    map_put(s, k, v)
  end
  return merged
end

-- Entries whose key is in exactly one of the two maps.
function map.diff(m1, m2)
  local a = check(m1, Map, 1, "diff")
  local b = check(m2, Map, 2, "diff")
  local result = new_map()
  local s = STATE[result]
  for id, k in pairs(a.keys) do
    if b.keys[id] == nil then map_put(s, k, a.vals[id]) end
  end
  for id, k in pairs(b.keys) do
    if a.keys[id] == nil then map_put(s, k, b.vals[id]) end
  end
  return result
end

setmetatable(map, {__call = function(_, t)
  local m = new_map()
  if type(t) == "table" and getmetatable(t) == nil then
    local s = STATE[m]
    for k, v in pairs(t) do
      local x = storable(v)
      if usable_key(k) and x ~= nil then map_put(s, k, x) end
    end
  end
  return m
end})

Map.__index = function(m, k) return map_get(STATE[m], k) end

Map.__newindex = function(m, k, v)
  local s = STATE[m]
  if not usable_key(k) then return end
  if v == nil then
    map_del(s, k)
    return
  end
  local x = storable(v)
  if x ~= nil then map_put(s, k, x) end
end

Map.__len = function(m) return STATE[m].n end
Map.__tostring = map_tostring
Map.__pairs = function(m) return map_pairs(STATE[m]), m, nil end

-- -- bytes ------------------------------------------------------------------

local BLOB = 4

local function new_bytes(data, t)
  local b = setmetatable({}, Bytes)
  STATE[b] = {data = data, t = t or BLOB}
  return b
end

-- Write `chunk` at 0-based `pos`, growing (zero-filled) as needed.
local function write_at(s, pos, chunk)
  local data = s.data
  if pos > #data then data = data .. srep("\0", pos - #data) end
  s.data = ssub(data, 1, pos) .. chunk .. ssub(data, pos + #chunk + 1)
  return true
end

local function read_at(s, i, size)
  if i < 1 or i - 1 + size > #s.data then return nil end
  return ssub(s.data, i, i + size - 1)
end

local INT_RANGES = {
  [2] = {-0x8000, 0x7fff}, [4] = {-0x80000000, 0x7fffffff}, [8] = nil,
}

local function int_format(size, order) return order .. "i" .. size end

local function in_range(v, size)
  local range = INT_RANGES[size]
  return v ~= nil and (range == nil or (v >= range[1] and v <= range[2]))
end

local function encode_var_int(v)
  local out = {}
  v = v & 0xffffffff
  while v >= 0x80 do
    out[#out + 1] = char((v & 0x7f) | 0x80)
    v = v >> 7
  end
  out[#out + 1] = char(v)
  return concat(out)
end

local bytes = {}

function bytes.size(b) return #check(b, Bytes, 1, "size").data end

-- Capacity only: mod-lua's set_size reserves room, the size is unchanged.
function bytes.set_size(b, n)
  check(b, Bytes, 1, "set_size")
  return opt_int(n, 2, "set_size") >= 0
end

function bytes.get_type(b) return check(b, Bytes, 1, "get_type").t end

function bytes.set_type(b, t)
  local s = check(b, Bytes, 1, "set_type")
  t = opt_int(t, 2, "set_type")
  if t == 0 then return false end
  s.t = t
  return true
end

function bytes.get_byte(b, i)
  local chunk = read_at(check(b, Bytes, 1, "get_byte"), opt_int(i, 2, "get_byte"), 1)
  if chunk then return sbyte(chunk) end
end

function bytes.set_byte(b, i, v)
  local s = check(b, Bytes, 1, "set_byte")
  i, v = opt_int(i, 2, "set_byte"), opt_int(v, 3, "set_byte")
  if i < 1 or v < 0 or v > 255 then return false end
  return write_at(s, i - 1, char(v))
end

function bytes.append_byte(b, v)
  local s = check(b, Bytes, 1, "append_byte")
  v = opt_int(v, 2, "append_byte")
  if v < 0 or v > 255 then return false end
  return write_at(s, #s.data, char(v))
end

function bytes.get_string(b, i, n)
  local s = check(b, Bytes, 1, "get_string")
  i, n = opt_int(i, 2, "get_string"), opt_int(n, 3, "get_string")
  if i < 1 or n < 0 then return nil end
  return ssub(s.data, i, i + n - 1)
end

function bytes.set_string(b, i, v)
  local s = check(b, Bytes, 1, "set_string")
  i = opt_int(i, 2, "set_string")
  if i < 1 or type(v) ~= "string" then return false end
  return write_at(s, i - 1, v)
end

function bytes.append_string(b, v)
  local s = check(b, Bytes, 1, "append_string")
  if type(v) ~= "string" then return false end
  return write_at(s, #s.data, v)
end

function bytes.get_bytes(b, i, n)
  local s = check(b, Bytes, 1, "get_bytes")
  i, n = opt_int(i, 2, "get_bytes"), opt_int(n, 3, "get_bytes")
  if i < 1 or n < 0 then return nil end
  return new_bytes(ssub(s.data, i, i + n - 1))
end

function bytes.set_bytes(b, i, v, n)
  local s = check(b, Bytes, 1, "set_bytes")
  local src = check(v, Bytes, 3, "set_bytes")
  i, n = opt_int(i, 2, "set_bytes"), opt_int(n, 4, "set_bytes")
  if i < 1 or n < 0 then return false end
  return write_at(s, i - 1, ssub(src.data, 1, n))
end

function bytes.append_bytes(b, v, n)
  local s = check(b, Bytes, 1, "append_bytes")
  local src = check(v, Bytes, 2, "append_bytes")
  n = opt_int(n, 3, "append_bytes")
  if n < 0 then return false end
  return write_at(s, #s.data, ssub(src.data, 1, n))
end

function bytes.get_var_int(b, i)
  local s = check(b, Bytes, 1, "get_var_int")
  i = opt_int(i, 2, "get_var_int")
  local value, shift, pos = 0, 0, i
  while pos >= 1 and pos <= #s.data and shift < 35 do
    local byte = sbyte(s.data, pos)
    value = value | ((byte & 0x7f) << shift)
    if byte < 0x80 then return value & 0xffffffff, pos - i + 1 end
    shift, pos = shift + 7, pos + 1
  end
  return nil
end

function bytes.set_var_int(b, i, v)
  local s = check(b, Bytes, 1, "set_var_int")
  i, v = opt_int(i, 2, "set_var_int"), opt_int(v, 3, "set_var_int")
  if i < 1 then return 0 end
  local chunk = encode_var_int(v)
  write_at(s, i - 1, chunk)
  return #chunk
end

function bytes.append_var_int(b, v)
  local s = check(b, Bytes, 1, "append_var_int")
  local chunk = encode_var_int(opt_int(v, 2, "append_var_int"))
  write_at(s, #s.data, chunk)
  return #chunk
end

-- get_int16_be, set_int32_le, append_int64 ... for each size and order.
for _, size in ipairs({2, 4, 8}) do
  for suffix, order in pairs({[""] = ">", _be = ">", _le = "<"}) do
    local name = "int" .. (size * 8) .. suffix
    local fmt = int_format(size, order)
    bytes["get_" .. name] = function(b, i)
      local chunk = read_at(check(b, Bytes, 1, "get_" .. name),
        opt_int(i, 2, "get_" .. name), size)
      if chunk then return (sunpack(fmt, chunk)) end
    end
    bytes["set_" .. name] = function(b, i, v)
      local s = check(b, Bytes, 1, "set_" .. name)
      i, v = opt_int(i, 2, "set_" .. name), tointeger(v)
      if i < 1 or not in_range(v, size) then return false end
      return write_at(s, i - 1, spack(fmt, v))
    end
    bytes["append_" .. name] = function(b, v)
      local s = check(b, Bytes, 1, "append_" .. name)
      v = tointeger(v)
      if not in_range(v, size) then return false end
      return write_at(s, #s.data, spack(fmt, v))
    end
  end
end

local function bytes_tostring(b)
  local data = STATE[b].data
  local out = {}
  for i = 1, #data do out[i] = format("%02X", sbyte(data, i)) end
  return concat(out)
end

function bytes.tostring(b)
  check(b, Bytes, 1, "tostring")
  return bytes_tostring(b)
end

setmetatable(bytes, {__call = function(_, n)
  if n ~= nil then opt_int(n, 1, "bytes") end
  return new_bytes("")
end})

Bytes.__index = function(b, i) return bytes.get_byte(b, i) end
Bytes.__newindex = function(b, i, v) bytes.set_byte(b, i, v) end
Bytes.__len = function(b) return #STATE[b].data end
Bytes.__tostring = bytes_tostring

-- -- geojson ----------------------------------------------------------------

local function new_geojson(text)
  local g = setmetatable({}, GeoJSON)
  STATE[g] = {text = text}
  return g
end

local geojson = setmetatable({}, {__call = function(_, text)
  if type(text) ~= "string" then
    fail(format("bad argument #1 to 'geojson' (string expected, got %s)",
      kind_name(text)))
  end
  return new_geojson(text)
end})

GeoJSON.__tostring = function(g) return STATE[g].text end

-- -- record -----------------------------------------------------------------

local function bin_name(name)
  local t = type(name)
  if t == "string" then return name end
  if t == "number" then return tostring(name) end
  return nil
end

Record.__index = function(r, name)
  name = bin_name(name)
  if name == nil then return nil end
  return host.get(name)
end

Record.__newindex = function(r, name, value)
  name = bin_name(name)
  if name == nil then return end
  if value ~= nil and storable(value) == nil and getmetatable(value) ~= Record then
    fail(format("can't set bin %s to unsupported type", name))
  end
  host.set(name, value)
end

local record = {}

local function record_fn(fname, query)
  record[fname] = function(r, ...)
    check(r, Record, 1, fname)
    return query(...)
  end
end

record_fn("ttl", function() return host.meta("ttl") end)
record_fn("gen", function() return host.meta("gen") end)
record_fn("last_update_time", function() return host.meta("last_update_time") end)
record_fn("size", function() return host.meta("size") end)
record_fn("memory_size", function() return host.meta("size") end)
record_fn("device_size", function() return 0 end)
record_fn("numbins", function() return host.meta("numbins") end)
record_fn("setname", function() return host.meta("setname") end)
record_fn("key", function() return host.meta("key") end)
record_fn("digest", function() return host.meta("digest") end)
record_fn("drop_key", function() host.drop_key() end)
record_fn("set_ttl", function(ttl) host.set_ttl(opt_int(ttl, 2, "set_ttl")) end)
record_fn("bin_names", function()
  local names = host.bin_names()
  if names == nil then fail("can't get bin names") end
  return names
end)

-- -- aerospike and logging ------------------------------------------------

local LOG_LEVELS = {warn = 1, info = 2, debug = 3, trace = 4}

local function log(level, message)
  local file, line = caller()
  host.log(level, file or "?", line, tostring(message))
  return 0
end

local aerospike = {}

local function aerospike_fn(fname, action)
  aerospike[fname] = function(self, r)
    check(r, Record, 2, fname)
    return action()
  end
end

aerospike_fn("create", function() return host.create() end)
aerospike_fn("update", function() return host.update() end)
aerospike_fn("remove", function() return host.remove() end)
aerospike_fn("exists", function() return host.exists() end)

function aerospike:log(level, message)
  return log(opt_int(level, 2, "log"), message)
end

function aerospike:get_current_time()
  return host.now_ms()
end

-- -- sandbox ----------------------------------------------------------------

local deadline, expired = huge, nil

local function watchdog()
  if expired == nil and clock() <= deadline then return end
  if expired == nil then
    local info = getinfo(2, "Sl")
    local where = info and info.currentline > 0
      and (info.short_src .. ":" .. info.currentline .. ": ") or ""
    expired = where .. "UDF Execution Timeout"
  end
  error(expired, 0)
end

local function settle(...)
  if expired ~= nil then error(expired, 0) end
  return ...
end

local function guarded(co)
  sethook(co, watchdog, "", HOOK_COUNT)
  return co
end

local function wrap_result(ok, ...)
  if expired ~= nil then error(expired, 0) end
  if not ok then error((...), 0) end
  return ...
end

local sandbox = {}
local loaded = {}

for _, name in ipairs({"assert", "error", "ipairs", "next", "pairs", "rawequal",
    "rawget", "rawlen", "rawset", "select", "setmetatable", "getmetatable",
    "tonumber", "tostring", "type", "collectgarbage", "_VERSION"}) do
  sandbox[name] = _G[name]
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

sandbox.string = string
sandbox.table = copy(table)
sandbox.utf8 = copy(utf8)
sandbox.math = copy(math)
sandbox.math.sum = function(a, b) return a + b end
sandbox.math.product = function(a, b) return a * b end
sandbox.os = {time = os.time, clock = os.clock, date = os.date,
  difftime = os.difftime}
sandbox.unpack = tunpack
sandbox.pcall = function(...) return settle(raw_pcall(...)) end
sandbox.xpcall = function(...) return settle(raw_xpcall(...)) end
sandbox.coroutine = {
  create = function(f) return guarded(co_create(f)) end,
  resume = function(co, ...) return settle(co_resume(co, ...)) end,
  wrap = function(f)
    local co = guarded(co_create(f))
    return function(...) return wrap_result(co_resume(co, ...)) end
  end,
  yield = coroutine.yield, status = coroutine.status,
  running = coroutine.running, isyieldable = coroutine.isyieldable,
  close = coroutine.close,
}
sandbox.load = function(chunk, name, mode, env)
  if env == nil then env = sandbox end
  return raw_load(chunk, name, "t", env)
end
sandbox.print = function(...)
  local parts = tpack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  return log(LOG_LEVELS.debug, concat(parts, "\t", 1, parts.n))
end
for name, level in pairs(LOG_LEVELS) do
  sandbox[name] = function(m, ...) return log(level, format(m, ...)) end
end
sandbox.list, sandbox.map, sandbox.bytes = list, map, bytes
sandbox.geojson, sandbox.record, sandbox.aerospike = geojson, record, aerospike
sandbox.List, sandbox.Map, sandbox.Bytes = List, Map, Bytes
sandbox._G = sandbox

local function chunk_name(name) return "@" .. USER_PATH .. "/" .. name .. ".lua" end

-- require() finds only registered UDF modules, never files.
sandbox.require = function(name)
  if type(name) ~= "string" then
    error(format("bad argument #1 to 'require' (string expected, got %s)",
      kind_name(name)), 2)
  end
  local found = loaded[name]
  if found ~= nil then return found end
  local source = host.source(name)
  if source == nil then error(format("module '%s' not found", name), 2) end
  local chunk, err = raw_load(source, chunk_name(name), "t", sandbox)
  if chunk == nil then error(err, 0) end
  local result = chunk(name)
  if result == nil then result = true end
  loaded[name] = result
  return result
end

local function guard(limit, f, ...)
  deadline, expired = limit, nil
  sethook(watchdog, "", HOOK_COUNT)
  local result = tpack(raw_pcall(f, ...))
  sethook()
  deadline = huge
  return tunpack(result, 1, result.n)
end

-- -- the Python side's entry points ----------------------------------------

local api = {NIL = NIL}

function api.list(items, n, order) return new_list(items, n, order) end

function api.map(keys, vals, n, order)
  local m = new_map(order)
  local s = STATE[m]
  for i = 1, n do map_put(s, keys[i], vals[i]) end
  return m
end

function api.bytes(data, t) return new_bytes(data, t) end
function api.geojson(text) return new_geojson(text) end
function api.record()
  local r = setmetatable({}, Record)
  STATE[r] = {}
  return r
end

-- What a value is, and its parts, for the conversion to Python.
function api.describe(v)
  if rawequal(v, NIL) then return "nil" end
  local s = STATE[v]
  local mt = getmetatable(v)
  if s == nil then return "other" end
  if mt == Record then return "record" end
  if mt == List then return "list", s.items, s.n, s.order end
  if mt == Map then
    local keys, vals, n = {}, {}, 0
    for id, k in pairs(s.keys) do
      n = n + 1
      keys[n], vals[n] = k, s.vals[id]
    end
    return "map", keys, vals, n, s.order
  end
  if mt == Bytes then return "bytes", s.data, s.t end
  if mt == GeoJSON then return "geojson", s.text end
  return "other"
end

function api.require(name, limit)
  return guard(limit, sandbox.require, name)
end

-- Compile and run a module's source as udf-put does; nil when it is fine.
function api.validate(source, name, limit)
  local chunk, err = raw_load(source, name, "t", sandbox)
  if chunk == nil then return "syntax", err end
  local ok, run_err = guard(limit, chunk)
  if not ok then return "run", run_err end
  return nil
end

-- Call a module function on a record, as mod-lua's apply_record does.
function api.run(fname, rec, args, nargs, limit)
  local f = sandbox[fname]
  if f == nil then return false, "function not found" end
  return guard(limit, f, rec, tunpack(args, 1, nargs))
end

return api
"""
