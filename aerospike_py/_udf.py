"""UDF registration and calls without I/O (PROTOCOL.md 2.6 and 13).

Registering a module is an info command, ``udf-put``, sent to every node
with the file base64-encoded; the client then polls ``udf-list`` until the
file shows on each. A refused module answers ``error=<reason>`` and, for a
Lua error, ``file``, ``line`` and a base64 ``message`` (server
as/src/base/udf_cask.c). Calling a UDF on a record is a write message with
three fields: module, function and the msgpack list of arguments.

This module builds those commands and reads their replies; the clients do
the I/O.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from typing import Any

from aerospike_py import _constants as C
from aerospike_py.exception import InvalidArgError, UDFError, from_result_code
from aerospike_py.wire import message as msg
from aerospike_py.wire import packer
from aerospike_py.wire.info import parse_pairs, parse_value_error

LUA = "LUA"
# Registered file names are at most 127 bytes (udf_cask.c MAX_FILE_NAME_SZ).
MAX_FILE_NAME = 127
LANGUAGES = {C.UDF_TYPE_LUA: LUA}
# How long registration waits for nodes to list a file when the
# AdminPolicy sets no timeout.
LISTING_WAIT_SECONDS = 10.0


class UDFCompileError(UDFError):
    """udf_put was refused because the Lua file does not compile or run.

    ``file`` and ``line`` say where Lua found the fault (line 0 when it did
    not say), ``lua_message`` is Lua's own text.
    """

    file: str = ""
    line: int = 0
    lua_message: str = ""


# -- names -------------------------------------------------------------------


def _check_text(kind: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgError(f"{kind} must be a non-empty str, not {value!r:.60}")
    if len(value.encode()) > MAX_FILE_NAME:
        raise InvalidArgError(
            f"{kind} {value!r:.60} is {len(value.encode())} bytes; the server "
            f"allows {MAX_FILE_NAME}"
        )
    return value


def module_name(module: Any) -> str:
    """The module a UDF call names: the file name without ``.lua``."""
    name = _check_text("UDF module", module)
    return name[: -len(".lua")] if name.endswith(".lua") and name != ".lua" else name


def file_name(module: Any) -> str:
    """The registered file of a module: ``.lua`` is added when missing."""
    name = _check_text("UDF module", module)
    return name if "." in name.strip(".") else f"{name}.lua"


def check_language(udf_type: Any) -> str:
    """The registry's name for a UDF language (only Lua exists)."""
    if isinstance(udf_type, bool) or udf_type not in LANGUAGES:
        raise InvalidArgError(
            f"udf_type {udf_type!r} is not supported; use UDF_TYPE_LUA (0)"
        )
    return LANGUAGES[udf_type]


# -- udf-put -----------------------------------------------------------------


def read_file(filename: Any) -> tuple[str, bytes]:
    """Read a UDF file; return the name it registers under and its bytes."""
    if not isinstance(filename, (str, os.PathLike)) or not str(filename):
        raise InvalidArgError(
            f"filename must be the path of a Lua file, not {filename!r:.60}"
        )
    name = os.path.basename(os.fspath(filename))
    _check_text("UDF file name", name)
    if "." not in name.strip("."):
        raise InvalidArgError(
            f"UDF file name {name!r} needs an extension, e.g. {name}.lua"
        )
    try:
        with open(filename, "rb") as file:
            content = file.read()
    except OSError as exc:
        raise InvalidArgError(f"cannot read UDF file {filename!r}: {exc}") from exc
    return name, content


def put_command(name: str, content: bytes, language: str = LUA) -> str:
    """The ``udf-put`` info command that registers ``content`` as ``name``."""
    content64 = base64.b64encode(content).decode()
    return (
        f"udf-put:filename={name};content={content64};"
        f"content-len={len(content64)};udf-type={language};"
    )


def check_put_reply(value: str, name: str, node: str) -> None:
    """Raise the error a ``udf-put`` reply reports, if any."""
    value = value.strip()
    if value == "ok" or not value:
        return
    if value.startswith(("ERROR:", "FAIL:")):
        # Refusals before the file is read (80, 81...) map to their class.
        code, message = parse_value_error(value) or (1, value)
        raise from_result_code(code, f"udf_put of {name!r}: {message}", node=node)
    pairs = parse_pairs(value)
    if "error" not in pairs:
        raise UDFError(f"udf_put of {name!r}: node {node} answered {value!r:.200}")
    reason = pairs["error"]
    text = _decode_message(pairs.get("message", ""))
    if reason == "compile_error":
        raise _compile_error(name, node, pairs, text)
    detail = f": {text}" if text else ""
    raise UDFError(
        f"udf_put of {name!r} refused by node {node}: {reason}{detail}", node=node
    )


def _compile_error(
    name: str, node: str, pairs: dict[str, str], text: str
) -> UDFCompileError:
    file = pairs.get("file", "") or name
    line_text = pairs.get("line", "0")
    line = int(line_text) if line_text.isdigit() else 0
    error = UDFCompileError(
        f"udf_put of {name!r} refused by node {node}: {file}:{line}: {text}",
        node=node,
    )
    error.file = file
    error.line = line
    error.lua_message = text
    return error


def _decode_message(encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode(errors="replace")
    except (binascii.Error, ValueError):
        return encoded


# -- udf-list, udf-get, udf-remove ---------------------------------------------

LIST_COMMAND = "udf-list"


def parse_list(value: str) -> list[dict[str, Any]]:
    """The modules of a ``udf-list`` reply: ``name``, ``hash``, ``type``.

    Entries end with ``;`` and separate their fields with ``,``.
    """
    modules = []
    for entry in value.strip().split(";"):
        fields = parse_pairs(entry, item_sep=",")
        if "filename" not in fields:
            continue
        language = fields.get("type", LUA)
        modules.append(
            {
                "name": fields["filename"],
                "hash": fields.get("hash", ""),
                "type": _language_code(language),
            }
        )
    return modules


def _language_code(language: str) -> int:
    for code, name in LANGUAGES.items():
        if name == language:
            return code
    return -1


def is_listed(value: str, name: str) -> bool:
    """True when a ``udf-list`` reply shows the file ``name``."""
    return any(module["name"] == name for module in parse_list(value))


def get_command(name: str) -> str:
    return f"udf-get:filename={name};"


def parse_get(value: str, name: str, node: str) -> str:
    """The source text of a ``udf-get`` reply."""
    pairs = parse_pairs(value.strip())
    if "error" in pairs:
        raise UDFError(
            f"udf_get of {name!r} on node {node}: {pairs['error']}", node=node
        )
    try:
        content = base64.b64decode(pairs.get("content", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UDFError(
            f"udf_get of {name!r}: node {node} sent content that is not base64",
            node=node,
        ) from exc
    return content.decode(errors="replace")


def remove_command(name: str) -> str:
    return f"udf-remove:filename={name};"


def check_remove_reply(value: str, name: str, node: str) -> None:
    value = value.strip()
    if value.startswith("error="):
        raise UDFError(
            f"udf_remove of {name!r} refused by node {node}: {value[6:]}", node=node
        )


# -- apply ---------------------------------------------------------------------


def check_call(
    module: Any, function: Any, args: Sequence[Any] | None
) -> tuple[str, str, bytes]:
    """Check a call; return the module, the function and the packed args."""
    if args is None:
        args = []
    elif isinstance(args, (str, bytes)) or not isinstance(args, (list, tuple)):
        raise InvalidArgError(
            f"UDF args must be a list of arguments, not {type(args).__name__}"
        )
    function = _check_text("UDF function", function)
    args = list(args)
    try:
        arglist = packer.pack(args)
    except InvalidArgError:
        for position, arg in enumerate(args):  # name the argument at fault
            try:
                packer.pack(arg)
            except InvalidArgError as exc:
                raise InvalidArgError(f"UDF args[{position}]: {exc}") from None
        raise
    return module_name(module), function, arglist


def call_fields(
    module: Any, function: Any, args: Sequence[Any] | None
) -> list[tuple[int, bytes]]:
    """The UDF fields of a call: module, function and the argument list."""
    name, function, arglist = check_call(module, function, args)
    return [
        (msg.FIELD_UDF_FILENAME, name.encode()),
        (msg.FIELD_UDF_FUNCTION, function.encode()),
        (msg.FIELD_UDF_ARGLIST, arglist),
    ]
