"""Batch rows without I/O: request bytes, reply placement, failure rules."""

from __future__ import annotations

import random
import struct

import pytest

from aerospike_py import _batch
from aerospike_py import _constants as C
from aerospike_py._ops import encode_ops
from aerospike_py._policy import DEFAULTS, write_settings
from aerospike_py.exception import AerospikeTimeoutError, ClientError
from aerospike_py.operations import increment, read
from aerospike_py.server import batch as server_batch
from aerospike_py.server.storage import Clock, Namespace, NamespaceConfig
from aerospike_py.wire import message as msg

POLICY = DEFAULTS["BatchPolicy"]
NAMESPACES = {"test": Namespace(NamespaceConfig("test"), Clock())}


def _batch_field(request):
    message, _ = msg.decode_message(request, msg.PROTO_HEADER_SIZE)
    return message, message.fields[msg.FIELD_BATCH]


def _row_flags(request):
    """The flags byte of every row, walking the layout of PROTOCOL.md 7.2."""
    _, body = _batch_field(request)
    count, pos = struct.unpack_from(">I", body)[0], 5
    flags = []
    for _ in range(count):
        row_flags = body[pos + 24]
        flags.append(row_flags)
        pos += 25
        if row_flags & 0x01:
            continue
        pos += 1 + (2 if row_flags & 0x02 else 0) + (1 if row_flags & 0x10 else 0)
        pos += (2 if row_flags & 0x04 else 0) + (4 if row_flags & 0x08 else 0)
        n_fields, n_ops = struct.unpack_from(">HH", body, pos)
        pos += 4
        for _ in range(n_fields + n_ops):
            pos += 4 + struct.unpack_from(">I", body, pos)[0]
    assert pos == len(body)
    return flags


def _parsed(request):
    message, _ = msg.decode_message(request, msg.PROTO_HEADER_SIZE)
    parsed = server_batch.parse_batch(message, NAMESPACES)
    assert not isinstance(parsed, int) and parsed.parse_error == 0
    return parsed


def test_rows_of_the_same_set_repeat_the_row_before():
    keys = [("test", "a", 1), ("test", "a", 2), ("test", "b", 1), ("test", "a", 3)]
    keys.append(("test", "a", 4))
    plan = _batch.read_plan(keys, None, POLICY)
    request = plan.request(range(5))
    assert _row_flags(request) == [0x0A, 0x01, 0x0A, 0x0A, 0x01]
    rows = _parsed(request).rows
    assert [row.batch_index for row in rows] == [0, 1, 2, 3, 4]
    assert [row.message.fields[msg.FIELD_SET] for row in rows] == [
        b"a",
        b"a",
        b"b",
        b"a",
        b"a",
    ]


def test_rows_that_send_their_key_are_never_repeated():
    policy = POLICY.with_overrides({"key": C.POLICY_KEY_SEND})
    records = [(("test", "a", i), {"v": 1}) for i in range(3)]
    request = _batch.write_plan(records, policy).request(range(3))
    assert _row_flags(request) == [0x0E, 0x0E, 0x0E]
    rows = _parsed(request).rows
    assert [row.message.fields[msg.FIELD_KEY] for row in rows] == [
        b"\x01" + struct.pack(">q", i) for i in range(3)
    ]


@pytest.mark.parametrize(
    ("overrides", "flags"),
    [
        ({}, 0x0D),
        ({"respond_all_keys": False, "allow_inline": False}, 0x08),
        ({"allow_inline_ssd": True}, 0x0F),
    ],
)
def test_parent_flags_follow_the_policy(overrides, flags):
    plan = _batch.read_plan([("test", "a", 1)], None, POLICY.with_overrides(overrides))
    assert _batch_field(plan.request([0]))[1][4] == flags


def test_the_batch_header_carries_the_timeout_and_the_filter():
    policy = POLICY.with_overrides({"total_timeout": 750, "filter_expression": b"\x93"})
    message, _ = _batch_field(
        _batch.read_plan([("test", "a", 1)], [], policy).request([0])
    )
    assert message.info1 == msg.INFO1_BATCH
    assert message.transaction_ttl == 750
    assert message.fields[msg.FIELD_FILTER_EXP] == b"\x93"


def _single_row(template):
    plan = _batch.BatchPlan([_batch.Row(_key(), template)], POLICY)
    return _parsed(plan.request([0])).rows[0].message


def _key():
    return _batch.parse_keys([("test", "s", "k")])[0]


def test_read_rows_ask_what_the_caller_asked():
    everything = _single_row(_batch.read_template(POLICY, None))
    header = _single_row(_batch.read_template(POLICY, []))
    named = _single_row(_batch.read_template(POLICY, ["a", "b"]))
    assert everything.info1 == msg.INFO1_READ | msg.INFO1_GET_ALL
    assert header.info1 == msg.INFO1_READ | msg.INFO1_GET_NO_BINS
    assert named.info1 == msg.INFO1_READ
    assert [op.name for op in named.ops] == ["a", "b"]


def test_write_rows_carry_generation_ttl_and_record_exists_policy():
    settings = write_settings(
        POLICY.with_overrides(
            {
                "exists": C.POLICY_EXISTS_CREATE_ONLY,
                "commit_level": C.POLICY_COMMIT_LEVEL_MASTER,
            }
        ),
        {"gen": 4, "ttl": 60},
        None,
    )
    encoded = encode_ops([increment("n", 1), read("n")])
    row = _single_row(_batch.operate_template(encoded, settings))
    assert row.info1 == msg.INFO1_READ
    assert row.info2 == (
        msg.INFO2_WRITE
        | msg.INFO2_GENERATION
        | msg.INFO2_CREATE_ONLY
        | msg.INFO2_RESPOND_ALL_OPS
    )
    assert row.info3 == msg.INFO3_COMMIT_MASTER
    assert (row.generation, row.record_ttl) == (4, 60)
    assert [op.op_type for op in row.ops] == [msg.OP_INCR, msg.OP_READ]


def test_delete_rows_carry_their_generation_and_filter():
    settings = write_settings(POLICY, {"gen": 2}, None)
    row = _single_row(_batch.delete_template(settings, row_filter=b"\x91\x01"))
    assert row.info2 == (
        msg.INFO2_WRITE
        | msg.INFO2_DELETE
        | msg.INFO2_GENERATION
        | msg.INFO2_RESPOND_ALL_OPS
    )
    assert row.generation == 2
    assert row.fields[msg.FIELD_FILTER_EXP] == b"\x91\x01"


def test_udf_rows_carry_module_function_and_arguments():
    settings = write_settings(POLICY, {"ttl": 30}, None)
    row = _single_row(_batch.udf_template(settings, "mod", "fn", b"\x91\x05"))
    assert row.info2 == msg.INFO2_WRITE
    assert row.record_ttl == 30
    assert row.fields[msg.FIELD_UDF_FILENAME] == b"mod"
    assert row.fields[msg.FIELD_UDF_FUNCTION] == b"fn"
    assert row.fields[msg.FIELD_UDF_ARGLIST] == b"\x91\x05"


def _reply(index, result=0, bins=()):
    ops = [msg.value_op(msg.OP_READ, name, value) for name, value in bins]
    return msg.encode_message(
        result_code=result,
        generation=1 if not result else 0,
        transaction_ttl=index,
        ops=ops,
        framed=False,
    )


LAST = msg.encode_message(info3=msg.INFO3_LAST, framed=False)


def test_replies_land_at_their_row_index_whatever_the_order():
    plan = _batch.read_plan([("test", "a", i) for i in range(3)], None, POLICY)
    reader = plan.reader([0, 1, 2])
    assert not reader.feed(msg.MSG_AS, _reply(2, bins=[("v", 2)]) + _reply(0, 2))
    assert reader.feed(msg.MSG_AS, _reply(1, bins=[("v", 1)]) + LAST)
    records = plan.records()
    assert [entry.result for entry in records] == [2, 0, 0]
    assert [entry.record and entry.record.bins for entry in records] == [
        None,
        {"v": 1},
        {"v": 2},
    ]


def test_a_reply_for_a_row_not_asked_is_a_client_error():
    plan = _batch.read_plan([("test", "a", i) for i in range(3)], None, POLICY)
    reader = plan.reader([0, 2])
    with pytest.raises(ClientError, match="row 1"):
        reader.feed(msg.MSG_AS, _reply(1))


def test_writes_sent_before_a_failure_are_in_doubt_and_not_resent():
    plan = _batch.write_plan([(("test", "a", i), {"v": i}) for i in range(2)], POLICY)
    error = AerospikeTimeoutError("no reply")
    assert plan.after_transport_failure([0, 1], error, sent=True) == []
    assert [entry.in_doubt for entry in plan.records()] == [True, True]
    assert plan.transient_failures([0, 1]) == [0, 1]
    assert plan.after_transport_failure([0, 1], error, sent=False) == [0, 1]
    assert [entry.in_doubt for entry in plan.records()] == [False, False]


def test_reads_are_resent_after_any_failure():
    plan = _batch.read_plan([("test", "a", 1)], None, POLICY)
    error = AerospikeTimeoutError("no reply")
    assert plan.after_transport_failure([0], error, sent=True) == [0]
    assert plan.records()[0].result == 9


def test_nothing_answered_raises_the_last_failure_in_doubt():
    plan = _batch.write_plan([(("test", "a", 1), {"v": 1})], POLICY)
    plan.after_transport_failure([0], AerospikeTimeoutError("no reply"), sent=True)
    with pytest.raises(AerospikeTimeoutError) as info:
        plan.raise_if_unanswered()
    assert info.value.in_doubt is True


def test_one_answered_row_keeps_the_batch_from_raising():
    plan = _batch.read_plan([("test", "a", 1), ("test", "a", 2)], None, POLICY)
    plan.reader([0]).feed(msg.MSG_AS, _reply(0) + LAST)
    plan.after_transport_failure([1], AerospikeTimeoutError("no reply"), sent=True)
    plan.raise_if_unanswered()
    assert [entry.result for entry in plan.records()] == [0, 9]


def test_retry_backoff_is_full_jitter_under_the_cap():
    schedule = _batch.RetrySchedule(5, random.Random(7))
    for attempt in range(1, 12):
        ceiling = min(_batch.RETRY_BACKOFF_CAP, 0.01 * 2**attempt)
        delays = [schedule.delay(attempt) for _ in range(50)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling / 2
    assert schedule.info(3, True, 1) == (3, 6, True, 1)
