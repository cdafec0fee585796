"""The HLL operation builders: the op dicts they make, and bad input."""

from __future__ import annotations

import pytest

import aerospike_py
from aerospike_py import hll_operations as hll
from aerospike_py.exception import InvalidArgError

POLICY = {"flags": aerospike_py.HLL_WRITE_CREATE_ONLY}

BUILT = [
    (hll.hll_init("h", 10), {"op": 3001, "bin": "h", "index_bit_count": 10}),
    (
        hll.hll_init("h", 10, 4, policy=POLICY),
        {
            "op": 3001,
            "bin": "h",
            "index_bit_count": 10,
            "minhash_bit_count": 4,
            "hll_policy": POLICY,
        },
    ),
    (hll.hll_add("h", ["a"]), {"op": 3002, "bin": "h", "val": ["a"]}),
    (
        hll.hll_add("h", ["a"], 12, 0),
        {
            "op": 3002,
            "bin": "h",
            "val": ["a"],
            "index_bit_count": 12,
            "minhash_bit_count": 0,
        },
    ),
    (hll.hll_get_count("h"), {"op": 3003, "bin": "h"}),
    (hll.hll_get_union("h", [b"x"]), {"op": 3004, "bin": "h", "val": [b"x"]}),
    (hll.hll_get_union_count("h", [b"x"]), {"op": 3005, "bin": "h", "val": [b"x"]}),
    (
        hll.hll_get_intersect_count("h", [b"x"]),
        {"op": 3006, "bin": "h", "val": [b"x"]},
    ),
    (hll.hll_get_similarity("h", [b"x"]), {"op": 3007, "bin": "h", "val": [b"x"]}),
    (hll.hll_describe("h"), {"op": 3008, "bin": "h"}),
    (hll.hll_fold("h", 6), {"op": 3009, "bin": "h", "index_bit_count": 6}),
    (
        hll.hll_set_union("h", [b"x"], policy=POLICY),
        {"op": 3010, "bin": "h", "val": [b"x"], "hll_policy": POLICY},
    ),
    (hll.hll_refresh_count("h"), {"op": 3011, "bin": "h"}),
]


@pytest.mark.parametrize(("built", "expected"), BUILT, ids=lambda v: str(v)[:40])
def test_builder_makes_the_documented_op_dict(built, expected):
    assert built == expected


def test_module_exports_every_builder_and_operation():
    names = set(hll.__all__)
    assert "Operation" in names
    assert len(names - {"Operation"}) == 11
    assert all(callable(getattr(hll, name)) for name in names - {"Operation"})
    assert aerospike_py.hll_operations is hll


def test_policy_is_keyword_only():
    with pytest.raises(TypeError):
        hll.hll_init("h", 10, 4, POLICY)


BAD = [
    ("values", hll.hll_add("h", "abc", 10)),
    ("list or map", hll.hll_add("h", [["nested"]], 10)),
    ("list or map", hll.hll_add("h", [{"k": 1}], 10)),
    ("index_bit_count", hll.hll_init("h", "ten")),
    ("minhash_bit_count", hll.hll_init("h", 10, 4.0)),
    ("HLLPolicy", hll.hll_init("h", 10, policy={"flag": 1})),
    ("policy", hll.hll_init("h", 10, policy=1)),
    ("flags", hll.hll_init("h", 10, policy={"flags": "create"})),
    ("HLL bytes", hll.hll_get_union("h", ["not bytes"])),
    ("values", hll.hll_set_union("h", b"one value")),
    ("'index_bit_count'", {"op": 3009, "bin": "h"}),
    ("'val'", {"op": 3005, "bin": "h"}),
]


@pytest.mark.parametrize(
    ("named", "op"), BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)]
)
def test_bad_argument_is_refused_before_sending(client, key, named, op):
    client.put(key, {"x": 1})
    with pytest.raises(InvalidArgError) as failure:
        client.operate(key, [op])
    assert named in str(failure.value)
    record = client.get(key)
    assert record.bins == {"x": 1} and record.meta.gen == 1
