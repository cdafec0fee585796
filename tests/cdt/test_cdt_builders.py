"""The list/map builders: the op dicts they return and the input they refuse.

Refused input raises InvalidArgError naming the argument, before anything
is sent, so the record stays as it was.
"""

from __future__ import annotations

import pytest

import aerospike_py as A
from aerospike_py import _ops
from aerospike_py import cdt_ctx as C
from aerospike_py import list_operations as lo
from aerospike_py import map_operations as mo
from aerospike_py.exception import InvalidArgError

VALUE = A.LIST_RETURN_VALUE
CTX = [C.cdt_ctx_map_key("k")]

BUILT = [
    (lo.list_append("l", 1), {"op": 1001, "bin": "l", "val": 1}),
    (
        lo.list_append("l", 1, {"order": 1, "flags": 0}),
        {"op": 1001, "bin": "l", "val": 1, "list_policy": {"order": 1, "flags": 0}},
    ),
    (
        lo.list_insert_items("l", 2, [1]),
        {"op": 1004, "bin": "l", "index": 2, "val": [1]},
    ),
    (lo.list_pop_range("l", 1, 2), {"op": 1006, "bin": "l", "index": 1, "count": 2}),
    (lo.list_trim("l", 1, 2), {"op": 1010, "bin": "l", "index": 1, "count": 2}),
    (lo.list_size("l", ctx=CTX), {"op": 1012, "bin": "l", "ctx": CTX}),
    (
        lo.list_get_by_index_range("l", 1, VALUE),
        {"op": 1017, "bin": "l", "index": 1, "return_type": VALUE},
    ),
    (
        lo.list_get_by_rank_range("l", 1, VALUE, 2, inverted=True),
        {"op": 1019, "bin": "l", "rank": 1, "return_type": VALUE | 0x10000, "count": 2},
    ),
    (
        lo.list_get_by_value_range("l", 1, None, VALUE),
        {"op": 1021, "bin": "l", "val": 1, "return_type": VALUE},
    ),
    (
        lo.list_remove_by_value_range("l", 1, 5, VALUE),
        {"op": 1024, "bin": "l", "val": 1, "val_end": 5, "return_type": VALUE},
    ),
    (lo.list_sort("l"), {"op": 1030, "bin": "l", "val": 0}),
    (lo.list_set_order("l", 1), {"op": 1031, "bin": "l", "val": 1}),
    (
        lo.list_get_by_value_rank_range_relative("l", 5, -1, VALUE, 2),
        {
            "op": 1032,
            "bin": "l",
            "val": 5,
            "rank": -1,
            "return_type": VALUE,
            "count": 2,
        },
    ),
    (
        lo.list_create("l", 1),
        {"op": 1034, "bin": "l", "list_order": 1, "pad": False, "persist_index": False},
    ),
    (mo.map_set_order("m", 1), {"op": 2001, "bin": "m", "val": 1}),
    (mo.map_put("m", "k", 1), {"op": 2002, "bin": "m", "map_key": "k", "val": 1}),
    (mo.map_put_items("m", {"a": 1}), {"op": 2003, "bin": "m", "val": {"a": 1}}),
    (mo.map_decrement("m", "k", 2), {"op": 2005, "bin": "m", "map_key": "k", "val": 2}),
    (
        mo.map_remove_by_key_range("m", "a", "c", 6),
        {"op": 2009, "bin": "m", "val": "a", "val_end": "c", "return_type": 6},
    ),
    (
        mo.map_get_by_key_list("m", ["a"], 6, inverted=True),
        {"op": 2026, "bin": "m", "val": ["a"], "return_type": 6 | 0x10000},
    ),
    (
        mo.map_get_by_key_index_range_relative("m", "b", 1, 6),
        {"op": 2028, "bin": "m", "map_key": "b", "index": 1, "return_type": 6},
    ),
    (
        mo.map_remove_by_value_rank_range_relative("m", 3, 0, 6, 1),
        {"op": 2031, "bin": "m", "val": 3, "rank": 0, "return_type": 6, "count": 1},
    ),
    (
        mo.map_create("m", 3),
        {"op": 2032, "bin": "m", "map_order": 3, "persist_index": False},
    ),
]


@pytest.mark.parametrize("built, expected", BUILT, ids=lambda v: str(v.get("op")))
def test_builder_returns_the_documented_op_dict(built, expected):
    assert built == expected


@pytest.mark.parametrize(
    "module, codes",
    [(lo, range(1001, 1035)), (mo, range(2001, 2033))],
    ids=["list", "map"],
)
def test_every_op_code_has_an_encoder(module, codes):
    assert all(code in _ops.ENCODERS for code in codes)
    assert "Operation" in module.__all__


REFUSED = [
    ("index", lo.list_get("l", "0")),
    ("return_type", {"op": 1016, "bin": "l", "index": 0}),
    ("ctx", lo.list_size("l", ctx=["not a step"])),
    ("ctx", lo.list_size("l", ctx="k")),
    ("unknown ListPolicy key", lo.list_append("l", 1, {"list_order": 1})),
    ("order", lo.list_append("l", 1, {"order": 3})),
    ("values", lo.list_append_items("l", 5)),
    ("val", lo.list_increment("l", 0, "x")),
    ("count", lo.list_get_range("l", 0, 1.5)),
    ("write_mode", mo.map_put("m", "k", 1, {"write_mode": 9})),
    ("unknown MapPolicy key", mo.map_put("m", "k", 1, {"map_order": 1})),
    ("items", mo.map_put_items("m", [("a", 1)])),
    ("amount", mo.map_increment("m", "k", "1")),
    ("map_key", {"op": 2018, "bin": "m", "return_type": 7}),
    ("list_append on bin 'l'", lo.list_append("l", {1, 2})),
]


@pytest.mark.parametrize("named, bad_op", REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_operation_is_refused_before_sending(client, key, named, bad_op):
    client.put(key, {"l": [1], "m": {"k": 1}})
    with pytest.raises(InvalidArgError) as failure:
        client.operate(key, [lo.list_append("l", 2), bad_op])
    assert named in str(failure.value)
    assert client.get(key).bins == {"l": [1], "m": {"k": 1}}


def test_inverted_must_be_a_bool():
    with pytest.raises(InvalidArgError, match="inverted"):
        lo.list_get_by_value("l", 1, VALUE, inverted="yes")  # type: ignore[arg-type]


def test_return_type_must_be_an_int():
    with pytest.raises(InvalidArgError, match="return_type"):
        mo.map_get_by_key("m", "k", "value")  # type: ignore[arg-type]


def test_context_steps_have_the_protocol_ids():
    steps = [
        C.cdt_ctx_list_index(-1),
        C.cdt_ctx_list_rank(0),
        C.cdt_ctx_list_value("v"),
        C.cdt_ctx_map_index(1),
        C.cdt_ctx_map_rank(2),
        C.cdt_ctx_map_key("k"),
        C.cdt_ctx_map_value(3),
        C.cdt_ctx_list_index_create(2, A.LIST_ORDERED),
        C.cdt_ctx_list_index_create(2, pad=True),
        C.cdt_ctx_list_index_create(2),
        C.cdt_ctx_map_key_create("k", A.MAP_KEY_VALUE_ORDERED),
        C.cdt_ctx_map_key_create("k"),
    ]
    assert [(s.id, s.value) for s in steps] == [
        (0x10, -1),
        (0x11, 0),
        (0x13, "v"),
        (0x20, 1),
        (0x21, 2),
        (0x22, "k"),
        (0x23, 3),
        (0xD0, 2),
        (0x90, 2),
        (0x50, 2),
        (0xE2, "k"),
        (0x62, "k"),
    ]


@pytest.mark.parametrize(
    "make, named",
    [
        (lambda: C.cdt_ctx_list_index("1"), "index"),
        (lambda: C.cdt_ctx_map_rank(1.0), "rank"),
        (lambda: C.cdt_ctx_list_index_create(1, order=2), "order"),
        (lambda: C.cdt_ctx_list_index_create(1, pad=1), "pad"),
        (lambda: C.cdt_ctx_map_key_create("k", order=2), "order"),
    ],
    ids=["list_index", "map_rank", "list_order", "pad", "map_order"],
)
def test_bad_context_step_is_refused(make, named):
    with pytest.raises(InvalidArgError, match=named):
        make()
