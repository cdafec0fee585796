"""Every single-record command sends its policy's filter expression, and a
record the filter rejects raises FilteredOut and is left untouched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import aerospike_py
from aerospike_py import exp
from aerospike_py import operations as op
from aerospike_py.wire import message as msg

PASSING = exp.eq(exp.int_bin("a"), 1)
FAILING = exp.eq(exp.int_bin("a"), 2)

Command = Callable[[Any, Any, dict[str, Any]], Any]

COMMANDS: dict[str, Command] = {
    "get": lambda c, k, p: c.get(k, policy=p),
    "select": lambda c, k, p: c.select(k, ["a"], policy=p),
    "exists": lambda c, k, p: c.exists(k, policy=p),
    "put": lambda c, k, p: c.put(k, {"a": 5}, policy=p),
    "operate (write)": lambda c, k, p: c.operate(k, [op.increment("a", 1)], policy=p),
    "operate (read)": lambda c, k, p: c.operate(k, [op.read("a")], policy=p),
    "operate_ordered": lambda c, k, p: c.operate_ordered(k, [op.read("a")], policy=p),
    "remove": lambda c, k, p: c.remove(k, policy=p),
    "touch": lambda c, k, p: c.touch(k, 100, policy=p),
    "append": lambda c, k, p: c.append(k, "s", "x", policy=p),
    "prepend": lambda c, k, p: c.prepend(k, "s", "x", policy=p),
    "increment": lambda c, k, p: c.increment(k, "a", 1, policy=p),
    "remove_bin": lambda c, k, p: c.remove_bin(k, ["s"], policy=p),
}

NAMES = list(COMMANDS)


def _state(client: Any, key: Any) -> tuple[int, dict[str, Any]]:
    record = client.get(key)
    return record.meta.gen, record.bins


@pytest.mark.parametrize("name", NAMES)
def test_a_rejected_record_raises_filtered_out_and_is_untouched(
    client: Any, key: Any, name: str
) -> None:
    client.put(key, {"a": 1, "s": "v"})
    before = _state(client, key)

    with pytest.raises(aerospike_py.FilteredOut) as info:
        COMMANDS[name](client, key, {"filter_expression": FAILING})

    assert info.value.code == 27
    assert _state(client, key) == before


def _bins_after(result: Any, client: Any, key: Any) -> Any:
    meta = client.exists(key).meta
    return None if meta is None else client.get(key).bins


# What each command does to (or returns from) the record {"a": 1, "s": "v"}.
ACCEPTED: dict[str, Callable[[Any, Any, Any], Any]] = {
    "get": lambda result, c, k: result.bins,
    "select": lambda result, c, k: result.bins,
    "exists": lambda result, c, k: result.meta.gen,
    "put": _bins_after,
    "operate (write)": _bins_after,
    "operate (read)": lambda result, c, k: result.bins,
    "operate_ordered": lambda result, c, k: [tuple(b) for b in result.ordered_bins],
    "remove": _bins_after,
    "touch": lambda result, c, k: 90 < c.exists(k).meta.ttl <= 100,
    "append": _bins_after,
    "prepend": _bins_after,
    "increment": _bins_after,
    "remove_bin": _bins_after,
}
EXPECTED = {
    "get": {"a": 1, "s": "v"},
    "select": {"a": 1},
    "exists": 1,
    "put": {"a": 5, "s": "v"},
    "operate (write)": {"a": 2, "s": "v"},
    "operate (read)": {"a": 1},
    "operate_ordered": [("a", 1)],
    "remove": None,
    "touch": True,
    "append": {"a": 1, "s": "vx"},
    "prepend": {"a": 1, "s": "xv"},
    "increment": {"a": 2, "s": "v"},
    "remove_bin": {"a": 1},
}


@pytest.mark.parametrize("name", NAMES)
def test_an_accepted_record_is_processed(client: Any, key: Any, name: str) -> None:
    client.put(key, {"a": 1, "s": "v"})
    result = COMMANDS[name](client, key, {"filter_expression": PASSING})
    assert ACCEPTED[name](result, client, key) == EXPECTED[name]


@pytest.mark.parametrize("name", NAMES)
def test_the_filter_travels_in_field_43(
    client: Any, key: Any, server: Any, name: str
) -> None:
    client.put(key, {"a": 1, "s": "v"})
    with server.recording() as received:
        COMMANDS[name](client, key, {"expressions": PASSING})
    sent = [m.fields.get(msg.FIELD_FILTER_EXP) for m in received]
    assert sent == [exp.compile_expression(PASSING)]


def test_a_write_that_creates_the_record_ignores_the_filter(
    client: Any, key: Any
) -> None:
    # write.c applies the filter only to a record that already exists.
    client.put(key, {"a": 7}, policy={"filter_expression": FAILING})
    assert client.get(key).bins == {"a": 7}


def test_a_read_of_a_missing_record_is_not_found_not_filtered(
    client: Any, key: Any
) -> None:
    with pytest.raises(aerospike_py.RecordNotFound):
        client.get(key, policy={"filter_expression": FAILING})


def test_a_filter_sees_the_record_before_the_write(client: Any, key: Any) -> None:
    client.put(key, {"a": 1})
    client.put(key, {"a": 2}, policy={"filter_expression": PASSING})
    with pytest.raises(aerospike_py.FilteredOut):
        client.put(key, {"a": 3}, policy={"filter_expression": PASSING})
    assert client.get(key).bins == {"a": 2}


def test_a_default_filter_from_the_client_config(
    aerospike_config: dict[str, Any], key: Any
) -> None:
    config = {**aerospike_config, "policies": {"read": {"filter_expression": FAILING}}}
    with aerospike_py.client(config).connect() as client:
        client.put(key, {"a": 1})
        with pytest.raises(aerospike_py.FilteredOut):
            client.get(key)
        assert client.get(key, policy={"filter_expression": PASSING}).bins == {"a": 1}
