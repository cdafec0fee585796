"""The NumPy batch path: structured arrays in, structured arrays out."""

from __future__ import annotations

import warnings

import pytest

import aerospike_py
from aerospike_py.exception import InvalidArgError
from aerospike_py.numpy_batch import _batch_records_to_numpy

np = pytest.importorskip("numpy")

DTYPE = np.dtype(
    [("_key", "i8"), ("score", "f8"), ("hits", "u4"), ("tag", "S4"), ("vec", "i2", 3)]
)
READ_DTYPE = np.dtype(
    [("score", "f8"), ("hits", "u4"), ("tag", "S4"), ("vec", "i2", 3)]
)


def _rows():
    return np.array(
        [
            (1, 0.5, 10, b"ab", (1, 2, 3)),
            (2, 1.5, 20, b"cdef", (-1, 0, 1)),
            (3, 2.5, 30, b"", (7, 8, 9)),
        ],
        dtype=DTYPE,
    )


def test_batch_write_numpy_stores_one_record_per_row(client, aerospike_set):
    result = client.batch_write_numpy(_rows(), "test", aerospike_set, DTYPE)
    assert [entry.result for entry in result.batch_records] == [0, 0, 0]
    bins = client.get(("test", aerospike_set, 2)).bins
    assert bins["score"] == 1.5
    assert bins["hits"] == 20
    assert bins["tag"] == b"cdef"
    assert np.frombuffer(bins["vec"], dtype="i2").tolist() == [-1, 0, 1]
    assert "_key" not in bins


def test_batch_read_with_dtype_fills_arrays_in_request_order(client, aerospike_set):
    client.batch_write_numpy(_rows(), "test", aerospike_set, DTYPE)
    keys = [("test", aerospike_set, k) for k in (3, 99, 1)]
    result = client.batch_read(keys, _dtype=READ_DTYPE)
    assert isinstance(result, aerospike_py.NumpyBatchRecords)
    assert result.result_codes.tolist() == [0, 2, 0]
    assert result.batch_records["score"].tolist() == [2.5, 0.0, 0.5]
    assert result.batch_records["hits"].tolist() == [30, 0, 10]
    assert result.batch_records["vec"].tolist() == [[7, 8, 9], [0, 0, 0], [1, 2, 3]]
    assert result.meta["gen"].tolist() == [1, 0, 1]
    assert result.get(1)["tag"] == b"ab"
    assert 3 in result and 5 not in result
    with pytest.raises(KeyError):
        result.get(5)
    assert len(result) == 3
    assert [row["hits"] for row in result] == [30, 0, 10]
    assert repr(result) == (
        "NumpyBatchRecords(count=3, ok=2, fields=['score', 'hits', 'tag', 'vec'])"
    )


def test_to_numpy_matches_the_dtype_path(client, aerospike_set):
    client.batch_write_numpy(_rows(), "test", aerospike_set, DTYPE)
    keys = [("test", aerospike_set, k) for k in (1, 2)]
    lazy = client.batch_read(keys).to_numpy(READ_DTYPE)
    direct = client.batch_read(keys, _dtype=READ_DTYPE)
    assert lazy.batch_records.tobytes() == direct.batch_records.tobytes()
    assert lazy.batch_records["hits"].tolist() == [10, 20]


def test_strict_conversion_warns_about_bins_that_do_not_fit(client, aerospike_set):
    key = ("test", aerospike_set, "odd")
    client.put(key, {"score": "not a number", "hits": 4})
    result = client.batch_read([key])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted = _batch_records_to_numpy(
            result, READ_DTYPE, result.all_user_keys(), strict=True
        )
    messages = [str(w.message) for w in caught]
    assert any("'score'" in m for m in messages)
    assert any("no bin 'tag'" in m for m in messages)
    assert converted.batch_records["hits"].tolist() == [4]
    assert converted.batch_records["score"].tolist() == [0.0]


@pytest.mark.parametrize(
    "dtype",
    [
        np.dtype([("name", "U8")]),
        np.dtype([("obj", "O")]),
        np.dtype("i8"),
        [("score", "f8")],
    ],
)
def test_unsupported_dtypes_are_refused_before_io(client, server, dtype):
    with server.recording() as received, pytest.raises(InvalidArgError):
        client.batch_read([("test", "s", 1)], _dtype=dtype)
    assert received == []


def test_batch_write_numpy_refuses_a_missing_key_field(client, aerospike_set):
    with pytest.raises(InvalidArgError, match="key_field 'id'"):
        client.batch_write_numpy(_rows(), "test", aerospike_set, DTYPE, key_field="id")


def test_batch_write_numpy_refuses_data_of_another_dtype(client, aerospike_set):
    with pytest.raises(InvalidArgError, match="dtype"):
        client.batch_write_numpy(_rows(), "test", aerospike_set, READ_DTYPE)
