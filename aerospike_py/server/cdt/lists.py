"""List operations of the embedded server (as/src/base/particle_list.c).

A :class:`ListOp` holds one list while one operation reads or changes it.
Selections follow the server's paths, because the order of multi-element
results depends on them: an ordered list is searched by position (index ==
rank), an unordered one by scanning; values selected by rank come back in
rank order, values selected by value or index in list order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aerospike_py.server import errors
from aerospike_py.server.cdt import results as R
from aerospike_py.server.cdt.common import (
    CREATE,
    INDEX,
    INT32_MAX,
    NOOP,
    OPEN,
    PAYLOAD,
    STORAGE,
    TO_END,
    UINT,
    OpSpec,
    add_delta,
    bad_param,
    calc_index,
    calc_index_count,
    calc_rel_index_count,
    complement,
    count_equal,
    count_less,
    in_interval,
    lower_bound,
    number_delta,
    param_list,
    sorted_range,
    stable_order,
    upper_bound,
)
from aerospike_py.server.cdt.order import compare, sort_key
from aerospike_py.server.errors import Failure
from aerospike_py.wire.values import OrderedList

# List order flags (PROTOCOL.md 9.7); 0x10 persist index is accepted and
# has no effect in memory.
ORDERED = 0x01
PERSIST_INDEX = 0x10
VALID_FLAGS = ORDERED | PERSIST_INDEX

# Write flags.
ADD_UNIQUE = 0x01
INSERT_BOUNDED = 0x02
NO_FAIL = 0x04
PARTIAL = 0x08

# Sort flags.
DESCENDING = 0x01
DROP_DUPLICATES = 0x02

# A value interval that is one value: [value, value].
SAME = object()


def exists_failure(flags: int) -> None:
    """An element already there: fine with NO_FAIL, else ELEMENT_EXISTS."""
    if not flags & NO_FAIL:
        raise Failure(errors.ERR_ELEMENT_EXISTS, "list element exists")


def make_list(items: list[Any], ordered: bool) -> list[Any]:
    return OrderedList(items) if ordered else list(items)


def is_list(value: Any) -> bool:
    return isinstance(value, list)


class ListOp:
    """One operation on one list: selection, results and the new contents."""

    __slots__ = ("changed", "items", "modify", "ordered", "want")

    def __init__(self, items: list[Any], ordered: bool, modify: bool) -> None:
        self.items = items
        self.ordered = ordered
        self.modify = modify
        self.want = R.Want(R.NONE, False)
        self.changed: list[Any] | None = None

    @property
    def size(self) -> int:
        return len(self.items)

    def expect(self, return_type: int, multi: bool) -> None:
        self.want = R.Want(return_type, multi)

    def store(self, items: list[Any]) -> None:
        self.changed = items
        self.items = items

    def remove(self, positions: list[int]) -> None:
        if self.modify and positions:
            drop = set(positions)
            self.store([v for i, v in enumerate(self.items) if i not in drop])

    def not_found(self, index: int) -> Any:
        if self.want.type == R.KEY or self.want.type in R.MAP_TYPES:
            raise R.not_applicable("map return type on a list")
        return R.not_found(self.want, index)

    # -- by index (packed_list_get_remove_by_index_range) -----------------------

    def by_index_range(self, index: int, count: int) -> Any:
        want = self.want
        size = self.size
        span = calc_index_count(index, count, size, want.multi)
        if span is None:
            raise R.not_applicable(f"index {index} out of bounds for {size}")
        start, count = span
        if want.inverted:
            if not want.multi:
                raise R.not_applicable("INVERTED on a single-element selection")
            if want.type in R.INDEX_RANGE_TYPES or want.type in R.RANK_RANGE_TYPES:
                raise R.not_applicable("range return type cannot be inverted")
            want.inverted = False
            if count == 0:
                start, count = 0, size
            elif start == 0:
                start, count = count, size - count
            elif start + count >= size:
                start, count = 0, start
            else:
                return self.trim(start, count)
        if count == 0:
            return self.not_found(start)
        return self._take_range(start, count)

    def _take_range(self, start: int, count: int) -> Any:
        want = self.want
        size = self.size
        original = self.items
        taken = original[start : start + count]
        if self.modify:
            self.store(original[:start] + original[start + count :])
        kind = want.type
        if kind == R.NONE:
            return None
        if kind in R.INDEX_TYPES:
            return R.index_rank_count(want, start, count, size)
        if kind in R.RANK_TYPES:
            return self._range_ranks(start, count, original, taken)
        if kind == R.COUNT:
            return count
        if kind == R.EXISTS:
            return count != 0
        if kind == R.VALUE:
            return taken if want.multi else taken[0]
        if kind in R.INDEX_RANGE_TYPES:
            return R.set_range(want, start, count, size)
        if kind in R.RANK_RANGE_TYPES and self.ordered:
            return R.set_range(want, start, count, size)
        raise R.not_applicable(f"return type {kind} is not valid for a list")

    def _range_ranks(
        self, start: int, count: int, original: list[Any], taken: list[Any]
    ) -> Any:
        want = self.want
        size = len(original)
        if count == size:
            return R.index_rank_count(want, 0, count, size)
        if self.ordered:
            if not want.multi:
                return size - start - 1 if want.reverse else start
            return R.int_range(start, count, size, want.reverse)
        ranks = [count_less(original, value) for value in taken]
        ranks = R.each_int(ranks, size, want.reverse)
        return ranks if want.multi else ranks[0]

    def trim(self, start: int, count: int) -> Any:
        """Keep [start, start + count), return the rest (packed_list_trim)."""
        want = self.want
        size = self.size
        end = start + count
        removed = self.items[:start] + self.items[end:]
        original = self.items
        if self.modify:
            self.store(self.items[start:end])
        kind = want.type
        if kind == R.NONE:
            return None
        if kind == R.COUNT:
            return size - count
        if kind == R.EXISTS:
            return size != count
        if kind in R.INDEX_TYPES or (kind in R.RANK_TYPES and self.ordered):
            return R.int_range(0, start, size, want.reverse) + R.int_range(
                end, size - end, size, want.reverse
            )
        if kind in R.RANK_TYPES:
            ranks = [count_less(original, value) for value in removed]
            return R.each_int(ranks, size, want.reverse)
        if kind == R.VALUE:
            return removed
        raise R.not_applicable(f"return type {kind} is not valid for a trim")

    # -- by value (packed_list_get_remove_by_value_interval) --------------------

    def by_value_interval(self, start: Any, end: Any) -> Any:
        want = self.want
        if want.inverted and not want.multi:
            raise R.not_applicable("INVERTED on a single-element selection")
        if self.ordered:
            first, count = self._sorted_interval(start, end)
            if count == 0 and not want.multi:
                return self.not_found(0)
            return self.by_index_range(first, count)
        rank, chosen = self._scan_interval(start, end)
        return self._interval_result(rank, chosen)

    def _sorted_interval(self, start: Any, end: Any) -> tuple[int, int]:
        if end is SAME:
            first = lower_bound(self.items, start)
            found = first < self.size and compare(self.items[first], start) == 0
            if not found:
                return first, 0
            if self.want.multi:
                return first, upper_bound(self.items, start, first) - first
            return first, 1
        return sorted_range(self.items, start, end)

    def _scan_interval(self, start: Any, end: Any) -> tuple[int, list[int]]:
        """Rank of ``start`` and the chosen positions, in list order."""
        want = self.want
        rank = 0
        chosen: list[int] = []
        for position, value in enumerate(self.items):
            if compare(value, start) < 0:
                rank += 1
                if want.inverted:
                    chosen.append(position)
            elif end is not SAME:
                if in_interval(value, start, end) != want.inverted:
                    chosen.append(position)
            elif compare(value, start) == 0:
                # One value: all copies for a multi op, else the first.
                if (want.multi and not want.inverted) or not (want.multi or chosen):
                    chosen.append(position)
            elif want.inverted and want.multi:
                chosen.append(position)
        return rank, chosen

    def _interval_result(self, rank: int, chosen: list[int]) -> Any:
        want = self.want
        size = self.size
        values = [self.items[position] for position in chosen]
        self.remove(chosen)
        kind = want.type
        run = size - len(chosen) if want.inverted else len(chosen)
        if kind in (R.NONE, R.COUNT, R.EXISTS) or kind in R.RANK_TYPES:
            return R.set_range(want, rank, run, size)
        if kind in R.RANK_RANGE_TYPES:
            return R.set_range(want, rank, run, size)
        if kind in R.INDEX_TYPES:
            return self._mask_indexes(chosen, size)
        if kind == R.VALUE:
            if want.multi:
                return values
            return values[0] if values else None
        raise R.not_applicable(f"return type {kind} is not valid for a list")

    def _mask_indexes(self, chosen: list[int], size: int) -> Any:
        want = self.want
        if want.multi:
            return R.each_int(chosen, size, want.reverse)
        if not chosen:
            return -1
        return R.each_int(chosen[:1], size, want.reverse)[0]

    # -- by rank (packed_list_get_remove_by_rank_range) -------------------------

    def by_rank_range(self, rank: int, count: int) -> Any:
        want = self.want
        if want.inverted and not want.multi:
            raise R.not_applicable("INVERTED on a single-element selection")
        if self.ordered:
            return self.by_index_range(rank, count)
        size = self.size
        span = calc_index_count(rank, count, size, want.multi)
        if span is None:
            raise R.not_applicable(f"rank {rank} out of bounds for {size}")
        start, count = span
        order = stable_order(self.items, sort_key)
        ranked = order[start : start + count]
        removed = size - count if want.inverted else count
        if removed == 0:
            return self.not_found(start)
        if want.inverted and want.type in R.RANK_RANGE_TYPES:
            raise R.not_applicable("range return type cannot be inverted")
        chosen = complement(ranked, size) if want.inverted else sorted(ranked)
        values = [self.items[p] for p in (chosen if want.inverted else ranked)]
        self.remove(chosen)
        kind = want.type
        if kind in (R.NONE, R.COUNT, R.EXISTS) or kind in R.RANK_TYPES:
            return R.set_range(want, start, count, size)
        if kind in R.RANK_RANGE_TYPES:
            return R.set_range(want, start, count, size)
        if kind in R.INDEX_TYPES:
            return self._mask_indexes(chosen, size)
        if kind == R.VALUE:
            return values if want.multi else values[0]
        raise R.not_applicable(f"return type {kind} is not valid for a list")

    # -- by value list (packed_list_get_remove_all_by_value_list) ---------------

    def by_value_list(self, targets: list[Any]) -> Any:
        want = self.want
        if want.type in R.INDEX_RANGE_TYPES or want.type in R.RANK_RANGE_TYPES:
            raise R.not_applicable("range return type with a value list")
        if not targets:
            if not want.inverted:
                return self.not_found(0)
            want.inverted = False
            return self.by_index_range(0, self.size)
        if self.ordered:
            return self._sorted_value_list(targets)
        return self._scanned_value_list(targets)

    def _sorted_value_list(self, targets: list[Any]) -> Any:
        want = self.want
        size = self.size
        runs = []
        for target in targets:
            first = lower_bound(self.items, target)
            runs.append((first, upper_bound(self.items, target, first) - first))
        hit = sorted({p for first, n in runs for p in range(first, first + n)})
        chosen = complement(hit, size) if want.inverted else hit
        values = [self.items[position] for position in chosen]
        run_values = [v for first, n in runs for v in self.items[first : first + n]]
        self.remove(chosen)
        kind = want.type
        if kind == R.NONE:
            return None
        if kind == R.COUNT:
            return len(chosen)
        if kind == R.EXISTS:
            return bool(chosen)
        if kind in R.INDEX_TYPES or kind in R.RANK_TYPES:
            if want.inverted:
                return R.each_int(chosen, size, want.reverse)
            return R.by_irc(want, runs, size)
        if kind == R.VALUE:
            return values if want.inverted else run_values
        raise R.not_applicable(f"return type {kind} is not valid for a list")

    def _scanned_value_list(self, targets: list[Any]) -> Any:
        want = self.want
        size = self.size
        chosen = [
            position
            for position, value in enumerate(self.items)
            if any(compare(value, t) == 0 for t in targets) != want.inverted
        ]
        items = self.items
        runs = [(count_less(items, t), count_equal(items, t)) for t in targets]
        values = [self.items[position] for position in chosen]
        self.remove(chosen)
        kind = want.type
        if kind == R.NONE:
            return None
        if kind in R.INDEX_TYPES:
            return R.each_int(chosen, size, want.reverse)
        if kind in R.RANK_TYPES:
            return R.by_item_runs(want, runs, size)
        if kind == R.COUNT:
            return len(chosen)
        if kind == R.EXISTS:
            return bool(chosen)
        if kind == R.VALUE:
            return values
        raise R.not_applicable(f"return type {kind} is not valid for a list")

    # -- relative rank (packed_list_get_remove_by_rel_rank_range) ---------------

    def by_relative_rank(self, value: Any, rank: int, count: int) -> Any:
        if self.ordered:
            anchor = lower_bound(self.items, value)
            return self.by_index_range(*calc_rel_index_count(rank, count, anchor))
        anchor = count_less(self.items, value)
        return self.by_rank_range(*calc_rel_index_count(rank, count, anchor))

    # -- adding (packed_list_insert, packed_list_add_ordered) -------------------

    def insert(self, index: int, values: list[Any], flags: int) -> int:
        """Insert ``values`` at ``index``; return the new size."""
        size = self.size
        if not values:
            return size
        if index > INT32_MAX or calc_index(index, size) < 0:
            raise R.not_applicable(f"index {index} out of bounds for {size}")
        index = calc_index(index, size)
        if flags & INSERT_BOUNDED and index > size:
            if flags & NO_FAIL:
                return size
            raise R.not_applicable(f"index {index} beyond the list end {size}")
        if flags & ADD_UNIQUE:
            values = self._unique(values, flags)
            if not values:
                return size
        if index - size > errors.MAX_RECORD_BYTES:
            raise errors.too_big("a list padded with nils", index - size)
        padding = [None] * (index - size) if index > size else []
        self.store(self.items[:index] + padding + values + self.items[index:])
        return self.size

    def _unique(self, values: list[Any], flags: int) -> list[Any]:
        """The values ADD_UNIQUE lets in, or [] when the op is a no-op."""
        partial = flags & NO_FAIL and flags & PARTIAL
        kept: list[Any] = []
        for position, value in enumerate(values):
            if count_equal(self.items, value):
                if partial:
                    continue
                exists_failure(flags)
                return []
            if any(compare(value, earlier) == 0 for earlier in values[:position]):
                if not flags & NO_FAIL:
                    raise R.not_applicable("duplicate values with ADD_UNIQUE")
                if not partial:
                    return []
                continue
            kept.append(value)
        if not kept:
            exists_failure(flags)
        return kept

    def add_sorted(self, values: list[Any], flags: int) -> int:
        """Add to an ordered list at the sorted places; return the new size."""
        size = self.size
        if not values:
            return size
        values = sorted(values, key=sort_key)
        if flags & ADD_UNIQUE:
            values = self._unique_sorted(values, flags)
            if not values:
                return size
        items = list(self.items)
        for value in values:
            items.insert(upper_bound(items, value), value)
        self.store(items)
        return self.size

    def _unique_sorted(self, values: list[Any], flags: int) -> list[Any]:
        partial = flags & NO_FAIL and flags & PARTIAL
        distinct = [
            v for i, v in enumerate(values) if i == 0 or compare(values[i - 1], v)
        ]
        if len(distinct) != len(values):
            if not flags & NO_FAIL:
                raise R.not_applicable("duplicate values with ADD_UNIQUE")
            if not partial:
                return []
        kept = []
        for value in distinct:
            if count_equal(self.items, value):
                if not partial:
                    exists_failure(flags)
                    return []
                continue
            kept.append(value)
        return kept


# -- op functions ----------------------------------------------------------------
# Each takes the ListOp and the parsed arguments and returns the result.


def _set_type(op: ListOp, args: list[Any]) -> Any:
    flags = args[0] & 0xFF
    if flags & ~VALID_FLAGS:
        raise R.not_applicable(f"invalid list flags 0x{flags:x}")
    ordered = bool(flags & ORDERED)
    if ordered != op.ordered:
        items = sorted(op.items, key=sort_key) if ordered else list(op.items)
        op.ordered = ordered
        op.store(items)
    return None


def _append(op: ListOp, values: list[Any], flags: int) -> int:
    if op.ordered:
        return op.add_sorted(values, flags)
    return op.insert(op.size, values, flags)


def _append_one(op: ListOp, args: list[Any]) -> Any:
    return _append(op, [args[0]], _arg(args, 2, 0))


def _append_items(op: ListOp, args: list[Any]) -> Any:
    return _append(op, _items(args[0]), _arg(args, 2, 0))


def _items(value: Any) -> list[Any]:
    return param_list(value, "list items")


def _arg(args: list[Any], position: int, default: Any) -> Any:
    return args[position] if len(args) > position else default


def _insert(op: ListOp, values: list[Any], index: int, flags: int) -> int:
    if op.ordered:
        raise R.not_applicable("insert into an ORDERED list")
    return op.insert(index, values, flags)


def _insert_one(op: ListOp, args: list[Any]) -> Any:
    return _insert(op, [args[1]], args[0], _arg(args, 2, 0))


def _insert_items(op: ListOp, args: list[Any]) -> Any:
    return _insert(op, _items(args[1]), args[0], _arg(args, 2, 0))


def _set(op: ListOp, args: list[Any]) -> Any:
    set_at(op, args[0], args[1], _arg(args, 2, 0))
    return None


def set_at(op: ListOp, index: int, value: Any, flags: int) -> None:
    """Overwrite one element (list_set); past the end pads with nils."""
    if op.ordered:
        raise R.not_applicable("set on an ORDERED list")
    size = op.size
    if index >= size:
        op.insert(index, [value], flags)
        return
    position = calc_index(index, size)
    if position < 0:
        raise R.not_applicable(f"index {index} out of bounds for {size}")
    if flags & ADD_UNIQUE:
        equal = [i for i, item in enumerate(op.items) if compare(item, value) == 0]
        if equal and equal != [position]:
            exists_failure(flags)
            return
    items = list(op.items)
    items[position] = value
    op.store(items)


def _pop(op: ListOp, args: list[Any]) -> Any:
    op.expect(R.VALUE, False)
    return op.by_index_range(args[0], 1)


def _pop_range(op: ListOp, args: list[Any]) -> Any:
    op.expect(R.VALUE, True)
    return op.by_index_range(args[0], _arg(args, 1, TO_END))


def _remove(op: ListOp, args: list[Any]) -> Any:
    op.expect(R.COUNT, False)
    return op.by_index_range(args[0], 1)


def _remove_range(op: ListOp, args: list[Any]) -> Any:
    op.expect(R.COUNT, True)
    return op.by_index_range(args[0], _arg(args, 1, TO_END))


def _trim(op: ListOp, args: list[Any]) -> Any:
    op.expect(R.COUNT | R.INVERTED, True)
    return op.by_index_range(args[0], _arg(args, 1, TO_END))


def _clear(op: ListOp, args: list[Any]) -> Any:
    op.store([])
    return None


def _increment(op: ListOp, args: list[Any]) -> Any:
    index = args[0]
    size = op.size
    position = calc_index(index, size)
    if index > INT32_MAX or position < 0:
        raise R.not_applicable(f"index {index} out of bounds for {size}")
    delta = number_delta(_arg(args, 1, OPEN), "list_increment")
    current = op.items[position] if position < size else None
    if position < size and type(current) not in (int, float):
        raise bad_param(f"list_increment of a {type(current).__name__}")
    value = add_delta(current, delta, 1, "list_increment")
    flags = _arg(args, 3, 0)
    if op.ordered:
        _replace_sorted(op, position, value, flags)
    else:
        set_at(op, position, value, flags)
    return value


def _replace_sorted(op: ListOp, position: int, value: Any, flags: int) -> None:
    """Replace an element of an ordered list (packed_list_replace_ordered)."""
    if position > op.size:
        raise R.not_applicable("index past the end of an ORDERED list")
    if flags & ADD_UNIQUE and count_equal(op.items, value):
        if lower_bound(op.items, value) != position:
            exists_failure(flags)
        return
    items = op.items[:position] + op.items[position + 1 :]
    items.insert(upper_bound(items, value), value)
    op.store(items)


def _sort(op: ListOp, args: list[Any]) -> Any:
    flags = _arg(args, 0, 0)
    if op.size <= 1:
        return None
    items = list(op.items)
    if not op.ordered:
        items.sort(key=sort_key, reverse=bool(flags & DESCENDING))
    if flags & DROP_DUPLICATES:
        items = [v for i, v in enumerate(items) if i == 0 or compare(items[i - 1], v)]
    op.store(items)
    return None


def _size(op: ListOp, args: list[Any]) -> Any:
    return op.size


def _get(op: ListOp, args: list[Any]) -> Any:
    op.expect(R.VALUE, False)
    return op.by_index_range(args[0], 1)


def _get_range(op: ListOp, args: list[Any]) -> Any:
    op.expect(R.VALUE, True)
    return op.by_index_range(args[0], _arg(args, 1, TO_END))


Runner = Callable[[ListOp, list[Any]], Any]


def _selector(multi: bool, select: Runner) -> Runner:
    """An op whose first argument is the return type."""

    def run(op: ListOp, args: list[Any]) -> Any:
        op.expect(args[0], multi)
        return select(op, args[1:])

    return run


def _one(select: Runner) -> Runner:
    return _selector(False, select)


def _many(select: Runner) -> Runner:
    return _selector(True, select)


def _by_index(op: ListOp, args: list[Any]) -> Any:
    return op.by_index_range(args[0], 1)


def _by_index_range(op: ListOp, args: list[Any]) -> Any:
    return op.by_index_range(args[0], _arg(args, 1, TO_END))


def _by_value(op: ListOp, args: list[Any]) -> Any:
    return op.by_value_interval(args[0], SAME)


def _by_interval(op: ListOp, args: list[Any]) -> Any:
    return op.by_value_interval(args[0], _arg(args, 1, OPEN))


def _by_rank(op: ListOp, args: list[Any]) -> Any:
    return op.by_rank_range(args[0], 1)


def _by_rank_range(op: ListOp, args: list[Any]) -> Any:
    return op.by_rank_range(args[0], _arg(args, 1, TO_END))


def _by_value_list(op: ListOp, args: list[Any]) -> Any:
    return op.by_value_list(param_list(args[0], "value list"))


def _rel(op: ListOp, args: list[Any]) -> Any:
    return op.by_relative_rank(args[0], args[1], _arg(args, 2, TO_END))


SPECS: dict[int, OpSpec] = {}
RUNNERS: dict[int, Runner] = {}


def _op(
    code: int,
    name: str,
    params: str,
    optional: int,
    runner: Runner,
    *,
    modify: bool = True,
    missing: str | int = NOOP,
    create_arg: int | None = None,
) -> None:
    SPECS[code] = OpSpec(
        code,
        f"LIST_{name}",
        params,
        optional,
        modify=modify,
        on_missing=missing,
        create_arg=create_arg,
    )
    RUNNERS[code] = runner


def _read(code: int, name: str, params: str, optional: int, runner: Runner) -> None:
    _op(code, name, params, optional, runner, modify=False, missing="")


# The server's op table (cdt_op_table in as/src/base/cdt.c): parameter
# kinds, how many trailing ones are optional, and what the op does to a
# list that is not there (cdt_process_state_packed_list_modify_optype).
_I, _U, _P, _S = INDEX, UINT, PAYLOAD, STORAGE
_op(0, "SET_TYPE", _U, 0, _set_type, missing=CREATE)
_op(1, "APPEND", _S + _U + _U, 2, _append_one, missing=CREATE, create_arg=1)
_op(2, "APPEND_ITEMS", _S + _U + _U, 2, _append_items, missing=CREATE, create_arg=1)
_op(3, "INSERT", _I + _S + _U, 1, _insert_one, missing=CREATE)
_op(4, "INSERT_ITEMS", _I + _S + _U, 1, _insert_items, missing=CREATE)
_op(5, "POP", _I, 0, _pop)
_op(6, "POP_RANGE", _I + _U, 1, _pop_range)
_op(7, "REMOVE", _I, 0, _remove)
_op(8, "REMOVE_RANGE", _I + _U, 1, _remove_range)
_op(9, "SET", _I + _S + _U, 1, _set, missing=CREATE)
_op(10, "TRIM", _I + _U, 0, _trim)
_op(11, "CLEAR", "", 0, _clear)
_op(12, "INCREMENT", _I + _P + _U + _U, 3, _increment, missing=CREATE, create_arg=2)
_op(13, "SORT", _U, 1, _sort, missing=errors.ERR_INCOMPATIBLE_TYPE)
_read(16, "SIZE", "", 0, _size)
_read(17, "GET", _I, 0, _get)
_read(18, "GET_RANGE", _I + _U, 1, _get_range)
_read(19, "GET_BY_INDEX", _U + _I, 0, _one(_by_index))
_read(20, "GET_BY_VALUE", _U + _P, 0, _one(_by_value))
_read(21, "GET_BY_RANK", _U + _I, 0, _one(_by_rank))
_read(22, "GET_ALL_BY_VALUE", _U + _P, 0, _many(_by_value))
_read(23, "GET_ALL_BY_VALUE_LIST", _U + _P, 0, _many(_by_value_list))
_read(24, "GET_BY_INDEX_RANGE", _U + _I + _U, 1, _many(_by_index_range))
_read(25, "GET_BY_VALUE_INTERVAL", _U + _P + _P, 1, _many(_by_interval))
_read(26, "GET_BY_RANK_RANGE", _U + _I + _U, 1, _many(_by_rank_range))
_read(27, "GET_BY_VALUE_REL_RANK_RANGE", _U + _P + _I + _U, 1, _many(_rel))
_op(32, "REMOVE_BY_INDEX", _U + _I, 0, _one(_by_index))
_op(33, "REMOVE_BY_VALUE", _U + _P, 0, _one(_by_value))
_op(34, "REMOVE_BY_RANK", _U + _I, 0, _one(_by_rank))
_op(35, "REMOVE_ALL_BY_VALUE", _U + _P, 0, _many(_by_value))
_op(36, "REMOVE_ALL_BY_VALUE_LIST", _U + _P, 0, _many(_by_value_list))
_op(37, "REMOVE_BY_INDEX_RANGE", _U + _I + _U, 1, _many(_by_index_range))
_op(38, "REMOVE_BY_VALUE_INTERVAL", _U + _P + _P, 1, _many(_by_interval))
_op(39, "REMOVE_BY_RANK_RANGE", _U + _I + _U, 1, _many(_by_rank_range))
_op(40, "REMOVE_BY_VALUE_REL_RANK_RANGE", _U + _P + _I + _U, 1, _many(_rel))


def run(spec: OpSpec, value: Any, raw_args: list[Any]) -> tuple[Any, Any]:
    """Run one list op on ``value`` (None: no list yet).

    Return the result and the new list, or None for the list when the op
    left a missing list missing.
    """
    if value is None:
        return _run_missing(spec, raw_args)
    if not is_list(value):
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, f"{spec.name} on a non-list")
    ordered = bool(getattr(value, "list_order", 0) & ORDERED)
    op = ListOp(list(value), ordered, spec.modify)
    result = RUNNERS[spec.code](op, spec.parse(raw_args))
    new = value if op.changed is None else make_list(op.changed, op.ordered)
    return result, new


def _run_missing(spec: OpSpec, raw_args: list[Any]) -> tuple[Any, Any]:
    """An op on a list that is not there (cdt_context_use_static_list_*)."""
    if not spec.modify:
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, f"{spec.name} on no list")
    if spec.on_missing == NOOP:
        return None, None
    if spec.on_missing != CREATE:
        raise Failure(int(spec.on_missing), f"{spec.name} on no list")
    args = spec.parse(raw_args)
    flags = _arg(args, spec.create_arg, 0) if spec.create_arg is not None else 0
    ordered = not (flags & ~VALID_FLAGS) and bool(flags & ORDERED)
    op = ListOp([], ordered, True)
    result = RUNNERS[spec.code](op, args)
    return result, make_list(op.changed if op.changed is not None else [], op.ordered)
