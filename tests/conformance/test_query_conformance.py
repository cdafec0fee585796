"""Queries, scans, indexes and truncate: the official client and ours,
side by side against the embedded server, must see the same records."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import aerospike
import pytest
from aerospike import exception as official_errors
from aerospike import predicates as official_p

import aerospike_py
from aerospike_py import predicates as p
from aerospike_py.exception import IndexFoundError, IndexNotFound
from aerospike_py.wire import message as msg

SQUARE = '{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}'


def _plain(value):
    """GeoJSON of either client as its parsed document."""
    if isinstance(value, (aerospike.GeoJSON, aerospike_py.GeoJSON)):
        return json.loads(str(value))
    return value


def _view(records):
    """(digest, generation, bins) of each record, in a stable order."""
    out = []
    for key, meta, bins in records:
        generation = meta["gen"] if isinstance(meta, dict) else meta.gen
        plain = {name: _plain(value) for name, value in bins.items()}
        out.append((bytes(key[3]), generation, plain))
    return sorted(out, key=lambda item: item[0])


@pytest.fixture
def stored(ours, aerospike_set):
    for i in range(20):
        ours.put(
            ("test", aerospike_set, i),
            {
                "v": i,
                "s": f"s{i % 4}",
                "l": [i, i * 10],
                "loc": aerospike_py.GeoJSON(
                    f'{{"type":"Point","coordinates":[{i},{i % 12}]}}'
                ),
            },
            policy={"key": aerospike_py.POLICY_KEY_SEND},
        )
    return aerospike_set


@pytest.fixture
def indexes(ours, stored) -> Iterator[dict[str, str]]:
    """One index of each kind on the stored set, made by our client."""
    base = stored[-40:]
    names = {
        "v": f"{base}_v",
        "s": f"{base}_s",
        "l": f"{base}_l",
        "loc": f"{base}_loc",
    }
    ours.index_integer_create("test", stored, "v", names["v"])
    ours.index_string_create("test", stored, "s", names["s"])
    ours.index_list_create("test", stored, "l", aerospike_py.INDEX_NUMERIC, names["l"])
    ours.index_geo2dsphere_create("test", stored, "loc", names["loc"])
    yield names
    for name in names.values():
        ours.index_remove("test", name)


def test_scan_and_query_without_where_match(official, ours, stored):
    expected = _view(ours.query("test", stored).results())
    assert len(expected) == 20
    assert _view(official.scan("test", stored).results()) == expected
    assert _view(official.query("test", stored).results()) == expected


def test_user_keys_and_ttl_match(official, ours, stored):
    theirs = {r[0][2]: r[1]["ttl"] for r in official.query("test", stored).results()}
    mine = {r.key.user_key: r.meta.ttl for r in ours.query("test", stored).results()}
    assert theirs == mine


def test_select_matches(official, ours, stored):
    query = official.query("test", stored)
    query.select("s")
    theirs = _view(query.results())
    mine_query = ours.query("test", stored)
    mine_query.select("s")
    assert theirs == _view(mine_query.results())
    assert all(set(bins) == {"s"} for _, _, bins in theirs)


@pytest.mark.parametrize(
    ("official_predicate", "our_predicate"),
    [
        (official_p.between("v", 3, 8), p.between("v", 3, 8)),
        (official_p.equals("v", 11), p.equals("v", 11)),
        (official_p.equals("s", "s2"), p.equals("s", "s2")),
        (
            official_p.contains("l", aerospike.INDEX_TYPE_LIST, 30),
            p.contains("l", aerospike_py.INDEX_TYPE_LIST, 30),
        ),
        (
            official_p.range("l", aerospike.INDEX_TYPE_LIST, 95, 120),
            p.range("l", aerospike_py.INDEX_TYPE_LIST, 95, 120),
        ),
        (
            official_p.geo_within_geojson_region("loc", SQUARE),
            p.geo_within_geojson_region("loc", SQUARE),
        ),
        (
            official_p.geo_within_radius("loc", 3.0, 3.0, 200_000),
            p.geo_within_radius("loc", 3.0, 3.0, 200_000),
        ),
    ],
    ids=[
        "between",
        "equals-int",
        "equals-str",
        "contains",
        "range",
        "region",
        "radius",
    ],
)
def test_where_queries_match(
    official, ours, stored, indexes, official_predicate, our_predicate
):
    query = official.query("test", stored)
    query.where(official_predicate)
    theirs = _view(query.results())
    mine = ours.query("test", stored)
    mine.where(our_predicate)
    assert _view(mine.results()) == theirs
    assert theirs  # every case matches some records


def test_max_records_and_partition_filter_match(official, ours, stored):
    official_query = official.query("test", stored)
    official_query.max_records = 7
    theirs = official_query.results()
    assert len(theirs) == 7
    assert len(ours.query("test", stored).results({"max_records": 7})) == len(theirs)
    official_filter = {"partition_filter": {"begin": 100, "count": 2000}}
    our_filter = {"partition_filter": aerospike_py.partition_filter_by_range(100, 2000)}
    assert _view(official.query("test", stored).results(official_filter)) == _view(
        ours.query("test", stored).results(our_filter)
    )


def test_index_made_by_the_official_client_serves_our_query(official, ours, stored):
    name = f"{stored[-40:]}_off"
    official.index_single_value_create(
        "test", stored, "v", aerospike.INDEX_NUMERIC, name
    )
    try:
        query = ours.query("test", stored)
        query.where(p.between("v", 0, 4))
        assert sorted(r.bins["v"] for r in query.results()) == [0, 1, 2, 3, 4]
    finally:
        official.index_remove("test", name)
    with pytest.raises(IndexNotFound):
        ours.index_remove("test", name)


def test_both_clients_refuse_the_same_index_conflicts(official, ours, stored, indexes):
    with pytest.raises(official_errors.IndexFoundError) as theirs:
        official.index_single_value_create(
            "test", stored, "v", aerospike.INDEX_STRING, indexes["v"]
        )
    with pytest.raises(IndexFoundError) as mine:
        ours.index_string_create("test", stored, "v", indexes["v"])
    assert theirs.value.code == mine.value.code == 200
    query = official.query("test", stored)
    query.where(official_p.equals("nope", 1))
    with pytest.raises(official_errors.IndexNotFound) as theirs:
        query.results()
    mine_query = ours.query("test", stored)
    mine_query.where(p.equals("nope", 1))
    with pytest.raises(IndexNotFound) as mine:
        mine_query.results()
    assert theirs.value.code == mine.value.code == 201


# -- truncate: the official client's truncate keeps the GIL while it waits, so
# it runs against a server in another process.


@pytest.fixture(scope="module")
def process_server() -> Iterator[list[tuple[str, int]]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "aerospike_py.server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        host, _, port = line.rsplit(" ", 1)[1].strip().rpartition(":")
        yield [(host, int(port))]
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


def test_truncate_by_either_client_is_seen_by_the_other(process_server):
    official = aerospike.client({"hosts": process_server}).connect()
    ours = aerospike_py.client({"hosts": process_server}).connect()
    try:
        for i in range(5):
            ours.put(("test", "trunc", i), {"v": i})
        official.truncate("test", "trunc", 0)
        assert ours.query("test", "trunc").results() == []
        official.put(("test", "trunc", "old"), {"v": 1})
        time.sleep(0.01)
        cutoff = time.time_ns()
        time.sleep(0.01)
        official.put(("test", "trunc", "new"), {"v": 2})
        ours.truncate("test", "trunc", cutoff)
        theirs = [r[2]["v"] for r in official.scan("test", "trunc").results()]
        mine = [r.bins["v"] for r in ours.query("test", "trunc").results()]
        assert theirs == mine == [2]
    finally:
        official.close()
        ours.close()


def _comparable(message):
    """A request without its random job id."""
    fields = {k: v for k, v in message.fields.items() if k != msg.FIELD_TRID}
    header = (message.info1, message.info2, message.info3, message.record_ttl)
    return header, fields, [(op.op_type, op.name) for op in message.ops]


def test_both_clients_send_the_same_scan_and_query_requests(
    official, ours, server, stored, indexes
):
    with server.recording() as requests:
        official.scan("test", stored).results()
        ours.query("test", stored).results()
        theirs = official.query("test", stored)
        theirs.select("v")
        theirs.where(official_p.between("v", 1, 2))
        theirs.results()
        mine = ours.query("test", stored)
        mine.select("v")
        mine.where(p.between("v", 1, 2))
        mine.results()
    official_scan, our_scan, official_query, our_query = requests
    assert _comparable(our_scan) == _comparable(official_scan)
    assert _comparable(our_query) == _comparable(official_query)
