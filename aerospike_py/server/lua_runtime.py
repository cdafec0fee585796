"""Sandboxed Lua states for record UDFs, on top of ``lupa`` (extra ``lua``).

A :class:`LuaState` is one Lua 5.4 interpreter with the prelude of
``lua_prelude`` loaded and one UDF module required into it. It converts
values between Python (bin values as the storage keeps them) and Lua
(Aerospike's List, Map, Bytes and GeoJSON objects), and runs a module
function on a record through the :class:`RecordHooks` the caller supplies.

The Lua code reaches Python only through the callbacks of the prelude's
``host`` table: attribute access on Python objects is refused, lupa's
``python`` module is removed and the UDF runs in its own environment
without ``io``, ``os.execute``, ``debug``, ``package`` or file loading.
Each state may use at most ``MAX_MEMORY`` bytes.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from aerospike_py.server.lua_prelude import PRELUDE
from aerospike_py.wire import packer, particle
from aerospike_py.wire.values import (
    HLL,
    GeoJSON,
    KeyOrderedDict,
    KeyValueOrderedDict,
    LanguageBlob,
    OrderedList,
)

log = logging.getLogger("aerospike_py.server")

try:
    _lua: Any = importlib.import_module("lupa.lua54")
except ImportError:
    _lua = None

AVAILABLE = _lua is not None
MISSING_LUPA = (
    "Lua UDFs need the 'lupa' package on the server side: pip install lupa "
    "(or pip install 'aerospike-py-toolkit[lua]')"
)

# Where the real server keeps UDF files (mod-lua's default user path); Lua
# error messages name the module as <USER_PATH>/<module>.lua, as it does.
USER_PATH = "/opt/aerospike/usr/udf/lua"
MAX_MEMORY = 64 * 1024 * 1024
HOOK_COUNT = 1000

# Lua log levels of aerospike:log (1 warn .. 4 trace) -> Python levels.
TRACE = 5
LOG_LEVELS = {1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG, 4: TRACE}

_BLOB_TYPES = {particle.HLL_TYPE, *particle.LANGUAGE_BLOBS}


class Unsupported(Exception):
    """A Lua value with no Aerospike counterpart (function, plain table)."""


class CallResult(NamedTuple):
    """What a UDF call produced: a return value, or the Lua error."""

    ok: bool
    value: Any
    error: str


class RecordHooks(Protocol):
    """The record a UDF runs on, as the Lua record API reaches it.

    Bin values cross as Lua objects (``get``/``set``); everything else as
    plain Python values. The hooks follow the server's udf_record.c and
    udf_aerospike.c.
    """

    def get(self, name: str) -> Any: ...

    def set(self, name: str, value: Any) -> None: ...

    def create(self) -> int: ...

    def update(self) -> int: ...

    def remove(self) -> int: ...

    def exists(self) -> bool: ...

    def meta(self, name: str) -> Any: ...

    def bin_names(self) -> list[str] | None: ...

    def set_ttl(self, ttl: int) -> None: ...

    def drop_key(self) -> None: ...


def _deny_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    raise AttributeError("UDF code cannot reach Python attributes")


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


class LuaState:
    """One sandboxed Lua interpreter serving one UDF module.

    ``source_of(name)`` returns the source of registered module ``name``
    (without ``.lua``), or None; ``require`` inside UDF code uses it too.
    """

    def __init__(self, source_of: Callable[[str], bytes | None]) -> None:
        if _lua is None:
            raise RuntimeError(MISSING_LUPA)
        self._source_of = source_of
        self._record: RecordHooks | None = None
        self._runtime = _lua.LuaRuntime(
            encoding=None,
            register_eval=False,
            register_builtins=False,
            attribute_filter=_deny_attributes,
            max_memory=MAX_MEMORY,
        )
        load = self._runtime.eval("load")
        prelude, error = _values(load(PRELUDE.encode(), b"=prelude", b"t"), 2)
        if prelude is None:
            raise RuntimeError(f"the UDF prelude does not compile: {error!r}")
        self._api = prelude(self._host_table(), USER_PATH.encode(), HOOK_COUNT)
        self._nil = self._api[b"NIL"]

    # -- module loading and calls ----------------------------------------------

    def require(self, module: str, deadline: float) -> str | None:
        """Load a module into this state; return the Lua error, if any."""
        ok, error = _values(self._api[b"require"](module.encode(), deadline), 2)
        return None if ok else self._error_text(error)

    def validate(self, source: bytes, filename: str, deadline: float) -> Any:
        """Compile and run ``source`` as udf-put does.

        Return None, or ``(kind, error)`` with kind ``b"syntax"`` or
        ``b"run"`` and the raw Lua error value.
        """
        kind, error = _values(
            self._api[b"validate"](source, filename.encode(), deadline), 2
        )
        return None if kind is None else (kind, error)

    def call(
        self, function: str, record: RecordHooks, args: list[Any], deadline: float
    ) -> CallResult:
        """Run ``function(rec, *args)`` with the record's hooks installed."""
        lua_args = self._runtime.table_from(
            {i + 1: self.to_lua(arg) for i, arg in enumerate(args)}
        )
        self._record = record
        try:
            result = self._api[b"run"](
                function.encode(), self._api[b"record"](), lua_args, len(args), deadline
            )
            ok, value = _values(result, 2)
        finally:
            self._record = None
        if not ok:
            return CallResult(False, None, self._error_text(value))
        try:
            return CallResult(True, self.to_python(value), "")
        except Unsupported:
            return CallResult(True, None, "")

    @staticmethod
    def _error_text(error: Any) -> str:
        # A Lua error that is not a string has no message to show (the
        # server's udf.c says "result value type unexpected").
        if isinstance(error, bytes):
            return _text(error)
        return "result value type unexpected"

    # -- Python -> Lua ---------------------------------------------------------

    def to_lua(self, value: Any) -> Any:
        """Return the Lua form of a bin value (None stays nil)."""
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, GeoJSON):
            return self._api[b"geojson"](value.encode())
        if isinstance(value, str):
            return value.encode()
        if isinstance(value, (bytes, bytearray)):
            return self._api[b"bytes"](bytes(value), _blob_type(value))
        if isinstance(value, (list, tuple)):
            return self._list_to_lua(value)
        if isinstance(value, dict):
            return self._map_to_lua(value)
        return None

    def _item(self, value: Any) -> Any:
        return self._nil if value is None else self.to_lua(value)

    def _list_to_lua(self, value: list[Any] | tuple[Any, ...]) -> Any:
        items = self._runtime.table_from([self._item(item) for item in value])
        order = getattr(value, "list_order", 0)
        return self._api[b"list"](items, len(value), order)

    def _map_to_lua(self, value: dict[Any, Any]) -> Any:
        keys = self._runtime.table_from([self.to_lua(key) for key in value])
        vals = self._runtime.table_from([self._item(v) for v in value.values()])
        order = getattr(value, "map_order", 0)
        return self._api[b"map"](keys, vals, len(value), order)

    # -- Lua -> Python ---------------------------------------------------------

    def to_python(self, value: Any) -> Any:
        """Return the bin value of a Lua value; raise Unsupported if none."""
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, bytes):
            return _text(value)
        if _lua.lua_type(value) != "table":
            raise Unsupported(f"a Lua {_lua.lua_type(value)}")
        parts = self._api[b"describe"](value)
        kind = parts if isinstance(parts, bytes) else parts[0]
        convert = _FROM_LUA.get(kind)
        if convert is None:
            raise Unsupported(f"a Lua {_text(kind)}")
        return convert(self, parts)

    def _list_from_lua(self, parts: Any) -> Any:
        _, items, count, order = parts
        result = [self.to_python(items[i]) for i in range(1, count + 1)]
        return OrderedList(result) if order & 1 else result

    def _map_from_lua(self, parts: Any) -> Any:
        _, keys, vals, count, order = parts
        pairs = [
            (_hashable(self.to_python(keys[i])), self.to_python(vals[i]))
            for i in range(1, count + 1)
        ]
        if order & 1:
            pairs.sort(key=lambda pair: value_rank(pair[0]))
            cls = KeyValueOrderedDict if order & 3 == 3 else KeyOrderedDict
            return cls(pairs)
        return dict(pairs)

    def _bytes_from_lua(self, parts: Any) -> Any:
        _, data, blob_type = parts
        if blob_type == particle.HLL_TYPE:
            return HLL(data)
        if blob_type in particle.LANGUAGE_BLOBS:
            return LanguageBlob(data, blob_type)
        return bytes(data)

    def _geojson_from_lua(self, parts: Any) -> Any:
        return GeoJSON(_text(parts[1]))

    def _nil_from_lua(self, parts: Any) -> Any:
        return None

    # -- the host table: what the prelude may call ----------------------------

    def _host_table(self) -> Any:
        callbacks: dict[bytes, Callable[..., Any]] = {
            b"clock": time.monotonic,
            b"now_ms": lambda: time.time_ns() // 1_000_000,
            b"log": self._log,
            b"source": self._module_source,
            b"nbytes": self._nbytes,
            b"get": lambda name: self._hooks().get(_text(name)),
            b"set": lambda name, value: self._hooks().set(_text(name), value),
            b"create": lambda: self._hooks().create(),
            b"update": lambda: self._hooks().update(),
            b"remove": lambda: self._hooks().remove(),
            b"exists": lambda: self._hooks().exists(),
            b"meta": self._meta,
            b"bin_names": self._bin_names,
            b"set_ttl": lambda ttl: self._hooks().set_ttl(int(ttl)),
            b"drop_key": lambda: self._hooks().drop_key(),
        }
        return self._runtime.table_from(callbacks)

    def _hooks(self) -> RecordHooks:
        if self._record is None:
            raise RuntimeError("the record is only reachable during a UDF call")
        return self._record

    def _meta(self, name: bytes) -> Any:
        value = self._hooks().meta(_text(name))
        if isinstance(value, str):
            return value.encode()
        if isinstance(value, bytes):
            return self._api[b"bytes"](value, particle.BLOB)
        return self.to_lua(value)

    def _bin_names(self) -> Any:
        names = self._hooks().bin_names()
        if names is None:
            return None
        return self._runtime.table_from([name.encode() for name in names])

    def _module_source(self, name: bytes) -> bytes | None:
        return self._source_of(_text(name))

    def _nbytes(self, value: Any) -> int:
        try:
            return len(packer.pack(self.to_python(value)))
        except (Unsupported, packer.PackError):
            return 0

    @staticmethod
    def _log(level: int, file: bytes, line: int, message: bytes) -> None:
        log.log(
            LOG_LEVELS.get(level, logging.DEBUG),
            "UDF %s:%d: %s",
            _text(file),
            line,
            _text(message),
        )


_FROM_LUA: dict[bytes, Callable[[LuaState, Any], Any]] = {
    b"list": LuaState._list_from_lua,
    b"map": LuaState._map_from_lua,
    b"bytes": LuaState._bytes_from_lua,
    b"geojson": LuaState._geojson_from_lua,
    b"nil": LuaState._nil_from_lua,
}


def _values(result: Any, count: int) -> tuple[Any, ...]:
    """Lupa returns one Lua result bare and several as a tuple; return
    exactly ``count`` values, missing ones as None."""
    values = result if isinstance(result, tuple) else (result,)
    return (values + (None,) * count)[:count]


def _blob_type(value: bytes | bytearray) -> int:
    if isinstance(value, LanguageBlob):
        return value.particle_type
    if isinstance(value, HLL):
        return particle.HLL_TYPE
    return particle.BLOB


def _hashable(key: Any) -> Any:
    if isinstance(key, list):
        return tuple(_hashable(item) for item in key)
    return key


# Map-key order of PROTOCOL.md 9.8: NIL < booleans < integers < strings <
# lists < maps < bytes < doubles < GeoJSON.
def value_rank(value: Any) -> tuple[int, Any]:
    """A sort key that puts map keys in the server's value order."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int):
        return (2, value)
    if isinstance(value, GeoJSON):
        return (8, str(value))
    if isinstance(value, str):
        return (3, value.encode())
    if isinstance(value, tuple):
        return (4, [value_rank(item) for item in value])
    if isinstance(value, (bytes, bytearray)):
        return (6, bytes(value))
    if isinstance(value, float):
        return (7, value)
    return (5, repr(value))


class CompileError(NamedTuple):
    """Why udf-put refused a module (mod-lua's as_module_error)."""

    file: str
    line: int
    message: str


def compile_check(
    source: bytes,
    filename: str,
    source_of: Callable[[str], bytes | None],
    deadline: float,
) -> CompileError | None:
    """Compile and run a module in a fresh state, as the server's udf-put
    does (mod_lua.c validate); return what went wrong, or None."""
    state = LuaState(source_of)
    failure = state.validate(source, filename, deadline)
    if failure is None:
        return None
    _, error = failure
    if not isinstance(error, bytes):
        return CompileError("", 0, "(Null error message returned by lua)")
    return parse_lua_error(_text(error))


def parse_lua_error(text: str) -> CompileError:
    """Split ``[string "f.lua"]:3: message`` into its parts (mod_lua.c
    populate_error); other texts keep their first line, at most 256 chars."""
    if text.startswith("["):
        _, quote, rest = text.partition('"')
        file, quote_end, after = rest.partition('"')
        if quote and quote_end:
            _, colon, tail = after.partition(":")
            line_text, colon_end, message = tail.partition(":")
            if colon and colon_end and line_text.isdigit():
                return CompileError(file, int(line_text), message[1:])
    return CompileError("", 0, text.split("\n", 1)[0][:256])
