
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
