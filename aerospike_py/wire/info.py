"""The info protocol: newline-terminated text commands (PROTOCOL.md 2).

A request body is ``cmd\\n`` repeated; the reply echoes every command
exactly, then a tab, then its value, then a newline.
"""

from __future__ import annotations

from aerospike_py.wire.message import MSG_INFO, proto_header
from aerospike_py.wire.packer import utf8


def encode_request(*commands: str) -> bytes:
    """Return a framed info request for ``commands``."""
    body = utf8("".join(f"{command}\n" for command in commands), "info command")
    return proto_header(MSG_INFO, len(body)) + body


def encode_reply(pairs: list[tuple[str, str]]) -> bytes:
    """Return a framed info reply for ``(command, value)`` pairs."""
    body = "".join(f"{name}\t{value}\n" for name, value in pairs).encode()
    return proto_header(MSG_INFO, len(body)) + body


def parse_request(body: bytes) -> list[str]:
    """Return the commands of a request body; text after the last newline
    is ignored, as the server does."""
    text = body.decode("utf-8", errors="replace")
    return text.split("\n")[:-1]


def parse_reply(body: bytes) -> dict[str, str]:
    """Return ``command -> value`` for an info reply body."""
    result: dict[str, str] = {}
    for line in body.decode("utf-8", errors="replace").split("\n"):
        if not line:
            continue
        name, _, value = line.partition("\t")
        result[name] = value
    return result


def parse_value_error(value: str) -> tuple[int, str] | None:
    """Return ``(code, message)`` when an info value reports an error.

    Servers say ``ERROR:<code>:<message>`` (``ERROR::<message>`` for code 1);
    older ones ``FAIL:<code>:<message>``; UDF registration
    ``error=<reason>;...``.
    """
    for prefix in ("ERROR:", "FAIL:"):
        if value.startswith(prefix):
            code_text, _, message = value[len(prefix) :].partition(":")
            try:
                code = int(code_text) if code_text else 1
            except ValueError:
                return 1, value[len(prefix) :]
            return code, message
    if value.startswith("error="):
        return 1, value[len("error=") :]
    return None


def parse_pairs(value: str, item_sep: str = ";", kv_sep: str = "=") -> dict[str, str]:
    """Split ``k=v;k=v`` text into a dict."""
    result: dict[str, str] = {}
    for item in value.split(item_sep):
        if not item:
            continue
        key, _, val = item.partition(kv_sep)
        result[key] = val
    return result
