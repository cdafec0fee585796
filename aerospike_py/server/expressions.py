"""Filter expressions and expression operations, as the server evaluates them.

An expression arrives as msgpack (PROTOCOL.md section 11): an array is an
instruction ``[op_code, operand...]``, anything else a literal. It is built
once into a tree of typed nodes and then evaluated per record, following
aerospike-server as/src/base/exp.c:

* Building checks arities and static result types (``build_*``): mismatched
  comparison operands, non-boolean AND/OR operands, math over mixed int and
  float, an unknown variable... each refuse the whole expression, which the
  command answers with result 4 (parameter). A filter must return a boolean.
* Evaluation works with a trilean: besides values, any node may yield
  UNKNOWN - a missing bin, a bin of another type than asked for, an integer
  division by zero, a failed list/map/bit/HLL call. UNKNOWN flows through
  comparisons and arithmetic; AND is false if any operand is false and
  otherwise unknown if any operand is; OR is the mirror; NOT and XOR of
  unknown are unknown. A filter passes only when the result is true.
* Integers are 64-bit two's complement and wrap on overflow; floats follow
  IEEE 754 (division by zero gives an infinity, as in C).

The module installs :func:`evaluate_filter` as the single-record filter,
handles expression operations (op 7 read, op 8 modify, server
as/src/base/expop.c), and runs CALL (op 127) through the list/map, bit and
HLL engines of the embedded server.
"""

from __future__ import annotations

import copy
import functools
import importlib
import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from aerospike_py.server import commands, errors, geo, ops
from aerospike_py.server.errors import Failure
from aerospike_py.server.ops import OpContext
from aerospike_py.server.storage import CITRUSLEAF_EPOCH, Namespace, StoredRecord
from aerospike_py.wire import message as msg
from aerospike_py.wire import packer, particle
from aerospike_py.wire.values import (
    HLL,
    INFINITY,
    WILDCARD,
    GeoJSON,
    LanguageBlob,
)

__all__ = ["Program", "build_expression", "evaluate", "evaluate_filter"]

# Result codes errors.py does not name (as/include/base/proto.h).
ERR_BIN_EXISTS = 6
ERR_BIN_NOT_FOUND = 17

# -- op codes (exp.c exp_op_code) ---------------------------------------------

UNK = 0
EQ, NE, GT, GE, LT, LE = 1, 2, 3, 4, 5, 6
CMP_REGEX = 7
CMP_GEO = 8
IN_LIST = 9
AND, OR, NOT, EXCLUSIVE = 16, 17, 18, 19
ADD, SUB, MUL, DIV, POW, LOG, MOD, ABS, FLOOR, CEIL = range(20, 30)
TO_INT, TO_FLOAT = 30, 31
INT_AND, INT_OR, INT_XOR, INT_NOT = 32, 33, 34, 35
INT_LSHIFT, INT_RSHIFT, INT_ARSHIFT = 36, 37, 38
INT_COUNT, INT_LSCAN, INT_RSCAN = 39, 40, 41
MIN, MAX = 50, 51
DIGEST_MOD = 64
DEVICE_SIZE = 65
LAST_UPDATE, SINCE_UPDATE, VOID_TIME, TTL = 66, 67, 68, 69
SET_NAME, KEY_EXISTS, IS_TOMBSTONE, MEMORY_SIZE, RECORD_SIZE = 70, 71, 72, 73, 74
REC_KEY, BIN, BIN_TYPE = 80, 81, 82
MAP_KEYS, MAP_VALUES = 101, 102
COND, VAR, LET, QUOTE, CALL = 123, 124, 125, 126, 127

# Result types (exp.c result_type); T_ANY is the server's TYPE_END, a type
# known only at run time (e.g. a WILDCARD literal).
T_NIL, T_BOOL, T_INT, T_STR, T_LIST, T_MAP, T_BLOB, T_FLOAT, T_GEO, T_HLL = range(10)
T_INPUT_END = 10
T_ANY = 12

_TYPE_NAMES = {
    T_NIL: "nil",
    T_BOOL: "bool",
    T_INT: "int",
    T_STR: "str",
    T_LIST: "list",
    T_MAP: "map",
    T_BLOB: "blob",
    T_FLOAT: "float",
    T_GEO: "geojson",
    T_HLL: "hll",
    T_ANY: "any",
}

# Particle type that a bin must have to be read as each result type.
_TYPE_PARTICLE = {
    T_NIL: particle.NULL,
    T_BOOL: particle.BOOL,
    T_INT: particle.INTEGER,
    T_STR: particle.STRING,
    T_LIST: particle.LIST,
    T_MAP: particle.MAP,
    T_BLOB: particle.BLOB,
    T_FLOAT: particle.FLOAT,
    T_GEO: particle.GEOJSON,
    T_HLL: particle.HLL_TYPE,
}

# CALL systems (exp.c call_system_type).
CALL_CDT, CALL_BITS, CALL_HLL = 0, 1, 2
CALL_MODIFY_LOCAL = 0x40
CDT_CONTEXT_EVAL = 0xFF
CDT_SELECT = 0xFE

# Expression-operation flags (proto.h as_exp_flags).
EXP_CREATE_ONLY = 1
EXP_UPDATE_ONLY = 2
EXP_ALLOW_DELETE = 4
EXP_POLICY_NO_FAIL = 8
EXP_EVAL_NO_FAIL = 16
_MODIFY_FLAGS = 0x1F
_READ_FLAGS = EXP_EVAL_NO_FAIL

MAX_SIZE = 1024 * 1024  # exp.c EXP_MAX_SIZE
MAX_DEPTH = 100  # the server recurses on its C stack; Python has less room
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MASK = (1 << 64) - 1


class _Unknown:
    """The third trilean value: the expression cannot be decided."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def _bad(detail: str) -> Failure:
    return Failure(errors.ERR_PARAMETER, f"expression: {detail}")


# -- values -------------------------------------------------------------------


def particle_type(value: Any) -> int:
    """The particle type a Python bin value is stored with (0 for None)."""
    if value is None:
        return particle.NULL
    if isinstance(value, bool):
        return particle.BOOL
    if isinstance(value, int):
        return particle.INTEGER
    if isinstance(value, float):
        return particle.FLOAT
    if isinstance(value, GeoJSON):
        return particle.GEOJSON
    if isinstance(value, str):
        return particle.STRING
    return _container_particle_type(value)


def _container_particle_type(value: Any) -> int:
    if isinstance(value, HLL):
        return particle.HLL_TYPE
    if isinstance(value, LanguageBlob):
        return value.particle_type
    if isinstance(value, (bytes, bytearray)):
        return particle.BLOB
    if isinstance(value, list):
        return particle.LIST
    if isinstance(value, dict):
        return particle.MAP
    return -1


def _is_type(value: Any, rtype: int) -> bool:
    return particle_type(value) == _TYPE_PARTICLE.get(rtype, -2)


def _wrap(value: int) -> int:
    """Wrap an integer to 64-bit two's complement, as C arithmetic does."""
    value &= UINT64_MASK
    return value - (1 << 64) if value > INT64_MAX else value


def _typed_payload(value: Any) -> bytes:
    return bytes((particle_type(value),)) + bytes(value)


def _text_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return bytes(value)


# -- msgpack value order (cf/src/msgpack_in.c msgpack_cmp) --------------------

# Rank of each msgpack type; integers split into negative and non-negative.
_NIL_RANK, _FALSE_RANK, _TRUE_RANK, _NEG_RANK, _INT_RANK = 1, 2, 3, 4, 5
_STR_RANK, _LIST_RANK, _MAP_RANK, _BYTES_RANK, _FLOAT_RANK = 6, 7, 8, 9, 10
_GEO_RANK, _EXT_RANK, _WILDCARD_RANK, _INFINITY_RANK = 11, 12, 13, 14


def _rank(value: Any) -> int:
    if value is None:
        return _NIL_RANK
    if isinstance(value, bool):
        return _TRUE_RANK if value else _FALSE_RANK
    if isinstance(value, int):
        return _NEG_RANK if value < 0 else _INT_RANK
    if isinstance(value, float):
        return _FLOAT_RANK
    if isinstance(value, GeoJSON):
        return _GEO_RANK
    if isinstance(value, str):
        return _STR_RANK
    if isinstance(value, (bytes, bytearray)):
        return _BYTES_RANK
    if isinstance(value, list):
        return _LIST_RANK
    if isinstance(value, dict):
        return _MAP_RANK
    if value is WILDCARD:
        return _WILDCARD_RANK
    if value is INFINITY:
        return _INFINITY_RANK
    return _EXT_RANK


def _sign(a: Any, b: Any) -> int:
    # NaN compares neither greater nor less, hence equal, as in the server.
    return 1 if a > b else -1 if a < b else 0


class _Order:
    """Compare msgpack values; remember whether an unordered map was seen."""

    __slots__ = ("unordered_map",)

    def __init__(self) -> None:
        self.unordered_map = False

    def compare(self, a: Any, b: Any) -> int:
        self._note_map(a)
        self._note_map(b)
        if a is WILDCARD or b is WILDCARD:
            return 0
        rank_a, rank_b = _rank(a), _rank(b)
        if rank_a != rank_b:
            return _sign(rank_a, rank_b)
        if rank_a in (_STR_RANK, _GEO_RANK):
            return _sign(_text_bytes(a), _text_bytes(b))
        if rank_a == _BYTES_RANK:
            # The payload compared starts with the particle-type byte.
            return _sign(_typed_payload(a), _typed_payload(b))
        if rank_a == _LIST_RANK:
            return self._lists(a, b)
        if rank_a == _MAP_RANK:
            return self._maps(a, b)
        if rank_a in (_NEG_RANK, _INT_RANK, _FLOAT_RANK):
            return _sign(a, b)
        return 0

    def _note_map(self, value: Any) -> None:
        # A map without key order has no defined order (cmp_parse_container).
        ordered = getattr(value, "map_order", 0) & 1
        if isinstance(value, dict) and value and not ordered:
            self.unordered_map = True

    def _lists(self, a: list[Any], b: list[Any]) -> int:
        for item_a, item_b in zip(a, b, strict=False):
            result = self.compare(item_a, item_b)
            if result:
                return result
        return _sign(len(a), len(b))

    def _maps(self, a: dict[Any, Any], b: dict[Any, Any]) -> int:
        if len(a) != len(b):
            return _sign(len(a), len(b))
        for (key_a, item_a), (key_b, item_b) in zip(a.items(), b.items(), strict=True):
            result = self.compare(key_a, key_b) or self.compare(item_a, item_b)
            if result:
                return result
        return 0


# -- POSIX regular expressions (regcomp / regexec) ----------------------------

REG_EXTENDED, REG_ICASE, REG_NOSUB, REG_NEWLINE = 1, 2, 4, 8

_POSIX_CLASSES = {
    b"alpha": b"a-zA-Z",
    b"digit": b"0-9",
    b"alnum": b"0-9a-zA-Z",
    b"upper": b"A-Z",
    b"lower": b"a-z",
    b"space": b" \\t\\n\\r\\f\\v",
    b"blank": b" \\t",
    b"punct": re.escape(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    b"print": b"\\x20-\\x7e",
    b"graph": b"\\x21-\\x7e",
    b"cntrl": b"\\x00-\\x1f\\x7f",
    b"xdigit": b"0-9A-Fa-f",
}

# GNU escapes glibc accepts in both regex syntaxes, in Python spelling.
_GNU_ESCAPES = {
    b"w": b"\\w",
    b"W": b"\\W",
    b"s": b"\\s",
    b"S": b"\\S",
    b"b": b"\\b",
    b"B": b"\\B",
    b"<": b"\\b(?=\\w)",
    b">": b"\\b(?<=\\w)",
    b"`": b"\\A",
    b"'": b"\\Z",
}
_INTERVAL = re.compile(rb"\{(\d+)(,(\d*))?\}")
_BRE_INTERVAL = re.compile(rb"\\\{(\d+)(,(\d*))?\\\}")


class _RegexTranslator:
    """Turn a POSIX basic or extended regex into Python ``re`` syntax.

    glibc semantics: basic syntax (no REG_EXTENDED) groups with ``\\(``,
    repeats with ``\\{m,n\\}`` and treats ``+ ? | ( ) { }`` as literals; a
    bracket expression takes ``\\`` literally and knows ``[:class:]``; with
    REG_NEWLINE ``.`` and ``[^...]`` do not match a newline and ``^ $``
    match at line boundaries, otherwise ``$`` matches only at the very end.
    """

    def __init__(self, pattern: bytes, flags: int) -> None:
        self.src = pattern
        self.pos = 0
        self.extended = bool(flags & REG_EXTENDED)
        self.newline = bool(flags & REG_NEWLINE)
        self.out: list[bytes] = []
        self.at_start = True

    def translate(self) -> bytes:
        while self.pos < len(self.src):
            starts = self._step()
            self.at_start = starts
        return b"".join(self.out)

    def _peek(self, offset: int = 0) -> bytes:
        index = self.pos + offset
        return self.src[index : index + 1]

    def _step(self) -> bool:
        char = self._peek()
        if char == b"[":
            self.out.append(self._bracket())
            return False
        if char == b"\\":
            return self._escape()
        self.pos += 1
        if self.extended:
            return self._extended_char(char)
        return self._basic_char(char)

    def _extended_char(self, char: bytes) -> bool:
        if char in b"(|":
            self.out.append(char)
            return True
        if char == b"{":
            self.out.append(self._interval(_INTERVAL, 0))
            return False
        if char == b"*" and self.at_start:
            self.out.append(b"\\*")
            return False
        self.out.append(self._anchor_or_char(char, anchors=True))
        return char == b"^"

    def _basic_char(self, char: bytes) -> bool:
        if char == b"*" and self.at_start:
            self.out.append(b"\\*")
            return False
        if char == b"^" and self.at_start:
            self.out.append(b"^")
            return True
        if char == b"$" and self._at_basic_end():
            self.out.append(self._dollar())
            return False
        if char in b"+?(){}|^$":
            self.out.append(re.escape(char))
            return False
        self.out.append(self._anchor_or_char(char, anchors=False))
        return False

    def _at_basic_end(self) -> bool:
        rest = self.src[self.pos : self.pos + 2]
        return rest in (b"", b"\\)", b"\\|")

    def _anchor_or_char(self, char: bytes, anchors: bool) -> bytes:
        if char == b".":
            return b"." if self.newline else b"(?s:.)"
        if anchors and char == b"$":
            return self._dollar()
        if anchors and char == b"^":
            return b"^"
        if char in b"*+?)":
            return char
        return re.escape(char)

    def _dollar(self) -> bytes:
        return b"$" if self.newline else b"(?!(?s:.))"

    def _interval(self, pattern: re.Pattern[bytes], skip: int) -> bytes:
        match = pattern.match(self.src, self.pos - 1 + skip)
        if match is None:
            return b"\\{"
        self.pos = match.end()
        low, comma, high = match.group(1), match.group(2), match.group(3)
        if comma is None:
            return b"{" + low + b"}"
        return b"{" + low + b"," + (high or b"") + b"}"

    def _escape(self) -> bool:
        char = self._peek(1)
        self.pos += 2
        if not char:
            raise re.error("trailing backslash")
        if not self.extended:
            basic = self._basic_escape(char)
            if basic is not None:
                self.out.append(basic)
                return char in b"(|"
        if char in b"123456789":
            self.out.append(b"\\" + char)
        else:
            self.out.append(_GNU_ESCAPES.get(char, re.escape(char)))
        return False

    def _basic_escape(self, char: bytes) -> bytes | None:
        if char in b"()|+?":
            return char
        if char == b"{":
            self.pos -= 2
            text = self._interval(_BRE_INTERVAL, 1)
            if text == b"\\{":
                self.pos += 2
            return text
        if char == b"}":
            return b"\\}"
        return None

    def _bracket(self) -> bytes:
        self.pos += 1
        negate = self._peek() == b"^"
        if negate:
            self.pos += 1
        parts: list[bytes] = []
        first = True
        while True:
            char = self._peek()
            if not char:
                raise re.error("unterminated bracket expression")
            if char == b"]" and not first:
                self.pos += 1
                break
            parts.append(self._bracket_item())
            first = False
        if negate and self.newline:
            parts.append(b"\\n")
        return b"[" + (b"^" if negate else b"") + b"".join(parts) + b"]"

    def _bracket_item(self) -> bytes:
        char = self._peek()
        if char == b"[" and self._peek(1) in (b":", b"=", b"."):
            return self._bracket_class(self._peek(1))
        self.pos += 1
        if char == b"-":
            return b"-"
        return re.escape(char)

    def _bracket_class(self, kind: bytes) -> bytes:
        end = self.src.find(kind + b"]", self.pos + 2)
        if end < 0:
            raise re.error("unterminated character class")
        name = self.src[self.pos + 2 : end]
        self.pos = end + 2
        if kind == b":":
            if name not in _POSIX_CLASSES:
                raise re.error(f"unknown character class {name!r}")
            return _POSIX_CLASSES[name]
        return re.escape(name)


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: bytes, flags: int) -> re.Pattern[bytes]:
    """Compile a POSIX regex as regcomp() would; re.error if it is invalid."""
    text = _RegexTranslator(pattern, flags).translate()
    options = re.MULTILINE if flags & REG_NEWLINE else 0
    if flags & REG_ICASE:
        options |= re.IGNORECASE
    return re.compile(text, options)


# -- run-time environment -----------------------------------------------------


class Env:
    """What an expression sees: a record's metadata and its bins."""

    __slots__ = ("bins", "namespace", "now_ns", "record", "vars")

    def __init__(
        self,
        namespace: Namespace,
        record: StoredRecord,
        bins: dict[str, Any],
        now_ns: int,
        n_vars: int,
    ) -> None:
        self.namespace = namespace
        self.record = record
        self.bins = bins
        self.now_ns = now_ns
        self.vars: list[Any] = [UNKNOWN] * n_vars


Run = Callable[[Env], Any]


class Node(NamedTuple):
    """A built instruction: its static result type and how to evaluate it."""

    rtype: int
    run: Run
    code: int = -1


def _const(value: Any) -> Run:
    return lambda env: value


# -- reading the wire form ----------------------------------------------------


def _array_count(data: bytes, pos: int) -> tuple[int, int] | None:
    """``(count, header size)`` of a msgpack array at ``pos``, else None."""
    code = data[pos]
    if 0x90 <= code <= 0x9F:
        return code & 0x0F, 1
    if code == 0xDC and pos + 3 <= len(data):
        return int.from_bytes(data[pos + 1 : pos + 3], "big"), 3
    if code == 0xDD and pos + 5 <= len(data):
        return int.from_bytes(data[pos + 1 : pos + 5], "big"), 5
    return None


def _str_payload(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """The payload of a msgpack str / bin at ``pos`` and the next position."""
    code = data[pos]
    if 0xA0 <= code <= 0xBF:
        start, size = pos + 1, code & 0x1F
    elif code in (0xD9, 0xC4):
        start, size = pos + 2, data[pos + 1] if pos + 1 < len(data) else -1
    elif code in (0xDA, 0xC5):
        start, size = pos + 3, int.from_bytes(data[pos + 1 : pos + 3], "big")
    elif code in (0xDB, 0xC6):
        start, size = pos + 5, int.from_bytes(data[pos + 1 : pos + 5], "big")
    else:
        return None
    if size < 0 or start + size > len(data):
        return None
    return data[start : start + size], start + size


class _Reader:
    """A cursor over the expression bytes."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def at_array(self) -> bool:
        self._check_more()
        return _array_count(self.data, self.pos) is not None

    def array(self, what: str) -> int:
        self._check_more()
        header = _array_count(self.data, self.pos)
        if header is None:
            raise _bad(f"{what} must be an array")
        self.pos += header[1]
        return header[0]

    def raw(self, what: str) -> bytes:
        self._check_more()
        found = _str_payload(self.data, self.pos)
        if found is None:
            raise _bad(f"{what} must be a string")
        payload, self.pos = found
        return payload

    def value(self) -> Any:
        self._check_more()
        unpacker = packer.Unpacker(self.data, self.pos)
        try:
            value = unpacker.unpack()
        except packer.UnpackError as exc:
            raise _bad(f"bad msgpack at offset {self.pos}: {exc}") from None
        self.pos = unpacker.pos
        return value

    def integer(self, what: str, unsigned: bool = False) -> int:
        value = self.value()
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{what} must be an integer")
        if unsigned and value < 0:
            raise _bad(f"{what} must not be negative")
        return value

    def _check_more(self) -> None:
        if self.pos >= len(self.data):
            raise _bad("the expression ends early")


class _Build:
    """Building state: the reader, variable scopes and slots, depth."""

    __slots__ = ("depth", "max_vars", "n_vars", "reader", "scopes")

    def __init__(self, data: bytes) -> None:
        self.reader = _Reader(data)
        self.scopes: list[dict[bytes, tuple[int, int]]] = []
        self.n_vars = 0
        self.max_vars = 0
        self.depth = 0

    def next(self) -> Node:
        """Build the next instruction or literal."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _bad(f"expression nests deeper than {MAX_DEPTH} levels")
        try:
            if not self.reader.at_array():
                return _literal(self)
            count = self.reader.array("instruction")
            if count == 0:
                raise _bad("empty instruction")
            code = self.reader.integer("op code", unsigned=True)
            builder = _BUILDERS.get(code)
            if builder is None:
                raise _bad(f"unknown op code {code}")
            return builder(self, code, count - 1)
        finally:
            self.depth -= 1

    def typed(self, allowed: Sequence[int], what: str) -> Node:
        node = self.next()
        if node.rtype not in allowed:
            names = " or ".join(_TYPE_NAMES[t] for t in allowed)
            raise _bad(f"{what} is {_TYPE_NAMES[node.rtype]}, expected {names}")
        return node


def _arity(code: int, n_args: int, expected: int) -> None:
    if n_args != expected:
        raise _bad(f"op {code} takes {expected} operands, got {n_args}")


# -- literals


def _literal(b: _Build) -> Node:
    reader = b.reader
    found = _str_payload(reader.data, reader.pos)
    if found is not None:
        payload, reader.pos = found
        return _typed_literal(payload)
    value = reader.value()
    if value is None:
        return Node(T_NIL, _const(None))
    if isinstance(value, bool):
        return Node(T_BOOL, _const(value))
    if isinstance(value, int):
        return Node(T_INT, _const(value))
    if isinstance(value, float):
        return Node(T_FLOAT, _const(value))
    if isinstance(value, dict):
        return Node(T_MAP, _const(value))
    return Node(T_ANY, _const(value))


def _typed_literal(payload: bytes) -> Node:
    if not payload:
        raise _bad("empty string literal")
    kind, body = payload[0], payload[1:]
    if kind == packer.PT_STRING:
        return Node(T_STR, _const(body.decode("utf-8", "surrogateescape")))
    if kind == packer.PT_BLOB:
        return Node(T_BLOB, _const(bytes(body)))
    if kind == packer.PT_HLL:
        return Node(T_HLL, _const(HLL(body)))
    if kind == packer.PT_GEOJSON:
        text = GeoJSON(body.decode("utf-8", "replace"))
        try:
            geo.parse(text)
        except geo.GeoError as exc:
            raise _bad(f"invalid GeoJSON literal: {exc}") from None
        return Node(T_GEO, _const(text))
    raise _bad(f"literal of unknown bytes type {kind}")


def _build_quote(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    if not b.reader.at_array():
        raise _bad("a quoted value must be a list")
    return Node(T_LIST, _const(b.reader.value()))


def _build_unknown(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 0)
    return Node(T_BOOL, _const(UNKNOWN), UNK)


# -- comparisons and logic


def _compare_values(rtype: int, a: Any, b: Any) -> Any:
    """``cmp(a, b)`` as -1/0/1 for two values of a type, or UNKNOWN."""
    if rtype == T_NIL:
        return 0
    if rtype in (T_STR, T_BLOB):
        return _sign(_text_bytes(a), _text_bytes(b))
    if rtype in (T_BOOL, T_INT, T_FLOAT):
        return _sign(a, b)
    order = _Order()
    result = order.compare(a, b)
    return UNKNOWN if order.unordered_map else result


_COMPARATORS: dict[int, Callable[[Any, Any], bool]] = {
    EQ: operator.eq,
    NE: operator.ne,
    GT: operator.gt,
    GE: operator.ge,
    LT: operator.lt,
    LE: operator.le,
}


def _build_compare(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 2)
    left, right = b.next(), b.next()
    if left.rtype != right.rtype:
        raise _bad(
            f"cannot compare {_TYPE_NAMES[left.rtype]} with {_TYPE_NAMES[right.rtype]}"
        )
    if left.rtype in (T_GEO, T_HLL):
        raise _bad(f"cannot compare {_TYPE_NAMES[left.rtype]} values")
    holds = _COMPARATORS[code]
    rtype = left.rtype

    def run(env: Env) -> Any:
        a = left.run(env)
        if a is UNKNOWN:
            return UNKNOWN
        value = right.run(env)
        if value is UNKNOWN:
            return UNKNOWN
        result = _compare_values(rtype, a, value)
        return UNKNOWN if result is UNKNOWN else holds(result, 0)

    return Node(T_BOOL, run)


def _build_regex(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 3)
    flags = b.reader.integer("regex flags")
    pattern = b.reader.raw("regex")
    subject = b.typed((T_STR,), "regex subject")
    try:
        regex = compile_regex(pattern.split(b"\0", 1)[0], flags & 0xFFFFFFFF)
    except (re.error, RecursionError) as exc:
        raise _bad(f"regex {pattern!r} does not compile: {exc}") from None

    def run(env: Env) -> Any:
        value = subject.run(env)
        if value is UNKNOWN:
            return UNKNOWN
        # regexec sees a C string: the text ends at its first NUL byte.
        text = _text_bytes(value).split(b"\0", 1)[0]
        return regex.search(text) is not None

    return Node(T_BOOL, run)


def _build_geo(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 2)
    left = b.typed((T_GEO,), "geo compare operand")
    right = b.typed((T_GEO,), "geo compare operand")

    def run(env: Env) -> Any:
        a = left.run(env)
        if a is UNKNOWN:
            return UNKNOWN
        value = right.run(env)
        if value is UNKNOWN:
            return UNKNOWN
        try:
            return geo.matches(geo.parse(a), geo.parse(value))
        except geo.GeoError:
            return UNKNOWN

    return Node(T_BOOL, run)


def _build_in_list(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 2)
    value_node = b.next()
    list_node = b.typed((T_LIST,), "in_list list")

    def run(env: Env) -> Any:
        value = value_node.run(env)
        if value is UNKNOWN:
            return UNKNOWN
        items = list_node.run(env)
        if not isinstance(items, list):
            return UNKNOWN
        order = _Order()
        return any(order.compare(value, item) == 0 for item in items)

    return Node(T_BOOL, run)


def _logical_operands(b: _Build, code: int, n_args: int) -> list[Run]:
    if n_args < 2:
        raise _bad(f"op {code} needs at least 2 operands, got {n_args}")
    return [
        b.typed((T_BOOL,), f"operand {i + 1} of op {code}").run for i in range(n_args)
    ]


def _build_and(b: _Build, code: int, n_args: int) -> Node:
    operands = _logical_operands(b, code, n_args)

    def run(env: Env) -> Any:
        result: Any = True
        for operand in operands:
            value = operand(env)
            if value is UNKNOWN:
                result = UNKNOWN
            elif not value:
                return False
        return result

    return Node(T_BOOL, run)


def _build_or(b: _Build, code: int, n_args: int) -> Node:
    operands = _logical_operands(b, code, n_args)

    def run(env: Env) -> Any:
        result: Any = False
        for operand in operands:
            value = operand(env)
            if value is UNKNOWN:
                result = UNKNOWN
            elif value:
                return True
        return result

    return Node(T_BOOL, run)


def _build_exclusive(b: _Build, code: int, n_args: int) -> Node:
    operands = _logical_operands(b, code, n_args)

    def run(env: Env) -> Any:
        found = False
        for operand in operands:
            value = operand(env)
            if value is UNKNOWN:
                return UNKNOWN
            if value:
                if found:
                    return False
                found = True
        return found

    return Node(T_BOOL, run)


def _build_not(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    operand = b.typed((T_BOOL,), "not operand").run

    def run(env: Env) -> Any:
        value = operand(env)
        return UNKNOWN if value is UNKNOWN else not value

    return Node(T_BOOL, run)


# -- arithmetic


def _float_div(a: float, b: float) -> float:
    if b:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _int_div(a: int, b: int) -> Any:
    if b == 0:
        return UNKNOWN
    quotient = abs(a) // abs(b)
    return _wrap(quotient if (a < 0) == (b < 0) else -quotient)


def _c_log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _c_pow(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        odd = exponent.is_integer() and int(exponent) % 2 == 1
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:
        if base == 0:
            odd = exponent.is_integer() and int(exponent) % 2 == 1
            return math.copysign(math.inf, base) if odd else math.inf
        return math.nan


def _fold(step: Callable[[Any, Any], Any]) -> Callable[[list[Run]], Run]:
    def make(operands: list[Run]) -> Run:
        first, rest = operands[0], operands[1:]

        def run(env: Env) -> Any:
            result = first(env)
            if result is UNKNOWN:
                return UNKNOWN
            for operand in rest:
                value = operand(env)
                if value is UNKNOWN:
                    return UNKNOWN
                result = step(result, value)
            return result

        return run

    return make


def _int_or_float(
    int_step: Callable[[int, int], int], float_step: Callable[[float, float], float]
) -> Callable[[Any, Any], Any]:
    def step(a: Any, b: Any) -> Any:
        if isinstance(a, float):
            return float_step(a, b)
        return _wrap(int_step(a, b))

    return step


def _pick(keep_first: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    # min/max keep the running value unless the C comparison says otherwise.
    return lambda a, b: a if keep_first(a, b) else b


_MATH_STEPS: dict[int, Callable[[Any, Any], Any]] = {
    ADD: _int_or_float(operator.add, operator.add),
    MUL: _int_or_float(operator.mul, operator.mul),
    SUB: _int_or_float(operator.sub, operator.sub),
    MIN: _pick(lambda a, b: not a > b),
    MAX: _pick(lambda a, b: not a < b),
}


def _math_operands(b: _Build, code: int, n_args: int) -> tuple[int, list[Run]]:
    if n_args < 1:
        raise _bad(f"op {code} needs at least 1 operand")
    nodes = [
        b.typed((T_INT, T_FLOAT), f"operand {i + 1} of op {code}")
        for i in range(n_args)
    ]
    rtype = nodes[0].rtype
    if any(node.rtype != rtype for node in nodes):
        raise _bad(f"op {code} mixes int and float operands")
    return rtype, [node.run for node in nodes]


def _build_math(b: _Build, code: int, n_args: int) -> Node:
    rtype, operands = _math_operands(b, code, n_args)
    if code == SUB and len(operands) == 1:
        only = operands[0]
        zero: Any = 0.0 if rtype == T_FLOAT else 0
        return Node(rtype, _fold(_MATH_STEPS[SUB])([lambda env: zero, only]))
    return Node(rtype, _fold(_MATH_STEPS[code])(operands))


def _build_div(b: _Build, code: int, n_args: int) -> Node:
    rtype, operands = _math_operands(b, code, n_args)
    one: Any = 1.0 if rtype == T_FLOAT else 1
    if len(operands) == 1:
        operands = [lambda env: one, *operands]
    product = _fold(_MATH_STEPS[MUL])(operands[1:])
    numerator = operands[0]
    divide = _float_div if rtype == T_FLOAT else _int_div

    def run(env: Env) -> Any:
        a = numerator(env)
        if a is UNKNOWN:
            return UNKNOWN
        divisor = product(env)
        return UNKNOWN if divisor is UNKNOWN else divide(a, divisor)

    return Node(rtype, run)


def _binary_run(first: Run, second: Run, apply: Callable[[Any, Any], Any]) -> Run:
    def run(env: Env) -> Any:
        a = first(env)
        if a is UNKNOWN:
            return UNKNOWN
        value = second(env)
        return UNKNOWN if value is UNKNOWN else apply(a, value)

    return run


def _c_mod(a: int, b: int) -> Any:
    if b == 0:
        return UNKNOWN
    remainder = abs(a) % abs(b)
    return _wrap(-remainder if a < 0 else remainder)


def _lscan(value: int, search: bool) -> int:
    bits = value & UINT64_MASK if search else ~value & UINT64_MASK
    return 64 - bits.bit_length() if bits else -1


def _rscan(value: int, search: bool) -> int:
    bits = value & UINT64_MASK if search else ~value & UINT64_MASK
    return 63 - ((bits & -bits).bit_length() - 1) if bits else -1


# op code -> (operand types, result type, function of the two values)
_BINARY_OPS: dict[int, tuple[tuple[int, int], int, Callable[[Any, Any], Any]]] = {
    POW: ((T_FLOAT, T_FLOAT), T_FLOAT, _c_pow),
    LOG: ((T_FLOAT, T_FLOAT), T_FLOAT, lambda a, b: _float_div(_c_log(a), _c_log(b))),
    MOD: ((T_INT, T_INT), T_INT, _c_mod),
    # x86 masks shift counts to 6 bits; the server shifts in C.
    INT_LSHIFT: ((T_INT, T_INT), T_INT, lambda a, s: _wrap(a << (s & 63))),
    INT_RSHIFT: (
        (T_INT, T_INT),
        T_INT,
        lambda a, s: _wrap((a & UINT64_MASK) >> (s & 63)),
    ),
    INT_ARSHIFT: ((T_INT, T_INT), T_INT, lambda a, s: a >> (s & 63)),
    INT_LSCAN: ((T_INT, T_BOOL), T_INT, _lscan),
    INT_RSCAN: ((T_INT, T_BOOL), T_INT, _rscan),
}


def _build_binary(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 2)
    (first_type, second_type), rtype, apply = _BINARY_OPS[code]
    first = b.typed((first_type,), f"operand 1 of op {code}")
    second = b.typed((second_type,), f"operand 2 of op {code}")
    return Node(rtype, _binary_run(first.run, second.run, apply))


def _to_int(value: float) -> int:
    # x86 cvttsd2si gives INT64_MIN for NaN and out-of-range values.
    if math.isnan(value) or not -(2.0**63) <= value < 2.0**63:
        return INT64_MIN
    return int(value)


def _c_round(rounder: Callable[[float], int]) -> Callable[[float], float]:
    return lambda x: float(rounder(x)) if math.isfinite(x) else x


def _abs(value: Any) -> Any:
    return abs(value) if isinstance(value, float) else _wrap(abs(value))


# op code -> (operand types, result type or None for "the operand's type", fn)
_UNARY_OPS: dict[int, tuple[tuple[int, ...], int | None, Callable[[Any], Any]]] = {
    ABS: ((T_INT, T_FLOAT), None, _abs),
    FLOOR: ((T_FLOAT,), T_FLOAT, _c_round(math.floor)),
    CEIL: ((T_FLOAT,), T_FLOAT, _c_round(math.ceil)),
    TO_INT: ((T_FLOAT,), T_INT, _to_int),
    TO_FLOAT: ((T_INT,), T_FLOAT, float),
    INT_NOT: ((T_INT,), T_INT, operator.invert),
    INT_COUNT: ((T_INT,), T_INT, lambda x: bin(x & UINT64_MASK).count("1")),
}


def _build_unary(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    allowed, rtype, apply = _UNARY_OPS[code]
    operand = b.typed(allowed, f"operand of op {code}")
    inner = operand.run

    def run(env: Env) -> Any:
        value = inner(env)
        return UNKNOWN if value is UNKNOWN else apply(value)

    return Node(operand.rtype if rtype is None else rtype, run)


_BITWISE: dict[int, Callable[[int, int], int]] = {
    INT_AND: operator.and_,
    INT_OR: operator.or_,
    INT_XOR: operator.xor,
}


def _build_int_vargs(b: _Build, code: int, n_args: int) -> Node:
    if n_args < 1:
        raise _bad(f"op {code} needs at least 1 operand")
    operands = [
        b.typed((T_INT,), f"operand {i + 1} of op {code}").run for i in range(n_args)
    ]
    return Node(T_INT, _fold(_BITWISE[code])(operands))


# -- record metadata (exp.c eval_meta_*)


def _digest_modulo(modulo: int) -> Run:
    def run(env: Env) -> Any:
        # The server reads digest bytes 16..19 as a little-endian uint32;
        # C's % keeps the dividend's sign, so a negative modulus acts as its
        # absolute value.
        value = int.from_bytes(env.record.digest[16:20], "little")
        return value % abs(modulo)

    return run


def _build_digest_mod(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    modulo = _wrap32(b.reader.integer("digest modulo"))
    if modulo == 0:
        raise _bad("digest modulo by zero")
    return Node(T_INT, _digest_modulo(modulo))


def _wrap32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _last_update_ms(record: StoredRecord) -> int:
    # The server keeps last-update times in milliseconds.
    return record.last_update_ns // 1_000_000


def _meta_last_update(env: Env) -> Any:
    return _last_update_ms(env.record) * 1_000_000


def _meta_since_update(env: Env) -> Any:
    return max(env.now_ns // 1_000_000 - _last_update_ms(env.record), 0)


def _meta_void_time(env: Env) -> Any:
    void_time = env.record.void_time
    return -1 if void_time == 0 else (void_time + CITRUSLEAF_EPOCH) * 1_000_000_000


def _meta_ttl(env: Env) -> Any:
    void_time = env.record.void_time
    if void_time == 0:
        return -1
    now_cl = env.now_ns // 1_000_000_000 - CITRUSLEAF_EPOCH
    return max(void_time - now_cl, 1)


def _meta_set_name(env: Env) -> Any:
    return env.record.set_name


def _meta_key_exists(env: Env) -> Any:
    return bool(env.record.key)


def _meta_is_tombstone(env: Env) -> Any:
    # The embedded server keeps no tombstones: every record it finds is live.
    return False


def record_size(record: StoredRecord, bins: dict[str, Any]) -> int:
    """The flat storage size of a record (as/src/storage/flat.c), in 16-byte
    write blocks as as_record_stored_size reports it."""
    size = 35  # sizeof(as_flat_record)
    if record.void_time:
        size += 4
    if record.set_name:
        size += 1 + len(record.set_name.encode())
    if record.key:
        size += _uintvar_size(len(record.key)) + len(record.key)
    if bins:
        size += _uintvar_size(len(bins))
    for name, value in bins.items():
        size += 1 + len(name.encode()) + _flat_particle_size(value)
    return -(-size // 16) * 16


def _uintvar_size(value: int) -> int:
    return max(1, -(-value.bit_length() // 7))


def _flat_particle_size(value: Any) -> int:
    if isinstance(value, bool):
        return 2
    if isinstance(value, int):
        magnitude = value & UINT64_MASK
        return 2 + next(n for n in (1, 2, 4, 8) if magnitude < 1 << (8 * n))
    if isinstance(value, float):
        return 9
    return 5 + len(particle.encode(value)[1])


def _meta_record_size(env: Env) -> Any:
    return record_size(env.record, env.bins)


def _meta_device_size(env: Env) -> Any:
    # Deprecated; namespaces of the embedded server are memory-only.
    return 0


_META: dict[int, tuple[int, Run]] = {
    LAST_UPDATE: (T_INT, _meta_last_update),
    SINCE_UPDATE: (T_INT, _meta_since_update),
    VOID_TIME: (T_INT, _meta_void_time),
    TTL: (T_INT, _meta_ttl),
    SET_NAME: (T_STR, _meta_set_name),
    KEY_EXISTS: (T_BOOL, _meta_key_exists),
    IS_TOMBSTONE: (T_BOOL, _meta_is_tombstone),
    RECORD_SIZE: (T_INT, _meta_record_size),
    MEMORY_SIZE: (T_INT, _meta_record_size),
    DEVICE_SIZE: (T_INT, _meta_device_size),
}


def _build_meta(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 0)
    rtype, run = _META[code]
    return Node(rtype, run)


def _stored_key(key: bytes | None) -> Any:
    if not key:
        return UNKNOWN
    kind, body = key[0], key[1:]
    if kind == particle.INTEGER and len(body) == 8:
        return int.from_bytes(body, "big", signed=True)
    if kind == particle.STRING:
        return body.decode("utf-8", "surrogateescape")
    if kind == particle.BLOB:
        return bytes(body)
    return UNKNOWN


def _build_key(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    rtype = b.reader.integer("key type", unsigned=True)
    if rtype not in (T_INT, T_STR, T_BLOB):
        raise _bad(f"key type {rtype} is not int, str or blob")

    def run(env: Env) -> Any:
        value = _stored_key(env.record.key)
        return value if _is_type(value, rtype) else UNKNOWN

    return Node(rtype, run)


def _bin_name(b: _Build) -> str:
    raw = b.reader.raw("bin name")
    if len(raw) > msg.MAX_BIN_NAME:
        raise _bad(f"bin name {raw!r} is longer than {msg.MAX_BIN_NAME} bytes")
    return raw.decode("utf-8", "surrogateescape")


def _build_bin(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 2)
    rtype = b.reader.integer("bin type", unsigned=True)
    if rtype >= T_INPUT_END:
        raise _bad(f"bin type {rtype} is not an expression type")
    name = _bin_name(b)

    def run(env: Env) -> Any:
        value = env.bins.get(name)
        return value if value is not None and _is_type(value, rtype) else UNKNOWN

    return Node(rtype, run)


def _build_bin_type(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    name = _bin_name(b)
    return Node(T_INT, lambda env: particle_type(env.bins.get(name)))


def _build_map_kv(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    source = b.next().run
    values = code == MAP_VALUES

    def run(env: Env) -> Any:
        value = source(env)
        if not isinstance(value, dict):
            return UNKNOWN
        return list(value.values() if values else value.keys())

    return Node(T_LIST, run)


# -- control flow


def _build_cond(b: _Build, code: int, n_args: int) -> Node:
    if n_args < 3 or n_args % 2 == 0:
        raise _bad(f"cond needs condition/action pairs and a default, got {n_args}")
    cases: list[tuple[Run, Run]] = []
    rtype = T_ANY
    for i in range(n_args // 2):
        condition = b.typed((T_BOOL,), f"cond condition {i + 1}")
        action = b.next()
        rtype = _cond_type(rtype, action, f"cond action {i + 1}")
        cases.append((condition.run, action.run))
    default = b.next()
    # Unlike an action, the default decides the type when nothing else did.
    rtype = default.rtype if rtype == T_ANY else _cond_type(rtype, default, "default")

    def run(env: Env) -> Any:
        for condition, action in cases:
            value = condition(env)
            if value is UNKNOWN:
                return UNKNOWN
            if value:
                return action(env)
        return default.run(env)

    return Node(rtype, run)


def _cond_type(rtype: int, action: Node, what: str) -> int:
    # The unknown op may stand in for an action of any type.
    if action.code == UNK:
        return rtype
    if rtype in (T_ANY, action.rtype):
        return action.rtype
    raise _bad(f"{what} is {_TYPE_NAMES[action.rtype]}, expected {_TYPE_NAMES[rtype]}")


_VAR_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _build_let(b: _Build, code: int, n_args: int) -> Node:
    if n_args < 3 or n_args % 2 == 0:
        raise _bad(f"let needs name/value pairs and a scope, got {n_args}")
    scope: dict[bytes, tuple[int, int]] = {}
    b.scopes.append(scope)
    slots: list[tuple[int, Run]] = []
    for _ in range(n_args // 2):
        name = _new_var_name(b)
        slot = b.n_vars
        b.n_vars += 1
        b.max_vars = max(b.max_vars, b.n_vars)
        scope[name] = (slot, T_ANY)
        value = b.next()
        scope[name] = (slot, value.rtype)
        slots.append((slot, value.run))
    body = b.next()
    b.scopes.pop()
    b.n_vars -= len(slots)

    def run(env: Env) -> Any:
        for slot, value in slots:
            env.vars[slot] = value(env)
        return body.run(env)

    return Node(body.rtype, run)


def _new_var_name(b: _Build) -> bytes:
    name = b.reader.raw("variable name")
    if not _VAR_NAME.fullmatch(name):
        raise _bad(f"illegal variable name {name!r}")
    if _find_var(b, name) is not None:
        raise _bad(f"duplicate variable name {name!r}")
    return name


def _find_var(b: _Build, name: bytes) -> tuple[int, int] | None:
    for scope in reversed(b.scopes):
        if name in scope:
            return scope[name]
    return None


def _build_var(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 1)
    name = b.reader.raw("variable name")
    found = _find_var(b, name)
    if found is None:
        raise _bad(f"undefined variable {name!r}")
    slot, rtype = found
    if rtype == T_ANY:
        raise _bad(f"variable {name!r} is used while it is being defined")
    return Node(rtype, lambda env: env.vars[slot])


# -- CALL: list/map, bit and HLL engines (PROTOCOL.md 11.3)

# system -> (module, read function, modify function)
_ENGINES = {
    CALL_CDT: ("aerospike_py.server.cdt", "cdt_read", "cdt_modify"),
    CALL_BITS: ("aerospike_py.server.bits", "bits_read", "bits_modify"),
    CALL_HLL: ("aerospike_py.server.hll", "hll_read", "hll_modify"),
}
_ENGINE_BIN_TYPES = {
    CALL_CDT: (T_LIST, T_MAP),
    CALL_BITS: (T_BLOB,),
    CALL_HLL: (T_HLL,),
}


class _CallPayload:
    """A CALL's op payload: literal arguments and expression arguments."""

    def __init__(self, op_code: int, ctx: Any, has_ctx: bool) -> None:
        self.op_code = op_code
        self.ctx = ctx
        self.has_ctx = has_ctx
        self.args: list[tuple[bool, Any]] = []  # (is an expression, value/run)

    def evaluate(self, env: Env) -> Any:
        """The decoded payload with its expressions evaluated, or UNKNOWN."""
        values: list[Any] = [self.op_code]
        for is_expression, item in self.args:
            value = item(env) if is_expression else item
            if value is UNKNOWN:
                return UNKNOWN
            values.append(value)
        if self.has_ctx:
            return [CDT_CONTEXT_EVAL, self.ctx, values]
        return values


def _parse_payload(b: _Build) -> _CallPayload:
    reader = b.reader
    count = reader.array("CALL payload")
    if count == 0:
        raise _bad("empty CALL payload")
    op_code = reader.integer("CALL op code", unsigned=True)
    payload = _CallPayload(op_code, None, False)
    if op_code == CDT_SELECT:
        raise Failure(
            errors.ERR_UNSUPPORTED_FEATURE, "select/modify by path in expressions"
        )
    if op_code == CDT_CONTEXT_EVAL:
        if count != 3:
            raise _bad("a CALL context payload has 3 elements")
        ctx = reader.value()
        count = reader.array("CALL op")
        payload = _CallPayload(reader.integer("CALL op code", unsigned=True), ctx, True)
    for _ in range(count - 1):
        if reader.at_array():
            payload.args.append((True, b.next().run))
        else:
            payload.args.append((False, reader.value()))
    return payload


def _engine(system: int, modify: bool) -> Callable[..., Any]:
    module_name, read_name, modify_name = _ENGINES[system]
    function_name = modify_name if modify else read_name
    try:
        module = importlib.import_module(module_name)
        function: Callable[..., Any] = getattr(module, function_name)
    except (ImportError, AttributeError):
        raise Failure(
            errors.ERR_UNSUPPORTED_FEATURE, f"{module_name}.{function_name} is missing"
        ) from None
    return function


def _call_input(value: Any) -> Any:
    """The bin a call works on: nil, a container, bytes or an HLL."""
    if value is None or isinstance(value, (list, dict, bytes, bytearray)):
        return value
    return UNKNOWN


class ResultMap(dict):  # type: ignore[type-arg]
    """A map in the order the server chose (a KEY_VALUE result): packed with
    map flags 0x08, which ask clients to keep that order."""

    map_order = 0x08


def _engine_value(result: Any) -> Any:
    """An engine's result as a Python value (results may come pre-encoded)."""
    if not isinstance(result, ops.EncodedBin):
        return result
    value = particle.decode(result.particle_type, result.data)
    if type(value) is dict and _map_flags(result.data) == ResultMap.map_order:
        return ResultMap(value)
    return value


def _map_flags(data: bytes) -> int:
    header = 1 if 0x80 <= data[0] <= 0x8F else 3 if data[0] == 0xDE else 5
    if data[header : header + 2] == b"\xc7\x00":
        return data[header + 2]
    return 0


def _build_call(b: _Build, code: int, n_args: int) -> Node:
    _arity(code, n_args, 4)
    rtype = b.reader.integer("CALL result type", unsigned=True)
    if rtype >= T_INPUT_END:
        raise _bad(f"CALL result type {rtype} is not an expression type")
    flags = b.reader.integer("CALL system", unsigned=True)
    payload = _parse_payload(b)
    source = b.next()
    system = flags & ~CALL_MODIFY_LOCAL
    if system not in _ENGINES:
        raise _bad(f"CALL system {flags} is not cdt, bits or hll")
    if source.rtype != T_NIL and source.rtype not in _ENGINE_BIN_TYPES[system]:
        raise _bad(f"CALL of system {system} on a {_TYPE_NAMES[source.rtype]}")
    modify = bool(flags & CALL_MODIFY_LOCAL)
    return Node(rtype, _call_runner(system, modify, payload, source.run, rtype))


def _call_runner(
    system: int, modify: bool, payload: _CallPayload, source: Run, rtype: int
) -> Run:
    def run(env: Env) -> Any:
        args = payload.evaluate(env)
        if args is UNKNOWN:
            return UNKNOWN
        value = _call_input(source(env))
        if value is UNKNOWN:
            return UNKNOWN
        engine = _engine(system, modify)
        try:
            if modify:
                result = engine(copy.deepcopy(value), args)[1]
            else:
                result = engine(value, args)
        except Failure:
            return UNKNOWN
        result = _engine_value(result)
        return result if _is_type(result, rtype) else UNKNOWN

    return run


_BUILDERS: dict[int, Callable[[_Build, int, int], Node]] = {
    UNK: _build_unknown,
    **dict.fromkeys((EQ, NE, GT, GE, LT, LE), _build_compare),
    CMP_REGEX: _build_regex,
    CMP_GEO: _build_geo,
    IN_LIST: _build_in_list,
    AND: _build_and,
    OR: _build_or,
    NOT: _build_not,
    EXCLUSIVE: _build_exclusive,
    **dict.fromkeys((ADD, SUB, MUL, MIN, MAX), _build_math),
    DIV: _build_div,
    **dict.fromkeys(_BINARY_OPS, _build_binary),
    **dict.fromkeys(_UNARY_OPS, _build_unary),
    **dict.fromkeys(_BITWISE, _build_int_vargs),
    DIGEST_MOD: _build_digest_mod,
    **dict.fromkeys(_META, _build_meta),
    REC_KEY: _build_key,
    BIN: _build_bin,
    BIN_TYPE: _build_bin_type,
    MAP_KEYS: _build_map_kv,
    MAP_VALUES: _build_map_kv,
    COND: _build_cond,
    VAR: _build_var,
    LET: _build_let,
    QUOTE: _build_quote,
    CALL: _build_call,
}


# -- programs, filters and expression operations ------------------------------


class Program(NamedTuple):
    """A built expression, ready to evaluate against many records."""

    rtype: int
    run: Run
    n_vars: int


@functools.lru_cache(maxsize=512)
def build_expression(data: bytes) -> Program:
    """Build an expression; Failure(4) if the server would refuse it."""
    if not data:
        raise _bad("empty expression")
    if len(data) >= MAX_SIZE:
        raise _bad(f"expression of {len(data)} bytes exceeds {MAX_SIZE}")
    build = _Build(data)
    root = build.next()
    if build.reader.pos != len(data):
        raise _bad(f"{len(data) - build.reader.pos} bytes after the expression")
    if root.rtype == T_ANY:
        raise _bad("the expression's result type is unknown")
    return Program(root.rtype, root.run, build.max_vars)


def evaluate(
    program: Program,
    namespace: Namespace,
    record: StoredRecord,
    bins: dict[str, Any],
    now_ns: int,
) -> Any:
    """Evaluate a program against a record; UNKNOWN when it cannot decide."""
    return program.run(Env(namespace, record, bins, now_ns, program.n_vars))


def evaluate_filter(
    namespace: Namespace, record: StoredRecord, expression: bytes
) -> bool:
    """True when the record passes a filter expression.

    Raise Failure(4) for an expression the server would refuse, including one
    that does not return a boolean.
    """
    program = build_expression(bytes(expression))
    if program.rtype != T_BOOL:
        raise _bad(f"a filter must return bool, not {_TYPE_NAMES[program.rtype]}")
    now_ns = namespace.clock.now_ns()
    return evaluate(program, namespace, record, record.bins, now_ns) is True


def _parse_op(op: msg.Op, allowed_flags: int) -> tuple[Program, int]:
    """An expression op's value: ``[expression, flags?]`` (expop.c)."""
    data = bytes(op.value)
    header = _array_count(data, 0) if data else None
    if header is None or not 1 <= header[0] <= 2:
        raise _bad(f"expression op on bin {op.name!r} must be [expression, flags]")
    reader = _Reader(data)
    reader.pos = header[1]
    start = reader.pos
    reader.value()
    expression = data[start : reader.pos]
    flags = reader.integer("expression op flags") if header[0] == 2 else 0
    if flags & ~allowed_flags:
        raise _bad(f"invalid expression op flags 0x{flags:x}")
    return build_expression(expression), flags


def _evaluate_op(ctx: OpContext, program: Program) -> Any:
    return evaluate(program, ctx.namespace, ctx.record, ctx.bins, ctx.now_ns)


def _exp_read(ctx: OpContext, op: msg.Op) -> Any:
    program, flags = _parse_op(op, _READ_FLAGS)
    value = _evaluate_op(ctx, program)
    if value is UNKNOWN:
        if flags & EXP_EVAL_NO_FAIL:
            return None
        raise Failure(errors.ERR_OP_NOT_APPLICABLE, "expression evaluated to unknown")
    return value


def _exp_modify(ctx: OpContext, op: msg.Op) -> Any:
    program, flags = _parse_op(op, _MODIFY_FLAGS)
    name = op.name
    was_live = ctx.bins.get(name) is not None
    policy_no_fail = bool(flags & EXP_POLICY_NO_FAIL)
    if was_live and flags & EXP_CREATE_ONLY:
        if policy_no_fail:
            return ops.NO_RESULT
        raise Failure(ERR_BIN_EXISTS, f"bin {name!r} exists")
    if not was_live and flags & EXP_UPDATE_ONLY:
        if policy_no_fail:
            return ops.NO_RESULT
        raise Failure(ERR_BIN_NOT_FOUND, f"bin {name!r} does not exist")
    value = _evaluate_op(ctx, program)
    if value is UNKNOWN:
        if flags & EXP_EVAL_NO_FAIL:
            return ops.NO_RESULT
        raise Failure(errors.ERR_OP_NOT_APPLICABLE, "expression evaluated to unknown")
    _store_result(ctx, name, value, flags, was_live)
    return ops.NO_RESULT


def _store_result(
    ctx: OpContext, name: str, value: Any, flags: int, was_live: bool
) -> None:
    if value is not None:
        # A copy: the value may be another bin's, or a literal of a cached
        # expression, and list/map ops change bins in place.
        ctx.bins[name] = copy.deepcopy(value)
        return
    if not was_live:
        return
    if flags & EXP_ALLOW_DELETE:
        del ctx.bins[name]
        return
    # expop.c tests "flags && AS_EXP_FLAG_POLICY_NO_FAIL != 0", which holds
    # for any non-zero flags: only flags 0 turn a refused delete into 26.
    if flags:
        return
    raise Failure(errors.ERR_OP_NOT_APPLICABLE, f"expression would delete {name!r}")


ops.register(msg.OP_EXP_READ, _exp_read, modify=False)
ops.register(msg.OP_EXP_MODIFY, _exp_modify, modify=True)
commands.filter_evaluator.append(evaluate_filter)
