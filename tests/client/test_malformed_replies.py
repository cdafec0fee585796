"""Replies that break the protocol surface as typed client errors, and the
client keeps working once the server answers properly again."""

from __future__ import annotations

import pytest

import aerospike_py
from aerospike_py.server import EmbeddedServer, commands
from aerospike_py.wire import message as msg
from aerospike_py.wire import particle


@pytest.fixture
def server():
    with EmbeddedServer() as srv:
        yield srv


@pytest.fixture
def client(client_factory, server):
    client = client_factory(server.client_config())
    client.put(("test", "s", "k"), {"a": 1})
    return client


@pytest.mark.parametrize(
    ("particle_type", "value"),
    [
        (particle.FLOAT, b"abc"),  # a float of three bytes
        (particle.LIST, b"\x93\x01"),  # a list cut short
        (99, b"x"),  # no such particle type
        (particle.STRING, b"\xff\xfe"),  # not UTF-8
        (particle.MAP, b"\x81\x81\xa1a\x01\x01"),  # a map as a map key
    ],
)
def test_a_bin_that_does_not_decode_is_a_client_error(
    client, monkeypatch, particle_type, value
):
    def broken(name, stored):
        return msg.Op(msg.OP_READ, particle_type, name, value)

    monkeypatch.setattr(commands, "encode_result", broken)

    with pytest.raises(aerospike_py.ClientError, match="does not follow the protocol"):
        client.get(("test", "s", "k"))

    monkeypatch.undo()
    assert client.get(("test", "s", "k")).bins == {"a": 1}


def test_a_frame_of_another_protocol_version_is_refused(client, monkeypatch):
    def foreign(*args, **kwargs):
        body = msg.encode_message(result_code=0)
        return bytes([9]) + body[1:]

    monkeypatch.setattr(commands, "reply", foreign)

    with pytest.raises(aerospike_py.AerospikeError, match="protocol version 9"):
        client.get(("test", "s", "k"), {"max_retries": 0})

    monkeypatch.undo()
    assert client.get(("test", "s", "k")).bins == {"a": 1}
