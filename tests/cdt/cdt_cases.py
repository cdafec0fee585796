"""Table-driven CDT cases and their runner, for the ``client`` fixture.

A case starts from a record holding the bin ``b`` (left out when ``start``
is MISSING) and a bin ``x`` that keeps the record alive, runs its ops with
``operate_ordered``, and checks the results the ops returned and the bin
afterwards, or the error and that nothing changed. Values are compared
strictly: ``OrderedList`` is not ``list``, map order and ``True`` vs ``1``
count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from aerospike_py.exception import AerospikeError

NOTHING: Any = object()  # the op returned no value
MISSING: Any = object()  # the bin is not there
UNCHANGED: Any = object()  # the bin is as it started


@dataclass
class Case:
    """One behaviour: start value, ops, and what must come out."""

    name: str
    start: Any
    ops: list[dict[str, Any]]
    result: Any = NOTHING  # value of the single op, or NOTHING
    after: Any = UNCHANGED
    code: int | None = None  # expected server result code
    results: list[Any] | None = field(default=None)  # several ops


def strict(value: Any) -> Any:
    """A form of ``value`` whose equality also checks types and map order."""
    if isinstance(value, list):
        return (type(value).__name__, [strict(item) for item in value])
    if isinstance(value, dict):
        items = [(strict(k), strict(v)) for k, v in value.items()]
        return (type(value).__name__, items)
    if isinstance(value, (bool, float)):
        return (type(value).__name__, value)
    return value


def _start(client: Any, key: Any, case: Case) -> None:
    bins: dict[str, Any] = {"x": 1}
    if case.start is not MISSING:
        bins["b"] = case.start
    client.put(key, bins)


def _expected_results(case: Case) -> list[Any]:
    if case.results is not None:
        return case.results
    return [] if case.result is NOTHING else [case.result]


def _bin_after(client: Any, key: Any) -> Any:
    return client.get(key).bins.get("b", MISSING)


def run_case(client: Any, key: Any, case: Case) -> None:
    _start(client, key, case)
    before = _bin_after(client, key)
    if case.code is not None:
        with pytest.raises(AerospikeError) as failure:
            client.operate_ordered(key, case.ops)
        assert failure.value.code == case.code
        assert strict(_bin_after(client, key)) == strict(before)
        return
    record = client.operate_ordered(key, case.ops)
    values = [entry.value for entry in record.ordered_bins if entry.name == "b"]
    expected_results = _expected_results(case)
    assert strict(values) == strict(expected_results), (values, expected_results)
    expected = before if case.after is UNCHANGED else case.after
    after = _bin_after(client, key)
    assert strict(after) == strict(expected), (after, expected)
