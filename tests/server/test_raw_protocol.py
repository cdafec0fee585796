"""Malformed traffic on raw sockets: the server answers or drops one
connection, and keeps serving the others."""

from __future__ import annotations

import socket
import struct

import pytest

import aerospike_py
from aerospike_py.wire import info
from aerospike_py.wire import message as msg


def _connect(server):
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def _read_frame(sock):
    header = _recv_exact(sock, 8)
    _, msg_type, size = msg.parse_proto_header(header)
    return msg_type, _recv_exact(sock, size)


def _recv_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _is_closed(sock):
    try:
        return sock.recv(1) == b""
    except (ConnectionError, socket.timeout):
        return True


def _healthy(server):
    with aerospike_py.client(server.client_config()).connect() as client:
        client.put(("test", "raw", "probe"), {"ok": 1})
        return client.get(("test", "raw", "probe")).bins == {"ok": 1}


def test_bad_version_closes_only_that_connection(server):
    with _connect(server) as bad, _connect(server) as good:
        bad.sendall(struct.pack(">Q", (9 << 56) | (3 << 48) | 4) + b"abcd")
        assert _is_closed(bad)
        good.sendall(info.encode_request("build"))
        assert _read_frame(good)[1] == b"build\t8.1.2.0\n"
    assert _healthy(server)


def test_oversized_frame_is_dropped(server):
    with _connect(server) as sock:
        sock.sendall(msg.proto_header(msg.MSG_AS, 200 * 1024 * 1024))
        assert _is_closed(sock)
    assert _healthy(server)


def test_garbage_as_msg_gets_a_parameter_error_reply(server):
    with _connect(server) as sock:
        body = b"\x16" + b"\xff" * 30
        sock.sendall(msg.proto_header(msg.MSG_AS, len(body)) + body)
        _, reply = _read_frame(sock)
        message, _ = msg.decode_message(reply)
        assert message.result_code == 4
        # the connection stays usable
        sock.sendall(info.encode_request("node"))
        assert _read_frame(sock)[1].startswith(b"node\t")
    assert _healthy(server)


def test_truncated_frame_then_disconnect_is_harmless(server):
    with _connect(server) as sock:
        sock.sendall(msg.proto_header(msg.MSG_AS, 100) + b"\x16\x00\x00")
    assert _healthy(server)


def test_fields_that_overrun_the_message_are_refused(server):
    with _connect(server) as sock:
        body = bytes(msg.encode_message(fields=[(msg.FIELD_NAMESPACE, b"test")])[8:])
        body = body[:-4] + b"\xff\xff"  # corrupt the field size
        sock.sendall(msg.proto_header(msg.MSG_AS, len(body)) + body)
        _, reply = _read_frame(sock)
        assert msg.decode_message(reply)[0].result_code == 4
    assert _healthy(server)


def test_unknown_info_command_answers_error_4(server):
    with _connect(server) as sock:
        sock.sendall(info.encode_request("no-such-command"))
        assert (
            _read_frame(sock)[1] == b"no-such-command\tERROR:4:unrecognized command\n"
        )


def test_info_without_newline_yields_empty_reply(server):
    with _connect(server) as sock:
        sock.sendall(msg.proto_header(msg.MSG_INFO, 4) + b"node")
        assert _read_frame(sock) == (msg.MSG_INFO, b"")


def test_request_without_digest_or_partition_done_is_unsupported(server):
    with _connect(server) as sock:
        data = msg.encode_message(
            info1=msg.INFO1_READ, fields=[(msg.FIELD_NAMESPACE, b"test")]
        )
        sock.sendall(data)
        _, reply = _read_frame(sock)
        assert msg.decode_message(reply)[0].result_code == 16


@pytest.mark.parametrize("name_len", [16, 20])
def test_long_bin_name_gets_result_21(server, name_len):
    digest = b"\x01" * 20
    op = msg.Op(msg.OP_WRITE, 1, "b" * name_len, b"\x00" * 8)
    data = msg.encode_message(
        info2=msg.INFO2_WRITE,
        fields=[(msg.FIELD_NAMESPACE, b"test"), (msg.FIELD_DIGEST, digest)],
        ops=[op],
    )
    with _connect(server) as sock:
        sock.sendall(data)
        _, reply = _read_frame(sock)
        assert msg.decode_message(reply)[0].result_code == 21
