"""Batch commands without I/O: rows, request bytes and reply parsing.

A batch asks many records in one AS_MSG per node (PROTOCOL.md section 7).
Each requested key becomes a :class:`Row`: the key and a
:class:`RowTemplate`, which holds what the row asks of the server (info
bytes, generation, TTL, extra fields, ops) and how to read its answer.
Keys asked the same way share one template.

Rows are numbered by their position in the caller's list. The server
echoes that number in the ``transaction_ttl`` of each row reply, so a
result lands at its key's position whichever node answered and in whatever
order: results are positional, duplicates included.

A :class:`BatchPlan` holds the rows and their results. The I/O driver
(``_async/batch.py``) routes the rows to nodes, sends
:meth:`BatchPlan.request` for each node, feeds the reply frames to a
:class:`NodeReply`, and asks the plan what to do with rows no node answered.

Row kinds: ``read`` (get, select, header), ``operate`` (ops, plain writes
of ``batch_write`` included), ``delete`` and ``udf``. A new kind is a
template builder here plus, if its reply needs it, a decoder in
``_DECODERS``.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, NoReturn

from aerospike_py import _constants as C
from aerospike_py import _udf
from aerospike_py._command import (
    Command,
    _operate_results,
    _server_timeout,
    _write_header,
    ttl_from_void_time,
)
from aerospike_py._keys import KeyInfo, parse_key
from aerospike_py._ops import WRITE, EncodedOps, bin_value_op, check_bin_name
from aerospike_py._policy import Policy, WriteSettings, write_settings
from aerospike_py.exception import (
    AerospikeError,
    ClientError,
    InvalidArgError,
    from_result_code,
)
from aerospike_py.types import (
    BatchRecord,
    BatchRetryInfo,
    Record,
    RecordMetadata,
)
from aerospike_py.wire import message as msg

# Parent flags (server: as/src/base/batch.c).
PARENT_INLINE = 0x01
PARENT_INLINE_SSD = 0x02
PARENT_RESPOND_ALL_KEYS = 0x04
# Deliver the reply of the row that stopped the batch, as Java and C do.
PARENT_REPORT_ERROR_REC = 0x08

# Row flags (batch.c): what follows the digest.
ROW_REPEAT = 0x01
ROW_INFO = 0x02
ROW_GENERATION = 0x04
ROW_TTL = 0x08

READ_ROW_FLAGS = ROW_INFO | ROW_TTL
WRITE_ROW_FLAGS = ROW_INFO | ROW_GENERATION | ROW_TTL

READ = "read"
OPERATE = "operate"
DELETE = "delete"
UDF = "udf"

MAX_ROW_GENERATION = 0xFFFF  # the row's generation is 16 bits
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_ROW_KEY = struct.Struct(">I20s")
_REPEAT = bytes((ROW_REPEAT,))

# Results a batch_write retries (API.md section 2): timeout, key busy,
# device overload.
TRANSIENT_RESULTS = frozenset({9, 14, 18})
RETRY_BACKOFF_BASE = 0.01  # seconds, doubled per attempt
RETRY_BACKOFF_CAP = 0.5


# -- row templates ------------------------------------------------------------


class RowTemplate:
    """What rows ask of the server, and how their replies are read."""

    __slots__ = (
        "_bodies",
        "encoded",
        "fields",
        "generation",
        "info1",
        "info2",
        "info3",
        "is_write",
        "kind",
        "ops",
        "respond_all",
        "row_flags",
        "send_key",
        "ttl",
    )

    def __init__(
        self,
        kind: str,
        *,
        row_flags: int,
        info1: int = 0,
        info2: int = 0,
        info3: int = 0,
        generation: int = 0,
        ttl: int = 0,
        fields: Sequence[tuple[int, bytes]] = (),
        ops: Sequence[msg.Op] = (),
        encoded: EncodedOps | None = None,
        send_key: bool = False,
    ) -> None:
        self.kind = kind
        self.row_flags = row_flags
        self.info1 = info1
        self.info2 = info2
        self.info3 = info3
        self.generation = generation
        self.ttl = ttl & 0xFFFFFFFF
        self.fields = list(fields)
        self.ops = list(ops)
        self.encoded = encoded
        self.send_key = send_key
        self.is_write = bool(info2 & msg.INFO2_WRITE)
        self.respond_all = bool(info2 & msg.INFO2_RESPOND_ALL_OPS)
        self._bodies: dict[tuple[str, str], bytes] = {}

    def sends_key(self, key: KeyInfo) -> bool:
        return self.send_key and key.user_key is not None

    def body(self, key: KeyInfo) -> bytes:
        """The row after its index and digest (PROTOCOL.md 7.2)."""
        if self.sends_key(key):
            return self._encode(key)
        cache_key = (key.namespace, key.set_name)
        body = self._bodies.get(cache_key)
        if body is None:
            body = self._bodies[cache_key] = self._encode(key)
        return body

    def _encode(self, key: KeyInfo) -> bytes:
        fields = [(msg.FIELD_NAMESPACE, key.ns_bytes), (msg.FIELD_SET, key.set_bytes)]
        if self.sends_key(key):
            fields.append((msg.FIELD_KEY, key.key_field()))
        fields += self.fields
        out = bytearray((self.row_flags, self.info1))
        if self.row_flags & ROW_INFO:
            out += bytes((self.info2, self.info3))
        if self.row_flags & ROW_GENERATION:
            out += _U16.pack(self.generation)
        if self.row_flags & ROW_TTL:
            out += _U32.pack(self.ttl)
        msg.check_counts(len(fields), len(self.ops))
        out += _U16.pack(len(fields))
        out += _U16.pack(len(self.ops))
        # Fields and ops are laid out as in any AS_MSG: let the codec do it.
        encoded = msg.encode_message(fields=fields, ops=self.ops, framed=False)
        out += encoded[msg.HEADER_SIZE :]
        return bytes(out)


def _filter_fields(expression: bytes | None) -> list[tuple[int, bytes]]:
    return [] if expression is None else [(msg.FIELD_FILTER_EXP, expression)]


def read_template(
    policy: Policy, bins: list[str] | None, *, row_filter: bytes | None = None
) -> RowTemplate:
    """A read of all bins (None), named bins, or the header only ([])."""
    info1 = msg.INFO1_READ
    if policy.read_mode_ap == C.POLICY_READ_MODE_AP_ALL:
        info1 |= msg.INFO1_READ_MODE_AP_ALL
    ops: list[msg.Op] = []
    if bins is None:
        info1 |= msg.INFO1_GET_ALL
    elif not bins:
        info1 |= msg.INFO1_GET_NO_BINS
    else:
        ops = [msg.read_op(check_bin_name(name)) for name in bins]
    return RowTemplate(
        READ,
        row_flags=READ_ROW_FLAGS,
        info1=info1,
        ttl=policy.read_touch_ttl_percent,
        fields=_filter_fields(row_filter),
        ops=ops,
    )


def operate_template(
    encoded: EncodedOps,
    settings: WriteSettings,
    *,
    row_filter: bytes | None = None,
) -> RowTemplate:
    """Operations on one record; a write row when any op writes."""
    policy = settings.policy
    info1 = 0
    if encoded.has_read:
        info1 |= msg.INFO1_READ
        if encoded.read_all:
            info1 |= msg.INFO1_GET_ALL
    # As for operate(): one reply bin per op, except with a read-all op,
    # which the server refuses to combine with that flag.
    respond_all = 0 if encoded.read_all else msg.INFO2_RESPOND_ALL_OPS
    fields = _filter_fields(row_filter)
    if not encoded.has_write:
        if policy.read_mode_ap == C.POLICY_READ_MODE_AP_ALL:
            info1 |= msg.INFO1_READ_MODE_AP_ALL
        return RowTemplate(
            OPERATE,
            row_flags=READ_ROW_FLAGS,
            info1=info1,
            info2=respond_all,
            ttl=policy.read_touch_ttl_percent,
            fields=fields,
            ops=encoded.ops,
            encoded=encoded,
        )
    info2, info3, generation = _write_header(settings)
    return RowTemplate(
        OPERATE,
        row_flags=WRITE_ROW_FLAGS,
        info1=info1,
        info2=info2 | respond_all,
        info3=info3,
        generation=_row_generation(generation),
        ttl=settings.ttl,
        fields=fields,
        ops=encoded.ops,
        encoded=encoded,
        send_key=policy.key == C.POLICY_KEY_SEND,
    )


def write_template(bins: Any, settings: WriteSettings) -> RowTemplate:
    """Write ``bins`` (a None value deletes that bin), as ``put`` does."""
    if not isinstance(bins, Mapping):
        raise InvalidArgError(f"bins must be a dict, not {type(bins).__name__}")
    if not bins:
        raise InvalidArgError("bins is empty: a write needs at least one bin")
    ops = [
        bin_value_op(msg.OP_WRITE, check_bin_name(name), value)
        for name, value in bins.items()
    ]
    return operate_template(EncodedOps(ops, [WRITE] * len(ops)), settings)


def delete_template(
    settings: WriteSettings, *, row_filter: bytes | None = None
) -> RowTemplate:
    """Delete the record (with its generation check, if any)."""
    # A delete has no record-exists policy; the header takes none.
    settings = replace(
        settings, policy=replace(settings.policy, exists=C.POLICY_EXISTS_IGNORE)
    )
    info2, info3, generation = _write_header(settings)
    return RowTemplate(
        DELETE,
        row_flags=WRITE_ROW_FLAGS,
        info2=info2 | msg.INFO2_DELETE | msg.INFO2_RESPOND_ALL_OPS,
        info3=info3,
        generation=_row_generation(generation),
        fields=_filter_fields(row_filter),
        send_key=settings.policy.key == C.POLICY_KEY_SEND,
    )


def udf_template(
    settings: WriteSettings,
    module: str,
    function: str,
    arglist: bytes,
    *,
    row_filter: bytes | None = None,
) -> RowTemplate:
    """Apply a registered UDF; ``arglist`` is the msgpack list of arguments.

    The reply's ``SUCCESS`` (or ``FAILURE``) bin holds what the UDF returned.
    """
    policy = settings.policy
    info2 = msg.INFO2_WRITE
    if policy.durable_delete:
        info2 |= msg.INFO2_DURABLE_DELETE
    info3 = 0
    if policy.commit_level == C.POLICY_COMMIT_LEVEL_MASTER:
        info3 |= msg.INFO3_COMMIT_MASTER
    fields = [
        *_filter_fields(row_filter),
        (msg.FIELD_UDF_FILENAME, module.encode()),
        (msg.FIELD_UDF_FUNCTION, function.encode()),
        (msg.FIELD_UDF_ARGLIST, arglist),
    ]
    return RowTemplate(
        UDF,
        row_flags=WRITE_ROW_FLAGS,
        info2=info2,
        info3=info3,
        ttl=settings.ttl,
        fields=fields,
        send_key=policy.key == C.POLICY_KEY_SEND,
    )


def _row_generation(generation: int) -> int:
    if generation > MAX_ROW_GENERATION:
        raise InvalidArgError(
            f"generation {generation} does not fit a batch row; the server "
            f"keeps generations up to {MAX_ROW_GENERATION}"
        )
    return generation


# -- reply decoding -----------------------------------------------------------


def _meta(message: msg.Message) -> RecordMetadata:
    return RecordMetadata(message.generation, ttl_from_void_time(message.record_ttl))


def _read_bins(template: RowTemplate, message: msg.Message) -> dict[str, Any]:
    return msg.decode_bins(message.ops)


def _operate_bins(template: RowTemplate, message: msg.Message) -> dict[str, Any]:
    assert template.encoded is not None
    pairs = _operate_results(template.encoded, message.ops, template.respond_all)
    bins: dict[str, Any] = {}
    repeated: set[str] = set()
    for name, value in pairs:
        if name not in bins:
            bins[name] = value
            continue
        # Several results for one bin come back as a list, as with operate().
        if name not in repeated:
            bins[name] = [bins[name]]
            repeated.add(name)
        bins[name].append(value)
    return bins


BinDecoder = Callable[[RowTemplate, msg.Message], dict[str, Any]]
_DECODERS: dict[str, BinDecoder] = {
    READ: _read_bins,
    OPERATE: _operate_bins,
    DELETE: _read_bins,
    UDF: _read_bins,
}


def decode_row(
    template: RowTemplate, key: KeyInfo, message: msg.Message
) -> BatchRecord:
    """Turn one row reply into the key's BatchRecord."""
    result_key = key.result_key()
    code = message.result_code
    bins = _DECODERS[template.kind](template, message)
    if code:
        # Failures keep what the server said, e.g. a UDF's FAILURE bin.
        record = Record(result_key, None, bins) if bins else None
        return BatchRecord(result_key, code, record)
    meta: RecordMetadata | None = _meta(message)
    if message.generation == 0 and message.record_ttl == 0:
        meta = None  # the row deleted the record
    return BatchRecord(result_key, code, Record(result_key, meta, bins))


# -- rows and plans -----------------------------------------------------------


class Row:
    """One requested key and the template it is asked with."""

    __slots__ = ("key", "template")

    def __init__(self, key: KeyInfo, template: RowTemplate) -> None:
        self.key = key
        self.template = template


def _route_only(body: bytes, node: str) -> NoReturn:
    raise ClientError("a batch row is routed like a command but never sent alone")


class BatchPlan:
    """The rows of one batch call and what became of each."""

    def __init__(self, rows: list[Row], policy: Policy) -> None:
        self.rows = rows
        self.policy = policy
        count = len(rows)
        self.results: list[BatchRecord | None] = [None] * count
        # True where the result came in a row reply (not from a failure).
        self.answered = [False] * count
        # True where the last attempt failed on the way to or from a node.
        self.transport_failed = [False] * count
        self.last_error: AerospikeError | None = None
        flags = PARENT_REPORT_ERROR_REC
        if policy.allow_inline:
            flags |= PARENT_INLINE
        if policy.allow_inline_ssd:
            flags |= PARENT_INLINE_SSD
        if policy.respond_all_keys:
            flags |= PARENT_RESPOND_ALL_KEYS
        self.parent_flags = flags

    def __len__(self) -> int:
        return len(self.rows)

    def route(self, index: int) -> Command:
        """A command that routes row ``index`` as a single-record one would."""
        row = self.rows[index]
        return Command(row.key, b"", row.template.is_write, self.policy, _route_only)

    def request(self, indexes: Sequence[int]) -> bytes:
        """The framed batch request asking the rows ``indexes``."""
        body = bytearray(_U32.pack(len(indexes)))
        body.append(self.parent_flags)
        previous: bytes | None = None
        for index in indexes:
            row = self.rows[index]
            body += _ROW_KEY.pack(index, row.key.digest)
            data = row.template.body(row.key)
            if data == previous:
                body += _REPEAT
                continue
            body += data
            # A row that sent its key may not be repeated (batch.c).
            previous = None if row.template.sends_key(row.key) else data
        fields = _filter_fields(self.policy.filter_expression)
        fields.append((msg.FIELD_BATCH, bytes(body)))
        return msg.encode_message(
            info1=msg.INFO1_BATCH,
            transaction_ttl=_server_timeout(self.policy),
            fields=fields,
        )

    def reader(self, indexes: Sequence[int]) -> NodeReply:
        return NodeReply(self, indexes)

    def settle(self, index: int, message: msg.Message) -> None:
        row = self.rows[index]
        self.results[index] = decode_row(row.template, row.key, message)
        self.answered[index] = True
        self.transport_failed[index] = False

    def unroutable(self, index: int, error: AerospikeError) -> None:
        """Give a row that no node serves the reason; that fails the row alone.

        As with the official client, a key in a namespace the cluster does
        not have gets result 20 and never fails the whole batch.
        """
        key = self.rows[index].key.result_key()
        self.results[index] = BatchRecord(key, error.code, None)

    def fail(
        self,
        indexes: Sequence[int],
        error: AerospikeError,
        *,
        sent: bool,
        transport: bool,
    ) -> None:
        """Give rows no reply came for the error's code.

        A write that reached the node may have been applied: in doubt.
        """
        self.last_error = error
        for index in indexes:
            row = self.rows[index]
            key = row.key.result_key()
            in_doubt = sent and row.template.is_write
            self.results[index] = BatchRecord(key, error.code, None, in_doubt)
            self.answered[index] = False
            self.transport_failed[index] = transport

    def after_transport_failure(
        self, indexes: Sequence[int], error: AerospikeError, *, sent: bool
    ) -> list[int]:
        """Fail the unanswered rows of a node; return those safe to resend.

        Reads are always safe; a write is only if the request never left.
        """
        self.fail(indexes, error, sent=sent, transport=True)
        return [i for i in indexes if not (sent and self.rows[i].template.is_write)]

    def transient_failures(self, indexes: Sequence[int]) -> list[int]:
        """Rows whose failure a batch_write retry may cure."""
        failing = []
        for index in indexes:
            result = self.results[index]
            if self.transport_failed[index] or (
                result is not None and result.result in TRANSIENT_RESULTS
            ):
                failing.append(index)
        return failing

    def raise_if_unanswered(self) -> None:
        """Raise the last failure when no row got an answer at all."""
        error = self.last_error
        if error is None or any(self.answered):
            return
        in_doubt = any(r is not None and r.in_doubt for r in self.results)
        if in_doubt and not error.in_doubt:
            error.in_doubt = True
        raise error

    def records(self) -> list[BatchRecord]:
        """One BatchRecord per row, in request order."""
        missing = [i for i, result in enumerate(self.results) if result is None]
        if missing:
            raise ClientError(f"batch rows {missing[:10]} were never run")
        return [result for result in self.results if result is not None]


class NodeReply:
    """Reads one node's reply frames into the plan, row by row."""

    __slots__ = ("_expected", "_plan", "answered", "done", "result")

    def __init__(self, plan: BatchPlan, indexes: Sequence[int]) -> None:
        self._plan = plan
        self._expected = set(indexes)
        self.answered: set[int] = set()
        self.done = False
        self.result = 0

    def feed(self, msg_type: int, body: bytes) -> bool:
        """Take one reply frame; return True once the LAST message came."""
        if msg_type == msg.MSG_COMPRESSED:
            msg_type, body = msg.decompress_frame(body)
        if msg_type != msg.MSG_AS:
            raise ClientError(f"batch reply has message type {msg_type}, not 3")
        pos = 0
        while pos < len(body):
            try:
                message, pos = msg.decode_message(body, pos)
            except msg.MessageError as exc:
                raise ClientError(f"malformed batch reply: {exc}") from exc
            if message.info3 & msg.INFO3_LAST:
                self.result = message.result_code
                self.done = True
                return True
            self._settle(message)
        return False

    def _settle(self, message: msg.Message) -> None:
        index = message.transaction_ttl
        if index not in self._expected or index in self.answered:
            raise ClientError(
                f"batch reply for row {index}, which this node was not asked "
                "or already answered"
            )
        self.answered.add(index)
        self._plan.settle(index, message)

    def unanswered(self) -> list[int]:
        return sorted(self._expected - self.answered)

    def trailer_error(self) -> AerospikeError | None:
        """The error that ended the stream early, if it did."""
        if not self.result:
            return None
        return from_result_code(self.result, "the node ended the batch early")


# -- building plans from user input -------------------------------------------


@contextmanager
def _naming(where: str) -> Iterator[None]:
    """Prefix a refusal of the caller's input with where it was found."""
    try:
        yield
    except InvalidArgError as exc:
        raise InvalidArgError(f"{where}: {exc}") from None


def check_list(value: Any, what: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InvalidArgError(
            f"{what} must be a list, not {type(value).__name__} ({value!r:.60})"
        )
    return value


def _key_at(items: Sequence[Any], position: int, where: str) -> KeyInfo:
    # A plain try (not _naming): this runs once per key of every batch.
    try:
        return parse_key(items[position])
    except InvalidArgError as exc:
        raise InvalidArgError(f"{where}[{position}]: {exc}") from None


def parse_keys(keys: Any) -> list[KeyInfo]:
    """Check every key; a bad one is named by its position."""
    keys = check_list(keys, "keys")
    return [_key_at(keys, position, "keys") for position in range(len(keys))]


def read_plan(keys: Any, bins: Any, policy: Policy) -> BatchPlan:
    key_infos = parse_keys(keys)
    if bins is not None:
        bins = list(check_list(bins, "bins"))
    template = read_template(policy, bins)
    return BatchPlan([Row(key, template) for key in key_infos], policy)


def operate_plan(keys: Any, encoded: EncodedOps, policy: Policy) -> BatchPlan:
    key_infos = parse_keys(keys)
    template = operate_template(encoded, write_settings(policy, None, None))
    return BatchPlan([Row(key, template) for key in key_infos], policy)


_DELETE_META = frozenset({"gen", "key", "commit_level", "durable_delete"})
_WRITE_META = frozenset(
    {"gen", "ttl", "key", "exists", "commit_level", "durable_delete"}
)


def remove_plan(keys: Any, policy: Policy) -> BatchPlan:
    """Rows for ``batch_remove``: keys, or ``(key, BatchDeleteMeta)`` pairs."""
    keys = check_list(keys, "keys")
    shared = delete_template(write_settings(policy, None, None))
    rows = []
    for position, item in enumerate(keys):
        if not _is_pair(item):
            rows.append(Row(_key_at(keys, position, "keys"), shared))
            continue
        where = f"keys[{position}]"
        key = _key_at(item, 0, where)
        with _naming(where):
            meta = _check_meta(item[1], _DELETE_META, "BatchDeleteMeta")
            rows.append(Row(key, delete_template(_meta_settings(policy, meta))))
    return BatchPlan(rows, policy)


def write_plan(records: Any, policy: Policy) -> BatchPlan:
    """Rows for ``batch_write``: ``(key, bins[, WriteMeta])`` items."""
    records = check_list(records, "records")
    plain = write_settings(policy, None, None)
    rows = []
    for position, item in enumerate(records):
        where = f"records[{position}]"
        if (
            not isinstance(item, tuple)
            or len(item) not in (2, 3)
            or not isinstance(item[0], tuple)
        ):
            raise InvalidArgError(
                f"{where} must be a tuple (key, bins) or (key, bins, meta), "
                f"not {item!r:.60}"
            )
        key = _key_at(item, 0, where)
        with _naming(where):
            settings = plain
            if len(item) == 3 and item[2] is not None:
                meta = _check_meta(item[2], _WRITE_META, "WriteMeta")
                settings = _meta_settings(policy, meta)
            rows.append(Row(key, write_template(item[1], settings)))
    return BatchPlan(rows, policy)


_UDF_META = frozenset(
    {"module", "function", "args", "ttl", "commit_level", "key", "durable_delete"}
)


def udf_plan(
    keys: Any, module: Any, function: Any, args: Any, policy: Policy
) -> BatchPlan:
    """Rows for ``batch_apply``: keys, or ``(key, BatchUDFMeta)`` pairs whose
    meta may name another module, function or args, and write settings."""
    keys = check_list(keys, "keys")
    shared = _udf_template(write_settings(policy, None, None), module, function, args)
    rows = []
    for position, item in enumerate(keys):
        if not _is_pair(item):
            rows.append(Row(_key_at(keys, position, "keys"), shared))
            continue
        where = f"keys[{position}]"
        key = _key_at(item, 0, where)
        with _naming(where):
            meta = _check_meta(item[1], _UDF_META, "BatchUDFMeta")
            write_meta = {k: v for k, v in meta.items() if k in _WRITE_META}
            template = _udf_template(
                _meta_settings(policy, write_meta),
                meta.get("module", module),
                meta.get("function", function),
                meta.get("args", args),
            )
            rows.append(Row(key, template))
    return BatchPlan(rows, policy)


def _udf_template(
    settings: WriteSettings, module: Any, function: Any, args: Any
) -> RowTemplate:
    name, function, arglist = _udf.check_call(module, function, args)
    return udf_template(settings, name, function, arglist)


def _is_pair(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], tuple)


def _check_meta(meta: Any, allowed: frozenset[str], kind: str) -> Mapping[str, Any]:
    if not isinstance(meta, Mapping):
        raise InvalidArgError(
            f"meta must be a {kind} dict, not {type(meta).__name__} ({meta!r:.40})"
        )
    unknown = sorted(set(meta) - allowed)
    if unknown:
        raise InvalidArgError(
            f"meta has unknown key(s) {unknown}; {kind} allows {sorted(allowed)}"
        )
    return meta


def _meta_settings(policy: Policy, meta: Mapping[str, Any]) -> WriteSettings:
    """Per-record meta wins over the batch policy (API.md section 0).

    At batch level ``gen`` is the generation mode; in the meta it is the
    expected generation, checked for equality unless the policy asked for
    greater-than.
    """
    settings = write_settings(policy, meta, None)
    if "gen" in meta and policy.gen == C.POLICY_GEN_GT:
        settings = replace(settings, gen_mode=C.POLICY_GEN_GT)
    return settings


# -- results ------------------------------------------------------------------


class RecordList(list[Record]):
    """``list[Record]`` in request order that also keeps the BatchRecords.

    A key that failed is ``Record(key, None, None)``; its result code and
    ``in_doubt`` flag are in ``batch_records`` at the same position.
    """

    batch_records: list[BatchRecord]

    def __init__(self, batch_records: list[BatchRecord]) -> None:
        super().__init__(_as_record(entry) for entry in batch_records)
        self.batch_records = batch_records


def _as_record(entry: BatchRecord) -> Record:
    if entry.result == 0 and entry.record is not None:
        return entry.record
    return Record(entry.key, None, None)


class RetrySchedule:
    """Full-jitter backoff for batch_write retries (API.md section 2).

    Attempt ``n`` (from 1) waits a random time up to
    ``min(RETRY_BACKOFF_CAP, RETRY_BACKOFF_BASE * 2**n)`` seconds.
    """

    def __init__(self, retry: int, rng: random.Random | None = None) -> None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise InvalidArgError(f"retry must be an int >= 0, not {retry!r}")
        self.max_attempts = retry + 1
        self._rng = rng or random.Random()

    def delay(self, attempt: int) -> float:
        ceiling = min(RETRY_BACKOFF_CAP, RETRY_BACKOFF_BASE * 2**attempt)
        return self._rng.uniform(0, ceiling)

    def info(self, attempts: int, truncated: bool, unresolved: int) -> BatchRetryInfo:
        return BatchRetryInfo(attempts, self.max_attempts, truncated, unresolved)
