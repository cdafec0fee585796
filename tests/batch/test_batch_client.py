"""Batch commands through both clients against the embedded server."""

from __future__ import annotations

import threading

import pytest

import aerospike_py
from aerospike_py import operations as op
from aerospike_py.exception import AerospikeTimeoutError, InvalidArgError
from aerospike_py.server import EmbeddedServer
from aerospike_py.server import batch as server_batch
from aerospike_py.server import commands as server_commands
from aerospike_py.types import BatchRecord, Record

NOT_FOUND = 2
GENERATION_ERROR = 3
BIN_TYPE_ERROR = 12
FILTERED_OUT = 27


@pytest.fixture
def keys(aerospike_set):
    return [("test", aerospike_set, f"k{i}") for i in range(4)]


def _put_all(client, keys):
    for number, key in enumerate(keys):
        client.put(key, {"n": number, "name": f"rec-{number}"})


# -- batch_read -------------------------------------------------------------------


def test_batch_read_is_positional_and_keeps_duplicates(client, keys):
    _put_all(client, keys)
    wanted = [keys[2], keys[0], keys[2], keys[3]]
    result = client.batch_read(wanted)
    entries = result.batch_records
    assert [entry.key.user_key for entry in entries] == ["k2", "k0", "k2", "k3"]
    assert [entry.record.bins["n"] for entry in entries] == [2, 0, 2, 3]
    assert all(entry.result == 0 for entry in entries)
    assert entries[0].record.meta.gen == 1


def test_batch_read_same_user_key_in_two_sets(client, aerospike_set):
    first = ("test", aerospike_set, "shared")
    second = ("test", aerospike_set + "_b", "shared")
    client.put(first, {"where": "a"})
    client.put(second, {"where": "b"})
    entries = client.batch_read([second, first, second]).batch_records
    assert [entry.record.bins["where"] for entry in entries] == ["b", "a", "b"]
    assert [entry.key.set_name for entry in entries] == [
        second[1],
        first[1],
        second[1],
    ]


def test_missing_key_reports_not_found_and_others_still_read(client, keys):
    client.put(keys[0], {"a": 1})
    client.put(keys[2], {"a": 3})
    entries = client.batch_read(keys[:3]).batch_records
    assert [entry.result for entry in entries] == [0, NOT_FOUND, 0]
    assert entries[1].record is None
    assert entries[1].key.user_key == "k1"
    assert entries[2].record.bins == {"a": 3}


def test_empty_bin_list_reads_the_header_only(client, keys):
    client.put(keys[0], {"a": 1, "b": 2}, meta={"ttl": 1000})
    result = client.batch_read(keys[:2], [])
    found, missing = result.batch_records
    assert found.record.bins == {}
    assert found.record.meta.gen == 1
    assert 990 <= found.record.meta.ttl <= 1000
    assert missing.result == NOT_FOUND
    assert result.to_list() == [{}, None]


def test_key_in_an_unknown_namespace_fails_alone(client, keys):
    client.put(keys[0], {"a": 1})
    entries = client.batch_read([("nons", "s", 1), keys[0]]).batch_records
    assert [entry.result for entry in entries] == [20, 0]


def test_named_bins_read_only_those_bins(client, keys):
    client.put(keys[0], {"a": 1, "b": 2, "c": 3})
    entry = client.batch_read(keys[:1], ["a", "c", "absent"]).batch_records[0]
    assert entry.record.bins == {"a": 1, "c": 3}


def test_batch_records_offer_the_lazy_conveniences(client, keys):
    _put_all(client, keys[:2])
    result = client.batch_read([keys[0], keys[3], keys[1]])
    assert isinstance(result, aerospike_py.LazyBatchRecords)
    assert result.found_count() == 2
    assert result.all_user_keys() == ["k0", "k3", "k1"]
    assert result.to_dict() == {
        "k0": {"n": 0, "name": "rec-0"},
        "k1": {"n": 1, "name": "rec-1"},
    }
    assert result["k1"]["n"] == 1
    assert result.get("k3") is None
    assert "k0" in result and "k3" not in result
    assert len(result) == 2
    assert sorted(result) == ["k0", "k1"]
    assert [entry.result for entry in result.iter_records()] == [0, NOT_FOUND, 0]
    result.release_cache()
    assert dict(result.items()) == result.to_dict()
    merged = aerospike_py.BatchRecords.merge_to_dict([result, result])
    assert merged == [result.to_dict(), result.to_dict()]


def test_digest_only_key_reads_but_has_no_user_key(client, keys):
    client.put(keys[0], {"a": 1})
    digest = client.get(keys[0]).key.digest
    result = client.batch_read([("test", keys[0][1], None, digest)])
    assert result.batch_records[0].record.bins == {"a": 1}
    assert result.all_user_keys() == [None]
    assert result.to_dict() == {}


def test_a_thousand_keys_come_back_in_order(client, aerospike_set):
    keys = [("test", aerospike_set, i) for i in range(1000)]
    client.batch_write([(key, {"i": key[2]}) for key in keys[::2]])
    result = client.batch_read(keys)
    entries = result.batch_records
    assert len(entries) == 1000
    assert [entry.key.user_key for entry in entries] == list(range(1000))
    assert [e.record.bins["i"] for e in entries[::2]] == list(range(0, 1000, 2))
    assert {entry.result for entry in entries[1::2]} == {NOT_FOUND}
    assert result.found_count() == 500


# -- batch_operate ------------------------------------------------------------------


def test_batch_operate_writes_and_reads_every_key(client, keys):
    _put_all(client, keys[:2])
    records = client.batch_operate(
        [keys[0], keys[1], keys[0]], [op.increment("n", 10), op.read("n")]
    )
    assert isinstance(records, list)
    assert [record.bins for record in records] == [{"n": 10}, {"n": 11}, {"n": 20}]
    assert [record.meta.gen for record in records] == [2, 2, 3]
    assert [entry.result for entry in records.batch_records] == [0, 0, 0]
    assert client.get(keys[0]).bins["n"] == 20


def test_batch_operate_failure_of_one_key_leaves_the_others(client, keys):
    client.put(keys[0], {"n": 1})
    client.put(keys[1], {"n": "text"})
    records = client.batch_operate(keys[:2], [op.increment("n", 1), op.read("n")])
    assert records[0].bins == {"n": 2}
    assert records[1] == Record(records[1].key, None, None)
    assert records[1].key.user_key == "k1"
    assert records.batch_records[1].result == BIN_TYPE_ERROR
    assert records.batch_records[1].in_doubt is False


def test_batch_operate_read_only_ops_touch_nothing(client, keys):
    client.put(keys[0], {"a": 1, "b": 2})
    records = client.batch_operate(keys[:2], [op.read("a")])
    assert records[0].bins == {"a": 1}
    assert records[0].meta.gen == 1
    assert records.batch_records[1].result == NOT_FOUND


# -- batch_remove -----------------------------------------------------------------


def test_batch_remove_reports_not_found_for_the_missing_key(client, keys):
    _put_all(client, [keys[0], keys[2]])
    records = client.batch_remove(keys[:3])
    assert [entry.result for entry in records.batch_records] == [0, NOT_FOUND, 0]
    assert records[0].bins == {} and records[0].meta is None
    assert records[1].bins is None
    assert client.exists(keys[0]).meta is None
    assert client.exists(keys[2]).meta is None


def test_batch_remove_with_generation_meta_spares_a_changed_record(client, keys):
    _put_all(client, keys[:2])
    client.put(keys[1], {"n": 5})  # generation 2 now
    records = client.batch_remove([(keys[0], {"gen": 1}), (keys[1], {"gen": 1})])
    assert [entry.result for entry in records.batch_records] == [0, GENERATION_ERROR]
    assert client.get(keys[1]).bins["n"] == 5


# -- batch_write ------------------------------------------------------------------


def test_batch_write_gen_check_fails_only_its_record(client, keys):
    _put_all(client, keys[:2])
    result = client.batch_write(
        [
            (keys[0], {"n": 100}, {"gen": 1}),
            (keys[1], {"n": 200}, {"gen": 7}),
            (keys[2], {"n": 300}),
        ]
    )
    assert [entry.result for entry in result.batch_records] == [
        0,
        GENERATION_ERROR,
        0,
    ]
    assert result.batch_records[0].record.meta.gen == 2
    assert client.get(keys[0]).bins["n"] == 100
    assert client.get(keys[1]).bins["n"] == 1
    assert client.get(keys[2]).bins == {"n": 300}
    assert result.retry == aerospike_py.BatchRetryInfo(1, 1, False, 0)


def test_without_respond_all_keys_a_row_error_ends_the_batch(client, keys):
    _put_all(client, keys[:3])
    result = client.batch_write(
        [(keys[0], {"n": 10}), (keys[1], {"n": 11}, {"gen": 9}), (keys[2], {"n": 12})],
        {"respond_all_keys": False},
    )
    first, failed, unanswered = result.batch_records
    assert (first.result, first.in_doubt) == (0, False)
    assert (failed.result, failed.in_doubt) == (GENERATION_ERROR, False)
    # The server ran the last row but stopped answering: it may be written.
    assert (unanswered.result, unanswered.in_doubt) == (GENERATION_ERROR, True)
    assert client.get(keys[2]).bins["n"] == 12


def test_batch_write_meta_ttl_and_exists_apply_per_record(client, keys):
    client.put(keys[1], {"old": 1})
    result = client.batch_write(
        [
            (keys[0], {"a": 1}, {"ttl": 500}),
            (keys[1], {"a": 2}, {"exists": aerospike_py.POLICY_EXISTS_CREATE_ONLY}),
        ]
    )
    assert [entry.result for entry in result.batch_records] == [0, 5]
    assert 490 <= client.get(keys[0]).meta.ttl <= 500


def test_batch_write_policy_send_key_stores_the_user_key(client, keys, server):
    client.batch_write([(keys[0], {"a": 1})], {"key": aerospike_py.POLICY_KEY_SEND})
    digest = client.get(keys[0]).key.digest
    stored = server.cluster.namespaces["test"].find(digest)
    assert stored.key == b"\x03" + b"k0"


def test_batch_write_retry_resends_after_the_server_wakes_up(client, keys, server):
    server.stop_answering()
    timer = threading.Timer(0.5, server.resume_answering)
    timer.start()
    try:
        result = client.batch_write(
            [(key, {"v": i}) for i, key in enumerate(keys)],
            {"total_timeout": 5000, "socket_timeout": 150},
            retry=20,
        )
    finally:
        timer.join()
        server.resume_answering()
    assert [entry.result for entry in result.batch_records] == [0, 0, 0, 0]
    assert result.retry.attempts >= 2
    assert result.retry.max_attempts == 21
    assert result.retry.unresolved == 0
    assert client.get(keys[3]).bins == {"v": 3}


def test_batch_write_raises_in_doubt_when_no_attempt_got_through(client, keys, server):
    server.stop_answering()
    try:
        with pytest.raises(AerospikeTimeoutError) as info:
            client.batch_write(
                [(keys[0], {"v": 1})],
                {"total_timeout": 400, "socket_timeout": 100},
                retry=2,
            )
    finally:
        server.resume_answering()
    assert info.value.in_doubt is True


def test_batch_read_retries_until_the_server_answers(client, keys, server):
    _put_all(client, keys[:1])
    server.stop_answering()
    timer = threading.Timer(0.3, server.resume_answering)
    timer.start()
    try:
        result = client.batch_read(
            keys[:1],
            policy={"total_timeout": 5000, "socket_timeout": 150, "max_retries": 20},
        )
    finally:
        timer.join()
        server.resume_answering()
    assert result.batch_records[0].record.bins["n"] == 0


# -- filters ------------------------------------------------------------------------


def test_batch_filter_expression_filters_out_records(client, keys):
    if not server_commands.filter_evaluator:
        pytest.skip("the embedded server evaluates no filter expressions yet")
    exp = pytest.importorskip("aerospike_py.exp")
    _put_all(client, keys[:3])
    result = client.batch_read(
        keys, policy={"filter_expression": exp.ge(exp.int_bin("n"), 1)}
    )
    codes = [entry.result for entry in result.batch_records]
    assert codes == [FILTERED_OUT, 0, 0, NOT_FOUND]


def test_batch_remove_filter_spares_records_failing_it(client, keys):
    if not server_commands.filter_evaluator:
        pytest.skip("the embedded server evaluates no filter expressions yet")
    exp = pytest.importorskip("aerospike_py.exp")
    _put_all(client, keys[:2])
    records = client.batch_remove(
        keys[:2], {"expressions": exp.eq(exp.int_bin("n"), 1)}
    )
    assert [entry.result for entry in records.batch_records] == [FILTERED_OUT, 0]
    assert client.get(keys[0]).bins["n"] == 0
    assert client.exists(keys[1]).meta is None


# -- empty and bad input ------------------------------------------------------------


def test_empty_inputs_return_empty_results_without_io(client, server):
    with server.recording() as received:
        assert client.batch_read([]).batch_records == []
        assert client.batch_operate([], [op.read("a")]) == []
        assert client.batch_remove([]) == []
        written = client.batch_write([])
        assert written.batch_records == []
    assert received == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.batch_read("not a list"), "keys must be a list"),
        (lambda c: c.batch_read([("test", "s", 1), ["test", "s", 2]]), r"keys\[1\]"),
        (lambda c: c.batch_read([("test", "s", 1.5)]), r"keys\[0\].*float"),
        (lambda c: c.batch_read([("test", "s", 1)], "a"), "bins must be a list"),
        (lambda c: c.batch_operate([("test", "s", 1)], []), "ops is empty"),
        (lambda c: c.batch_remove([(("test", "s", 1), {"ttl": 5})]), r"keys\[0\]"),
        (lambda c: c.batch_write([("test", "s", 1)]), r"records\[0\] must be"),
        (lambda c: c.batch_write([(("t", "s", 1), {})]), r"records\[0\].*empty"),
        (
            lambda c: c.batch_write([(("t", "s", 1), {"a": 1}, {"gen": "x"})]),
            r"records\[0\].*gen",
        ),
        (
            lambda c: c.batch_write([(("t", "s", 1), {"a": 1}, {"gen": 70000})]),
            r"records\[0\].*65535",
        ),
        (lambda c: c.batch_write([(("t", "s", 1), {"a": 1})], retry=-1), "retry"),
        (lambda c: c.batch_read([("t", "s", 1)], policy={"nope": 1}), "nope"),
    ],
)
def test_bad_input_is_refused_naming_the_problem(client, call, message):
    with pytest.raises(InvalidArgError, match=message):
        call(client)


def test_one_record_failure_never_raises(client, keys):
    client.put(keys[0], {"n": "text"})
    result = client.batch_write([(keys[0], {"n": 1}, {"gen": 9}), (keys[1], {"n": 1})])
    assert [entry.result for entry in result.batch_records] == [GENERATION_ERROR, 0]


# -- several namespaces and nodes -----------------------------------------------------


@pytest.fixture(scope="module")
def cluster_server():
    server = EmbeddedServer(port=0, namespaces=["test", "other"], nodes=3)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_same_user_key_in_two_namespaces_stays_apart(client_factory, cluster_server):
    client = client_factory(cluster_server.client_config())
    in_test = ("test", "two_ns", "same")
    in_other = ("other", "two_ns", "same")
    client.put(in_test, {"ns": "test"})
    client.put(in_other, {"ns": "other"})
    entries = client.batch_read([in_other, in_test, in_other]).batch_records
    assert [entry.record.bins["ns"] for entry in entries] == ["other", "test", "other"]
    assert [entry.key.namespace for entry in entries] == ["other", "test", "other"]


def test_rows_go_to_the_node_owning_their_partition(client_factory, cluster_server):
    client = client_factory(cluster_server.client_config())
    keys = [("test", "routing", i) for i in range(200)]
    before = [node.stats["proxied"] for node in cluster_server.nodes]
    with cluster_server.recording() as received:
        client.batch_write([(key, {"i": key[2]}) for key in keys])
        result = client.batch_read(keys)
    assert [entry.record.bins["i"] for entry in result.batch_records] == list(
        range(200)
    )
    batches = [m for m in received if m.info1 & 0x08]
    assert len(batches) == 6  # one request per node, per call
    after = [node.stats["proxied"] for node in cluster_server.nodes]
    assert after == before


def test_a_silent_node_fails_only_its_own_rows(client_factory, cluster_server):
    client = client_factory(cluster_server.client_config())
    keys = [("test", "silent", i) for i in range(60)]
    client.batch_write([(key, {"i": key[2]}) for key in keys])
    silent = cluster_server.nodes[1]
    cluster_server.run_in_loop(silent.answering.clear)
    try:
        records = client.batch_operate(
            keys,
            [op.increment("i", 1)],
            {"total_timeout": 1000, "socket_timeout": 300, "max_retries": 0},
        )
    finally:
        cluster_server.run_in_loop(silent.answering.set)
    codes = [entry.result for entry in records.batch_records]
    assert set(codes) == {0, 9}
    for entry in records.batch_records:
        assert entry.in_doubt == (entry.result == 9)


def test_too_many_keys_is_refused_with_151(client_factory, cluster_server):
    client = client_factory(cluster_server.client_config())
    server_batch.set_max_requests(cluster_server.cluster, 5)
    try:
        with pytest.raises(aerospike_py.ServerError) as info:
            client.batch_read([("test", "max", 0)] * 40)
        small = client.batch_read([("test", "max", 0)] * 3)
    finally:
        server_batch.set_max_requests(cluster_server.cluster, 0)
    assert info.value.code == 151
    assert [entry.result for entry in small.batch_records] == [NOT_FOUND] * 3


def test_batch_record_is_the_public_named_tuple(client, keys):
    entry = client.batch_read(keys[:1]).batch_records[0]
    assert isinstance(entry, BatchRecord)
    key, result, record, in_doubt = entry
    assert key.user_key == "k0"
    assert (result, record, in_doubt) == (NOT_FOUND, None, False)
