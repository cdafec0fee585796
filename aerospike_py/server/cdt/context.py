"""CDT contexts: find the nested list or map an operation applies to.

A context is a flat list ``[id, value, id, value, ...]``, outermost step
first (PROTOCOL.md 9.6). The low bits of an id say how to look (0 index,
1 rank, 2 key, 3 value), 0x10 / 0x20 that the container is a list / map,
and 0x40-0xc0 that a missing element may be created: the step's container
then gets that order, and an unbounded list is padded with nils
(cdt_context_dig and the *_subcontext_by_* functions of the server).

The walk is recursive: each level finds its child, hands it down, and
puts the changed child back, re-sorting an ordered list whose element
changed (cdt_context_unwind_list). A level that does not exist yet is
passed down as MISSING, and built on the way back up only if the
operation created something.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aerospike_py.server import errors
from aerospike_py.server.cdt import lists, maps
from aerospike_py.server.cdt.common import (
    UINT64_MASK,
    bad_param,
    calc_index_count,
    incompatible,
    lower_bound,
    stable_order,
)
from aerospike_py.server.cdt.order import compare, has_marker, sort_key
from aerospike_py.server.errors import Failure
from aerospike_py.wire.values import OrderedList

BY_INDEX, BY_RANK, BY_KEY, BY_VALUE = 0, 1, 2, 3
LIST = 0x10
MAP = 0x20
BASE_MASK = 0x0F
CREATE_MASK = 0x1C0
PERSIST_INDEX = 0x100
CREATE_UNBOUNDED = 0x80  # lists: pad with nils; maps: key-ordered
CREATE_ORDERED = 0xC0  # lists: ordered; maps: key/value-ordered


class _Missing:
    """A nested element that does not exist yet."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# Runs the operation on the target: (value or None) -> (result, new value).
Operation = Callable[[Any], tuple[Any, Any]]
Result = tuple[Any, Any]


def not_applicable(detail: str) -> Failure:
    return Failure(errors.ERR_OP_NOT_APPLICABLE, detail)


class Step:
    """One context step: how to find the child, and whether to create it."""

    __slots__ = ("id", "value")

    def __init__(self, step_id: int, value: Any) -> None:
        self.id = step_id
        self.value = value

    @property
    def base(self) -> int:
        return self.id & BASE_MASK

    @property
    def create(self) -> int:
        return self.id & CREATE_MASK & ~PERSIST_INDEX

    def check(self) -> None:
        """Refuse unknown ids (cdt_context_ctx_create_type_check)."""
        typed = self.id & (LIST | MAP)
        if self.base > BY_VALUE or (not typed and self.id & CREATE_MASK):
            raise not_applicable(f"invalid context id 0x{self.id:x}")


def parse_steps(raw: Any) -> list[Step]:
    """The steps of a context: a non-empty list of id/value pairs."""
    if not isinstance(raw, list) or not raw or len(raw) % 2:
        raise bad_param("a context must be a list of id/value pairs")
    steps = []
    for position in range(0, len(raw), 2):
        step_id = raw[position]
        if type(step_id) is not int:
            raise bad_param(f"context id {step_id!r:.40} is not an integer")
        steps.append(Step(step_id & UINT64_MASK, raw[position + 1]))
    return steps


def apply(value: Any, steps: list[Step], run: Operation, modify: bool) -> Result:
    """Run an operation on the element ``steps`` lead to in ``value``."""
    if value is None:
        if not modify:
            raise bad_param("context on a bin that is not a list or map")
        return _create(steps, 0, run, first=True)
    if not isinstance(value, (list, dict)):
        raise bad_param("context on a bin that is not a list or map")
    return _descend(value, steps, 0, run, modify)


def _descend(
    value: Any, steps: list[Step], depth: int, run: Operation, modify: bool
) -> Result:
    if depth == len(steps):
        if value is None:
            raise incompatible("the context leads to a nil element")
        return run(value)
    step = steps[depth]
    step.check()
    if isinstance(value, list):
        if step.id & MAP:
            raise not_applicable("map context step on a list")
        return _into_list(value, steps, depth, run, modify)
    if isinstance(value, dict):
        if step.id & LIST:
            raise not_applicable("list context step on a map")
        return _into_map(value, steps, depth, run, modify)
    raise not_applicable("context step on a value that is not a list or map")


def _child(
    child: Any, steps: list[Step], depth: int, run: Operation, modify: bool
) -> Result:
    if child is MISSING:
        return _create(steps, depth + 1, run, first=False)
    return _descend(child, steps, depth + 1, run, modify)


# -- lists (list_subcontext_by_*) ---------------------------------------------


def _into_list(
    value: list[Any], steps: list[Step], depth: int, run: Operation, modify: bool
) -> Result:
    step = steps[depth]
    ordered = bool(getattr(value, "list_order", 0) & lists.ORDERED)
    items = list(value)
    base = BY_INDEX if ordered and step.base == BY_RANK else step.base
    if base == BY_INDEX:
        position, padding = _list_index(items, ordered, step, modify)
    else:
        position, padding = _list_find(items, ordered, step), 0
    child = items[position] if position < len(items) else MISSING
    result, new_child = _child(child, steps, depth, run, modify)
    if new_child is child or new_child is None:
        return result, value
    if child is MISSING:
        items += [None] * padding + [new_child]
    else:
        items[position] = new_child
    if ordered:
        items.sort(key=sort_key)
        return result, OrderedList(items)
    return result, items


def _list_index(
    items: list[Any], ordered: bool, step: Step, modify: bool
) -> tuple[int, int]:
    """Position of an index step, or where to create it, and nils to pad."""
    index = _int_value(step)
    size = len(items)
    span = calc_index_count(index, 1, size, False)
    if span is not None:
        return span[0], 0
    if not (modify and step.create):
        raise not_applicable(f"context index {index} out of bounds for {size}")
    if index == size or (size == 0 and index == -1) or ordered:
        return size, 0
    if step.create == CREATE_UNBOUNDED and index > size:
        return size, index - size
    raise not_applicable(f"context index {index} out of bounds for {size}")


def _list_find(items: list[Any], ordered: bool, step: Step) -> int:
    if step.base == BY_RANK:
        rank = _int_value(step)
        span = calc_index_count(rank, 1, len(items), False)
        if span is None:
            raise not_applicable(f"context rank {rank} out of bounds")
        return stable_order(items, sort_key)[span[0]]
    if step.base == BY_VALUE:
        position = _first_equal(items, step.value, ordered)
        if position is None:
            raise not_applicable("context value not found in the list")
        return position
    raise not_applicable("a list has no keys")


def _first_equal(values: list[Any], target: Any, ordered: bool) -> int | None:
    if ordered:
        position = lower_bound(values, target)
        found = position < len(values) and compare(values[position], target) == 0
        return position if found else None
    for position, value in enumerate(values):
        if compare(value, target) == 0:
            return position
    return None


def _int_value(step: Step) -> int:
    if type(step.value) is not int:
        raise not_applicable(f"context index {step.value!r:.40} is not an integer")
    index: int = step.value
    return index


# -- maps (map_subcontext_by_*) ------------------------------------------------


def _into_map(
    value: dict[Any, Any], steps: list[Step], depth: int, run: Operation, modify: bool
) -> Result:
    step = steps[depth]
    flags = maps.flags_of(value)
    pairs = list(value.items())
    position = _map_position(pairs, flags, step, modify)
    child = pairs[position][1] if position is not None else MISSING
    result, new_child = _child(child, steps, depth, run, modify)
    if new_child is child or new_child is None:
        return result, value
    if position is not None:
        pairs[position] = (pairs[position][0], new_child)
    elif flags:
        keys = [key for key, _ in pairs]
        pairs.insert(lower_bound(keys, step.value), (step.value, new_child))
    else:
        pairs.append((step.value, new_child))
    return result, maps.make_map(pairs, flags)


def _map_position(
    pairs: list[tuple[Any, Any]], flags: int, step: Step, modify: bool
) -> int | None:
    """Stored position of the step's element; None: a key to create."""
    size = len(pairs)
    if step.base in (BY_INDEX, BY_RANK):
        wanted = _int_value(step)
        span = calc_index_count(wanted, 1, size, False)
        if span is None:
            raise not_applicable(f"context index/rank {wanted} out of bounds")
        column = 0 if step.base == BY_INDEX else 1
        order = stable_order([pair[column] for pair in pairs], sort_key)
        return order[span[0]]
    if step.base == BY_KEY:
        for found, (key, _) in enumerate(pairs):
            if compare(key, step.value) == 0:
                return found
        if modify and step.create and not has_marker(step.value):
            return None
        raise not_applicable("context key not found in the map")
    position = _map_value_position([pair[1] for pair in pairs], flags, step.value)
    if position is None:
        raise not_applicable("context value not found in the map")
    return position


def _map_value_position(values: list[Any], flags: int, target: Any) -> int | None:
    """The first element with the value: by value order when indexed."""
    if flags != maps.KV_ORDERED:
        return _first_equal(values, target, False)
    order = stable_order(values, sort_key)
    found = _first_equal([values[p] for p in order], target, True)
    return None if found is None else order[found]


# -- creating missing levels (cdt_context_fill_create) -------------------------


def _create(steps: list[Step], depth: int, run: Operation, first: bool) -> Result:
    """Run the operation below levels that do not exist yet, then build them."""
    if depth == len(steps):
        return run(None)
    step = steps[depth]
    step.check()
    if first and not step.create:
        raise not_applicable("no list or map here and no create flag in the context")
    if not first and step.id & PERSIST_INDEX:
        raise not_applicable("persist index is only for a top-level container")
    build = _builder(step)
    result, child = _create(steps, depth + 1, run, first=False)
    if child is None:
        return result, None
    return result, build(child)


def _builder(step: Step) -> Callable[[Any], Any]:
    """How to wrap a created child in the step's new container."""
    kind = step.id & (LIST | MAP | BASE_MASK)
    if kind == MAP | BY_KEY:
        return _map_builder(step)
    if kind == LIST | BY_INDEX:
        return _list_builder(step)
    raise not_applicable(f"context id 0x{step.id:x} cannot create")


def _map_builder(step: Step) -> Callable[[Any], Any]:
    if has_marker(step.value):
        raise not_applicable("cannot create a map key with WILDCARD / INFINITY")
    flags = {CREATE_UNBOUNDED: maps.K_ORDERED, CREATE_ORDERED: maps.KV_ORDERED}
    order = flags.get(step.create, 0)
    return lambda child: maps.make_map([(step.value, child)], order)


def _list_builder(step: Step) -> Callable[[Any], Any]:
    index = _int_value(step)
    if index < -1:
        raise not_applicable(f"cannot create a list at index {index}")
    if step.create == CREATE_UNBOUNDED:
        return lambda child: [None] * max(index, 0) + [child]
    if step.create == CREATE_ORDERED:
        return lambda child: OrderedList([child])
    if index > 0:
        raise not_applicable(f"cannot create a list at index {index}: use padding")
    return lambda child: [child]
