"""Pieces shared by list and map operations: arguments, indexes, searches.

Arguments are checked as ``cdt_process_state_get_params`` does
(as/src/base/cdt.c): each op has a table of parameter kinds, trailing ones
optional; a missing required one, one too many, or one of the wrong kind
fails with PARAMETER (4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aerospike_py.server import errors
from aerospike_py.server.cdt.order import compare, has_marker, normalize
from aerospike_py.server.errors import Failure

# Parameter kinds of the server's op table.
INDEX = "I"  # signed 64-bit index or rank
UINT = "U"  # unsigned 64-bit count, flags or return type
PAYLOAD = "P"  # any value, WILDCARD / INFINITY allowed
STORAGE = "S"  # a value to store: no WILDCARD / INFINITY

UINT64_MASK = (1 << 64) - 1
# What an op does to a list or map that is not there (yet).
CREATE = "create"  # create it empty, then run
NOOP = "noop"  # nothing: no result, nothing stored

# Count when the client leaves it out: "to the end" (UINT32_MAX in cdt.c).
TO_END = 0xFFFFFFFF
INT32_MAX = 0x7FFFFFFF


class _Open:
    """An interval end the client left out: up to the largest value."""

    def __repr__(self) -> str:
        return "OPEN"


OPEN: Any = _Open()


def bad_param(detail: str) -> Failure:
    return Failure(errors.ERR_PARAMETER, detail)


def incompatible(detail: str) -> Failure:
    return Failure(errors.ERR_INCOMPATIBLE_TYPE, detail)


class OpSpec:
    """One op code: its parameters, whether it writes, and its function."""

    __slots__ = ("code", "create_arg", "modify", "name", "on_missing", "params")

    def __init__(
        self,
        code: int,
        name: str,
        params: str,
        optional: int,
        *,
        modify: bool,
        on_missing: str | int = "",
        create_arg: int | None = None,
    ) -> None:
        self.code = code
        self.name = name
        self.params = (params, optional)
        self.modify = modify
        # CREATE, NOOP, a result code to fail with, or "" for reads.
        self.on_missing = on_missing
        self.create_arg = create_arg

    def parse(self, args: Sequence[Any]) -> list[Any]:
        """Check the arguments and fill in the defaults of omitted ones."""
        kinds, optional = self.params
        if not kinds:
            return []
        if len(args) < len(kinds) - optional:
            raise bad_param(f"{self.name} needs {len(kinds) - optional} arguments")
        if len(args) > len(kinds):
            raise bad_param(f"{self.name} takes at most {len(kinds)} arguments")
        pairs = zip(kinds, args, strict=False)
        return [_check(kind, arg, self.name) for kind, arg in pairs]


def _check(kind: str, arg: Any, name: str) -> Any:
    if kind in (INDEX, UINT):
        if type(arg) is not int:
            raise bad_param(f"{name}: {arg!r:.40} is not an integer")
        return arg & UINT64_MASK if kind == UINT else arg
    if kind == STORAGE:
        if has_marker(arg):
            raise bad_param(f"{name}: WILDCARD / INFINITY cannot be stored")
        # Stored values keep nested ordered containers sorted
        # (cdt_untrusted_rewrite).
        return normalize(arg)
    return arg


def calc_index(index: int, size: int) -> int:
    """A negative index counts from the end (calc_index in cdt.h)."""
    return index + size if index < 0 else index


def calc_index_count(
    index: int, count: int, size: int, multi: bool
) -> tuple[int, int] | None:
    """Absolute index and count bounded by ``size`` (calc_index_count).

    A single-element selection out of bounds gives None; a range is
    clipped, and may come back empty.
    """
    if multi:
        if index >= size:
            return size, 0
        index = calc_index(index, size)
        if index < 0:
            if -index < count:
                return 0, min(count + index, size)
            return 0, 0
        return index, min(count, size - index)
    if index >= size:
        return None
    index = calc_index(index, size)
    if index < 0:
        return None
    return index, min(count, size - index)


def calc_rel_index_count(index: int, count: int, relative: int) -> tuple[int, int]:
    """Index and count relative to a found position (calc_rel_index_count)."""
    index += relative
    if index < 0:
        count = max(0, count + index)
        index = 0
    return index, count


def lower_bound(values: Sequence[Any], target: Any) -> int:
    """Position of the first value not less than ``target``."""
    for position, value in enumerate(values):
        if compare(value, target) >= 0:
            return position
    return len(values)


def upper_bound(values: Sequence[Any], target: Any, start: int = 0) -> int:
    """Position of the first value after ``start`` greater than ``target``."""
    for position in range(start, len(values)):
        if compare(values[position], target) > 0:
            return position
    return len(values)


def count_less(values: Sequence[Any], target: Any) -> int:
    return sum(1 for value in values if compare(value, target) < 0)


def count_equal(values: Sequence[Any], target: Any) -> int:
    return sum(1 for value in values if compare(value, target) == 0)


def sorted_range(values: Sequence[Any], start: Any, end: Any) -> tuple[int, int]:
    """First position and count of sorted ``values`` in [start, end)."""
    first = lower_bound(values, start)
    if end is OPEN:
        return first, len(values) - first
    if compare(start, end) >= 0:
        return first, 0
    return first, max(0, lower_bound(values, end) - first)


def in_interval(value: Any, start: Any, end: Any) -> bool:
    if compare(value, start) < 0:
        return False
    return end is OPEN or compare(value, end) < 0


def complement(positions: Sequence[int], size: int) -> list[int]:
    chosen = set(positions)
    return [position for position in range(size) if position not in chosen]


def stable_order(values: Sequence[Any], key: Callable[[Any], Any]) -> list[int]:
    """Positions of ``values`` sorted by ``key``, ties in position order."""
    return sorted(range(len(values)), key=lambda position: key(values[position]))


def param_list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise bad_param(f"{name} needs a list, not {type(value).__name__}")
    return list(value)


def number_delta(value: Any, name: str) -> int | float | None:
    """An increment amount: an int, a float, or None for the default."""
    if value is None or value is OPEN:
        return None
    if type(value) in (int, float):
        return value  # type: ignore[no-any-return]
    raise bad_param(f"{name}: increment by {type(value).__name__}")


def wrap64(value: int) -> int:
    """Two's-complement wrap of an integer sum, as the server's int64."""
    value &= UINT64_MASK
    return value - (1 << 64) if value >= 1 << 63 else value


def add_delta(current: Any, delta: int | float | None, sign: int, name: str) -> Any:
    """``current`` plus ``delta`` by the rules of cdt_calc_delta_add."""
    if current is None:
        if delta is None:
            return sign
        return delta * sign
    if type(current) is int:
        # A float amount is truncated to an integer (cdt_calc_delta_add).
        step = 1 if delta is None else int(delta)
        return wrap64(current + step * sign)
    if type(current) is float:
        amount = 1 if delta is None else delta
        return current + amount * sign
    raise bad_param(f"{name}: cannot increment a {type(current).__name__}")
