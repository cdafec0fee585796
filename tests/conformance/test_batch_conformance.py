"""Batch commands: the official client and ours, side by side.

Both run against the embedded server; they must send the same batch rows
and get the same answers, key by key.
"""

from __future__ import annotations

import aerospike
import pytest
from aerospike_helpers import expressions as official_exp
from aerospike_helpers.batch import records as official_batch
from aerospike_helpers.operations import operations as official_ops

from aerospike_py import operations as op
from aerospike_py.server import commands as server_commands
from aerospike_py.wire import message as msg


@pytest.fixture
def keys(aerospike_set):
    return [("test", aerospike_set, f"k{i}") for i in range(4)] + [
        ("test", aerospike_set + "_b", "k0")
    ]


@pytest.fixture
def stored(ours, keys):
    for number, key in enumerate(keys):
        if number != 2:  # keys[2] stays missing
            ours.put(key, {"n": number, "s": f"v{number}", "l": [number]})
    return keys


def _official_view(batch_records):
    """(result, bins, generation) per key of the official client's answer."""
    out = []
    for entry in batch_records.batch_records:
        record = entry.record
        if entry.result or record is None:
            out.append((entry.result, None, None))
        else:
            # A header-only read gives (key, meta), without bins.
            meta = record[1]
            bins = record[2] if len(record) > 2 else {}
            out.append((entry.result, bins, meta["gen"] if meta else None))
    return out


def _our_view(batch_records):
    out = []
    for entry in batch_records:
        record = entry.record
        if entry.result or record is None:
            out.append((entry.result, None, None))
        else:
            gen = record.meta.gen if record.meta else None
            out.append((entry.result, record.bins, gen))
    return out


def _batch_fields(server, call):
    with server.recording() as received:
        call()
    return [m.fields[msg.FIELD_BATCH] for m in received if m.info1 & msg.INFO1_BATCH]


@pytest.mark.parametrize("bins", [None, ["n", "l"], []])
def test_batch_read_answers_match(official, ours, stored, bins):
    wanted = [*stored, stored[0]]
    theirs = official.batch_read(wanted, bins)
    mine = ours.batch_read(wanted, bins)
    assert _our_view(mine.batch_records) == _official_view(theirs)


@pytest.mark.parametrize("bins", [None, ["n", "l"], []])
def test_batch_read_sends_the_same_rows(official, ours, stored, aerospike_server, bins):
    theirs = _batch_fields(aerospike_server, lambda: official.batch_read(stored, bins))
    mine = _batch_fields(aerospike_server, lambda: ours.batch_read(stored, bins))
    assert mine == theirs


def test_batch_operate_answers_and_rows_match(official, ours, keys, aerospike_server):
    theirs_ops = [official_ops.increment("n", 5), official_ops.read("n")]
    mine_ops = [op.increment("n", 5), op.read("n")]
    for key in keys:
        ours.put(key, {"n": 1})
    theirs_rows = _batch_fields(
        aerospike_server, lambda: official.batch_operate(keys, theirs_ops)
    )
    mine_rows = _batch_fields(
        aerospike_server, lambda: ours.batch_operate(keys, mine_ops)
    )
    assert mine_rows == theirs_rows
    theirs = _official_view(official.batch_operate(keys[:2], theirs_ops))
    mine = _our_view(ours.batch_operate(keys[2:4], mine_ops).batch_records)
    assert mine == theirs == [(0, {"n": 16}, 4), (0, {"n": 16}, 4)]


def test_batch_remove_answers_and_rows_match(official, ours, keys, aerospike_server):
    for key in keys[:2]:
        ours.put(key, {"n": 1})
    theirs_rows = _batch_fields(
        aerospike_server, lambda: official.batch_remove(keys[:3])
    )
    assert [ours.exists(key).meta for key in keys[:2]] == [None, None]
    for key in keys[:2]:
        ours.put(key, {"n": 1})
    mine_rows = _batch_fields(aerospike_server, lambda: ours.batch_remove(keys[:3]))
    assert mine_rows == theirs_rows
    for key in keys[:2]:
        ours.put(key, {"n": 1})
    theirs = [entry.result for entry in official.batch_remove(keys[:3]).batch_records]
    for key in keys[:2]:
        ours.put(key, {"n": 1})
    mine = [entry.result for entry in ours.batch_remove(keys[:3]).batch_records]
    assert mine == theirs == [0, 0, 2]


def test_batch_write_results_match(official, ours, keys):
    ours.put(keys[1], {"n": 1})
    theirs = official.batch_write(
        official_batch.BatchRecords(
            [
                official_batch.Write(keys[0], [official_ops.write("a", 1)]),
                official_batch.Write(
                    keys[1],
                    [official_ops.write("a", 2)],
                    meta={"gen": 9},
                    policy={"gen": aerospike.POLICY_GEN_EQ},
                ),
            ]
        )
    )
    ours.remove(keys[0])
    mine = ours.batch_write([(keys[0], {"a": 1}), (keys[1], {"a": 2}, {"gen": 9})])
    assert [e.result for e in mine.batch_records] == [
        e.result for e in theirs.batch_records
    ]
    assert [e.result for e in mine.batch_records] == [0, 3]


def test_records_written_by_our_batch_read_back_through_official(official, ours, keys):
    ours.batch_write([(key, {"who": key[2]}) for key in keys])
    answers = official.batch_read(keys)
    assert [entry.record[2]["who"] for entry in answers.batch_records] == [
        key[2] for key in keys
    ]


def test_a_key_in_a_missing_namespace_fails_alone_in_both(official, ours, keys):
    wanted = [("nons", "s", 1), keys[0]]
    ours.put(keys[0], {"n": 1})
    theirs = [entry.result for entry in official.batch_read(wanted).batch_records]
    mine = [entry.result for entry in ours.batch_read(wanted).batch_records]
    assert mine == theirs == [20, 0]


def test_batch_filter_expression_gives_the_same_codes(official, ours, stored):
    if not server_commands.filter_evaluator:
        pytest.skip("the embedded server evaluates no filter expressions yet")
    exp = pytest.importorskip("aerospike_py.exp")
    theirs_filter = official_exp.GE(official_exp.IntBin("n"), 1).compile()
    theirs = official.batch_read(stored, policy={"expressions": theirs_filter})
    mine = ours.batch_read(
        stored, policy={"filter_expression": exp.ge(exp.int_bin("n"), 1)}
    )
    codes = [entry.result for entry in mine.batch_records]
    assert codes == [entry.result for entry in theirs.batch_records]
    assert codes == [27, 0, 2, 0, 0]
