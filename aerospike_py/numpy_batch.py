"""NumPy views of batch reads, and batch writes from structured arrays.

Needs the ``numpy`` extra (``pip install "aerospike-py-toolkit[numpy]"``);
``import aerospike_py`` does not, so numpy is imported only when used.

A structured dtype describes the bins: each field is the bin of the same
name. Allowed field kinds are signed and unsigned integers (``i``, ``u``),
floats (``f``), fixed-size bytes (``S``), raw void (``V``) and sub-arrays of
those, which travel as blobs of their raw bytes. Unicode (``U``) and
object (``O``) fields are refused: no single Aerospike type holds them.

    dtype = np.dtype([("_key", "i8"), ("score", "f8"), ("hits", "u4")])
    client.batch_write_numpy(data, "test", "scores", dtype)
    result = client.batch_read(keys, _dtype=dtype)
    result.batch_records["score"][result.result_codes == 0]
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from aerospike_py.exception import ClientError, InvalidArgError
from aerospike_py.types import BatchRecord

__all__ = ["NumpyBatchRecords"]

META_DTYPE = [("gen", "u4"), ("ttl", "u4")]
_BIN_KINDS = frozenset("iufSV")
_KEY_KINDS = frozenset("iuSU")


def _numpy() -> ModuleType:
    try:
        import numpy
    except ImportError as exc:
        raise ClientError(
            'NumPy batches need numpy: pip install "aerospike-py-toolkit[numpy]"'
        ) from exc
    return numpy


class NumpyBatchRecords:
    """Batch-read records as structured arrays, one row per requested key.

    ``batch_records`` holds the bins (zeros where a key was not found or
    failed), ``meta`` the generation and TTL, ``result_codes`` each key's
    result: mask with ``result_codes == 0`` to keep the found rows.
    """

    def __init__(
        self, batch_records: Any, meta: Any, result_codes: Any, _map: dict[Any, int]
    ) -> None:
        self.batch_records = batch_records
        self.meta = meta
        self.result_codes = result_codes
        self._map = _map

    def get(self, key: Any) -> Any:
        """Return the row (a ``numpy.void``) of a requested user key."""
        try:
            row = self._map[key]
        except KeyError:
            raise KeyError(key) from None
        return self.batch_records[row]

    def __len__(self) -> int:
        return len(self.batch_records)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.batch_records)

    def __contains__(self, key: object) -> bool:
        return key in self._map

    def __repr__(self) -> str:
        found = int((self.result_codes == 0).sum())
        fields = list(self.batch_records.dtype.names or ())
        return f"NumpyBatchRecords(count={len(self)}, ok={found}, fields={fields})"


# -- dtypes -------------------------------------------------------------------


def _field_dtype(dtype: Any, name: str) -> Any:
    return dtype.fields[name][0]


def _check_kind(dtype: Any, name: str, allowed: frozenset[str]) -> None:
    field = _field_dtype(dtype, name)
    if field.base.kind not in allowed:
        kinds = ", ".join(sorted(allowed))
        raise InvalidArgError(
            f"dtype field {name!r} is {field} (kind {field.base.kind!r}); "
            f"allowed kinds: {kinds} and sub-arrays of them"
        )


def check_dtype(dtype: Any) -> Any:
    """Return ``dtype`` if it is a structured numpy.dtype of allowed fields."""
    np = _numpy()
    if not isinstance(dtype, np.dtype):
        raise InvalidArgError(
            f"dtype must be a numpy.dtype, not {type(dtype).__name__} "
            f"({dtype!r:.60}); wrap a field list in np.dtype(...)"
        )
    if dtype.names is None:
        raise InvalidArgError(
            f"dtype {dtype} has no named fields; give a structured dtype such as "
            "np.dtype([('bin', 'i8')])"
        )
    for name in dtype.names:
        _check_kind(dtype, name, _BIN_KINDS)
    return dtype


# -- batch_read -> arrays -----------------------------------------------------


def _batch_records_to_numpy(
    batch_records_obj: Any,
    dtype: Any,
    keys: Sequence[Any],
    *,
    strict: bool = False,
) -> NumpyBatchRecords:
    """Fill structured arrays from a batch_read result.

    ``keys`` are the user keys of the rows, for ``get``; with ``strict`` a
    missing bin or a value the field cannot hold is warned about.
    """
    np = _numpy()
    dtype = check_dtype(dtype)
    entries: list[BatchRecord] = list(
        getattr(batch_records_obj, "batch_records", batch_records_obj)
    )
    count = len(entries)
    data = np.zeros(count, dtype=dtype)
    meta = np.zeros(count, dtype=META_DTYPE)
    codes = np.zeros(count, dtype=np.int32)
    rows: dict[Any, int] = {}
    for row, entry in enumerate(entries):
        codes[row] = entry.result
        if row < len(keys) and keys[row] is not None:
            rows.setdefault(keys[row], row)
        record = entry.record
        if entry.result or record is None or record.bins is None:
            continue
        if record.meta is not None:
            meta[row] = (record.meta.gen, record.meta.ttl)
        for name in dtype.names:
            value = record.bins.get(name)
            _fill(np, data, row, name, _field_dtype(dtype, name), value, strict)
    return NumpyBatchRecords(data, meta, codes, rows)


def _fill(
    np: ModuleType,
    data: Any,
    row: int,
    name: str,
    field: Any,
    value: Any,
    strict: bool,
) -> None:
    if value is None:
        if strict:
            warnings.warn(f"row {row} has no bin {name!r}", stacklevel=4)
        return
    try:
        data[name][row] = _field_value(np, field, value)
    except (TypeError, ValueError, OverflowError) as exc:
        if strict:
            warnings.warn(
                f"bin {name!r} of row {row} does not fit field {field}: {exc}",
                stacklevel=4,
            )


def _field_value(np: ModuleType, field: Any, value: Any) -> Any:
    """Check that a bin value suits a dtype field; return what to store."""
    if field.shape:
        if not isinstance(value, bytes) or len(value) != field.itemsize:
            raise ValueError(f"a blob of {field.itemsize} bytes is needed")
        return np.frombuffer(value, dtype=field.base).reshape(field.shape)
    kind = field.kind
    if kind in "iu":
        if not isinstance(value, int):
            raise TypeError(f"{type(value).__name__} is not an integer")
        return value
    if kind == "f":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{type(value).__name__} is not a number")
        return value
    if isinstance(value, str) and kind == "S":
        value = value.encode()
    if not isinstance(value, bytes):
        raise TypeError(f"{type(value).__name__} is not bytes")
    if len(value) > field.itemsize or (kind == "V" and len(value) != field.itemsize):
        raise ValueError(f"{len(value)} bytes for a {field.itemsize}-byte field")
    return value


# -- arrays -> batch_write ----------------------------------------------------


def records_from_array(
    data: Any, namespace: str, set_name: str, dtype: Any, key_field: str
) -> list[tuple[tuple[str, str, Any], dict[str, Any]]]:
    """Turn each row of a structured array into ``(key, bins)``.

    The ``key_field`` column is the user key; every other field whose name
    does not start with ``_`` is a bin.
    """
    np = _numpy()
    if not isinstance(dtype, np.dtype) or dtype.names is None:
        raise InvalidArgError(
            f"_dtype must be a structured numpy.dtype, not {dtype!r:.60}"
        )
    if not isinstance(data, np.ndarray) or data.ndim != 1:
        raise InvalidArgError(
            f"data must be a one-dimensional numpy array, not {type(data).__name__}"
        )
    if data.dtype != dtype:
        raise InvalidArgError(f"data has dtype {data.dtype}, but _dtype is {dtype}")
    if key_field not in dtype.names:
        raise InvalidArgError(
            f"key_field {key_field!r} is not a field of {dtype}; name the "
            "column that holds the user keys"
        )
    _check_kind(dtype, key_field, _KEY_KINDS)
    bins = [n for n in dtype.names if not n.startswith("_") and n != key_field]
    for name in bins:
        _check_kind(dtype, name, _BIN_KINDS)
    return [
        (
            (namespace, set_name, row[key_field].item()),
            {name: _bin_value(row[name]) for name in bins},
        )
        for row in data
    ]


def _bin_value(value: Any) -> Any:
    """A Python value for one field of a row: sub-arrays and voids as bytes."""
    if value.shape or value.dtype.kind == "V":
        return value.tobytes()
    return value.item()
