"""Spherical geometry of the server's geo2dsphere matching."""

from __future__ import annotations

import json

import pytest

from aerospike_py.server import geo


def _point(lng, lat):
    return geo.parse(json.dumps({"type": "Point", "coordinates": [lng, lat]}))


def _polygon(*rings):
    return geo.parse(json.dumps({"type": "Polygon", "coordinates": list(rings)}))


SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]


@pytest.mark.parametrize("ring", [SQUARE, SQUARE[::-1]])
def test_polygon_contains_points_whatever_the_vertex_order(ring):
    square = _polygon(ring)
    assert geo.matches(_point(5, 5), square)
    assert not geo.matches(_point(11, 5), square)
    assert not geo.matches(_point(-175, -5), square)


def test_edges_are_great_circles_not_lines_of_latitude():
    # The top edge from (10, 10) to (0, 10) bows north of latitude 10: its
    # middle is at atan(tan(10 deg) / cos(5 deg)) = 10.037 deg.
    square = _polygon(SQUARE)
    assert geo.matches(_point(5, 10.03), square)
    assert not geo.matches(_point(5, 10.045), square)


def test_holes_are_outside():
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    shape = _polygon(SQUARE, hole)
    assert not geo.matches(_point(5, 5), shape)
    assert geo.matches(_point(2, 2), shape)


def test_polygon_across_the_antimeridian():
    ring = [[170, -10], [-170, -10], [-170, 10], [170, 10], [170, -10]]
    shape = _polygon(ring)
    assert geo.matches(_point(180, 0), shape)
    assert geo.matches(_point(-175, 0), shape)
    assert not geo.matches(_point(0, 0), shape)


def test_circle_radius_is_metres_on_the_earth():
    circle = geo.parse('{"type":"AeroCircle","coordinates":[[-122.0,37.0],1000]}')
    assert geo.matches(_point(-122.0, 37.0089), circle)  # about 990 m north
    assert not geo.matches(_point(-122.0, 37.0091), circle)  # about 1012 m


def test_points_only_match_regions_and_regions_only_match_points():
    square = _polygon(SQUARE)
    assert geo.matches(square, _point(5, 5))  # a region containing the point
    assert not geo.matches(_point(5, 5), _point(5, 5))
    assert not geo.matches(square, square)


def test_feature_and_multipolygon():
    far = [[50, 50], [51, 50], [51, 51], [50, 51], [50, 50]]
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE], [far]]}
    feature = geo.parse(json.dumps({"type": "Feature", "geometry": multi}))
    assert geo.matches(_point(50.5, 50.5), feature)
    assert geo.matches(_point(1, 1), feature)
    assert not geo.matches(_point(30, 30), feature)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "failed to parse"),
        ('{"type":"Point"}', "missing coordinates"),
        ('{"type":"Point","coordinates":[1,95]}', "invalid latitude"),
        ('{"type":"Line","coordinates":[]}', "unknown top-level type"),
        ('{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}', "less than 4"),
        ('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}', "not closed"),
    ],
)
def test_bad_geojson_is_refused(text, message):
    with pytest.raises(geo.GeoError, match=message):
        geo.parse(text)


@pytest.mark.parametrize(
    "text",
    ['{"type":"Bogus"}', "not json", '{"type":"Point","coordinates":[1]}'],
)
def test_writing_invalid_geojson_is_refused_with_160(client, aerospike_set, text):
    import aerospike_py

    key = ("test", aerospike_set, "geo")
    client.put(key, {"g": aerospike_py.GeoJSON('{"type":"Point","coordinates":[1,2]}')})
    with pytest.raises(aerospike_py.exception.ServerError) as info:
        client.put(key, {"g": aerospike_py.GeoJSON(text)})
    assert info.value.code == 160
    assert client.get(key).bins["g"] == '{"type":"Point","coordinates":[1,2]}'
