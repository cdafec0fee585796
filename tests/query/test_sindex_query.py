"""Secondary indexes and where() queries through both clients."""

from __future__ import annotations

import pytest

import aerospike_py
from aerospike_py import cdt_ctx, exp
from aerospike_py import predicates as p
from aerospike_py.exception import (
    IndexFoundError,
    IndexNotFound,
    InvalidArgError,
    ServerError,
)


def _values(query, bin_name="v", policy=None):
    return sorted(r.bins[bin_name] for r in query.results(policy))


@pytest.fixture
def make_index(client, aerospike_set, index_name, indexes):
    """Create an index on the test's set and remember to drop it."""

    def make(kind, bin_name, suffix=None, *args, **kwargs):
        name = index_name(suffix or bin_name)
        method = getattr(client, f"index_{kind}_create")
        if kind in ("list", "map_keys", "map_values"):
            method("test", aerospike_set, bin_name, args[0], name, **kwargs)
        else:
            method("test", aerospike_set, bin_name, name, **kwargs)
        indexes.append(("test", name))
        return name

    return make


def test_between_returns_records_in_the_inclusive_range(
    client, fill, make_index, aerospike_set
):
    fill(30, lambda i: {"v": i, "other": "x"})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.where(p.between("v", 10, 14))
    records = query.results()
    assert sorted(r.bins["v"] for r in records) == [10, 11, 12, 13, 14]
    assert all(r.bins["other"] == "x" and r.meta.gen == 1 for r in records)


def test_equals_on_integer_string_and_blob_indexes(
    client, fill, make_index, aerospike_set
):
    fill(12, lambda i: {"i": i, "v": i % 4, "s": f"s{i % 3}", "b": bytes([i % 2])})
    make_index("integer", "v")
    make_index("string", "s")
    make_index("blob", "b")
    for predicate, expected in [
        (p.equals("v", 2), [2, 6, 10]),
        (p.equals("s", "s1"), [1, 4, 7, 10]),
        (p.equals("b", b"\x01"), [1, 3, 5, 7, 9, 11]),
    ]:
        query = client.query("test", aerospike_set)
        query.where(predicate)
        assert _values(query, "i") == expected


def test_query_returns_user_keys_stored_with_the_record(
    client, fill, make_index, aerospike_set
):
    fill(8, lambda i: {"v": i}, policy={"key": aerospike_py.POLICY_KEY_SEND})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.where(p.between("v", 2, 4))
    assert sorted(r.key.user_key for r in query.results()) == [2, 3, 4]


def test_select_with_where_returns_only_the_selected_bins(
    client, fill, make_index, aerospike_set
):
    fill(10, lambda i: {"v": i, "w": i * 10, "x": "skip"})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.select("w")
    query.where(p.between("v", 0, 2))
    assert sorted(r.bins["w"] for r in query.results()) == [0, 10, 20]
    assert all(set(r.bins) == {"w"} for r in query.results())


def test_select_and_where_chain_like_the_official_client(
    client, fill, make_index, aerospike_set
):
    fill(10, lambda i: {"v": i, "w": i * 10})
    make_index("integer", "v")

    query = client.query("test", aerospike_set).select("w").where(p.between("v", 5, 6))

    assert sorted(r.bins["w"] for r in query.results()) == [50, 60]


def test_contains_and_range_on_a_list_index(client, fill, make_index, aerospike_set):
    fill(10, lambda i: {"v": i, "l": [i, i + 1, "word"]})
    make_index("list", "l", None, aerospike_py.INDEX_NUMERIC)
    query = client.query("test", aerospike_set)
    query.where(p.contains("l", aerospike_py.INDEX_TYPE_LIST, 5))
    assert _values(query) == [4, 5]
    query = client.query("test", aerospike_set)
    query.where(p.range("l", aerospike_py.INDEX_TYPE_LIST, 5, 7))
    assert _values(query) == [4, 5, 6, 7]  # each record once


def test_contains_on_map_keys_and_map_values(client, fill, make_index, aerospike_set):
    fill(6, lambda i: {"v": i, "m": {f"k{i % 3}": f"val{i % 2}", "fixed": "z"}})
    make_index("map_keys", "m", "mk", aerospike_py.INDEX_STRING)
    make_index("map_values", "m", "mv", aerospike_py.INDEX_STRING)
    query = client.query("test", aerospike_set)
    query.where(p.contains("m", aerospike_py.INDEX_TYPE_MAPKEYS, "k1"))
    assert _values(query) == [1, 4]
    query = client.query("test", aerospike_set)
    query.where(p.contains("m", aerospike_py.INDEX_TYPE_MAPVALUES, "val1"))
    assert _values(query) == [1, 3, 5]


def test_numeric_map_values_range(client, fill, make_index, aerospike_set):
    fill(8, lambda i: {"v": i, "scores": {"a": i, "b": 100 + i}})
    make_index("map_values", "scores", None, aerospike_py.INDEX_NUMERIC)
    query = client.query("test", aerospike_set)
    query.where(p.range("scores", aerospike_py.INDEX_TYPE_MAPVALUES, 105, 106))
    assert _values(query) == [5, 6]


def test_integer_index_ignores_values_of_other_types(client, make_index, aerospike_set):
    for i, value in enumerate([1, "1", 1.0, True, [1], 2]):
        client.put(("test", aerospike_set, i), {"v": value, "i": i})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.where(p.between("v", 0, 5))
    assert _values(query, "i") == [0, 5]


def test_index_on_a_nested_value_through_a_context(client, make_index, aerospike_set):
    map_key = cdt_ctx.cdt_ctx_map_key("inner")
    for i in range(6):
        client.put(("test", aerospike_set, i), {"v": i, "doc": {"inner": i * 2}})
    make_index("integer", "doc", "ctx", ctx=[map_key])
    query = client.query("test", aerospike_set)
    query.where(p.between("doc", 4, 8, ctx=[map_key]))
    assert _values(query) == [2, 3, 4]


def test_list_items_of_a_nested_list_through_a_list_index_context(
    client, make_index, aerospike_set
):
    first = cdt_ctx.cdt_ctx_list_index(0)
    for i in range(5):
        client.put(("test", aerospike_set, i), {"v": i, "rows": [[i, 100 + i], [7]]})
    name = make_index(
        "integer", "rows", "rows", index_type=aerospike_py.INDEX_TYPE_LIST, ctx=[first]
    )
    query = client.query("test", aerospike_set)
    query.where(p.contains("rows", aerospike_py.INDEX_TYPE_LIST, 103, ctx=[first]))
    assert _values(query) == [3]
    listed = client.info_random_node("sindex-list:namespace=test")
    assert f"indexname={name}:" in listed
    assert "context=[list_index(0)]" in listed


# -- geospatial ------------------------------------------------------------------

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]],
}


def _point(lng, lat):
    return aerospike_py.GeoJSON(f'{{"type":"Point","coordinates":[{lng},{lat}]}}')


def test_geo_within_region_and_radius(client, make_index, aerospike_set):
    points = {"in": (5, 5), "edge_in": (9.9, 0.1), "out": (11, 5), "far": (-120, 40)}
    for name, (lng, lat) in points.items():
        client.put(("test", aerospike_set, name), {"loc": _point(lng, lat), "n": name})
    make_index("geo2dsphere", "loc")
    query = client.query("test", aerospike_set)
    query.where(p.geo_within_geojson_region("loc", SQUARE))
    assert _values(query, "n") == ["edge_in", "in"]
    query = client.query("test", aerospike_set)
    # One degree of latitude is about 111 km.
    query.where(p.geo_within_radius("loc", 5.5, 5.0, 60_000))
    assert _values(query, "n") == ["in"]


def test_geo_contains_point_finds_regions(client, make_index, aerospike_set):
    circle = '{"type":"AeroCircle","coordinates":[[-122.0,37.0],1000]}'
    regions = {
        "square": aerospike_py.GeoJSON(str(SQUARE).replace("'", '"')),
        "circle": aerospike_py.GeoJSON(circle),
        "point": _point(5, 5),
    }
    for name, region in regions.items():
        client.put(("test", aerospike_set, name), {"area": region, "n": name})
    make_index("geo2dsphere", "area")
    query = client.query("test", aerospike_set)
    query.where(p.geo_contains_point("area", 5.0, 5.0))
    assert _values(query, "n") == ["square"]
    query = client.query("test", aerospike_set)
    query.where(p.geo_contains_geojson_point("area", str(_point(-122.0, 37.005))))
    assert _values(query, "n") == ["circle"]


# -- index maintenance -----------------------------------------------------------


def test_index_follows_updates_and_deletes(client, fill, make_index, aerospike_set):
    keys = fill(5, lambda i: {"v": i})
    make_index("integer", "v")

    def in_range():
        query = client.query("test", aerospike_set)
        query.where(p.between("v", 0, 10))
        return _values(query)

    assert in_range() == [0, 1, 2, 3, 4]
    client.put(keys[0], {"v": 50})
    client.remove(keys[1])
    client.remove_bin(keys[2], ["v"])
    client.put(("test", aerospike_set, "new"), {"v": 7})
    assert in_range() == [3, 4, 7]


def test_index_built_over_existing_records(client, fill, make_index, aerospike_set):
    fill(20, lambda i: {"v": i})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.where(p.equals("v", 13))
    assert _values(query) == [13]


def test_expired_records_leave_the_index(client, server, make_index, aerospike_set):
    client.put(("test", aerospike_set, "short"), {"v": 1}, meta={"ttl": 50})
    client.put(("test", aerospike_set, "long"), {"v": 2})
    name = make_index("integer", "v")
    server.advance_clock(51)
    try:
        query = client.query("test", aerospike_set)
        query.where(p.between("v", 0, 9))
        assert _values(query) == [2]
    finally:
        server.advance_clock(-51)
    stat = client.info_random_node(f"sindex-stat:namespace=test;indexname={name}")
    assert "entries=1;" in stat


def test_truncate_empties_the_index(client, fill, make_index, aerospike_set):
    fill(5, lambda i: {"v": i})
    name = make_index("integer", "v")
    client.truncate("test", aerospike_set)
    query = client.query("test", aerospike_set)
    query.where(p.between("v", 0, 9))
    assert query.results() == []
    stat = client.info_random_node(f"sindex-stat:namespace=test;indexname={name}")
    assert stat.startswith("entries=0;")


def test_namespace_wide_index_serves_a_set_query(client, fill, aerospike_set, indexes):
    fill(6, lambda i: {"nsv": i})
    name = f"{aerospike_set[-40:]}_nsv"
    client.index_integer_create("test", None, "nsv", name)
    indexes.append(("test", name))
    query = client.query("test", aerospike_set)
    query.where(p.between("nsv", 2, 3))
    assert _values(query, "nsv") == [2, 3]


def test_max_records_and_partition_filter_apply_to_index_queries(
    client, fill, make_index, aerospike_set
):
    fill(40, lambda i: {"v": i})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.where(p.between("v", 0, 100))
    assert len(query.results({"max_records": 9})) == 9
    halves = [
        aerospike_py.partition_filter_by_range(0, 2048),
        aerospike_py.partition_filter_by_range(2048, 2048),
    ]
    seen = []
    for half in halves:
        seen += [r.bins["v"] for r in query.results({"partition_filter": half})]
    assert sorted(seen) == list(range(40))


def test_expression_filter_on_an_index_query(client, fill, make_index, aerospike_set):
    fill(20, lambda i: {"v": i, "even": i % 2 == 0})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.where(p.between("v", 5, 12))
    policy = {"expressions": exp.eq(exp.bool_bin("even"), exp.bool_val(True))}
    assert _values(query, policy=policy) == [6, 8, 10, 12]


def test_foreach_over_an_index_query(client, fill, make_index, aerospike_set):
    fill(15, lambda i: {"v": i})
    make_index("integer", "v")
    query = client.query("test", aerospike_set)
    query.where(p.between("v", 3, 9))
    seen = []
    query.foreach(lambda r: seen.append(r.bins["v"]))
    assert sorted(seen) == [3, 4, 5, 6, 7, 8, 9]


# -- errors ----------------------------------------------------------------------


def test_query_without_a_matching_index_raises_index_not_found(
    client, fill, make_index, aerospike_set
):
    fill(3, lambda i: {"v": i, "s": "a"})
    make_index("integer", "v")
    cases = [
        (p.equals("nope", 1), "'nope'", "index_integer_create"),
        (p.equals("v", "text"), "'v'", "index_string_create"),
        (p.equals("s", "a"), "'s'", "index_string_create"),
    ]
    for predicate, bin_name, creator in cases:
        query = client.query("test", aerospike_set)
        query.where(predicate)
        with pytest.raises(IndexNotFound) as info:
            query.results()
        assert info.value.code == 201
        message = str(info.value)
        assert f"bin {bin_name} of test.{aerospike_set}" in message
        assert creator in message


def test_creating_an_index_again_is_fine_but_a_new_definition_is_refused(
    client, make_index, aerospike_set, index_name
):
    name = make_index("integer", "v")
    client.index_integer_create("test", aerospike_set, "v", name)
    with pytest.raises(IndexFoundError) as info:
        client.index_string_create("test", aerospike_set, "v", name)
    assert info.value.code == 200


def test_removed_index_is_gone_and_removing_again_raises(
    client, fill, aerospike_set, index_name
):
    fill(2, lambda i: {"v": i})
    name = index_name("gone")
    client.index_integer_create("test", aerospike_set, "v", name)
    client.index_remove("test", name)
    assert (
        client.info_random_node(
            f"sindex-exists:namespace=test;indexname={name}"
        ).strip()
        == "false"
    )
    query = client.query("test", aerospike_set)
    query.where(p.equals("v", 1))
    with pytest.raises(IndexNotFound):
        query.results()
    with pytest.raises(IndexNotFound):
        client.index_remove("test", name)


def test_creating_an_index_in_an_unknown_namespace_raises(client, index_name):
    with pytest.raises(ServerError) as info:
        client.index_integer_create("nosuchns", "demo", "v", index_name("x"))
    assert info.value.code == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("test", "s", "b" * 16, "idx"), "bin name"),
        (("test", "s", "v", "i" * 64), "index name"),
        (("test", "s", "v", "bad;name"), "index name"),
        (("test", "s" * 64, "v", "idx"), "set name"),
        (("", "s", "v", "idx"), "namespace"),
    ],
)
def test_index_create_refuses_bad_names(client, args, message):
    with pytest.raises(InvalidArgError, match=message):
        client.index_integer_create(*args)


def test_index_create_refuses_a_bad_index_type(client):
    with pytest.raises(InvalidArgError, match="index_type"):
        client.index_integer_create("test", "s", "v", "idx", index_type=9)
    with pytest.raises(InvalidArgError, match="datatype"):
        client.index_list_create("test", "s", "v", 7, "idx")


def test_where_twice_is_refused(client, aerospike_set):
    query = client.query("test", aerospike_set)
    query.where(p.equals("v", 1))
    with pytest.raises(InvalidArgError, match="already"):
        query.where(p.equals("v", 2))


@pytest.mark.parametrize(
    "predicate",
    [
        ("equals",),
        ("nope", "v", 1),
        ["equals", "v", 1],
        ("equals", "v", 1, 2, 3),
        ("equals", "v", 1.5),
        ("equals", "v", True),
        ("contains", "v", 1, None),
    ],
)
def test_where_refuses_malformed_predicates(client, aerospike_set, predicate):
    with pytest.raises(InvalidArgError, match="predicate"):
        client.query("test", aerospike_set).where(predicate)
