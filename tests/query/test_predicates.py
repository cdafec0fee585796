"""Predicate builders: the tuples they return and the input they refuse."""

from __future__ import annotations

import json

import pytest

import aerospike_py
from aerospike_py import cdt_ctx
from aerospike_py import predicates as p
from aerospike_py.exception import InvalidArgError

LIST = aerospike_py.INDEX_TYPE_LIST


def test_builders_return_the_documented_tuples():
    assert p.equals("a", 5) == ("equals", "a", 5)
    assert p.equals("a", "x") == ("equals", "a", "x")
    assert p.equals("a", bytearray(b"x")) == ("equals", "a", b"x")
    assert p.between("a", -1, 9) == ("between", "a", -1, 9)
    assert p.contains("l", LIST, "x") == ("contains", "l", LIST, "x")
    assert p.range("l", LIST, 1, 2) == ("range", "l", LIST, 1, 2)
    assert p.geo_within_radius("g", 37.5, -122.0, 100) == (
        "geo_within_radius",
        "g",
        37.5,
        -122.0,
        100.0,
    )
    assert p.geo_contains_point("g", 1, 2) == ("geo_contains_point", "g", 1.0, 2.0)


def test_geo_region_accepts_a_dict_or_text():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    kind, bin_name, text = p.geo_within_geojson_region("g", square)
    assert (kind, bin_name, json.loads(text)) == (
        "geo_within_geojson_region",
        "g",
        square,
    )
    point = '{"type": "Point", "coordinates": [1, 2]}'
    assert p.geo_contains_geojson_point("g", point)[2] == point


def test_index_type_and_ctx_are_appended_only_when_given():
    ctx = [cdt_ctx.cdt_ctx_map_key("k")]
    assert p.equals("a", 1, ctx=ctx) == ("equals", "a", 1, ctx)
    circle = p.geo_within_radius("g", 0, 0, 5, index_type=LIST)
    assert circle[-1] == LIST


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: p.equals("a", 1.5), "int, str or bytes"),
        (lambda: p.equals("a", True), "int, str or bytes"),
        (lambda: p.equals("a", 1 << 63), "64-bit"),
        (lambda: p.equals("b" * 16, 1), "bin name"),
        (lambda: p.between("a", 5, 1), "greater than"),
        (lambda: p.between("a", "1", 2), "min_val"),
        (lambda: p.contains("a", 7, 1), "index_type"),
        (lambda: p.range("a", LIST, 1, None), "max_val"),
        (lambda: p.geo_within_geojson_region("g", "{not json"), "JSON"),
        (lambda: p.geo_within_geojson_region("g", '{"type":"Point"}'), "Polygon"),
        (lambda: p.geo_contains_geojson_point("g", '{"type":"Polygon"}'), "Point"),
        (lambda: p.geo_within_radius("g", 91, 0, 1), "lat"),
        (lambda: p.geo_within_radius("g", 0, 181, 1), "lng"),
        (lambda: p.geo_within_radius("g", 0, 0, -5), "radius"),
        (lambda: p.geo_contains_point("g", "0", 0), "lat"),
        (lambda: p.equals("a", 1, ctx=["not a ctx"]), "ctx"),
    ],
)
def test_bad_arguments_raise_invalid_arg_error(build, message):
    with pytest.raises(InvalidArgError, match=message):
        build()
