"""Map operations of the embedded server (as/src/base/particle_map.c).

A map is handled as a list of (key, value) pairs in stored order plus its
flags: 0 unordered (insertion order), 1 key-ordered, 3 key/value-ordered
(stored by key, with an index by value). Map *index* always means key
order and *rank* value order, whatever the map's own order. As in the
server, a multi-element result lists elements in stored order when the
selection was a scan, in key order for key-index ranges and in value order
for rank ranges; an ORDERED_MAP result is always sorted by key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aerospike_py.server import errors
from aerospike_py.server.cdt import results as R
from aerospike_py.server.cdt.common import (
    CREATE,
    INDEX,
    NOOP,
    OPEN,
    PAYLOAD,
    STORAGE,
    TO_END,
    UINT,
    OpSpec,
    add_delta,
    bad_param,
    calc_index_count,
    calc_rel_index_count,
    complement,
    count_equal,
    count_less,
    in_interval,
    lower_bound,
    number_delta,
    sorted_range,
    stable_order,
    upper_bound,
)
from aerospike_py.server.cdt.order import compare, has_marker, sort_key
from aerospike_py.server.errors import Failure
from aerospike_py.wire.values import KeyOrderedDict, KeyValueOrderedDict

K_ORDERED = 0x01
KV_ORDERED = 0x03
PERSIST_INDEX = 0x10
VALID_FLAGS = KV_ORDERED | PERSIST_INDEX

# Map write flags (PROTOCOL.md 9.7).
CREATE_ONLY = 0x01
UPDATE_ONLY = 0x02
NO_FAIL = 0x04
PARTIAL = 0x08

# A key or value interval that is one key or value.
SAME = object()

Pair = tuple[Any, Any]


class Control:
    """What a put may do (map_add_control)."""

    __slots__ = ("allow_create", "allow_overwrite", "no_fail", "partial")

    def __init__(self, write_flags: int = 0) -> None:
        self.allow_overwrite = not write_flags & CREATE_ONLY
        self.allow_create = not write_flags & UPDATE_ONLY
        self.no_fail = bool(write_flags & NO_FAIL)
        self.partial = bool(write_flags & PARTIAL)


ADD = Control(CREATE_ONLY)
REPLACE = Control(UPDATE_ONLY)


def order_flags(flags: int) -> int:
    """The order part of map flags; value order implies key order."""
    flags &= KV_ORDERED
    return KV_ORDERED if flags & 0x02 else flags


def flags_of(value: Any) -> int:
    return order_flags(getattr(value, "map_order", 0))


def make_map(pairs: list[Pair], flags: int) -> dict[Any, Any]:
    maker = {0: dict, K_ORDERED: KeyOrderedDict, KV_ORDERED: KeyValueOrderedDict}
    made = maker[flags](pairs)
    if len(made) != len(pairs):
        raise bad_param("map keys that Python cannot tell apart (1, 1.0, True)")
    return made


def is_map_key(key: Any) -> bool:
    """Map keys are integers, strings and plain bytes (map_is_key)."""
    return type(key) in (int, str, bytes, bytearray)


def by_key(pair: Pair) -> Any:
    return sort_key(pair[0])


class MapOp:
    """One operation on one map: selection, results and the new contents."""

    __slots__ = ("changed", "flags", "modify", "pairs", "want")

    def __init__(self, pairs: list[Pair], flags: int, modify: bool) -> None:
        self.pairs = pairs
        self.flags = flags
        self.modify = modify
        self.want = R.Want(R.NONE, False)
        self.changed: list[Pair] | None = None

    @property
    def size(self) -> int:
        return len(self.pairs)

    @property
    def keys(self) -> list[Any]:
        return [key for key, _ in self.pairs]

    @property
    def values(self) -> list[Any]:
        return [value for _, value in self.pairs]

    @property
    def key_ordered(self) -> bool:
        return self.flags != 0

    @property
    def value_indexed(self) -> bool:
        return self.flags == KV_ORDERED

    def expect(self, return_type: int, multi: bool) -> None:
        self.want = R.Want(return_type, multi)

    def store(self, pairs: list[Pair]) -> None:
        self.changed = pairs
        self.pairs = pairs

    def remove(self, positions: list[int]) -> None:
        if self.modify and positions:
            drop = set(positions)
            self.store([p for i, p in enumerate(self.pairs) if i not in drop])

    def find_key(self, key: Any) -> int | None:
        for position, (stored, _) in enumerate(self.pairs):
            if compare(stored, key) == 0:
                return position
        return None

    def value_order(self) -> list[int]:
        return stable_order(self.values, sort_key)

    def key_order(self) -> list[int]:
        return stable_order(self.keys, sort_key)

    # -- per-element results --------------------------------------------------

    def key_index(self, position: int) -> int:
        if self.key_ordered:
            return position
        return count_less(self.keys, self.pairs[position][0])

    def ranks(self, positions: list[int]) -> Any:
        """Value ranks of elements.

        A single rank counts the smaller values, unless the map keeps a
        value index (packed_map_get_rank_by_idx); several ranks are places
        in value order, so equal values get distinct ranks
        (packed_map_build_rank_result_by_* build a value index).
        """
        if self.want.multi or self.value_indexed:
            order = self.value_order()
            return self._ints([order.index(position) for position in positions])
        values = self.values
        return self._ints([count_less(values, values[p]) for p in positions])

    def indexes(self, positions: list[int]) -> Any:
        if not positions:
            return R.not_found(self.want, -1)
        return self._ints([self.key_index(position) for position in positions])

    def _ints(self, numbers: list[int]) -> Any:
        numbers = R.each_int(numbers, self.size, self.want.reverse)
        return numbers if self.want.multi else numbers[0]

    def elements(self, positions: list[int]) -> Any:
        want = self.want
        pairs = [self.pairs[position] for position in positions]
        if want.type in R.MAP_TYPES:
            return R.map_result(want, pairs)
        index = 0 if want.type == R.KEY else 1
        picked = [pair[index] for pair in pairs]
        if want.multi:
            return picked
        return picked[0] if picked else None

    def not_found_key(self, index: int) -> Any:
        if self.want.type in R.RANK_RANGE_TYPES:
            raise R.not_applicable("rank range return type for a key")
        return R.not_found(self.want, index)

    def not_found_value(self, rank: int) -> Any:
        if self.want.type in R.INDEX_RANGE_TYPES:
            raise R.not_applicable("index range return type for a value")
        return R.not_found(self.want, rank)

    def _snapshot(self) -> MapOp:
        """The map as it was, for results computed after a removal."""
        before = MapOp(self.pairs, self.flags, False)
        before.want = self.want
        return before

    # -- everything (packed_map_get_remove_all) -------------------------------

    def all(self) -> Any:
        before = self._snapshot()
        size = self.size
        if self.modify:
            self.store([])
        kind = self.want.type
        if kind == R.NONE:
            return None
        if kind in R.INDEX_TYPES or kind in R.RANK_TYPES:
            if not self.want.multi:
                return 0
            return R.int_range(0, size, size, self.want.reverse)
        if kind == R.COUNT:
            return size
        if kind == R.EXISTS:
            return size != 0
        if kind in R.ELEMENT_TYPES:
            return before.elements(list(range(size)))
        if kind in R.INDEX_RANGE_TYPES or kind in R.RANK_RANGE_TYPES:
            return [0, size]
        raise R.not_applicable(f"return type {kind} is not valid for a map")

    # -- by key (packed_map_get_remove_by_key_interval) -----------------------

    def by_key_interval(self, start: Any, end: Any) -> Any:
        want = self.want
        if want.type in R.RANK_RANGE_TYPES:
            raise R.not_applicable("rank range return type for a key")
        if self.key_ordered:
            first, count = self._sorted_keys(start, end)
            if count == 0 and not want.multi:
                return self.not_found_key(-1)
            return self.by_index_range(first, count)
        if want.inverted and not want.multi:
            raise R.not_applicable("INVERTED on a single-element selection")
        if end is SAME:
            return self._one_key(start)
        return self._scanned_keys(start, end)

    def _sorted_keys(self, start: Any, end: Any) -> tuple[int, int]:
        keys = self.keys
        if end is SAME:
            first = lower_bound(keys, start)
            found = first < self.size and compare(keys[first], start) == 0
            return first, int(found)
        return sorted_range(keys, start, end)

    def _one_key(self, key: Any) -> Any:
        """One key of an unordered map (packed_map_build_result_by_key)."""
        position = self.find_key(key)
        if position is None:
            return self.not_found_key(-1)
        before = self._snapshot()
        self.remove([position])
        kind = self.want.type
        if kind == R.NONE:
            return None
        if kind in R.INDEX_TYPES or kind in R.INDEX_RANGE_TYPES:
            index = before.key_index(position)
            if kind in R.INDEX_RANGE_TYPES:
                return R.set_range(self.want, index, 1, before.size)
            return before.size - index - 1 if self.want.reverse else index
        if kind in R.RANK_TYPES:
            return before.ranks([position])
        if kind == R.COUNT:
            return 1
        if kind == R.EXISTS:
            return True
        if kind in R.ELEMENT_TYPES:
            return before.elements([position])
        raise R.not_applicable(f"return type {kind} is not valid for a key")

    def _scanned_keys(self, start: Any, end: Any) -> Any:
        want = self.want
        size = self.size
        below = count_less(self.keys, start)
        hit = [i for i, key in enumerate(self.keys) if in_interval(key, start, end)]
        chosen = complement(hit, size) if want.inverted else hit
        before = self._snapshot()
        self.remove(chosen)
        if want.type in R.ELEMENT_TYPES:
            return before.elements(chosen)
        if want.type in R.RANK_TYPES:
            return before.ranks(chosen)
        return R.set_range(want, below, len(hit), size)

    # -- by key index (packed_map_get_remove_by_index_range) ------------------

    def by_index_range(self, index: int, count: int) -> Any:
        want = self.want
        size = self.size
        span = calc_index_count(index, count, size, want.multi)
        if span is None:
            raise R.not_applicable(f"index {index} out of bounds for {size}")
        if want.type in R.RANK_RANGE_TYPES:
            raise R.not_applicable("rank range return type for an index")
        start, count = span
        if want.inverted:
            if not want.multi:
                raise R.not_applicable("INVERTED on a single-element selection")
            want.inverted = False
            if count == 0:
                start, count = 0, size
            elif start == 0:
                start, count = count, size - count
            elif start + count >= size:
                start, count = 0, start
            elif self.key_ordered:
                return self.trim(start, count)
            else:
                want.inverted = True
        if count == 0:
            return self.not_found_key(start)
        if count == size:
            return self.all()
        if self.key_ordered:
            return self._key_ordered_range(start, count)
        return self._unordered_range(start, count)

    def _key_ordered_range(self, start: int, count: int) -> Any:
        positions = list(range(start, start + count))
        before = self._snapshot()
        self.remove(positions)
        kind = self.want.type
        if kind in R.ELEMENT_TYPES:
            return before.elements(positions)
        if kind in R.RANK_TYPES:
            return before.ranks(positions)
        return R.set_range(self.want, start, count, before.size)

    def _unordered_range(self, start: int, count: int) -> Any:
        want = self.want
        size = self.size
        ranked = self.key_order()[start : start + count]
        chosen = complement(ranked, size) if want.inverted else sorted(ranked)
        shown = chosen if want.inverted else ranked
        before = self._snapshot()
        self.remove(chosen)
        kind = want.type
        if kind in R.RANK_TYPES:
            return before.ranks(shown)
        if kind in R.ELEMENT_TYPES:
            return before.elements(shown)
        return R.set_range(want, start, count, size)

    def trim(self, start: int, count: int) -> Any:
        """Keep [start, start + count) of a key-ordered map (trim_ordered)."""
        want = self.want
        size = self.size
        end = start + count
        outside = list(range(start)) + list(range(end, size))
        before = self._snapshot()
        if self.modify:
            self.store(self.pairs[start:end])
        kind = want.type
        if kind == R.NONE:
            return None
        if kind == R.COUNT:
            return size - count
        if kind == R.EXISTS:
            return size != count
        if kind in R.INDEX_TYPES:
            return R.int_range(0, start, size, want.reverse) + R.int_range(
                end, size - end, size, want.reverse
            )
        if kind in R.RANK_TYPES:
            return before.ranks(outside)
        if kind in R.ELEMENT_TYPES:
            return before.elements(outside)
        raise R.not_applicable(f"return type {kind} is not valid for a trim")

    # -- by value (packed_map_get_remove_by_value_interval) -------------------

    def by_value_interval(self, start: Any, end: Any) -> Any:
        want = self.want
        if want.type in R.INDEX_RANGE_TYPES:
            raise R.not_applicable("index range return type for a value")
        if want.inverted and not want.multi:
            raise R.not_applicable("INVERTED on a single-element selection")
        if self.size == 0:
            return self.not_found_value(-1)
        if self.value_indexed:
            return self._indexed_values(start, end)
        return self._scanned_values(start, end)

    def _value_run(self, order: list[int], start: Any, end: Any) -> tuple[int, int]:
        values = [self.pairs[position][1] for position in order]
        if end is not SAME:
            return sorted_range(values, start, end)
        first = lower_bound(values, start)
        if first == len(values) or compare(values[first], start) != 0:
            return first, 0
        if not self.want.multi:
            return first, 1
        return first, upper_bound(values, start, first) - first

    def _indexed_values(self, start: Any, end: Any) -> Any:
        want = self.want
        size = self.size
        order = self.value_order()
        rank, count = self._value_run(order, start, end)
        ranked = order[rank : rank + count]
        chosen = complement(ranked, size) if want.inverted else sorted(ranked)
        before = self._snapshot()
        self.remove(chosen)
        kind = want.type
        if kind in R.ELEMENT_TYPES:
            by_mask = want.inverted or kind == R.ORDERED_MAP
            return before.elements(chosen if by_mask else ranked)
        if kind in R.INDEX_TYPES:
            if not want.inverted and not ranked:
                return R.not_found(want, rank)
            return before.indexes(chosen if want.inverted else ranked)
        return R.set_range(want, rank, count, size)

    def _scanned_values(self, start: Any, end: Any) -> Any:
        want = self.want
        size = self.size
        values = self.values
        rank = count_less(values, start)
        if end is SAME:
            hit = [i for i, value in enumerate(values) if compare(value, start) == 0]
            hit = hit if want.multi else hit[:1]
        else:
            hit = [i for i, v in enumerate(values) if in_interval(v, start, end)]
        if not hit:
            if want.inverted:
                want.inverted = False
                return self.all()
            return self.not_found_value(rank)
        chosen = complement(hit, size) if want.inverted else hit
        before = self._snapshot()
        self.remove(chosen)
        if want.type in R.ELEMENT_TYPES:
            return before.elements(chosen)
        if want.type in R.INDEX_TYPES:
            return before.indexes(chosen)
        return R.set_range(want, rank, len(hit), size)

    # -- by rank (packed_map_get_remove_by_rank_range) ------------------------

    def by_rank_range(self, rank: int, count: int) -> Any:
        want = self.want
        size = self.size
        span = calc_index_count(rank, count, size, want.multi)
        if span is None:
            raise R.not_applicable(f"rank {rank} out of bounds for {size}")
        if want.type in R.INDEX_RANGE_TYPES:
            raise R.not_applicable("index range return type for a rank")
        start, count = span
        if want.inverted:
            if not want.multi:
                raise R.not_applicable("INVERTED on a single-element selection")
            want.inverted = False
            if count == 0:
                start, count = 0, size
            elif start == 0:
                start, count = count, size - count
            elif start + count >= size:
                start, count = 0, start
            else:
                want.inverted = True
        if count == 0:
            return self.not_found_value(start)
        return self._ranked(start, count)

    def _ranked(self, start: int, count: int) -> Any:
        want = self.want
        size = self.size
        ranked = self.value_order()[start : start + count]
        chosen = complement(ranked, size) if want.inverted else sorted(ranked)
        before = self._snapshot()
        self.remove(chosen)
        kind = want.type
        if kind in (R.NONE, R.COUNT, R.EXISTS) or kind in R.RANK_TYPES:
            return R.index_rank_count(want, start, count, size)
        if kind in R.INDEX_TYPES:
            return before.indexes(chosen if want.inverted else ranked)
        if kind in R.ELEMENT_TYPES:
            by_mask = want.inverted or kind == R.ORDERED_MAP
            return before.elements(chosen if by_mask else ranked)
        if kind in R.RANK_RANGE_TYPES:
            return R.set_range(want, start, len(chosen), size)
        raise R.not_applicable(f"return type {kind} is not valid for a rank")

    # -- by key list (packed_map_get_remove_all_by_key_list) ------------------

    def by_key_list(self, keys: list[Any]) -> Any:
        want = self.want
        if not keys:
            if want.type in R.RANK_TYPES or want.type in R.INDEX_RANGE_TYPES:
                raise R.not_applicable("rank return type for a key list")
            if want.type in R.RANK_RANGE_TYPES:
                raise R.not_applicable("rank return type for a key list")
            if not want.inverted:
                return self.not_found_key(0)
            want.inverted = False
            return self.all()
        if want.type not in _KEY_LIST_TYPES:
            raise R.not_applicable(f"return type {want.type} for a key list")
        runs = [self._key_run(key) for key in keys]
        if self.key_ordered:
            hit = sorted({p for first, n in runs for p in range(first, first + n)})
        else:
            hit = [
                position
                for position, stored in enumerate(self.keys)
                if any(compare(stored, key) == 0 for key in keys)
            ]
        chosen = complement(hit, self.size) if want.inverted else hit
        before = self._snapshot()
        self.remove(chosen)
        return before._key_list_result(chosen, runs)

    def _key_run(self, key: Any) -> tuple[int, int]:
        """Key-order position of a listed key and how many keys match it."""
        if self.key_ordered:
            keys = self.keys
            first = lower_bound(keys, key)
            if has_marker(key):
                return first, upper_bound(keys, key, first) - first
            return first, int(first < self.size and compare(keys[first], key) == 0)
        return count_less(self.keys, key), count_equal(self.keys, key)

    def _key_list_result(self, chosen: list[int], runs: list[tuple[int, int]]) -> Any:
        want = self.want
        kind = want.type
        if kind == R.NONE:
            return None
        if kind == R.COUNT:
            return len(chosen)
        if kind == R.EXISTS:
            return bool(chosen)
        if kind in R.ELEMENT_TYPES:
            return self.elements(chosen)
        if self.key_ordered:
            if want.inverted:
                return R.each_int(chosen, self.size, want.reverse)
            return R.by_irc(want, runs, self.size)
        return R.by_item_runs(want, runs, self.size)

    # -- by value list (packed_map_get_remove_all_by_value_list) --------------

    def by_value_list(self, targets: list[Any]) -> Any:
        want = self.want
        if not targets:
            if want.type in R.INDEX_RANGE_TYPES or want.type in R.RANK_RANGE_TYPES:
                raise R.not_applicable("range return type for a value list")
            if not want.inverted:
                return R.not_found(want, 0)
            want.inverted = False
            return self.all()
        if want.type not in _VALUE_LIST_TYPES:
            raise R.not_applicable(f"return type {want.type} for a value list")
        if self.value_indexed:
            return self._indexed_value_list(targets)
        return self._scanned_value_list(targets)

    def _indexed_value_list(self, targets: list[Any]) -> Any:
        want = self.want
        size = self.size
        order = self.value_order()
        ordered_values = [self.pairs[position][1] for position in order]
        runs = []
        for target in targets:
            first = lower_bound(ordered_values, target)
            runs.append((first, upper_bound(ordered_values, target, first) - first))
        ranked = [order[r] for first, n in runs for r in range(first, first + n)]
        hit = sorted(set(ranked))
        chosen = complement(hit, size) if want.inverted else hit
        before = self._snapshot()
        self.remove(chosen)
        kind = want.type
        if kind in R.INDEX_TYPES and not want.inverted:
            return R.each_int(ranked, size, want.reverse)
        if kind in R.RANK_TYPES and not want.inverted:
            return R.by_irc(want, runs, size)
        return before._value_list_result(chosen)

    def _scanned_value_list(self, targets: list[Any]) -> Any:
        want = self.want
        values = self.values
        chosen = [
            position
            for position, value in enumerate(values)
            if any(compare(value, t) == 0 for t in targets) != want.inverted
        ]
        runs = [(count_less(values, t), count_equal(values, t)) for t in targets]
        before = self._snapshot()
        self.remove(chosen)
        if want.type in R.RANK_TYPES:
            return R.by_item_runs(want, runs, before.size)
        return before._value_list_result(chosen)

    def _value_list_result(self, chosen: list[int]) -> Any:
        kind = self.want.type
        if kind == R.NONE:
            return None
        if kind == R.COUNT:
            return len(chosen)
        if kind == R.EXISTS:
            return bool(chosen)
        if kind in R.INDEX_TYPES:
            return self._ints([self.key_index(position) for position in chosen])
        if kind in R.RANK_TYPES:
            return self.ranks(chosen)
        return self.elements(chosen)

    # -- relative ranges (packed_map_get_remove_by_rel_*_range) ---------------

    def by_relative_index(self, key: Any, index: int, count: int) -> Any:
        keys = self.keys
        find = lower_bound if self.key_ordered else count_less
        anchor = find(keys, key)
        return self.by_index_range(*calc_rel_index_count(index, count, anchor))

    def by_relative_rank(self, value: Any, rank: int, count: int) -> Any:
        anchor = count_less(self.values, value)
        return self.by_rank_range(*calc_rel_index_count(rank, count, anchor))

    # -- writes (map_add, map_add_items) --------------------------------------

    def put(self, key: Any, value: Any, control: Control) -> int:
        """Set one key; return the new size."""
        if not is_map_key(key):
            raise bad_param(f"map key {key!r:.40} is not an int, str or bytes")
        position = self.find_key(key)
        if not self._allowed(position is not None, control):
            return self.size
        pairs = list(self.pairs)
        if position is not None:
            pairs[position] = (key, value)
        elif self.key_ordered:
            pairs.insert(upper_bound(self.keys, key), (key, value))
        else:
            pairs.append((key, value))
        self.store(pairs)
        return self.size

    def _allowed(self, exists: bool, control: Control) -> bool:
        """Whether a write may go ahead; a refused one fails or is a no-op."""
        if exists and not control.allow_overwrite:
            code = errors.ERR_ELEMENT_EXISTS
        elif not exists and not control.allow_create:
            code = errors.ERR_ELEMENT_NOT_FOUND
        else:
            return True
        if control.no_fail:
            return False
        raise Failure(code, "map write refused by its write flags")

    def put_items(self, items: list[Pair], control: Control) -> int:
        """Set many keys; return the new size.

        The server writes the map back in key order, even an unordered one
        (packed_map_convert_to_iko).
        """
        if not items:
            return self.size
        items = sorted(items, key=by_key)
        current = sorted(self.pairs, key=by_key)
        if not current:
            # An empty map takes every item, unless refused as a whole.
            if not control.allow_create:
                if not control.no_fail:
                    raise Failure(errors.ERR_ELEMENT_NOT_FOUND, "no such map key")
                if not control.partial:
                    return 0
            self.store(items)
            return self.size
        updates = self._checked_items(current, items, control)
        if updates is None:
            return self.size
        self.store(_merge(current, updates))
        return self.size

    def _checked_items(
        self, current: list[Pair], items: list[Pair], control: Control
    ) -> list[Pair] | None:
        keys = [key for key, _ in current]
        kept = []
        for key, value in items:
            exists = any(compare(stored, key) == 0 for stored in keys)
            if not self._allowed(exists, control):
                if control.partial:
                    continue
                return None
            kept.append((key, value))
        return kept

    def increment(self, key: Any, delta: Any, sign: int) -> Any:
        position = self.find_key(key)
        amount = number_delta(delta, "map_increment")
        current = None if position is None else self.pairs[position][1]
        if position is not None and type(current) not in (int, float):
            raise bad_param(f"map_increment of a {type(current).__name__}")
        value = add_delta(current, amount, sign, "map_increment")
        self.put(key, value, Control())
        return value

    def set_flags(self, flags: int) -> None:
        """Change the map order (map_set_flags); an unordered map is sorted."""
        flags &= 0xFF
        if flags & ~VALID_FLAGS:
            raise R.not_applicable(f"invalid map flags 0x{flags:x}")
        pairs = list(self.pairs)
        if len(pairs) > 1 and not self.key_ordered:
            pairs.sort(key=by_key)
        self.flags = order_flags(flags)
        self.store(pairs)


_KEY_LIST_TYPES = frozenset(
    {R.NONE, R.INDEX, R.REVERSE_INDEX, R.COUNT, R.EXISTS} | R.ELEMENT_TYPES
)
_VALUE_LIST_TYPES = _KEY_LIST_TYPES | R.RANK_TYPES


def _merge(current: list[Pair], updates: list[Pair]) -> list[Pair]:
    """Key-sorted ``current`` with ``updates`` replaced or inserted."""
    merged = list(current)
    for key, value in updates:
        keys = [stored for stored, _ in merged]
        position = lower_bound(keys, key)
        if position < len(keys) and compare(keys[position], key) == 0:
            merged[position] = (key, value)
        else:
            merged.insert(position, (key, value))
    return merged


# -- op functions -------------------------------------------------------------

Runner = Callable[[MapOp, list[Any]], Any]


def _arg(args: list[Any], position: int, default: Any) -> Any:
    return args[position] if len(args) > position else default


def _items(value: Any) -> list[Pair]:
    if not isinstance(value, dict):
        raise bad_param(f"map items must be a map, not {type(value).__name__}")
    return list(value.items())


def _set_type(op: MapOp, args: list[Any]) -> Any:
    op.set_flags(args[0])
    return None


def _add(op: MapOp, args: list[Any]) -> Any:
    return op.put(args[0], args[1], ADD)


def _add_items(op: MapOp, args: list[Any]) -> Any:
    return op.put_items(_items(args[0]), ADD)


def _put(op: MapOp, args: list[Any]) -> Any:
    return op.put(args[0], args[1], Control(_arg(args, 3, 0)))


def _put_items(op: MapOp, args: list[Any]) -> Any:
    return op.put_items(_items(args[0]), Control(_arg(args, 2, 0)))


def _replace(op: MapOp, args: list[Any]) -> Any:
    return op.put(args[0], args[1], REPLACE)


def _replace_items(op: MapOp, args: list[Any]) -> Any:
    return op.put_items(_items(args[0]), REPLACE)


def _increment(op: MapOp, args: list[Any]) -> Any:
    return op.increment(args[0], _arg(args, 1, OPEN), 1)


def _decrement(op: MapOp, args: list[Any]) -> Any:
    return op.increment(args[0], _arg(args, 1, OPEN), -1)


def _clear(op: MapOp, args: list[Any]) -> Any:
    op.store([])
    return None


def _size(op: MapOp, args: list[Any]) -> Any:
    return op.size


def _selector(multi: bool, select: Runner) -> Runner:
    """An op whose first argument is the return type."""

    def run(op: MapOp, args: list[Any]) -> Any:
        op.expect(args[0], multi)
        return select(op, args[1:])

    return run


def _one(select: Runner) -> Runner:
    return _selector(False, select)


def _many(select: Runner) -> Runner:
    return _selector(True, select)


def _by_key(op: MapOp, args: list[Any]) -> Any:
    return op.by_key_interval(args[0], SAME)


def _by_key_interval(op: MapOp, args: list[Any]) -> Any:
    return op.by_key_interval(args[0], _arg(args, 1, OPEN))


def _by_index(op: MapOp, args: list[Any]) -> Any:
    return op.by_index_range(args[0], 1)


def _by_index_range(op: MapOp, args: list[Any]) -> Any:
    return op.by_index_range(args[0], _arg(args, 1, TO_END))


def _by_value(op: MapOp, args: list[Any]) -> Any:
    return op.by_value_interval(args[0], SAME)


def _by_value_interval(op: MapOp, args: list[Any]) -> Any:
    return op.by_value_interval(args[0], _arg(args, 1, OPEN))


def _by_rank(op: MapOp, args: list[Any]) -> Any:
    return op.by_rank_range(args[0], 1)


def _by_rank_range(op: MapOp, args: list[Any]) -> Any:
    return op.by_rank_range(args[0], _arg(args, 1, TO_END))


def _by_key_list(op: MapOp, args: list[Any]) -> Any:
    return op.by_key_list(_param_list(args[0]))


def _by_value_list(op: MapOp, args: list[Any]) -> Any:
    return op.by_value_list(_param_list(args[0]))


def _param_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise bad_param(f"expected a list, not {type(value).__name__}")
    return list(value)


def _rel_index(op: MapOp, args: list[Any]) -> Any:
    return op.by_relative_index(args[0], args[1], _arg(args, 2, TO_END))


def _rel_rank(op: MapOp, args: list[Any]) -> Any:
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
        f"MAP_{name}",
        params,
        optional,
        modify=modify,
        on_missing=missing,
        create_arg=create_arg,
    )
    RUNNERS[code] = runner


def _read(code: int, name: str, params: str, optional: int, runner: Runner) -> None:
    _op(code, name, params, optional, runner, modify=False, missing="")


# The server's op table (cdt_op_table in as/src/base/cdt.c) and what each op
# does to a map that is not there (cdt_process_state_packed_map_modify_optype).
_I, _U, _P, _S = INDEX, UINT, PAYLOAD, STORAGE
_NOT_FOUND = errors.ERR_ELEMENT_NOT_FOUND
_op(64, "SET_TYPE", _U, 0, _set_type, missing=CREATE)
_op(65, "ADD", _S + _S + _U, 1, _add, missing=CREATE, create_arg=2)
_op(66, "ADD_ITEMS", _S + _U, 1, _add_items, missing=CREATE, create_arg=1)
_op(67, "PUT", _S + _S + _U + _U, 2, _put, missing=CREATE, create_arg=2)
_op(68, "PUT_ITEMS", _S + _U + _U, 2, _put_items, missing=CREATE, create_arg=1)
_op(69, "REPLACE", _S + _S, 0, _replace, missing=CREATE)
_op(70, "REPLACE_ITEMS", _S, 0, _replace_items, missing=_NOT_FOUND)
_op(73, "INCREMENT", _P + _P + _U, 2, _increment, missing=CREATE, create_arg=2)
_op(74, "DECREMENT", _P + _P + _U, 2, _decrement, missing=CREATE, create_arg=2)
_op(75, "CLEAR", "", 0, _clear)
_op(76, "REMOVE_BY_KEY", _U + _P, 0, _one(_by_key))
_op(77, "REMOVE_BY_INDEX", _U + _I, 0, _one(_by_index))
_op(78, "REMOVE_BY_VALUE", _U + _P, 0, _one(_by_value))
_op(79, "REMOVE_BY_RANK", _U + _I, 0, _one(_by_rank))
_op(81, "REMOVE_BY_KEY_LIST", _U + _P, 0, _many(_by_key_list))
_op(82, "REMOVE_ALL_BY_VALUE", _U + _P, 0, _many(_by_value))
_op(83, "REMOVE_BY_VALUE_LIST", _U + _P, 0, _many(_by_value_list))
_op(84, "REMOVE_BY_KEY_INTERVAL", _U + _P + _P, 1, _many(_by_key_interval))
_op(85, "REMOVE_BY_INDEX_RANGE", _U + _I + _U, 1, _many(_by_index_range))
_op(86, "REMOVE_BY_VALUE_INTERVAL", _U + _P + _P, 1, _many(_by_value_interval))
_op(87, "REMOVE_BY_RANK_RANGE", _U + _I + _U, 1, _many(_by_rank_range))
_op(88, "REMOVE_BY_KEY_REL_INDEX_RANGE", _U + _P + _I + _U, 1, _many(_rel_index))
_op(89, "REMOVE_BY_VALUE_REL_RANK_RANGE", _U + _P + _I + _U, 1, _many(_rel_rank))
_read(96, "SIZE", "", 0, _size)
_read(97, "GET_BY_KEY", _U + _P, 0, _one(_by_key))
_read(98, "GET_BY_INDEX", _U + _I, 0, _one(_by_index))
_read(99, "GET_BY_VALUE", _U + _P, 0, _one(_by_value))
_read(100, "GET_BY_RANK", _U + _I, 0, _one(_by_rank))
_read(102, "GET_ALL_BY_VALUE", _U + _P, 0, _many(_by_value))
_read(103, "GET_BY_KEY_INTERVAL", _U + _P + _P, 1, _many(_by_key_interval))
_read(104, "GET_BY_INDEX_RANGE", _U + _I + _U, 1, _many(_by_index_range))
_read(105, "GET_BY_VALUE_INTERVAL", _U + _P + _P, 1, _many(_by_value_interval))
_read(106, "GET_BY_RANK_RANGE", _U + _I + _U, 1, _many(_by_rank_range))
_read(107, "GET_BY_KEY_LIST", _U + _P, 0, _many(_by_key_list))
_read(108, "GET_BY_VALUE_LIST", _U + _P, 0, _many(_by_value_list))
_read(109, "GET_BY_KEY_REL_INDEX_RANGE", _U + _P + _I + _U, 1, _many(_rel_index))
_read(110, "GET_BY_VALUE_REL_RANK_RANGE", _U + _P + _I + _U, 1, _many(_rel_rank))


def is_map(value: Any) -> bool:
    return isinstance(value, dict)


def run(spec: OpSpec, value: Any, raw_args: list[Any]) -> tuple[Any, Any]:
    """Run one map op on ``value`` (None: no map yet).

    Return the result and the new map, or None for the map when the op
    left a missing map missing.
    """
    if value is None:
        return _run_missing(spec, raw_args)
    if not is_map(value):
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, f"{spec.name} on a non-map")
    op = MapOp(list(value.items()), flags_of(value), spec.modify)
    result = RUNNERS[spec.code](op, spec.parse(raw_args))
    if op.changed is None:
        return result, value
    return result, make_map(op.changed, op.flags)


def _run_missing(spec: OpSpec, raw_args: list[Any]) -> tuple[Any, Any]:
    """An op on a map that is not there (cdt_context_use_static_map_*)."""
    if not spec.modify:
        raise Failure(errors.ERR_INCOMPATIBLE_TYPE, f"{spec.name} on no map")
    if spec.on_missing == NOOP:
        return None, None
    if spec.on_missing != CREATE:
        raise Failure(int(spec.on_missing), f"{spec.name} on no map")
    args = spec.parse(raw_args)
    flags = _arg(args, spec.create_arg, 0) if spec.create_arg is not None else 0
    flags = 0 if flags & ~VALID_FLAGS else order_flags(flags)
    op = MapOp([], flags, True)
    result = RUNNERS[spec.code](op, args)
    return result, make_map(op.changed if op.changed is not None else [], op.flags)
