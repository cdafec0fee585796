"""User-defined functions: the module registry and record UDF calls.

Registry (PROTOCOL.md 2.6; server as/src/base/udf_cask.c): ``udf-put``
checks and compiles a Lua file before it stores it, ``udf-list`` shows each
file with a SHA-1 of its registry entry, ``udf-get`` returns it base64
encoded and ``udf-remove`` forgets it. The registry is cluster-wide, as
the server's system metadata is.

Apply (PROTOCOL.md 13.1; server as/src/transaction/udf.c, udf_record.c,
udf_aerospike.c): a write message with a UDF_FILENAME field runs
``function(rec, args...)`` of the module. Bin assignments are cached until
the UDF calls ``aerospike:create/update/remove``; only then do they apply
to the record, which is stored once, after the UDF returned. The reply
carries the return value in a ``SUCCESS`` bin, or the Lua error in a
``FAILURE`` bin with result 100.

Lua runs through ``lupa`` (extra ``lua``); without it ``udf-put`` and
apply answer with an error that says how to install it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from aerospike_py.server import commands, errors, lua_runtime
from aerospike_py.server.cluster import ServerCluster
from aerospike_py.server.errors import Failure
from aerospike_py.server.info import Params, command
from aerospike_py.server.lua_runtime import CallResult, LuaState, Unsupported
from aerospike_py.server.ops import encode_result
from aerospike_py.server.storage import (
    CITRUSLEAF_EPOCH,
    TTL_DONT_UPDATE,
    TTL_USE_DEFAULT,
    Namespace,
    StoredRecord,
)
from aerospike_py.wire import message as msg
from aerospike_py.wire import packer, particle
from aerospike_py.wire.message import Message

if TYPE_CHECKING:
    from aerospike_py.server.node import ServerNode

log = logging.getLogger("aerospike_py.server")

LUA_TYPE = "LUA"
MAX_FILE_NAME = 128  # udf_cask.c MAX_FILE_NAME_SZ, terminator included
MAX_CONTENT = 1024 * 1024  # udf_cask.c MAX_UDF_CONTENT_LENGTH
SUCCESS_BIN = "SUCCESS"
FAILURE_BIN = "FAILURE"

# The server ends a UDF at its transaction deadline (transaction_ttl, or
# transaction-max-ms, 1 s). This one ends it at three quarters of that, so
# that the answer reaches a client whose own deadline is the same
# transaction_ttl, counted from before it sent the request.
DEFAULT_TRANSACTION_MS = 1000
DEADLINE_SHARE = 0.75
LOAD_SECONDS = 1.0

# mod_lua.c as_module_err_string: the text of a UDF that could not start.
MODULE_NOT_LOADED = "UDF: Execution Error 1"


# -- registry -----------------------------------------------------------------


@dataclass(frozen=True)
class UdfFile:
    """A registered file: its bytes, their base64 text and its list hash."""

    name: str
    content: bytes
    content64: str

    @property
    def hash(self) -> str:
        # udf_cask.c hashes the system-metadata entry, a JSON object.
        entry = {"content64": self.content64, "type": LUA_TYPE, "name": self.name}
        return hashlib.sha1(json.dumps(entry).encode()).hexdigest()


class UdfRegistry:
    """The UDF files of one cluster and the Lua states that load them."""

    def __init__(self) -> None:
        self.files: dict[str, UdfFile] = {}
        self._states: dict[str, LuaState | None] = {}

    def put(self, file: UdfFile) -> None:
        self.files[file.name] = file
        self.clear_cache()

    def remove(self, name: str) -> None:
        self.files.pop(name, None)
        self.clear_cache()

    def clear_cache(self) -> None:
        """Forget loaded states (a changed file may be required by others)."""
        self._states.clear()

    def source(self, module: str) -> bytes | None:
        """The source of module ``module`` (the file ``<module>.lua``)."""
        file = self.files.get(f"{module}.lua")
        return None if file is None else file.content

    def state(self, module: str) -> LuaState | None:
        """A Lua state with ``module`` loaded, or None if it cannot load."""
        if module in self._states:
            return self._states[module]
        if self.source(module) is None:
            return None  # not registered: nothing to remember
        state = LuaState(self.source)
        error = state.require(module, time.monotonic() + LOAD_SECONDS)
        if error is not None:
            log.warning("UDF module %s failed to load: %s", module, error)
        loaded = state if error is None else None
        self._states[module] = loaded
        return loaded


_registries: weakref.WeakKeyDictionary[ServerCluster, UdfRegistry] = (
    weakref.WeakKeyDictionary()
)


def registry_of(cluster: ServerCluster) -> UdfRegistry:
    """The UDF registry of a cluster."""
    registry = _registries.get(cluster)
    if registry is None:
        registry = _registries[cluster] = UdfRegistry()
    return registry


def _registry_serving(namespace: Namespace) -> UdfRegistry | None:
    for cluster, registry in list(_registries.items()):
        if cluster.namespaces.get(namespace.name) is namespace:
            return registry
    return None


# -- info commands --------------------------------------------------------------


class _Refused(Exception):
    """An info command's parameters are wrong; ``reason`` is the reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _filename(params: Params) -> str:
    name = params.get("filename", "")
    if not name or len(name.encode()) >= MAX_FILE_NAME:
        raise _Refused("invalid_filename")
    return name


def _put_content(name: str, params: Params) -> tuple[bytes, str]:
    """Check udf-put's content parameters; return the file and its base64."""
    stem, dot, extension = name.partition(".")
    if not stem or not dot or not extension:
        raise _Refused("invalid_filename")  # needs an extension
    content_len = params.get("content-len", "")
    if not content_len.isdigit() or int(content_len) % 4:
        raise _Refused("invalid_content_len")
    if params.get("udf-type", LUA_TYPE) != LUA_TYPE:
        raise _Refused("invalid_udf_type")
    content64 = params.get("content", "")
    if len(content64) != int(content_len):
        raise _Refused("invalid_content")
    if len(content64) * 3 // 4 > MAX_CONTENT:
        raise _Refused("invalid_udf_content_len,>1M")
    try:
        content = base64.b64decode(content64, validate=True)
    except (binascii.Error, ValueError):
        raise _Refused("invalid_base64_content") from None
    return content, content64


def _compile_error_reply(file: str, line: int, message: str) -> str:
    encoded = base64.b64encode(message.encode()).decode()
    return f"error=compile_error;file={file};line={line};message={encoded}"


@command("udf-put")
def _udf_put(node: ServerNode, params: Params, args: list[str]) -> str:
    try:
        name = _filename(params)
        content, content64 = _put_content(name, params)
    except _Refused as refused:
        return f"error={refused.reason}"
    if not lua_runtime.AVAILABLE:
        encoded = base64.b64encode(lua_runtime.MISSING_LUPA.encode()).decode()
        return f"error=lua_unavailable;message={encoded}"
    registry = registry_of(node.cluster)
    with node.cluster.lock:
        failure = lua_runtime.compile_check(
            content, name, registry.source, time.monotonic() + LOAD_SECONDS
        )
        if failure is not None:
            log.warning(
                "udf-put: compile error: [%s:%d] %s",
                failure.file,
                failure.line,
                failure.message,
            )
            return _compile_error_reply(*failure)
        registry.put(UdfFile(name, content, content64))
    log.info("UDF module %s registered", name)
    return "ok"


@command("udf-get")
def _udf_get(node: ServerNode, params: Params, args: list[str]) -> str:
    try:
        name = _filename(params)
    except _Refused as refused:
        return f"error={refused.reason}"
    file = registry_of(node.cluster).files.get(name)
    if file is None:
        return "error=not_found"
    if not file.content:
        return "error=empty"
    return f"type={LUA_TYPE};content={file.content64};"


@command("udf-list")
def _udf_list(node: ServerNode, params: Params, args: list[str]) -> str:
    files = registry_of(node.cluster).files
    return "".join(
        f"filename={name},hash={files[name].hash},type={LUA_TYPE};"
        for name in sorted(files)
    )


@command("udf-remove")
def _udf_remove(node: ServerNode, params: Params, args: list[str]) -> str:
    try:
        name = _filename(params)
    except _Refused as refused:
        return f"error={refused.reason}"
    with node.cluster.lock:
        registry_of(node.cluster).remove(name)
    log.info("UDF module %s removed", name)
    return "ok"


@command("udf-clear-cache")
def _udf_clear_cache(node: ServerNode, params: Params, args: list[str]) -> str:
    with node.cluster.lock:
        registry_of(node.cluster).clear_cache()
    return "ok"


# -- apply ------------------------------------------------------------------------


class UdfOutcome(NamedTuple):
    """The reply to a UDF call: result code, record metadata, reply bins."""

    result: int
    generation: int = 0
    void_time: int = 0
    ops: tuple[msg.Op, ...] = ()


class UdfCall(NamedTuple):
    """Module, function and arguments named by a message's UDF fields."""

    module: str
    function: str
    args: list[Any]


# udf.c has_forbidden_policy: a UDF decides itself whether it creates.
_FORBIDDEN_INFO2 = (
    msg.INFO2_GENERATION | msg.INFO2_GENERATION_GT | msg.INFO2_CREATE_ONLY
)
_FORBIDDEN_INFO3 = (
    msg.INFO3_UPDATE_ONLY | msg.INFO3_CREATE_OR_REPLACE | msg.INFO3_REPLACE_ONLY
)


def parse_call(message: Message) -> UdfCall | None:
    """Read the UDF fields (udf.c udf_def_init_from_msg); None if invalid."""
    fields = message.fields
    filename = fields.get(msg.FIELD_UDF_FILENAME)
    function = fields.get(msg.FIELD_UDF_FUNCTION)
    arglist = fields.get(msg.FIELD_UDF_ARGLIST)
    if filename is None or function is None or arglist is None:
        return None
    if len(filename) >= MAX_FILE_NAME or len(function) >= MAX_FILE_NAME:
        return None
    args: list[Any] = []
    if arglist:
        try:
            value = packer.unpack(arglist)
        except ValueError:
            value = None
        # An argument list that is not a list means no arguments (udf.c).
        if isinstance(value, list):
            args = value
    return UdfCall(
        filename.decode(errors="replace"), function.decode(errors="replace"), args
    )


def handle_apply(request: commands.Request) -> bytes:
    """Answer a single-record UDF call (commands.udf_handler)."""
    outcome = apply(request)
    return commands.reply(
        outcome.result, outcome.generation, outcome.void_time, outcome.ops
    )


def apply(request: commands.Request) -> UdfOutcome:
    """Run the UDF a message names on its record and store the result."""
    message = request.message
    if message.info2 & _FORBIDDEN_INFO2 or message.info3 & _FORBIDDEN_INFO3:
        return UdfOutcome(errors.ERR_PARAMETER)
    call = parse_call(message)
    if call is None:
        return UdfOutcome(errors.ERR_PARAMETER)
    existing = request.namespace.find(request.digest)
    generation = existing.generation if existing else 0
    void_time = existing.void_time if existing else 0
    try:
        if existing is not None:
            _check_existing(request, existing)
    except Failure as failure:
        return UdfOutcome(failure.code, generation, void_time)
    state = _module_state(request.namespace, call.module)
    if not isinstance(state, LuaState):
        return UdfOutcome(
            errors.ERR_UDF_EXECUTION,
            generation,
            void_time,
            (encode_result(FAILURE_BIN, state),),
        )
    record = UdfRecord(request, state, existing)
    result = state.call(call.function, record, call.args, _deadline(message))
    if not result.ok:
        log.warning("UDF %s.%s failed: %s", call.module, call.function, result.error)
    return record.finish(result)


def _check_existing(request: commands.Request, record: StoredRecord) -> None:
    """The checks of udf.c open_existing_record, in its order."""
    if request.set_name != record.set_name:
        raise Failure(errors.ERR_PARAMETER, "set name mismatch")
    commands._check_filter(request, record)
    if request.key is not None and record.key and request.key != record.key:
        raise Failure(errors.ERR_KEY_MISMATCH)


def _module_state(namespace: Namespace, module: str) -> LuaState | str:
    """The Lua state serving ``module``, or the FAILURE text why not."""
    if not lua_runtime.AVAILABLE:
        return lua_runtime.MISSING_LUPA
    registry = _registry_serving(namespace)
    state = registry.state(module) if registry is not None else None
    return MODULE_NOT_LOADED if state is None else state


def _deadline(message: Message) -> float:
    budget_ms = message.transaction_ttl or DEFAULT_TRANSACTION_MS
    return time.monotonic() + budget_ms * DEADLINE_SHARE / 1000


# -- the record a UDF sees --------------------------------------------------------


class UdfRecord:
    """The record of one UDF call, behind the Lua record API.

    ``cache`` maps a bin name to its Lua value and whether the UDF assigned
    it (udf_record.c's update cache); ``bins`` are the record's bins as the
    applied updates left them, ``old_bins`` those before the first update.
    """

    def __init__(
        self, request: commands.Request, state: LuaState, existing: StoredRecord | None
    ) -> None:
        self.request = request
        self.state = state
        self.stored = existing
        self.is_open = existing is not None
        self.bins: dict[str, Any] = dict(existing.bins) if existing else {}
        self.old_bins: dict[str, Any] = {}
        self.cache: dict[str, tuple[Any, bool]] = {}
        self.has_updates = False
        self.result_code = errors.OK
        self.ttl = request.message.record_ttl
        self.key_dropped = False

    # -- bins ------------------------------------------------------------------

    def get(self, name: str) -> Any:
        if len(name.encode()) > msg.MAX_BIN_NAME:
            return None
        if name in self.cache:
            return self.cache[name][0]
        if not self.is_open or name not in self.bins:
            return None
        value = self.state.to_lua(self.bins[name])
        self.cache[name] = (value, False)
        return value

    def set(self, name: str, value: Any) -> None:
        # udf_record.c ignores a bin name that is too long.
        if len(name.encode()) <= msg.MAX_BIN_NAME:
            self.cache[name] = (value, True)

    # -- aerospike:create / update / remove / exists ------------------------------

    def create(self) -> int:
        if self.is_open:
            if self.bins:
                return 1  # the record exists
            return self._execute_updates()
        self.is_open = True
        result = self._execute_updates()
        if result != 0:
            self.is_open = False
        return result

    def update(self) -> int:
        if not self.is_open:
            return -2
        return self._execute_updates()

    def remove(self) -> int:
        if not self.is_open:
            return 1
        self.cache = {name: (None, True) for name in self.bins}
        return self._execute_updates()

    def exists(self) -> bool:
        return self.is_open

    def _execute_updates(self) -> int:
        """Apply the assigned bins (udf_aerospike.c execute_updates)."""
        if not self.has_updates:
            self.old_bins = dict(self.bins)
        for name, (value, dirty) in list(self.cache.items()):
            if not dirty:
                continue
            if value is None:
                self.bins.pop(name, None)
                del self.cache[name]
                continue
            try:
                self.bins[name] = _storable(self.state, value)
            except Unsupported:
                self._execute_failed(errors.ERR_INCOMPATIBLE_TYPE)
                return -1
            self.cache[name] = (value, False)
        self.has_updates = True
        self.result_code = errors.OK
        return 0

    def _execute_failed(self, result: int) -> None:
        self.result_code = result
        self.has_updates = False
        self.bins = dict(self.old_bins)
        self.cache.clear()

    # -- record.* ------------------------------------------------------------------

    def meta(self, name: str) -> Any:
        if name == "digest":
            return self.request.digest
        if not self.is_open:
            return None if name in ("setname", "key") else 0
        return _META[name](self)

    def bin_names(self) -> list[str] | None:
        return list(self.bins) if self.is_open else None

    def set_ttl(self, ttl: int) -> None:
        self.ttl = ttl & 0xFFFFFFFF

    def drop_key(self) -> None:
        if self.is_open:
            self.key_dropped = True

    def _ttl(self) -> int:
        void_time = self.stored.void_time if self.stored else 0
        now = self.request.namespace.clock.now_cl()
        return void_time - now if void_time > now else 0

    def _gen(self) -> int:
        return self.stored.generation if self.stored else 0

    def _last_update_time(self) -> int:
        # Milliseconds since the citrusleaf epoch, as the index keeps it.
        if self.stored is None:
            return 0
        return self.stored.last_update_ns // 1_000_000 - CITRUSLEAF_EPOCH * 1000

    def _setname(self) -> str | None:
        name = self.stored.set_name if self.stored else self.request.set_name
        return name or None

    def _key(self) -> Any:
        key = None if self.key_dropped else self._stored_key()
        if not key:
            return None
        return particle.decode(key[0], key[1:])

    def _stored_key(self) -> bytes | None:
        if self.stored is not None and self.stored.key:
            return self.stored.key
        return self.request.key

    def _size(self) -> int:
        return _record_size(self.stored.bins, self.stored.key) if self.stored else 0

    def _numbins(self) -> int:
        return len(self.bins)

    # -- after the UDF returned ----------------------------------------------------

    def finish(self, result: CallResult) -> UdfOutcome:
        """The reply, storing the record first if the UDF updated it."""
        stored = self.stored
        generation = stored.generation if stored else 0
        void_time = stored.void_time if stored else 0
        if not result.ok:
            failure = encode_result(FAILURE_BIN, result.error)
            return UdfOutcome(
                errors.ERR_UDF_EXECUTION, generation, void_time, (failure,)
            )
        if self.result_code != errors.OK:
            return UdfOutcome(self.result_code, generation, void_time)
        try:
            success = encode_result(SUCCESS_BIN, result.value)
        except packer.PackError:
            failure = encode_result(FAILURE_BIN, "result value type unexpected")
            return UdfOutcome(
                errors.ERR_UDF_EXECUTION, generation, void_time, (failure,)
            )
        if self.has_updates:
            try:
                generation, void_time = self._write()
            except Failure as failure_code:
                return UdfOutcome(failure_code.code, generation, void_time)
        return UdfOutcome(errors.OK, generation, void_time, (success,))

    def _write(self) -> tuple[int, int]:
        """Store (or delete) the record (udf.c udf_master_write)."""
        request = self.request
        namespace = request.namespace
        clock = namespace.clock
        set_name = self.stored.set_name if self.stored else request.set_name
        ttl = self.ttl
        if ttl == TTL_DONT_UPDATE and not self.old_bins:
            ttl = TTL_USE_DEFAULT
        commands._check_ttl(namespace, ttl, set_name)
        if not self.bins:
            if not self.old_bins:
                raise Failure(errors.ERR_NOT_FOUND, "UDF deleted a missing record")
            namespace.remove(request.digest)
            return 0, 0
        base = self.stored or StoredRecord(
            request.digest, set_name, {}, 0, 0, clock.now_ns(), None
        )
        record = StoredRecord(
            request.digest,
            set_name,
            dict(self.bins),
            commands._next_generation(base.generation),
            commands._void_time(namespace, ttl, base, set_name, clock.now_cl()),
            clock.now_ns(),
            None if self.key_dropped else self._stored_key(),
        )
        commands._check_size(namespace, record)
        namespace.store(record)
        return record.generation, record.void_time


_META = {
    "ttl": UdfRecord._ttl,
    "gen": UdfRecord._gen,
    "last_update_time": UdfRecord._last_update_time,
    "setname": UdfRecord._setname,
    "key": UdfRecord._key,
    "size": UdfRecord._size,
    "numbins": UdfRecord._numbins,
}


def _storable(state: LuaState, value: Any) -> Any:
    """The bin value of a Lua value, if the server can store it."""
    converted = state.to_python(value)
    try:
        particle.encode(converted)
    except packer.PackError:
        raise Unsupported("a value with no particle encoding") from None
    return converted


def _record_size(bins: dict[str, Any], key: bytes | None) -> int:
    size = 48 + len(key or b"")
    for name, value in bins.items():
        size += len(name) + 4 + len(particle.encode(value)[1])
    return size


commands.udf_handler[:] = [handle_apply]
