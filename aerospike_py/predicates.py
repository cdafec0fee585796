"""Secondary-index filters for ``Query.where``.

Each builder checks its arguments and returns a plain tuple naming the
filter, which ``where`` turns into the query's index range::

    query = client.query("test", "users")
    query.where(predicates.between("age", 18, 65))

``equals``, ``between`` and ``contains`` / ``range`` (list, map-key and
map-value indexes) need a numeric, string or blob index on the bin; the
``geo_*`` filters need a geo2dsphere index. A ``ctx`` (a list of
``aerospike_py.cdt_ctx`` items) queries an index built on a value nested in
the bin; it is added to the tuple only when given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from aerospike_py import _constants as C
from aerospike_py._cdt import CDTContext, pack_ctx
from aerospike_py._ops import check_bin_name
from aerospike_py.exception import InvalidArgError

__all__ = [
    "between",
    "contains",
    "equals",
    "geo_contains_geojson_point",
    "geo_contains_point",
    "geo_within_geojson_region",
    "geo_within_radius",
    "range",
]

Predicate = tuple[Any, ...]
Context = Sequence[CDTContext] | None

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

INDEX_TYPES = {
    C.INDEX_TYPE_DEFAULT: "INDEX_TYPE_DEFAULT",
    C.INDEX_TYPE_LIST: "INDEX_TYPE_LIST",
    C.INDEX_TYPE_MAPKEYS: "INDEX_TYPE_MAPKEYS",
    C.INDEX_TYPE_MAPVALUES: "INDEX_TYPE_MAPVALUES",
}
_REGION_TYPES = ("Polygon", "MultiPolygon", "AeroCircle")


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgError(
            f"{name} must be an int, not {type(value).__name__} ({value!r:.40})"
        )
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidArgError(f"{name} {value} does not fit in a signed 64-bit value")
    return int(value)


def _scalar(value: Any) -> int | str | bytes:
    """An equality value: an int, a str or bytes."""
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _integer("the value", value)
    raise InvalidArgError(
        f"an index filter value must be int, str or bytes, not "
        f"{type(value).__name__} ({value!r:.40})"
    )


def _index_type(value: Any) -> int:
    if isinstance(value, bool) or value not in INDEX_TYPES:
        options = ", ".join(f"{name} ({code})" for code, name in INDEX_TYPES.items())
        raise InvalidArgError(f"index_type is {value!r}; allowed: {options}")
    return int(value)


def _bounds(min_val: Any, max_val: Any) -> tuple[int, int]:
    low = _integer("min_val", min_val)
    high = _integer("max_val", max_val)
    if low > high:
        raise InvalidArgError(f"min_val {low} is greater than max_val {high}")
    return low, high


def _with_ctx(predicate: Predicate, ctx: Context) -> Predicate:
    if not ctx:
        return predicate
    contexts = list(ctx)
    pack_ctx(contexts)  # refuses items that are not CDT contexts
    return (*predicate, contexts)


def equals(bin_name: str, val: int | str | bytes, *, ctx: Context = None) -> Predicate:
    """Records whose bin equals ``val`` (an int, str or bytes)."""
    return _with_ctx(("equals", check_bin_name(bin_name), _scalar(val)), ctx)


def between(
    bin_name: str, min_val: int, max_val: int, *, ctx: Context = None
) -> Predicate:
    """Records whose integer bin lies in ``[min_val, max_val]``."""
    low, high = _bounds(min_val, max_val)
    return _with_ctx(("between", check_bin_name(bin_name), low, high), ctx)


def contains(
    bin_name: str, index_type: int, val: int | str | bytes, *, ctx: Context = None
) -> Predicate:
    """Records whose list / map keys / map values hold ``val``.

    ``index_type`` is ``INDEX_TYPE_LIST``, ``INDEX_TYPE_MAPKEYS`` or
    ``INDEX_TYPE_MAPVALUES`` (``INDEX_TYPE_DEFAULT`` acts as ``equals``).
    """
    predicate = (
        "contains",
        check_bin_name(bin_name),
        _index_type(index_type),
        _scalar(val),
    )
    return _with_ctx(predicate, ctx)


def range(
    bin_name: str, index_type: int, min_val: int, max_val: int, *, ctx: Context = None
) -> Predicate:
    """Records whose collection holds an integer in ``[min_val, max_val]``."""
    low, high = _bounds(min_val, max_val)
    predicate = ("range", check_bin_name(bin_name), _index_type(index_type), low, high)
    return _with_ctx(predicate, ctx)


# -- geospatial -------------------------------------------------------------------


def _geojson(value: Any, wanted: tuple[str, ...], what: str) -> str:
    """A GeoJSON text whose (feature's) geometry type is one of ``wanted``."""
    if isinstance(value, Mapping):
        text = json.dumps(value)
    elif isinstance(value, str):
        text = str(value)
    else:
        raise InvalidArgError(
            f"{what} must be a GeoJSON str or dict, not {type(value).__name__}"
        )
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidArgError(f"{what} is not valid JSON: {exc}") from None
    geometry = document.get("geometry") if isinstance(document, dict) else None
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = geometry
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in wanted:
        raise InvalidArgError(
            f"{what} must be a GeoJSON {' or '.join(wanted)}, not {kind!r}"
        )
    return text


def _coordinate(name: str, value: Any, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgError(f"{name} must be a number, not {type(value).__name__}")
    number = float(value)
    if not -limit <= number <= limit:
        raise InvalidArgError(f"{name} {number} is outside -{limit:g}..{limit:g}")
    return number


def _lat_lng(lat: Any, lng: Any) -> tuple[float, float]:
    return _coordinate("lat", lat, 90.0), _coordinate("lng", lng, 180.0)


def _geo(predicate: Predicate, index_type: int, ctx: Context) -> Predicate:
    index_type = _index_type(index_type)
    if index_type == C.INDEX_TYPE_DEFAULT and not ctx:
        return predicate
    return _with_ctx((*predicate, index_type), ctx)


def geo_within_geojson_region(
    bin_name: str,
    geojson: str | Mapping[str, Any],
    *,
    index_type: int = C.INDEX_TYPE_DEFAULT,
    ctx: Context = None,
) -> Predicate:
    """Points inside a GeoJSON Polygon, MultiPolygon or AeroCircle."""
    region = _geojson(geojson, _REGION_TYPES, "the region")
    predicate = ("geo_within_geojson_region", check_bin_name(bin_name), region)
    return _geo(predicate, index_type, ctx)


def geo_within_radius(
    bin_name: str,
    lat: float,
    lng: float,
    radius: float,
    *,
    index_type: int = C.INDEX_TYPE_DEFAULT,
    ctx: Context = None,
) -> Predicate:
    """Points within ``radius`` metres of a latitude / longitude."""
    lat_value, lng_value = _lat_lng(lat, lng)
    if isinstance(radius, bool) or not isinstance(radius, (int, float)):
        raise InvalidArgError(
            f"radius must be a number of metres, not {type(radius).__name__}"
        )
    if not math.isfinite(radius) or radius < 0:
        raise InvalidArgError(f"radius must be a finite distance >= 0, not {radius}")
    predicate = (
        "geo_within_radius",
        check_bin_name(bin_name),
        lat_value,
        lng_value,
        float(radius),
    )
    return _geo(predicate, index_type, ctx)


def geo_contains_geojson_point(
    bin_name: str,
    geojson: str | Mapping[str, Any],
    *,
    index_type: int = C.INDEX_TYPE_DEFAULT,
    ctx: Context = None,
) -> Predicate:
    """Regions (stored GeoJSON) that contain a GeoJSON Point."""
    text = _geojson(geojson, ("Point",), "the point")
    predicate = ("geo_contains_geojson_point", check_bin_name(bin_name), text)
    return _geo(predicate, index_type, ctx)


def geo_contains_point(
    bin_name: str,
    lat: float,
    lng: float,
    *,
    index_type: int = C.INDEX_TYPE_DEFAULT,
    ctx: Context = None,
) -> Predicate:
    """Regions (stored GeoJSON) that contain a latitude / longitude."""
    lat_value, lng_value = _lat_lng(lat, lng)
    predicate = ("geo_contains_point", check_bin_name(bin_name), lat_value, lng_value)
    return _geo(predicate, index_type, ctx)
