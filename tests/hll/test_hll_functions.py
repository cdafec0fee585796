"""The HLL functions the expression engine calls: hll_read, hll_modify.

They take a bin value and an already decoded payload ``[op, args...]``.
MAY_CONTAIN (56) is reached only this way: no bin operation sends it.
"""

from __future__ import annotations

import pytest

from aerospike_py import HLL
from aerospike_py.server.errors import Failure
from aerospike_py.server.hll import hll_modify, hll_read


def _hll_of(items: list[object], index_bits: int = 10) -> HLL:
    _, value = hll_modify(None, [1, items, index_bits])
    assert type(value) is HLL
    return value


def test_hll_modify_add_returns_the_changed_register_count_and_the_hll():
    added, value = hll_modify(None, [1, ["a", "b"], 8, -1, 0])
    assert added == 2
    assert hll_read(value, [50]) == 2


def test_hll_modify_init_has_no_result():
    result, value = hll_modify(None, [0, 12])
    assert result is None and hll_read(value, [55]) == [12, 0]


def test_may_contain_is_true_for_every_added_item():
    items = [f"item-{i}" for i in range(50)]
    value = _hll_of(items)
    assert hll_read(value, [56, items]) == 1


def test_may_contain_is_false_for_an_item_never_added():
    value = _hll_of(["a", "b", "c"])
    assert hll_read(value, [56, ["a", "zzz"]]) == 0


def test_hll_read_of_a_missing_value_is_none():
    assert hll_read(None, [50]) is None


@pytest.mark.parametrize(
    ("value", "payload", "code"),
    [
        (b"\x00", [3], 12),  # a blob is not an HLL
        (HLL(b"\x00\x0a\x00"), [3], 1),  # a corrupt HLL bin
        (None, [0, 10, -1, 16], 4),  # flag not allowed
        (None, [1, ["a"], 10, -1, 3], 4),  # CREATE_ONLY with UPDATE_ONLY
        (None, [1, [[1, 2]], 10], 4),  # a list cannot be added
        (None, [3, 1], 4),  # refresh takes no argument
        (None, [50], 4),  # a read op code in a modify
    ],
)
def test_hll_modify_failures_carry_the_servers_result_code(value, payload, code):
    with pytest.raises(Failure) as failure:
        hll_modify(value, payload)
    assert failure.value.code == code
