"""Single-record commands: read, write / operate, delete, touch.

The rules and their order follow the real server's read and write paths
(aerospike-server as/src/transaction/read.c and write.c): existence checks,
then the generation check, the set-name and key checks, the TTL checks,
and finally the ops, applied to a copy of the record so that a failing op
leaves the stored record untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aerospike_py.server import errors
from aerospike_py.server.errors import Failure
from aerospike_py.server.ops import (
    MODIFY_HANDLERS,
    NO_RESULT,
    READ_HANDLERS,
    OpContext,
    encode_result,
)
from aerospike_py.server.storage import (
    CITRUSLEAF_EPOCH,
    MAX_TTL,
    TTL_DONT_UPDATE,
    TTL_NEVER_EXPIRE,
    TTL_USE_DEFAULT,
    Namespace,
    StoredRecord,
    void_time_on_wire,
)
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle
from aerospike_py.wire.message import Message

MAX_N_OPS = 1000
MAX_GENERATION = 0xFFFF

# Filter-expression evaluator: (namespace, record, expression bytes) -> bool.
# The expression module installs it; a filter with no evaluator is refused.
FilterEvaluator = Callable[[Namespace, StoredRecord, bytes], bool]
filter_evaluator: list[FilterEvaluator] = []


def reply(
    result: int,
    generation: int = 0,
    void_time: int = 0,
    ops: list[msg.Op] | tuple[msg.Op, ...] = (),
) -> bytes:
    """Return a framed single-record reply."""
    return msg.encode_message(
        result_code=result,
        generation=generation,
        record_ttl=void_time_on_wire(void_time),
        ops=ops,
    )


class Request:
    """The parts of a single-record message every command needs."""

    __slots__ = ("digest", "key", "message", "namespace", "set_name")

    def __init__(self, message: Message, namespaces: dict[str, Namespace]) -> None:
        fields = message.fields
        ns_name = fields.get(msg.FIELD_NAMESPACE, b"").decode(errors="replace")
        namespace = namespaces.get(ns_name)
        if namespace is None:
            raise Failure(errors.ERR_NAMESPACE, f"namespace {ns_name!r} not found")
        digest = fields.get(msg.FIELD_DIGEST)
        if digest is None or len(digest) != 20:
            raise Failure(errors.ERR_PARAMETER, "digest field must be 20 bytes")
        key = fields.get(msg.FIELD_KEY)
        if key is not None:
            _check_key_field(key)
        self.message = message
        self.namespace = namespace
        self.digest = digest
        self.set_name = fields.get(msg.FIELD_SET, b"").decode(errors="replace")
        self.key = key


def _check_key_field(key: bytes) -> None:
    if not key:
        raise Failure(errors.ERR_PARAMETER, "empty key field")
    if key[0] == particle.INTEGER and len(key) != 9:
        raise Failure(errors.ERR_PARAMETER, "integer key must be 8 bytes")


def _check_filter(request: Request, record: StoredRecord) -> None:
    expression = request.message.fields.get(msg.FIELD_FILTER_EXP)
    if expression is None:
        return
    if not filter_evaluator:
        raise Failure(errors.ERR_UNSUPPORTED_FEATURE, "filter expressions")
    if not filter_evaluator[0](request.namespace, record, expression):
        raise Failure(errors.ERR_FILTERED_OUT)


def _set_name_matches(request: Request, record: StoredRecord) -> bool:
    # An empty or absent set field matches any record on reads.
    return not request.set_name or request.set_name == record.set_name


# -- read ----------------------------------------------------------------------


def read(request: Request) -> bytes:
    message = request.message
    namespace = request.namespace
    record = namespace.find(request.digest)
    if record is None:
        return reply(errors.ERR_NOT_FOUND)
    gen, void_time = record.generation, record.void_time
    if not _set_name_matches(request, record):
        return reply(errors.ERR_PARAMETER, gen, void_time)
    try:
        _check_filter(request, record)
        if request.key is not None and record.key and request.key != record.key:
            raise Failure(errors.ERR_KEY_MISMATCH)
        # The reply carries the record as read; the touch follows it
        # (read_touch.c queues it after the read).
        _read_touch(request, record)
        if message.info1 & msg.INFO1_GET_NO_BINS:
            return reply(errors.OK, gen, void_time)
        if message.info1 & msg.INFO1_GET_ALL:
            ops = [encode_result(name, value) for name, value in record.bins.items()]
            return reply(errors.OK, gen, void_time, ops)
        return reply(errors.OK, gen, void_time, _read_ops(request, record))
    except Failure as failure:
        return reply(failure.code, gen, void_time)


def _read_ops(request: Request, record: StoredRecord) -> list[msg.Op]:
    message = request.message
    if not message.ops:
        raise Failure(errors.ERR_PARAMETER, "read with no ops and no get-all flag")
    if len(message.ops) > MAX_N_OPS:
        raise Failure(errors.ERR_PARAMETER, "too many ops")
    respond_all = bool(message.info2 & msg.INFO2_RESPOND_ALL_OPS)
    clock = request.namespace.clock
    now_ns = clock.now_ns()
    ctx = OpContext(
        request.namespace, record, record.bins, True, now_ns, clock.now_cl()
    )
    out: list[msg.Op] = []
    for op in message.ops:
        _check_bin_name(op.name)
        if op.op_type == msg.OP_READ:
            value = record.bins.get(op.name)
            if value is not None:
                out.append(encode_result(op.name, value))
            elif respond_all:
                out.append(msg.Op(msg.OP_READ, particle.NULL, op.name, b""))
            continue
        handler = READ_HANDLERS.get(op.op_type)
        if handler is None:
            raise Failure(errors.ERR_PARAMETER, f"op {op.op_type} is not a read op")
        result = handler(ctx, op)
        out.append(encode_result(op.name, None if result is NO_RESULT else result))
    return out


def _read_touch(request: Request, record: StoredRecord) -> None:
    """Reset the TTL of a record read below its read-touch threshold."""
    percent = request.message.record_ttl
    if percent == 0:
        percent = request.namespace.config.default_read_touch_ttl_pct
    if percent == 0 or percent == 0xFFFFFFFF or record.void_time == 0:
        return
    if percent > 100:
        raise Failure(errors.ERR_PARAMETER, "read-touch percent above 100")
    # The threshold is a share of the TTL the last write gave the record,
    # and a touch gives it that TTL again (read_touch.c).
    clock = request.namespace.clock
    last_update_cl = record.last_update_ns // 1_000_000_000 - CITRUSLEAF_EPOCH
    write_ttl = record.void_time - last_update_cl
    if write_ttl <= 0:
        return
    now_cl = clock.now_cl()
    if now_cl < record.void_time - write_ttl * percent // 100:
        return
    record.void_time = now_cl + write_ttl
    record.last_update_ns = clock.now_ns()
    record.generation = _next_generation(record.generation)


# -- write / operate -----------------------------------------------------------


def _check_bin_name(name: str) -> None:
    if len(name.encode()) > msg.MAX_BIN_NAME:
        raise Failure(errors.ERR_BIN_NAME, f"bin name {name!r} is too long")


def _next_generation(generation: int) -> int:
    return 1 if generation >= MAX_GENERATION else generation + 1


class _WritePolicy:
    __slots__ = ("must_not_create", "replace")

    def __init__(self, message: Message) -> None:
        info1, info3 = message.info1, message.info3
        self.must_not_create = bool(
            info3 & (msg.INFO3_UPDATE_ONLY | msg.INFO3_REPLACE_ONLY)
        )
        self.replace = bool(
            info3 & (msg.INFO3_CREATE_OR_REPLACE | msg.INFO3_REPLACE_ONLY)
        )
        if not message.ops:
            raise Failure(errors.ERR_PARAMETER, "write with no ops")
        if len(message.ops) > MAX_N_OPS:
            raise Failure(errors.ERR_PARAMETER, "too many ops")
        has_read = has_read_all = generates_response = False
        respond_all = bool(message.info2 & msg.INFO2_RESPOND_ALL_OPS)
        for op in message.ops:
            if op.op_type == msg.OP_TOUCH:
                if self.replace:
                    raise Failure(errors.ERR_PARAMETER, "touch with replace")
                self.must_not_create = True
                continue
            _check_bin_name(op.name)
            if op.op_type == msg.OP_WRITE:
                if op.particle_type == particle.NULL and self.replace:
                    raise Failure(errors.ERR_PARAMETER, "bin delete with replace")
            elif (
                op.op_type == msg.OP_READ and not op.name and info1 & msg.INFO1_GET_ALL
            ):
                if respond_all or has_read_all:
                    raise Failure(errors.ERR_PARAMETER, "bad read-all op")
                has_read = has_read_all = True
            elif op.op_type in msg.READ_OPS:
                has_read = generates_response = True
            elif op.op_type in MODIFY_HANDLERS:
                if self.replace:
                    raise Failure(errors.ERR_PARAMETER, "modify op with replace")
                if op.op_type in (msg.OP_CDT_MODIFY, msg.OP_HLL_MODIFY):
                    generates_response = True
            else:
                raise Failure(errors.ERR_PARAMETER, f"unknown op {op.op_type}")
        if has_read and not info1 & msg.INFO1_READ:
            raise Failure(errors.ERR_PARAMETER, "read op without the read flag")
        if has_read_all and generates_response:
            raise Failure(errors.ERR_PARAMETER, "read-all mixed with result ops")
        if info1 & msg.INFO1_GET_ALL and not has_read_all:
            raise Failure(errors.ERR_PARAMETER, "get-all flag with no read-all op")


def write(request: Request) -> bytes:
    message = request.message
    namespace = request.namespace
    policy = _WritePolicy(message)
    existing = namespace.find(request.digest)
    gen = existing.generation if existing else 0
    void_time = existing.void_time if existing else 0
    try:
        if existing is None and policy.must_not_create:
            raise Failure(errors.ERR_NOT_FOUND)
        if existing is not None and message.info2 & msg.INFO2_CREATE_ONLY:
            raise Failure(errors.ERR_RECORD_EXISTS)
        _check_generation(message, gen)
        if existing is not None:
            if request.set_name != existing.set_name:
                raise Failure(errors.ERR_PARAMETER, "set name mismatch")
            _check_filter(request, existing)
            if request.key is not None and existing.key and request.key != existing.key:
                raise Failure(errors.ERR_KEY_MISMATCH)
        return _apply_write(request, policy, existing)
    except Failure as failure:
        return reply(failure.code, gen, void_time)


def _check_generation(message: Message, current: int) -> None:
    if message.info2 & msg.INFO2_GENERATION and message.generation != current:
        raise Failure(errors.ERR_GENERATION)
    if message.info2 & msg.INFO2_GENERATION_GT and message.generation <= current:
        raise Failure(errors.ERR_GENERATION)


def _check_ttl(namespace: Namespace, ttl: int, set_name: str) -> None:
    if not (ttl <= MAX_TTL or ttl in (TTL_NEVER_EXPIRE, TTL_DONT_UPDATE)):
        raise Failure(errors.ERR_PARAMETER, f"ttl {ttl} above the ten-year limit")
    real_ttl = 0 < ttl <= MAX_TTL or (
        ttl == TTL_USE_DEFAULT and namespace.effective_default_ttl(set_name) != 0
    )
    if real_ttl and not namespace.config.expiry_enabled:
        raise Failure(
            errors.ERR_FORBIDDEN,
            f"namespace {namespace.name!r} has nsup-period 0: records with a TTL "
            "are refused",
        )


def _apply_write(
    request: Request, policy: _WritePolicy, existing: StoredRecord | None
) -> bytes:
    message = request.message
    namespace = request.namespace
    clock = namespace.clock
    now_ns = clock.now_ns()
    now_cl = now_ns // 1_000_000_000 - 1262304000
    set_name = existing.set_name if existing else request.set_name

    ttl = message.record_ttl
    if ttl == TTL_DONT_UPDATE and existing is None:
        ttl = TTL_USE_DEFAULT
    _check_ttl(namespace, ttl, set_name)

    if existing is None:
        record = StoredRecord(request.digest, set_name, {}, 0, 0, now_ns, None)
        bins: dict[str, Any] = {}
    else:
        record = existing
        bins = {} if policy.replace else dict(existing.bins)
    ctx = OpContext(namespace, record, bins, existing is not None, now_ns, now_cl)
    results = _run_write_ops(ctx, message)

    if not bins:
        if existing is None:
            raise Failure(errors.ERR_NOT_FOUND, "write left the record empty")
        namespace.remove(request.digest)
        return reply(errors.OK, 0, 0, results or ())

    new = StoredRecord(
        request.digest,
        set_name,
        bins,
        _next_generation(record.generation),
        _void_time(namespace, ttl, record, set_name, now_cl),
        now_ns,
        record.key if record.key else request.key,
    )
    _check_size(namespace, new)
    namespace.store(new)
    return reply(errors.OK, new.generation, new.void_time, results or ())


def _void_time(
    namespace: Namespace, ttl: int, record: StoredRecord, set_name: str, now_cl: int
) -> int:
    if ttl == TTL_DONT_UPDATE:
        return record.void_time
    return namespace.void_time_for(ttl, set_name, now_cl)


def _check_size(namespace: Namespace, record: StoredRecord) -> None:
    size = 48 + len(record.key or b"")
    for name, value in record.bins.items():
        size += len(name) + 4 + len(particle.encode(value)[1])
    if size > namespace.config.max_record_size:
        raise Failure(
            errors.ERR_RECORD_TOO_BIG,
            f"record of {size} bytes exceeds {namespace.config.max_record_size}",
        )


def _run_write_ops(ctx: OpContext, message: Message) -> list[msg.Op]:
    respond_all = bool(message.info2 & msg.INFO2_RESPOND_ALL_OPS)
    results: list[msg.Op] = []
    for op in message.ops:
        op_type = op.op_type
        if op_type == msg.OP_TOUCH:
            continue
        if op_type == msg.OP_READ:
            _read_in_write(ctx, op, message, respond_all, results)
            continue
        modify = MODIFY_HANDLERS.get(op_type)
        if modify is not None:
            value = modify(ctx, op)
            if value is not NO_RESULT:
                results.append(encode_result(op.name, value, op_type))
            elif respond_all:
                results.append(msg.Op(op_type, particle.NULL, op.name, b""))
            continue
        handler = READ_HANDLERS.get(op_type)
        if handler is None:
            raise Failure(errors.ERR_PARAMETER, f"op {op_type} is not supported")
        value = handler(ctx, op)
        results.append(
            encode_result(op.name, None if value is NO_RESULT else value, op_type)
        )
    return results


def _read_in_write(
    ctx: OpContext,
    op: msg.Op,
    message: Message,
    respond_all: bool,
    results: list[msg.Op],
) -> None:
    if not op.name and message.info1 & msg.INFO1_GET_ALL:
        results.extend(encode_result(name, v) for name, v in ctx.bins.items())
        return
    value = ctx.bins.get(op.name)
    if value is not None:
        results.append(encode_result(op.name, value))
    elif respond_all:
        results.append(msg.Op(msg.OP_READ, particle.NULL, op.name, b""))


# -- delete --------------------------------------------------------------------


def delete(request: Request) -> bytes:
    message = request.message
    namespace = request.namespace
    existing = namespace.find(request.digest)
    if existing is None:
        return reply(errors.ERR_NOT_FOUND)
    try:
        _check_generation(message, existing.generation)
        if not _set_name_matches(request, existing):
            raise Failure(errors.ERR_PARAMETER, "set name mismatch")
        _check_filter(request, existing)
        if request.key is not None and existing.key and request.key != existing.key:
            raise Failure(errors.ERR_KEY_MISMATCH)
    except Failure as failure:
        return reply(failure.code, existing.generation, existing.void_time)
    namespace.remove(request.digest)
    return reply(errors.OK)


# -- dispatch ------------------------------------------------------------------

# UDF apply handler: (request) -> reply bytes. Installed by the UDF module.
udf_handler: list[Callable[[Request], bytes]] = []


def handle_single(message: Message, namespaces: dict[str, Namespace]) -> bytes:
    """Run one single-record command and return its framed reply."""
    try:
        request = Request(message, namespaces)
        if message.info2 & msg.INFO2_WRITE:
            if message.info2 & msg.INFO2_DELETE:
                return delete(request)
            if msg.FIELD_UDF_FILENAME in message.fields:
                if not udf_handler:
                    raise Failure(errors.ERR_UNSUPPORTED_FEATURE, "UDFs")
                return udf_handler[0](request)
            return write(request)
        if message.info1 & msg.INFO1_READ:
            return read(request)
        raise Failure(errors.ERR_PARAMETER, "neither a read nor a write")
    except Failure as failure:
        return reply(failure.code)
