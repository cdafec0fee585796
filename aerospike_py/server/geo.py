"""GeoJSON shapes on the sphere, for geo2dsphere indexes and queries.

The server answers two kinds of geo query (aerospike-server
as/src/base/particle_geojson.c, ``as_geojson_match``): points *within* a
region, and regions *containing* a point. Regions are Polygon,
MultiPolygon and the Aerospike circle ``{"type": "AeroCircle",
"coordinates": [[lng, lat], radius_m]}``; a "Feature" wraps any of them.

Geometry is spherical, as S2 does it (as/src/geospatial/geojson.cc):
coordinates become unit vectors, polygon edges are great-circle arcs, and
each loop is normalized so that its interior is the side smaller than a
hemisphere (so vertex order does not matter). A polygon's holes are loops
nested in its shell: a point is inside when an odd number of loops contain
it. A circle is a cap whose angle is the radius over the earth's radius.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

EARTH_RADIUS_M = 6371000.0  # the namespace default (as/src/base/namespace.c)

Vector = tuple[float, float, float]


class GeoError(ValueError):
    """A GeoJSON text the server cannot use."""


# -- vector helpers ----------------------------------------------------------


def _dot(a: Vector, b: Vector) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Vector, b: Vector) -> Vector:
    return (
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    )


def _norm(a: Vector) -> float:
    return math.sqrt(_dot(a, a))


def _unit(a: Vector) -> Vector:
    length = _norm(a)
    return (a[0] / length, a[1] / length, a[2] / length)


def _orientation(a: Vector, b: Vector, c: Vector) -> int:
    """+1 when a, b, c turn counter-clockwise seen from outside, -1 or 0."""
    det = _dot(_cross(a, b), c)
    return (det > 0) - (det < 0)


def _angle(a: Vector, b: Vector) -> float:
    return math.atan2(_norm(_cross(a, b)), _dot(a, b))


def point_from_degrees(lat: float, lng: float) -> Vector:
    """The unit vector of a latitude / longitude in degrees."""
    phi = math.radians(lat)
    theta = math.radians(lng)
    return (
        math.cos(phi) * math.cos(theta),
        math.cos(phi) * math.sin(theta),
        math.sin(phi),
    )


def _arcs_cross(a: Vector, b: Vector, c: Vector, d: Vector) -> bool:
    """True when arc ab crosses arc cd at a point inside both.

    The four triangles acb, bda, cbd and dac all turn the same way exactly
    when the arcs cross (and not their antipodal continuations).
    """
    acb = -_orientation(a, b, c)
    if acb == 0 or _orientation(a, b, d) != acb:
        return False
    return -_orientation(c, d, b) == acb and _orientation(c, d, a) == acb


# -- shapes ------------------------------------------------------------------


class Point:
    """A GeoJSON Point."""

    __slots__ = ("vector",)

    is_region = False

    def __init__(self, vector: Vector) -> None:
        self.vector = vector


class Loop:
    """A closed ring of great-circle edges, interior the smaller side."""

    __slots__ = ("_inverted", "_reference", "vertices")

    def __init__(self, vertices: list[Vector]) -> None:
        self.vertices = vertices
        # Gauss-Bonnet: the left side's area is 2*pi minus the turning
        # angle, so a negative turn means the left side is the bigger one.
        self._inverted = self._turning_angle() < 0
        self._reference = self._left_reference()

    def _turning_angle(self) -> float:
        total = 0.0
        count = len(self.vertices)
        for index in range(count):
            a = self.vertices[index - 1]
            b = self.vertices[index]
            c = self.vertices[(index + 1) % count]
            before = _cross(a, b)
            after = _cross(b, c)
            total += math.atan2(_dot(_cross(before, after), b), _dot(before, after))
        return total

    def _left_reference(self) -> Vector:
        """A point just left of the first edge, so on the left side."""
        a, b = self.vertices[0], self.vertices[1]
        middle = _unit((a[0] + b[0], a[1] + b[1], a[2] + b[2]))
        left = _unit(_cross(a, b))
        step = 1e-9
        return _unit(
            (
                middle[0] + step * left[0],
                middle[1] + step * left[1],
                middle[2] + step * left[2],
            )
        )

    def _crossings(self, start: Vector, end: Vector) -> int:
        vertices = self.vertices
        count = 0
        for index in range(len(vertices)):
            if _arcs_cross(start, end, vertices[index - 1], vertices[index]):
                count += 1
        return count

    def contains(self, point: Vector) -> bool:
        reference = self._reference
        if _dot(reference, point) > -0.5:
            crossings = self._crossings(reference, point)
        else:
            # A long arc is split so that no piece comes near 180 degrees.
            middle = _unit(_orthogonal(reference))
            crossings = self._crossings(reference, middle) + self._crossings(
                middle, point
            )
        on_left = crossings % 2 == 0
        return on_left != self._inverted


def _orthogonal(a: Vector) -> Vector:
    axis: Vector = (1.0, 0.0, 0.0) if abs(a[0]) < 0.6 else (0.0, 1.0, 0.0)
    return _cross(a, axis)


class Polygon:
    """A shell and its holes: inside an odd number of loops."""

    __slots__ = ("loops",)

    is_region = True

    def __init__(self, loops: list[Loop]) -> None:
        self.loops = loops

    def contains(self, point: Vector) -> bool:
        inside = False
        for loop in self.loops:
            if loop.contains(point):
                inside = not inside
        return inside


class MultiPolygon:
    """The union of polygons."""

    __slots__ = ("polygons",)

    is_region = True

    def __init__(self, polygons: list[Polygon]) -> None:
        self.polygons = polygons

    def contains(self, point: Vector) -> bool:
        return any(polygon.contains(point) for polygon in self.polygons)


class Cap:
    """An AeroCircle: every point within an angle of the center."""

    __slots__ = ("angle", "center")

    is_region = True

    def __init__(self, center: Vector, angle: float) -> None:
        self.center = center
        self.angle = angle

    def contains(self, point: Vector) -> bool:
        return _angle(self.center, point) <= self.angle


Region = Polygon | MultiPolygon | Cap
Shape = Point | Region


# -- parsing -----------------------------------------------------------------


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GeoError(f"{what} not numeric value")
    return float(value)


def _vector(coordinates: Any) -> Vector:
    if coordinates is None:
        raise GeoError("missing coordinates")
    if not isinstance(coordinates, list):
        raise GeoError("coordinates are not array")
    if len(coordinates) != 2:
        raise GeoError(f"expected 2 coordinates, saw {len(coordinates)}")
    lng = _number(coordinates[0], "longitude")
    lat = _number(coordinates[1], "latitude")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        raise GeoError("invalid latitude-longitude")
    return point_from_degrees(lat, lng)


def _loop(ring: Any) -> Loop:
    if ring is None:
        raise GeoError("missing vertices")
    if not isinstance(ring, list):
        raise GeoError("vertices are not array")
    points: list[Vector] = []
    for coordinates in ring:
        vector = _vector(coordinates)
        if not points or points[-1] != vector:
            points.append(vector)
    if len(points) < 4:
        raise GeoError("loop contains less than 4 points")
    if points[0] != points[-1]:
        raise GeoError("loop not closed")
    return Loop(points[:-1])


def _polygon(rings: Any) -> Polygon:
    if rings is None:
        raise GeoError("missing polygon body")
    if not isinstance(rings, list):
        raise GeoError("polygon body is not array")
    return Polygon([_loop(ring) for ring in rings])


def _parse_point(coordinates: Any) -> Shape:
    return Point(_vector(coordinates))


def _parse_polygon(coordinates: Any) -> Shape:
    if coordinates is None:
        raise GeoError("missing coordinates")
    return _polygon(coordinates)


def _parse_multipolygon(coordinates: Any) -> Shape:
    if coordinates is None:
        raise GeoError("missing coordinates")
    if not isinstance(coordinates, list):
        raise GeoError("coordinates are not array")
    return MultiPolygon([_polygon(body) for body in coordinates])


def _parse_circle(coordinates: Any) -> Shape:
    if coordinates is None:
        raise GeoError("missing coordinates")
    if not isinstance(coordinates, list):
        raise GeoError("coordinates are not array")
    if len(coordinates) != 2:
        raise GeoError("malformed circle coordinate array")
    center = _vector(coordinates[0])
    radius = _number(coordinates[1], "radius")
    return Cap(center, radius / EARTH_RADIUS_M)


_GEOMETRIES: dict[str, Callable[[Any], Shape]] = {
    "Point": _parse_point,
    "Polygon": _parse_polygon,
    "MultiPolygon": _parse_multipolygon,
    "AeroCircle": _parse_circle,
}


def _geometry(element: Any, where: str) -> Shape:
    if not isinstance(element, dict):
        raise GeoError(f"{where} is not object")
    kind = element.get("type")
    if kind is None:
        raise GeoError(f"missing {where} type")
    if not isinstance(kind, str):
        raise GeoError(f"{where} type is not string")
    parse = _GEOMETRIES.get(kind)
    if parse is None:
        raise GeoError(f"unknown {where} type: {kind}")
    return parse(element.get("coordinates"))


@lru_cache(maxsize=4096)
def parse(text: str) -> Shape:
    """Return the shape of a GeoJSON text; GeoError if it has none."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise GeoError(f"failed to parse geojson: {exc}") from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        return _geometry(document.get("geometry"), "geometry")
    return _geometry(document, "top-level")


def matches(candidate: Shape, query: Shape) -> bool:
    """True when a stored shape answers a query shape.

    A query point asks for regions containing it; a query region asks for
    points inside it. A point never answers a point, nor a region a region.
    """
    if isinstance(query, Point):
        return candidate.is_region and _contains(candidate, query.vector)
    return isinstance(candidate, Point) and _contains(query, candidate.vector)


def _contains(region: Shape, point: Vector) -> bool:
    if isinstance(region, Point):
        return False
    return region.contains(point)
