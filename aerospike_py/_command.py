"""Single-record commands without I/O: request bytes and reply parsing.

A :class:`Command` holds the framed request, the partition to route it to,
whether it writes, its policy, and a parser that turns the reply body into
the caller's result or raises the mapped exception. The I/O layers of both
clients run the same commands.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from aerospike_py import _constants as C
from aerospike_py import _udf
from aerospike_py._keys import KeyInfo
from aerospike_py._ops import (
    MODIFY,
    READ,
    TOUCH,
    EncodedOps,
    bin_value_op,
    check_bin_name,
)
from aerospike_py._policy import Policy, WriteSettings
from aerospike_py.exception import ClientError, InvalidArgError, from_result_code
from aerospike_py.types import (
    BinTuple,
    ExistsResult,
    OperateOrderedResult,
    Record,
    RecordMetadata,
)
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle

CITRUSLEAF_EPOCH = 1262304000
NEVER_EXPIRES = 0xFFFFFFFF

Parser = Callable[[bytes, str], Any]


class Command:
    """A request ready to send, and how to read its reply."""

    __slots__ = ("data", "is_write", "key", "name", "parse", "policy")

    def __init__(
        self,
        key: KeyInfo,
        data: bytes,
        is_write: bool,
        policy: Policy,
        parse: Parser,
        name: str = "command",
    ) -> None:
        self.key = key
        self.data = data
        self.is_write = is_write
        self.policy = policy
        self.parse = parse
        # The operation name reported in metrics and traces.
        self.name = name

    @property
    def namespace(self) -> str:
        return self.key.namespace

    @property
    def partition(self) -> int:
        return self.key.partition


def ttl_from_void_time(void_time: int) -> int:
    """Remaining seconds as clients report them; never-expiring = 2**32-1."""
    if void_time == 0:
        return NEVER_EXPIRES
    now = int(time.time()) - CITRUSLEAF_EPOCH
    return max(1, void_time - now)


def _server_timeout(policy: Policy) -> int:
    return policy.total_timeout or policy.socket_timeout


def _filter_field(policy: Policy, fields: list[tuple[int, bytes]]) -> None:
    if policy.filter_expression is not None:
        fields.append((msg.FIELD_FILTER_EXP, policy.filter_expression))


def _read_flags(policy: Policy) -> int:
    return msg.INFO1_READ_MODE_AP_ALL if policy.read_mode_ap else 0


def _write_header(settings: WriteSettings) -> tuple[int, int, int]:
    """Return ``(info2, info3, generation)`` of a write."""
    policy = settings.policy
    info2 = msg.INFO2_WRITE
    info3 = 0
    exists = policy.exists
    if exists == C.POLICY_EXISTS_UPDATE_ONLY:
        info3 |= msg.INFO3_UPDATE_ONLY
    elif exists == C.POLICY_EXISTS_REPLACE:
        info3 |= msg.INFO3_CREATE_OR_REPLACE
    elif exists == C.POLICY_EXISTS_REPLACE_ONLY:
        info3 |= msg.INFO3_REPLACE_ONLY
    elif exists == C.POLICY_EXISTS_CREATE_ONLY:
        info2 |= msg.INFO2_CREATE_ONLY
    generation = 0
    if settings.gen_mode == C.POLICY_GEN_EQ:
        info2 |= msg.INFO2_GENERATION
        generation = settings.generation
    elif settings.gen_mode == C.POLICY_GEN_GT:
        info2 |= msg.INFO2_GENERATION_GT
        generation = settings.generation
    if policy.durable_delete:
        info2 |= msg.INFO2_DURABLE_DELETE
    if policy.commit_level == C.POLICY_COMMIT_LEVEL_MASTER:
        info3 |= msg.INFO3_COMMIT_MASTER
    return info2, info3, generation


# What decoding raises on a reply that does not follow the protocol.
MALFORMED = (ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error)


def malformed_reply(node: str, exc: BaseException) -> ClientError:
    return ClientError(
        f"node {node} sent a reply that does not follow the protocol "
        f"({type(exc).__name__}: {exc})",
        node=node,
    )


def _meta(generation: int, void_time: int) -> RecordMetadata:
    return RecordMetadata(generation, ttl_from_void_time(void_time))


def _raise_for(result: int, node: str, key: KeyInfo, in_doubt: bool = False) -> None:
    detail = (
        f"key ({key.namespace!r}, {key.set_name!r}, {key.user_key!r}) on node {node}"
    )
    raise from_result_code(result, detail, node=node, in_doubt=in_doubt)


def _decode_bins(ops: list[msg.Op]) -> dict[str, Any]:
    return {op.name: particle.decode(op.particle_type, op.value) for op in ops}


# -- reads ----------------------------------------------------------------------


def read(
    key: KeyInfo,
    policy: Policy,
    bins: list[str] | None = None,
    *,
    header_only: bool = False,
    exists: bool = False,
) -> Command:
    """``get`` (bins None), ``select`` (bins) or a header-only read."""
    info1 = msg.INFO1_READ | _read_flags(policy)
    ops: list[msg.Op] = []
    if header_only or exists:
        info1 |= msg.INFO1_GET_NO_BINS
    elif bins is None:
        info1 |= msg.INFO1_GET_ALL
    else:
        ops = [msg.read_op(check_bin_name(name)) for name in bins]
        if not ops:
            info1 |= msg.INFO1_GET_NO_BINS
    fields = key.fields()
    _filter_field(policy, fields)
    data = msg.encode_message(
        info1=info1,
        record_ttl=policy.read_touch_ttl_percent & 0xFFFFFFFF,
        transaction_ttl=_server_timeout(policy),
        fields=fields,
        ops=ops,
    )
    parse = _parse_exists(key) if exists else _parse_record(key)
    name = "exists" if exists else "select" if bins is not None else "get"
    return Command(key, data, False, policy, parse, name)


def _parse_record(key: KeyInfo) -> Parser:
    def parse(body: bytes, node: str) -> Record:
        message, _ = msg.decode_message(body)
        if message.result_code:
            _raise_for(message.result_code, node, key)
        return Record(
            key.result_key(),
            _meta(message.generation, message.record_ttl),
            _decode_bins(message.ops),
        )

    return parse


def _parse_exists(key: KeyInfo) -> Parser:
    def parse(body: bytes, node: str) -> ExistsResult:
        message, _ = msg.decode_message(body)
        if message.result_code == 2:
            return ExistsResult(key.result_key(), None)
        if message.result_code:
            _raise_for(message.result_code, node, key)
        return ExistsResult(
            key.result_key(), _meta(message.generation, message.record_ttl)
        )

    return parse


# -- writes -----------------------------------------------------------------------


def _write_command(
    key: KeyInfo,
    settings: WriteSettings,
    ops: list[msg.Op],
    *,
    info1: int = 0,
    info2_extra: int = 0,
    parse: Parser | None = None,
    name: str = "put",
    extra_fields: list[tuple[int, bytes]] | None = None,
) -> Command:
    policy = settings.policy
    info2, info3, generation = _write_header(settings)
    fields = key.fields(send_key=policy.key == C.POLICY_KEY_SEND)
    _filter_field(policy, fields)
    fields.extend(extra_fields or ())
    data = msg.encode_message(
        info1=info1,
        info2=info2 | info2_extra,
        info3=info3,
        generation=generation,
        record_ttl=settings.ttl & 0xFFFFFFFF,
        transaction_ttl=_server_timeout(policy),
        fields=fields,
        ops=ops,
    )
    return Command(key, data, True, policy, parse or _parse_ack(key), name)


def _parse_ack(key: KeyInfo) -> Parser:
    def parse(body: bytes, node: str) -> None:
        message, _ = msg.decode_message(body)
        if message.result_code:
            _raise_for(message.result_code, node, key)

    return parse


def put(key: KeyInfo, bins: Mapping[str, Any], settings: WriteSettings) -> Command:
    if not isinstance(bins, Mapping):
        raise InvalidArgError(f"bins must be a dict, not {type(bins).__name__}")
    if not bins:
        raise InvalidArgError("bins is empty: a put needs at least one bin")
    ops = [
        bin_value_op(msg.OP_WRITE, check_bin_name(name), value)
        for name, value in bins.items()
    ]
    return _write_command(key, settings, ops)


_SINGLE_OP_NAMES = {
    msg.OP_APPEND: "append",
    msg.OP_PREPEND: "prepend",
    msg.OP_INCR: "increment",
    msg.OP_TOUCH: "touch",
}


def single_op(key: KeyInfo, op: msg.Op, settings: WriteSettings) -> Command:
    """append / prepend / increment / touch: one op, no result."""
    name = _SINGLE_OP_NAMES.get(op.op_type, "operate")
    return _write_command(key, settings, [op], name=name)


def remove(key: KeyInfo, settings: WriteSettings) -> Command:
    return _write_command(
        key, settings, [], info2_extra=msg.INFO2_DELETE, name="remove"
    )


def remove_bins(key: KeyInfo, names: Any, settings: WriteSettings) -> Command:
    if not isinstance(names, (list, tuple)) or not names:
        raise InvalidArgError("bin_names must be a non-empty list of bin names")
    ops = [msg.Op(msg.OP_WRITE, particle.NULL, check_bin_name(n), b"") for n in names]
    return _write_command(key, settings, ops, name="remove_bin")


def operate(
    key: KeyInfo, encoded: EncodedOps, settings: WriteSettings, *, ordered: bool
) -> Command:
    """``operate`` / ``operate_ordered``: many ops on one record, atomically."""
    info1 = 0
    if encoded.has_read:
        info1 |= msg.INFO1_READ
        if encoded.read_all:
            info1 |= msg.INFO1_GET_ALL
    # One reply bin per op, in order, lets results be matched to their ops;
    # the server refuses that flag together with a read-all op.
    respond_all = not encoded.read_all
    info2_extra = msg.INFO2_RESPOND_ALL_OPS if respond_all else 0
    parse = _parse_operate(key, encoded, respond_all, ordered)
    if encoded.has_write:
        return _write_command(
            key,
            settings,
            encoded.ops,
            info1=info1,
            info2_extra=info2_extra,
            parse=parse,
            name="operate",
        )
    policy = settings.policy
    fields = key.fields()
    _filter_field(policy, fields)
    data = msg.encode_message(
        info1=info1 | _read_flags(policy),
        info2=info2_extra,
        record_ttl=policy.read_touch_ttl_percent & 0xFFFFFFFF,
        transaction_ttl=_server_timeout(policy),
        fields=fields,
        ops=encoded.ops,
    )
    return Command(key, data, False, policy, parse, "operate")


def _parse_operate(
    key: KeyInfo, encoded: EncodedOps, respond_all: bool, ordered: bool
) -> Parser:
    def parse(body: bytes, node: str) -> Any:
        message, _ = msg.decode_message(body)
        if message.result_code:
            _raise_for(message.result_code, node, key)
        results = _operate_results(encoded, message.ops, respond_all)
        meta: RecordMetadata | None = _meta(message.generation, message.record_ttl)
        if message.generation == 0 and message.record_ttl == 0:
            meta = None  # the ops deleted the record
        if ordered:
            ordered_bins = [BinTuple(name, value) for name, value in results]
            return OperateOrderedResult(key.result_key(), meta, ordered_bins)
        bins: dict[str, Any] = {}
        repeated: set[str] = set()
        for name, value in results:
            if name in bins:
                if name not in repeated:
                    bins[name] = [bins[name]]
                    repeated.add(name)
                bins[name].append(value)
            else:
                bins[name] = value
        return Record(key.result_key(), meta, bins)

    return parse


def _operate_results(
    encoded: EncodedOps, reply_ops: list[msg.Op], respond_all: bool
) -> list[tuple[str, Any]]:
    """Pair reply bins with the ops that asked for them."""
    decoded = [
        (op.name, particle.decode(op.particle_type, op.value)) for op in reply_ops
    ]
    if not respond_all:
        return decoded
    # Plain writes answer with a nil placeholder, and so do modify ops that
    # yield nothing (the server leaves those out without the flag); a read
    # of a missing bin answers nil too, and is kept. A touch has no slot.
    kinds = [kind for kind in encoded.kinds if kind != TOUCH]
    return [
        (name, value)
        for (name, value), kind in zip(decoded, kinds, strict=False)
        if kind == READ or (kind == MODIFY and value is not None)
    ]


# -- UDF -------------------------------------------------------------------------


def apply(
    key: KeyInfo,
    module: Any,
    function: Any,
    args: Any,
    settings: WriteSettings,
) -> Command:
    """Call a UDF on one record ; the result is its return.

    A UDF decides itself whether the record is created, so, as in the
    official clients, the exists and generation policies are not sent: the
    server refuses them with a UDF (udf.c has_forbidden_policy).
    """
    fields = _udf.call_fields(module, function, args)
    plain = WriteSettings(
        replace(settings.policy, exists=C.POLICY_EXISTS_IGNORE),
        0,
        C.POLICY_GEN_IGNORE,
        settings.ttl,
    )
    return _write_command(
        key,
        plain,
        [],
        parse=_parse_apply(key, fields[0][1].decode()),
        name="apply",
        extra_fields=fields,
    )


# The server's text for a call whose module could not start: it is not
# registered, or it failed to load.
MODULE_NOT_LOADED = "UDF: Execution Error 1"


def _parse_apply(key: KeyInfo, module: str) -> Parser:
    def parse(body: bytes, node: str) -> Any:
        message, _ = msg.decode_message(body)
        bins = _decode_bins(message.ops)
        if message.result_code == C.AEROSPIKE_ERR_UDF and "FAILURE" in bins:
            failure = bins["FAILURE"]
            if failure == MODULE_NOT_LOADED:
                failure += (
                    f": module {module!r} is not registered or failed to load "
                    "(udf_list shows the registered modules)"
                )
            raise from_result_code(
                message.result_code,
                f"{failure} (key ({key.namespace!r}, {key.set_name!r}, "
                f"{key.user_key!r}) on node {node})",
                node=node,
            )
        if message.result_code:
            _raise_for(message.result_code, node, key)
        return bins.get("SUCCESS")

    return parse
