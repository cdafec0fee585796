"""AS_MSG framing, checked against the captures of PROTOCOL.md appendix A."""

from __future__ import annotations

import pytest

from aerospike_py.wire import info
from aerospike_py.wire import message as msg
from aerospike_py.wire.message import MessageError, decode_message, encode_message


def test_put_of_seven_bins_matches_the_capture():
    # PROTOCOL.md A.2: put ("test","demo","k1") with seven bin types.
    digest = bytes.fromhex("b747f5854d0b33259928d0cfab7fad81d6abfbf6")
    ops = [
        msg.value_op(msg.OP_WRITE, "i", 7),
        msg.value_op(msg.OP_WRITE, "s", "hi"),
        msg.value_op(msg.OP_WRITE, "b", b"\x01\x02"),
        msg.value_op(msg.OP_WRITE, "f", 1.5),
        msg.value_op(msg.OP_WRITE, "l", [1, "a"]),
        msg.value_op(msg.OP_WRITE, "m", {"a": 1}),
        msg.value_op(msg.OP_WRITE, "t", True),
    ]
    data = encode_message(
        info2=msg.INFO2_WRITE,
        transaction_ttl=1000,
        fields=[
            (msg.FIELD_NAMESPACE, b"test"),
            (msg.FIELD_SET, b"demo"),
            (msg.FIELD_DIGEST, digest),
        ],
        ops=ops,
    )
    expected = (
        "020300000000009f"
        + "160001000000"
        + "00000000"
        + "00000000"
        + "000003e8"
        + "0003"
        + "0007"
        + "000000050074657374"
        + "0000000501"
        + "64656d6f"
        + "0000001504"
        + digest.hex()
        + "0000000d02010001690000000000000007"
        + "000000070203000173"
        + "6869"
        + "000000070204000162"
        + "0102"
        + "0000000d0202000166"
        + "3ff8000000000000"
        + "0000000a021400016c"
        + "9201a20361"
        + "0000000a021300016d"
        + "81a2036101"
        + "00000006021100017401"
    )
    assert data.hex() == expected


def test_decode_returns_fields_and_ops():
    data = encode_message(
        info1=msg.INFO1_READ,
        generation=7,
        record_ttl=99,
        fields=[(msg.FIELD_NAMESPACE, b"test")],
        ops=[msg.read_op("a")],
    )
    message, end = decode_message(data[8:])
    assert end == len(data) - 8
    assert message.generation == 7 and message.record_ttl == 99
    assert message.fields == {msg.FIELD_NAMESPACE: b"test"}
    assert message.ops == [msg.Op(msg.OP_READ, 0, "a", b"")]


@pytest.mark.parametrize("cut", [5, 21, 25, 30])
def test_truncated_message_raises(cut):
    data = encode_message(
        fields=[(msg.FIELD_NAMESPACE, b"test")], ops=[msg.read_op("a")]
    )
    with pytest.raises(MessageError):
        decode_message(data[8 : 8 + cut])


def test_proto_header_round_trip():
    header = msg.proto_header(msg.MSG_INFO, 1234)
    assert header.hex() == "02010000000004d2"
    assert msg.parse_proto_header(header) == (2, 1, 1234)


def test_info_request_and_reply():
    assert info.encode_request("node", "build")[8:] == b"node\nbuild\n"
    reply = info.parse_reply(b"node\tBB9\nbuild\t8.1.2.0\n")
    assert reply == {"node": "BB9", "build": "8.1.2.0"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ERROR:4:unrecognized command", (4, "unrecognized command")),
        ("ERROR::oops", (1, "oops")),
        ("FAIL:201:no index", (201, "no index")),
        ("ok", None),
    ],
)
def test_info_value_errors(value, expected):
    assert info.parse_value_error(value) == expected


def _compressed(inner: bytes, declared: int | None = None) -> bytes:
    import struct
    import zlib

    size = len(inner) if declared is None else declared
    return struct.pack(">Q", size) + zlib.compress(inner)


def test_a_compressed_frame_inflates_to_its_message():
    inner = msg.encode_message(result_code=2)
    assert msg.decompress_frame(_compressed(inner)) == (msg.MSG_AS, inner[8:])


@pytest.mark.parametrize(
    "body",
    [
        b"\x00" * 4,  # no size field
        _compressed(bytes(8 + 10_000_000), declared=100),  # inflates past its size
        _compressed(bytes(8 + 100), declared=10_000),  # inflates short of it
        _compressed(bytes(16), declared=1 << 40),  # declares more than allowed
        b"\x00" * 7 + b"\x10" + b"not zlib",
    ],
)
def test_a_compressed_frame_that_lies_about_its_size_is_refused(body):
    with pytest.raises(msg.MessageError):
        msg.decompress_frame(body)
