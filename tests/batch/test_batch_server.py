"""The embedded server's batch handler, spoken to over raw sockets.

Requests are built by hand here (not by the client), so that every row
layout of PROTOCOL.md section 7.2 is exercised: REPEAT, legacy rows, each
combination of row flags, and the ways a batch ends early.
"""

from __future__ import annotations

import socket
import struct

import pytest

import aerospike_py
from aerospike_py.server import batch as server_batch
from aerospike_py.server import commands as server_commands
from aerospike_py.wire import message as msg
from aerospike_py.wire.digest import compute_digest

GET_ALL = msg.INFO1_READ | msg.INFO1_GET_ALL
REPORT_ALL = 0x04
ERROR_REC = 0x08


def _field(field_type, data):
    return struct.pack(">IB", len(data) + 1, field_type) + data


def _op(op_type, name, particle_type=0, value=b""):
    name = name.encode()
    head = struct.pack(
        ">IBBBB", 4 + len(name) + len(value), op_type, particle_type, 0, len(name)
    )
    return head + name + value


def _row(
    index,
    digest,
    *,
    flags=0x0A,
    info1=GET_ALL,
    info2=0,
    info3=0,
    info4=0,
    gen=0,
    ttl=0,
    fields=(),
    ops=(),
    n_fields=None,
):
    out = struct.pack(">I20sBB", index, digest, flags, info1)
    if flags & 0x02:
        out += bytes((info2, info3))
    if flags & 0x10:
        out += bytes((info4,))
    if flags & 0x04:
        out += struct.pack(">H", gen)
    if flags & 0x08:
        out += struct.pack(">I", ttl)
    count = len(fields) if n_fields is None else n_fields
    out += struct.pack(">HH", count, len(ops))
    return out + b"".join(_field(t, d) for t, d in fields) + b"".join(ops)


def _repeat(index, digest):
    return struct.pack(">I20sB", index, digest, 0x01)


def _request(rows, *, parent=0x0D, count=None, field_type=msg.FIELD_BATCH, extra=()):
    body = struct.pack(">IB", len(rows) if count is None else count, parent)
    body += b"".join(rows)
    fields = [*extra, (field_type, body)]
    return msg.encode_message(
        info1=msg.INFO1_BATCH, transaction_ttl=1000, fields=fields
    )


def _exchange(server, request):
    """Send a request; return (frames, messages) up to the LAST message."""
    frames = []
    messages = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        while True:
            _, _, size = msg.parse_proto_header(_recv(sock, 8))
            body = _recv(sock, size)
            frames.append(body)
            pos = 0
            while pos < len(body):
                message, pos = msg.decode_message(body, pos)
                messages.append(message)
                if message.info3 & msg.INFO3_LAST:
                    return frames, messages


def _recv(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _rows_of(messages):
    """{index: (result, bins)} of the row replies; and the trailer's result."""
    *rows, trailer = messages
    assert trailer.info3 & msg.INFO3_LAST
    answers = {m.transaction_ttl: (m.result_code, msg.decode_bins(m.ops)) for m in rows}
    return answers, trailer.result_code


NS = (msg.FIELD_NAMESPACE, b"test")


@pytest.fixture
def records(server, aerospike_set):
    """Three stored records of the test's set: their digests, in order."""
    digests = []
    with aerospike_py.client(server.client_config()).connect() as client:
        for number in range(3):
            client.put(("test", aerospike_set, number), {"n": number})
            digests.append(compute_digest(aerospike_set, number))
    return digests


def _set_field(aerospike_set):
    return (msg.FIELD_SET, aerospike_set.encode())


def test_repeat_rows_reuse_the_previous_row(server, records, aerospike_set):
    rows = [
        _row(0, records[2], fields=[NS, _set_field(aerospike_set)]),
        _repeat(1, records[0]),
        _repeat(2, records[1]),
    ]
    answers, result = _rows_of(_exchange(server, _request(rows))[1])
    assert result == 0
    assert answers == {0: (0, {"n": 2}), 1: (0, {"n": 0}), 2: (0, {"n": 1})}


def test_legacy_rows_without_info_bytes_are_read_rows(server, records):
    rows = [
        _row(7, records[1], flags=0x00, fields=[NS], n_fields=0),
        _row(
            8,
            records[2],
            flags=0x00,
            info1=msg.INFO1_READ,
            fields=[NS],
            ops=[_op(msg.OP_READ, "n")],
        ),
    ]
    answers, result = _rows_of(_exchange(server, _request(rows))[1])
    assert (answers, result) == ({7: (0, {"n": 1}), 8: (0, {"n": 2})}, 0)


def test_the_legacy_batch_field_42_works_like_41(server, records):
    rows = [_row(0, records[0], fields=[NS])]
    request = _request(rows, field_type=msg.FIELD_BATCH_WITH_SET)
    answers, result = _rows_of(_exchange(server, request)[1])
    assert (answers, result) == ({0: (0, {"n": 0})}, 0)


@pytest.mark.parametrize("flags", [f for f in range(0x20) if not f & 0x01])
def test_every_row_flag_combination_is_read(server, records, flags):
    rows = [_row(3, records[2], flags=flags, fields=[NS]), _repeat(4, records[0])]
    answers, result = _rows_of(_exchange(server, _request(rows))[1])
    assert (answers, result) == ({3: (0, {"n": 2}), 4: (0, {"n": 0})}, 0)


def _write_row(
    index, digest, value, set_name, *, gen=0, info2=msg.INFO2_WRITE, extra=()
):
    return _row(
        index,
        digest,
        flags=0x0E,
        info1=0,
        info2=info2,
        gen=gen,
        fields=[NS, _set_field(set_name), *extra],
        ops=[_op(msg.OP_WRITE, "n", 1, struct.pack(">q", value))],
    )


def _stored(server, digest):
    record = server.cluster.namespaces["test"].find(digest)
    return None if record is None else record.bins


def test_an_unreadable_row_ends_the_batch_after_running_the_rows_before(
    server, records, aerospike_set
):
    rows = [
        _write_row(0, records[0], 50, aerospike_set),
        b"\x00\x00\x00\x01" + records[1][:5],
    ]
    answers, result = _rows_of(_exchange(server, _request(rows))[1])
    assert result == 4
    assert answers == {}  # the unsent buffer holding row 0 is dropped
    assert _stored(server, records[0]) == {"n": 50}


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param(lambda d: [_repeat(0, d[0])], id="repeat-first"),
        pytest.param(
            lambda d: [_row(0, d[0], fields=[(msg.FIELD_NAMESPACE, b"nons")])],
            id="unknown-namespace",
        ),
        pytest.param(lambda d: [_row(0, d[0], fields=[NS])[:-3]], id="truncated"),
    ],
)
def test_rows_that_cannot_be_parsed_answer_a_parameter_error(server, records, rows):
    answers, result = _rows_of(_exchange(server, _request(rows(records)))[1])
    assert (answers, result) == ({}, 4)


def test_repeating_a_row_that_sent_its_key_is_refused(server, aerospike_set):
    digest = compute_digest(aerospike_set, "sent")
    key_field = (msg.FIELD_KEY, b"\x03sent")
    rows = [
        _write_row(0, digest, 5, aerospike_set, extra=[key_field]),
        _repeat(1, compute_digest(aerospike_set, "other")),
    ]
    answers, result = _rows_of(_exchange(server, _request(rows))[1])
    assert (answers, result) == ({}, 4)
    assert _stored(server, digest) == {"n": 5}
    assert _stored(server, compute_digest(aerospike_set, "other")) is None


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(_request([], count=0), id="zero-rows"),
        pytest.param(msg.encode_message(info1=msg.INFO1_BATCH), id="no-batch-field"),
    ],
)
def test_batches_refused_before_any_row_get_one_last_message(server, request_bytes):
    frames, messages = _exchange(server, request_bytes)
    assert len(frames) == len(messages) == 1
    assert messages[0].info3 & msg.INFO3_LAST and messages[0].result_code == 4


def test_more_rows_than_batch_max_requests_get_151(server, records):
    rows = [_row(i, records[0], fields=[NS]) for i in range(3)]
    server_batch.set_max_requests(server.cluster, 2)
    try:
        answers, result = _rows_of(_exchange(server, _request(rows))[1])
    finally:
        server_batch.set_max_requests(server.cluster, 0)
    assert (answers, result) == ({}, 151)


def _gen_failing_batch(records, set_name):
    return [
        _write_row(0, records[0], 10, set_name),
        _write_row(
            1,
            records[1],
            11,
            set_name,
            gen=9,
            info2=msg.INFO2_WRITE | msg.INFO2_GENERATION,
        ),
        _write_row(2, records[2], 12, set_name),
    ]


@pytest.mark.parametrize(
    ("parent", "reported", "trailer"),
    [
        (REPORT_ALL | ERROR_REC, {0: 0, 1: 3, 2: 0}, 0),
        (ERROR_REC, {0: 0, 1: 3}, 3),
        (0x00, {}, 3),
    ],
)
def test_a_row_error_stops_replies_unless_all_errors_are_reported(
    server, records, aerospike_set, parent, reported, trailer
):
    request = _request(_gen_failing_batch(records, aerospike_set), parent=parent)
    answers, result = _rows_of(_exchange(server, request)[1])
    assert {index: code for index, (code, _) in answers.items()} == reported
    assert result == trailer
    # Every row ran: the real server queues them all before answering.
    assert _stored(server, records[2]) == {"n": 12}
    assert _stored(server, records[1]) == {"n": 1}


def test_not_found_rows_never_stop_a_batch(server, records, aerospike_set):
    missing = compute_digest(aerospike_set, "missing")
    rows = [
        _row(0, records[0], fields=[NS]),
        _repeat(1, missing),
        _repeat(2, records[1]),
    ]
    answers, result = _rows_of(_exchange(server, _request(rows, parent=0))[1])
    assert [answers[i][0] for i in range(3)] == [0, 2, 0]
    assert result == 0


def test_a_large_batch_streams_in_several_frames(server, aerospike_set):
    blob = b"x" * 4000
    digests = []
    with aerospike_py.client(server.client_config()).connect() as client:
        for number in range(100):
            client.put(("test", aerospike_set, number), {"blob": blob})
            digests.append(compute_digest(aerospike_set, number))
    rows = [_row(0, digests[0], fields=[NS])]
    rows += [_repeat(i, digest) for i, digest in enumerate(digests[1:], 1)]
    frames, messages = _exchange(server, _request(rows))
    answers, result = _rows_of(messages)
    assert len(answers) == 100 and result == 0
    assert all(bins == {"blob": blob} for _, bins in answers.values())
    assert len(frames) >= 4  # 400 KB of rows in frames of at most ~128 KiB
    assert all(len(frame) < 2 * server_batch.BLOCK_SIZE for frame in frames)
    assert frames[-1] == server_batch.trailer(0)[msg.PROTO_HEADER_SIZE :]


def test_a_row_filter_overrides_the_batch_filter(server, records):
    if not server_commands.filter_evaluator:
        pytest.skip("the embedded server evaluates no filter expressions yet")
    exp = pytest.importorskip("aerospike_py.exp")
    never = exp.compile_expression(exp.eq(exp.int_bin("n"), 100))
    always = exp.compile_expression(exp.ge(exp.int_bin("n"), 0))
    rows = [
        _row(0, records[0], fields=[NS]),
        _row(1, records[1], fields=[NS, (msg.FIELD_FILTER_EXP, always)]),
    ]
    request = _request(rows, extra=[(msg.FIELD_FILTER_EXP, never)])
    answers, result = _rows_of(_exchange(server, request)[1])
    assert {i: code for i, (code, _) in answers.items()} == {0: 27, 1: 0}
    assert result == 0
