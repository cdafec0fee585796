"""The same calls against Django's LocMemCache and AerospikeCache agree."""

from __future__ import annotations

from typing import Any

from aerospike_testproject.testing import run_async
from django.core.cache import caches

# Each step is (method, positional arguments, keyword arguments). The
# a-prefixed twin of each method is called for the async run.
STEPS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("get", ("k",), {}),
    ("get", ("k", "dflt"), {}),
    ("set", ("k", "v"), {}),
    ("get", ("k",), {}),
    ("add", ("k", "other"), {}),
    ("add", ("new", [1, 2]), {}),
    ("get", ("new",), {}),
    ("set", ("none", None), {}),
    ("get", ("none", "dflt"), {}),
    ("has_key", ("none",), {}),
    ("has_key", ("absent",), {}),
    ("get_or_set", ("none", "computed"), {}),
    ("get_or_set", ("gos", "computed"), {}),
    ("get_or_set", ("gos", "ignored"), {}),
    ("get_or_set", ("gos0", "zero"), {"timeout": 0}),
    ("get", ("gos0", "miss"), {}),
    ("set", ("n", 10), {}),
    ("incr", ("n",), {}),
    ("incr", ("n", 5), {}),
    ("decr", ("n", 20), {}),
    ("incr", ("absent",), {}),
    ("decr", ("absent",), {}),
    ("set", ("s", "text"), {}),
    ("incr", ("s",), {}),
    ("set", ("zero", "x"), {"timeout": 0}),
    ("get", ("zero",), {}),
    ("set", ("k", "gone"), {"timeout": -5}),
    ("get", ("k",), {}),
    ("add", ("k", "zero-add"), {"timeout": 0}),
    ("get", ("k",), {}),
    ("set", ("forever", {"a": (1, 2)}), {"timeout": None}),
    ("get", ("forever",), {}),
    ("touch", ("forever", 60), {}),
    ("touch", ("absent",), {}),
    ("touch", ("forever", 0), {}),
    ("get", ("forever",), {}),
    ("set_many", ({"a": 1, "b": 2, "c": 3},), {}),
    ("get_many", (["a", "b", "c", "absent"],), {}),
    ("get_many", ([],), {}),
    ("set_many", ({},), {}),
    ("delete_many", ([],), {}),
    ("delete_many", (["a", "absent"],), {}),
    ("get_many", (["a", "b", "c"],), {}),
    ("set_many", ({"x": 1, "y": 2},), {"timeout": 0}),
    ("get_many", (["x", "y"],), {}),
    ("delete", ("b",), {}),
    ("delete", ("b",), {}),
    ("set", ("v", "one"), {"version": 1}),
    ("set", ("v", "two"), {"version": 2}),
    ("get", ("v",), {"version": 2}),
    ("incr_version", ("v",), {}),
    ("get", ("v",), {}),
    ("get", ("v",), {"version": 2}),
    ("decr_version", ("v",), {"version": 2}),
    ("get", ("v",), {}),
    ("incr_version", ("absent",), {}),
    ("set", ("tuple", (1, "a", None)), {}),
    ("get", ("tuple",), {}),
]


def run_steps(cache: Any) -> list[Any]:
    results = []
    for name, args, kwargs in STEPS:
        try:
            results.append(("ok", getattr(cache, name)(*args, **kwargs)))
        except Exception as exc:
            results.append(("raised", type(exc).__name__))
    return results


async def arun_steps(cache: Any) -> list[Any]:
    results = []
    for name, args, kwargs in STEPS:
        try:
            results.append(("ok", await getattr(cache, f"a{name}")(*args, **kwargs)))
        except Exception as exc:
            results.append(("raised", type(exc).__name__))
    return results


def test_sync_calls_give_locmem_results():
    expected = run_steps(caches["locmem"])
    # The sequence reaches both error paths, so agreeing is not trivial.
    assert ("raised", "ValueError") in expected
    assert ("raised", "TypeError") in expected
    assert run_steps(caches["default"]) == expected


def test_async_calls_give_locmem_results():
    expected = run_async(lambda: arun_steps(caches["locmem"]))
    assert run_async(lambda: arun_steps(caches["default"])) == expected
