"""What a CDT selection returns: return types and the shared result shapes.

A return type (PROTOCOL.md 9.7) is the low 16 bits of the ``rt`` argument;
bit 0x10000 (INVERTED) selects the complement. The builders here follow
the server's ``result_data_*`` functions (as/src/base/cdt.c), including
their orderings: a multi-result of indexes or ranks built from a range is
ascending, and a reverse index maps ``i`` to ``n - i - 1`` range by range.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from aerospike_py.server import errors
from aerospike_py.server.cdt.order import sort_key
from aerospike_py.server.errors import Failure
from aerospike_py.wire import packer
from aerospike_py.wire.values import KeyOrderedDict

NONE = 0
INDEX = 1
REVERSE_INDEX = 2
RANK = 3
REVERSE_RANK = 4
COUNT = 5
KEY = 6
VALUE = 7
KEY_VALUE = 8
INDEX_RANGE = 9
REVERSE_INDEX_RANGE = 10
RANK_RANGE = 11
REVERSE_RANK_RANGE = 12
EXISTS = 13
UNORDERED_MAP = 16
ORDERED_MAP = 17

INVERTED = 0x10000
TYPE_MASK = 0xFFFF

INDEX_TYPES = frozenset({INDEX, REVERSE_INDEX})
RANK_TYPES = frozenset({RANK, REVERSE_RANK})
REVERSED = frozenset({REVERSE_INDEX, REVERSE_RANK})
INDEX_RANGE_TYPES = frozenset({INDEX_RANGE, REVERSE_INDEX_RANGE})
RANK_RANGE_TYPES = frozenset({RANK_RANGE, REVERSE_RANK_RANGE})
MAP_TYPES = frozenset({KEY_VALUE, UNORDERED_MAP, ORDERED_MAP})
ELEMENT_TYPES = frozenset({KEY, VALUE}) | MAP_TYPES

# Map flags of a map-shaped result (result_map_type_to_map_flags in cdt.h);
# 0x08 asks the client to keep the server's order.
PRESERVE_ORDER = 0x08
MAP_RESULT_FLAGS = {KEY_VALUE: PRESERVE_ORDER, UNORDERED_MAP: 0, ORDERED_MAP: 1}


def not_applicable(detail: str) -> Failure:
    return Failure(errors.ERR_OP_NOT_APPLICABLE, detail)


class Want:
    """The result an operation asked for (``cdt_result_data``)."""

    __slots__ = ("inverted", "multi", "type")

    def __init__(self, return_type: int, multi: bool) -> None:
        self.type = return_type & TYPE_MASK
        self.inverted = bool(return_type & INVERTED)
        self.multi = multi

    @property
    def reverse(self) -> bool:
        return self.type in REVERSED


class MapResult:
    """Key/value pairs returned as a map with the given map flags."""

    __slots__ = ("flags", "pairs")

    def __init__(self, pairs: list[tuple[Any, Any]], flags: int) -> None:
        self.pairs = pairs
        self.flags = flags

    def encode(self) -> bytes:
        """The msgpack map, with its flags in a leading ext element."""
        out = bytearray()
        if self.flags:
            packer.pack_map_header(out, len(self.pairs) + 1)
            out += bytes((0xC7, 0x00, self.flags, 0xC0))
        else:
            packer.pack_map_header(out, len(self.pairs))
        for key, value in self.pairs:
            packer.pack_into(out, key)
            packer.pack_into(out, value)
        return bytes(out)

    def to_value(self) -> Any:
        """The map as a Python value, when its flags allow one."""
        if self.flags == 1:
            return KeyOrderedDict(self.pairs)
        return dict(self.pairs)


def map_result(want: Want, pairs: list[tuple[Any, Any]]) -> MapResult:
    if want.type == ORDERED_MAP:
        pairs = sorted(pairs, key=lambda pair: sort_key(pair[0]))
    return MapResult(pairs, MAP_RESULT_FLAGS[want.type])


def int_range(start: int, count: int, size: int, reverse: bool) -> list[int]:
    """``count`` ascending numbers from ``start`` (cdt_container_builder)."""
    if reverse:
        start = size - start - count
    return list(range(start, start + count))


def each_int(values: Iterable[int], size: int, reverse: bool) -> list[int]:
    return [size - value - 1 if reverse else value for value in values]


def not_found(want: Want, index: int) -> Any:
    """The result of a selection that found nothing (result_data_set_not_found)."""
    kind = want.type
    if kind == NONE:
        return None
    if kind in INDEX_RANGE_TYPES or kind in RANK_RANGE_TYPES:
        return [index, 0]
    if kind in INDEX_TYPES or kind in RANK_TYPES:
        return [] if want.multi else -1
    if kind == COUNT:
        return 0
    if kind == EXISTS:
        return False
    if kind in (KEY, VALUE):
        return [] if want.multi else None
    if kind in MAP_TYPES:
        return MapResult([], MAP_RESULT_FLAGS[kind])
    raise not_applicable(f"return type {kind} is not valid here")


def index_rank_count(want: Want, start: int, count: int, size: int) -> Any:
    """Results of a contiguous run (result_data_set_index_rank_count)."""
    kind = want.type
    if kind == NONE:
        return None
    if kind == COUNT:
        return size - count if want.inverted else count
    if kind == EXISTS:
        return count == 0 if want.inverted else count != 0
    if kind in INDEX_TYPES or kind in RANK_TYPES:
        return _positions(want, start, count, size)
    raise not_applicable(f"return type {kind} is not valid here")


def _positions(want: Want, start: int, count: int, size: int) -> Any:
    reverse = want.reverse
    if not want.multi:
        if count == 0:
            return -1
        return size - start - 1 if reverse else start
    if want.inverted:
        tail = start + count
        return int_range(0, start, size, reverse) + int_range(
            tail, size - tail, size, reverse
        )
    return int_range(start, count, size, reverse)


def set_range(want: Want, start: int, count: int, size: int) -> Any:
    """Results of a contiguous run, incl. range types (result_data_set_range)."""
    kind = want.type
    if kind in INDEX_RANGE_TYPES or kind in RANK_RANGE_TYPES:
        if want.inverted:
            raise not_applicable(f"return type {kind} cannot be inverted")
        if kind in (REVERSE_INDEX_RANGE, REVERSE_RANK_RANGE):
            start = size - start - count
        return [start, count]
    return index_rank_count(want, start, count, size)


def by_irc(want: Want, runs: Sequence[tuple[int, int]], size: int) -> list[int]:
    """Positions of (start, count) runs, in run order (result_data_set_by_irc)."""
    out: list[int] = []
    for start, count in runs:
        out += int_range(start, count, size, want.reverse)
    return out


def by_item_runs(want: Want, runs: Sequence[tuple[int, int]], size: int) -> list[int]:
    """Positions matched per list item (result_data_set_by_itemlist_irc).

    ``runs`` holds, for each item in the order given, the position of its
    first match and the number of matches.
    """
    reverse = want.reverse
    if not want.inverted:
        return [
            size - position - 1 if reverse else position
            for start, count in runs
            for position in range(start, start + count)
        ]
    out: list[int] = []
    previous = 0
    for start, count in sorted(runs):
        if count == 0:
            continue
        out += int_range(previous, start - previous, size, reverse)
        previous = start + count
    return out + int_range(previous, size - previous, size, reverse)
