"""Requests whose values break the protocol get a parameter error (4) and
the connection stays usable, as on the real server."""

from __future__ import annotations

import socket

import pytest

from aerospike_py.server import EmbeddedServer
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer() as srv:
        yield srv


def _ask(sock: socket.socket, body: bytes) -> int:
    sock.sendall(body)
    header = sock.recv(8, socket.MSG_WAITALL)
    _, _, size = msg.parse_proto_header(header)
    reply, _ = msg.decode_message(sock.recv(size, socket.MSG_WAITALL))
    return reply.result_code


def _write(op: msg.Op) -> bytes:
    fields = [
        (msg.FIELD_NAMESPACE, b"test"),
        (msg.FIELD_SET, b"s"),
        (msg.FIELD_DIGEST, bytes(20)),
    ]
    return msg.encode_message(info2=msg.INFO2_WRITE, fields=fields, ops=[op])


@pytest.mark.parametrize(
    ("particle_type", "value"),
    [
        (particle.FLOAT, b"abc"),  # a float of three bytes
        (particle.MAP, b"\x81\x81\xa1a\x01\x01"),  # a map as a map key
        (particle.LIST, b"\x91\xc7\x01\x63\x00"),  # an unknown msgpack extension
        (particle.LIST, b"\x93\x01"),  # a list cut short
    ],
)
def test_undecodable_values_are_answered_with_4(server, particle_type, value):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        assert _ask(sock, _write(msg.Op(msg.OP_WRITE, particle_type, "a", value))) == 4

        good = _write(msg.Op(msg.OP_WRITE, particle.INTEGER, "a", bytes(7) + b"\x01"))
        assert _ask(sock, good) == 0
