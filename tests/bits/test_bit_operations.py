"""Bit operations through both clients, one table row per behaviour.

Every expected value follows the real server's rules in
as/src/base/particle_blob.c (bits_modify_op_table, bits_read_op_table, the
bits_parse_* and bits_prepare_* checks). Each case starts from a record
holding the blob bin ``b`` (or no ``b`` when ``start`` is None) and a
bin ``x`` that keeps the record alive, runs its ops, and checks the value
``operate`` returns for ``b``, the bin afterwards, or the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import aerospike_py
from aerospike_py import bit_operations as bit
from aerospike_py.exception import (
    AerospikeError,
    BinExistsError,
    BinNotFound,
    BinTypeError,
    ServerError,
)

CREATE_ONLY = aerospike_py.BIT_WRITE_CREATE_ONLY
UPDATE_ONLY = aerospike_py.BIT_WRITE_UPDATE_ONLY
NO_FAIL = aerospike_py.BIT_WRITE_NO_FAIL
PARTIAL = aerospike_py.BIT_WRITE_PARTIAL
FROM_FRONT = aerospike_py.BIT_RESIZE_FROM_FRONT
GROW_ONLY = aerospike_py.BIT_RESIZE_GROW_ONLY
SHRINK_ONLY = aerospike_py.BIT_RESIZE_SHRINK_ONLY
SATURATE = aerospike_py.BIT_OVERFLOW_SATURATE
WRAP = aerospike_py.BIT_OVERFLOW_WRAP

UNCHANGED: Any = object()  # the bin must be as it started
MISSING: Any = object()  # the bin must not exist


@dataclass
class Case:
    name: str
    start: Any
    ops: list[dict[str, Any]]
    after: Any = UNCHANGED
    result: Any = None
    error: type[AerospikeError] | None = None
    code: int | None = None


MODIFY_CASES = [
    # -- resize ---------------------------------------------------------------
    Case(
        "resize_grows_at_the_end",
        b"\x01\x02",
        [bit.bit_resize("b", 4)],
        after=b"\x01\x02\x00\x00",
    ),
    Case(
        "resize_from_front_grows_at_the_front",
        b"\x01\x02",
        [bit.bit_resize("b", 4, FROM_FRONT)],
        after=b"\x00\x00\x01\x02",
    ),
    Case(
        "resize_shrinks_from_the_end",
        b"\x01\x02\x03",
        [bit.bit_resize("b", 1)],
        after=b"\x01",
    ),
    Case(
        "resize_from_front_shrinks_from_the_front",
        b"\x01\x02\x03",
        [bit.bit_resize("b", 1, FROM_FRONT)],
        after=b"\x03",
    ),
    Case(
        "resize_to_zero_leaves_an_empty_blob",
        b"\x01\x02",
        [bit.bit_resize("b", 0)],
        after=b"",
    ),
    Case(
        "resize_grow_only_refuses_to_shrink",
        b"\x01\x02\x03",
        [bit.bit_resize("b", 1, GROW_ONLY)],
        error=ServerError,
        code=4,
    ),
    Case(
        "resize_grow_only_with_no_fail_skips_the_shrink",
        b"\x01\x02\x03",
        [bit.bit_resize("b", 1, GROW_ONLY, NO_FAIL)],
    ),
    Case(
        "resize_shrink_only_refuses_to_grow",
        b"\x01",
        [bit.bit_resize("b", 3, SHRINK_ONLY)],
        error=ServerError,
        code=4,
    ),
    Case(
        "resize_grow_only_and_shrink_only_exclude_each_other",
        b"\x01",
        [bit.bit_resize("b", 3, GROW_ONLY | SHRINK_ONLY)],
        error=ServerError,
        code=4,
    ),
    Case(
        "resize_creates_a_missing_bin",
        None,
        [bit.bit_resize("b", 2)],
        after=b"\x00\x00",
    ),
    Case(
        "resize_to_zero_does_not_create_the_bin",
        None,
        [bit.bit_resize("b", 0)],
        after=MISSING,
    ),
    Case(
        "resize_update_only_needs_the_bin",
        None,
        [bit.bit_resize("b", 2, policy=UPDATE_ONLY)],
        error=BinNotFound,
        code=17,
    ),
    Case(
        "resize_create_only_refuses_an_existing_bin",
        b"\x01",
        [bit.bit_resize("b", 2, policy=CREATE_ONLY)],
        error=BinExistsError,
        code=6,
    ),
    Case(
        "resize_create_only_with_no_fail_keeps_the_bin",
        b"\x01",
        [bit.bit_resize("b", 2, policy=CREATE_ONLY | NO_FAIL)],
    ),
    Case(
        "resize_create_and_update_only_exclude_each_other",
        b"\x01",
        [bit.bit_resize("b", 2, policy=CREATE_ONLY | UPDATE_ONLY)],
        error=ServerError,
        code=4,
    ),
    # -- insert / remove ------------------------------------------------------
    Case(
        "insert_puts_bytes_before_the_offset",
        b"\x01\x02",
        [bit.bit_insert("b", 1, b"\xaa\xbb")],
        after=b"\x01\xaa\xbb\x02",
    ),
    Case(
        "insert_past_the_end_pads_with_zeros",
        b"\x01",
        [bit.bit_insert("b", 3, b"\xaa")],
        after=b"\x01\x00\x00\xaa",
    ),
    Case(
        "insert_at_a_negative_offset_counts_from_the_end",
        b"\x01\x02",
        [bit.bit_insert("b", -1, b"\xaa")],
        after=b"\x01\xaa\x02",
    ),
    Case(
        "insert_creates_a_missing_bin_padded_to_the_offset",
        None,
        [bit.bit_insert("b", 2, b"\xaa")],
        after=b"\x00\x00\xaa",
    ),
    Case(
        "insert_into_a_missing_bin_refuses_a_negative_offset",
        None,
        [bit.bit_insert("b", -1, b"\xaa")],
        error=ServerError,
        code=4,
    ),
    Case(
        "insert_refuses_an_empty_value",
        b"\x01",
        [bit.bit_insert("b", 0, b"")],
        error=ServerError,
        code=4,
    ),
    Case(
        "remove_deletes_bytes_from_the_middle",
        b"\x01\x02\x03\x04",
        [bit.bit_remove("b", 1, 2)],
        after=b"\x01\x04",
    ),
    Case(
        "remove_past_the_end_needs_partial",
        b"\x01\x02",
        [bit.bit_remove("b", 1, 3)],
        error=ServerError,
        code=4,
    ),
    Case(
        "remove_with_partial_removes_to_the_end",
        b"\x01\x02\x03",
        [bit.bit_remove("b", 1, 5, PARTIAL)],
        after=b"\x01",
    ),
    Case(
        "remove_starting_past_the_end_fails",
        b"\x01",
        [bit.bit_remove("b", 1, 1)],
        error=ServerError,
        code=4,
    ),
    Case(
        "remove_starting_past_the_end_with_no_fail_does_nothing",
        b"\x01",
        [bit.bit_remove("b", 1, 1, NO_FAIL)],
    ),
    Case(
        "remove_of_everything_leaves_an_empty_blob",
        b"\x01\x02",
        [bit.bit_remove("b", 0, 2)],
        after=b"",
    ),
    Case(
        "remove_from_a_missing_bin_is_bin_not_found",
        None,
        [bit.bit_remove("b", 0, 1)],
        error=BinNotFound,
        code=17,
    ),
    # -- set / or / xor / and / not -------------------------------------------
    Case(
        "set_writes_bits_across_a_byte_boundary",
        b"\x00\x00",
        [bit.bit_set("b", 4, 8, b"\xff")],
        after=b"\x0f\xf0",
    ),
    Case(
        "set_takes_the_leading_bits_of_the_value",
        b"\x00",
        [bit.bit_set("b", 0, 4, b"\xab")],
        after=b"\xa0",
    ),
    Case(
        "set_refuses_a_value_shorter_than_the_size",
        b"\x00\x00",
        [bit.bit_set("b", 0, 12, b"\xff")],
        error=ServerError,
        code=4,
    ),
    Case(
        "set_past_the_end_is_not_applicable",
        b"\x00",
        [bit.bit_set("b", 8, 8, b"\xff")],
        error=ServerError,
        code=26,
    ),
    Case(
        "set_running_past_the_end_is_not_applicable",
        b"\x00\x00",
        [bit.bit_set("b", 12, 8, b"\xff")],
        error=ServerError,
        code=26,
    ),
    Case(
        "set_with_partial_writes_the_bits_that_fit",
        b"\x00\x00",
        [bit.bit_set("b", 12, 8, b"\xff", PARTIAL)],
        after=b"\x00\x0f",
    ),
    Case(
        "set_with_no_fail_past_the_end_changes_nothing",
        b"\x00",
        [bit.bit_set("b", 8, 8, b"\xff", NO_FAIL)],
    ),
    Case(
        "set_on_a_missing_bin_is_bin_not_found",
        None,
        [bit.bit_set("b", 0, 8, b"\xff")],
        error=BinNotFound,
        code=17,
    ),
    Case(
        "set_with_no_fail_on_a_missing_bin_creates_nothing",
        None,
        [bit.bit_set("b", 0, 8, b"\xff", NO_FAIL)],
        after=MISSING,
    ),
    Case(
        "set_refuses_the_create_only_flag",
        b"\x00",
        [bit.bit_set("b", 0, 8, b"\xff", CREATE_ONLY)],
        error=ServerError,
        code=4,
    ),
    Case(
        "set_on_a_string_bin_is_a_bin_type_error",
        "text",
        [bit.bit_set("b", 0, 8, b"\xff")],
        error=BinTypeError,
        code=12,
    ),
    Case(
        "or_sets_the_bits_of_the_value",
        b"\x0f",
        [bit.bit_or("b", 0, 8, b"\xf0")],
        after=b"\xff",
    ),
    Case(
        "xor_flips_only_the_bits_in_range",
        b"\xff",
        [bit.bit_xor("b", 2, 4, b"\xf0")],
        after=b"\xc3",
    ),
    Case(
        "and_clears_bits_across_bytes",
        b"\xff\xff",
        [bit.bit_and("b", 4, 8, b"\x00")],
        after=b"\xf0\x0f",
    ),
    Case("not_inverts_the_range", b"\xf0", [bit.bit_not("b", 2, 4)], after=b"\xcc"),
    Case(
        "not_at_a_negative_offset_counts_from_the_end",
        b"\x00\x00",
        [bit.bit_not("b", -4, 4)],
        after=b"\x00\x0f",
    ),
    Case(
        "a_negative_offset_before_the_blob_is_refused",
        b"\x00",
        [bit.bit_not("b", -9, 1)],
        error=ServerError,
        code=4,
    ),
    Case(
        "a_zero_bit_size_is_refused",
        b"\x00",
        [bit.bit_not("b", 0, 0)],
        error=ServerError,
        code=4,
    ),
    # -- shifts ---------------------------------------------------------------
    Case(
        "lshift_moves_bits_left_and_fills_zeros",
        b"\x0f",
        [bit.bit_lshift("b", 0, 8, 2)],
        after=b"\x3c",
    ),
    Case(
        "lshift_keeps_the_bits_outside_the_range",
        b"\xff",
        [bit.bit_lshift("b", 2, 4, 1)],
        after=b"\xfb",
    ),
    Case(
        "rshift_moves_bits_across_bytes",
        b"\xff\x00",
        [bit.bit_rshift("b", 0, 16, 4)],
        after=b"\x0f\xf0",
    ),
    Case(
        "a_shift_longer_than_the_range_clears_it",
        b"\xff",
        [bit.bit_rshift("b", 0, 8, 9)],
        after=b"\x00",
    ),
    # -- add / subtract / set_int ---------------------------------------------
    Case(
        "add_adds_to_an_unsigned_integer",
        b"\x01",
        [bit.bit_add("b", 0, 8, 5)],
        after=b"\x06",
    ),
    Case(
        "add_spans_bytes_at_a_bit_offset",
        b"\x00\xff\xf0",
        [bit.bit_add("b", 4, 12, 1)],
        after=b"\x01\x00\xf0",
    ),
    Case(
        "add_overflow_fails_by_default",
        b"\xff",
        [bit.bit_add("b", 0, 8, 1)],
        error=ServerError,
        code=26,
    ),
    Case(
        "add_overflow_with_no_fail_changes_nothing",
        b"\xff",
        [bit.bit_add("b", 0, 8, 1, policy=NO_FAIL)],
    ),
    Case(
        "add_overflow_saturates_at_the_maximum",
        b"\xfe",
        [bit.bit_add("b", 0, 8, 5, action=SATURATE)],
        after=b"\xff",
    ),
    Case(
        "add_overflow_wraps_around",
        b"\xff",
        [bit.bit_add("b", 0, 8, 2, action=WRAP)],
        after=b"\x01",
    ),
    Case(
        "signed_add_overflow_fails",
        b"\x7f",
        [bit.bit_add("b", 0, 8, 1, signed=True)],
        error=ServerError,
        code=26,
    ),
    Case(
        "signed_add_saturates_at_the_largest_positive",
        b"\x7e",
        [bit.bit_add("b", 0, 8, 9, signed=True, action=SATURATE)],
        after=b"\x7f",
    ),
    # handle_signed_overflow needs a positive result from two negatives.
    Case(
        "signed_add_of_two_minimums_gives_zero_as_the_server_does",
        b"\x80",
        [bit.bit_add("b", 0, 8, -128, signed=True)],
        after=b"\x00",
    ),
    Case(
        "add_refuses_the_partial_flag",
        b"\x00",
        [bit.bit_add("b", 0, 8, 1, policy=PARTIAL)],
        error=ServerError,
        code=4,
    ),
    Case(
        "add_past_the_end_is_not_applicable",
        b"\x00",
        [bit.bit_add("b", 4, 8, 1)],
        error=ServerError,
        code=26,
    ),
    Case(
        "subtract_below_zero_fails_unsigned",
        b"\x01",
        [bit.bit_subtract("b", 0, 8, 2)],
        error=ServerError,
        code=26,
    ),
    Case(
        "subtract_saturates_at_zero_unsigned",
        b"\x01",
        [bit.bit_subtract("b", 0, 8, 2, action=SATURATE)],
        after=b"\x00",
    ),
    Case(
        "signed_subtract_goes_negative",
        b"\x05",
        [bit.bit_subtract("b", 0, 8, 10, signed=True)],
        after=b"\xfb",
    ),
    Case(
        "signed_subtract_saturates_at_the_minimum",
        b"\x81",
        [bit.bit_subtract("b", 0, 8, 5, signed=True, action=SATURATE)],
        after=b"\x80",
    ),
    Case(
        "set_int_stores_big_endian_at_a_bit_offset",
        b"\x00\x00",
        [bit.bit_set_int("b", 4, 8, 0xAB)],
        after=b"\x0a\xb0",
    ),
    Case(
        "set_int_keeps_the_low_bits_of_a_wide_value",
        b"\x00",
        [bit.bit_set_int("b", 0, 8, 0x1FF)],
        after=b"\xff",
    ),
    Case(
        "set_int_of_64_bits_stores_a_negative_number",
        bytes(8),
        [bit.bit_set_int("b", 0, 64, -2)],
        after=b"\xff" * 7 + b"\xfe",
    ),
    Case(
        "set_int_on_a_missing_bin_is_bin_not_found",
        None,
        [bit.bit_set_int("b", 0, 8, 1)],
        error=BinNotFound,
        code=17,
    ),
]

READ_CASES = [
    Case(
        "get_reads_bits_across_bytes",
        b"\x12\x34",
        [bit.bit_get("b", 4, 8)],
        result=b"\x23",
    ),
    Case(
        "get_pads_the_last_byte_with_zeros",
        b"\xff",
        [bit.bit_get("b", 1, 3)],
        result=b"\xe0",
    ),
    Case(
        "get_past_the_end_is_not_applicable",
        b"\xff",
        [bit.bit_get("b", 4, 8)],
        error=ServerError,
        code=26,
    ),
    Case(
        "count_counts_set_bits_in_range",
        b"\xff\x0f",
        [bit.bit_count("b", 2, 10)],
        result=6,
    ),
    Case(
        "lscan_finds_the_first_set_bit",
        b"\x00\x10",
        [bit.bit_lscan("b", 0, 16, True)],
        result=11,
    ),
    Case(
        "lscan_finds_the_first_clear_bit_after_the_offset",
        b"\xff\xf7",
        [bit.bit_lscan("b", 4, 12, False)],
        result=8,
    ),
    Case(
        "lscan_without_a_match_is_minus_one",
        b"\x00\x00",
        [bit.bit_lscan("b", 0, 16, True)],
        result=-1,
    ),
    Case(
        "rscan_finds_the_last_set_bit",
        b"\x81",
        [bit.bit_rscan("b", 0, 8, True)],
        result=7,
    ),
    # bits_read_op_rscan masks only the end of the range: a set bit before
    # the range, in its first byte, is reported at a negative position.
    Case(
        "rscan_reports_a_bit_before_the_range_as_the_server_does",
        b"\x80\x00",
        [bit.bit_rscan("b", 4, 12, True)],
        result=-4,
    ),
    Case("get_int_reads_unsigned", b"\xff", [bit.bit_get_int("b", 0, 8)], result=255),
    Case(
        "get_int_reads_signed", b"\xff", [bit.bit_get_int("b", 0, 8, True)], result=-1
    ),
    Case(
        "get_int_at_a_bit_offset",
        b"\x0a\xb0",
        [bit.bit_get_int("b", 4, 8)],
        result=0xAB,
    ),
    Case(
        "get_int_of_64_unsigned_bits_is_a_signed_64_bit_integer",
        b"\xff" * 8,
        [bit.bit_get_int("b", 0, 64)],
        result=-1,
    ),
    Case(
        "read_of_a_missing_bin_returns_none",
        None,
        [bit.bit_get("b", 0, 8)],
        result=None,
    ),
    Case(
        "read_of_an_integer_bin_is_a_bin_type_error",
        7,
        [bit.bit_count("b", 0, 8)],
        error=BinTypeError,
        code=12,
    ),
    Case(
        "several_reads_return_a_list",
        b"\xf0",
        [bit.bit_count("b", 0, 8), bit.bit_get_int("b", 0, 4)],
        result=[4, 15],
    ),
    Case(
        "reads_see_earlier_writes_of_the_same_call",
        b"\x00",
        [bit.bit_set("b", 0, 8, b"\x81"), bit.bit_count("b", 0, 8)],
        after=b"\x81",
        result=2,
    ),
]


def _start(client: Any, key: Any, case: Case) -> None:
    bins: dict[str, Any] = {"x": 1}
    if case.start is not None:
        bins["b"] = case.start
    client.put(key, bins)


def _expected_after(case: Case) -> Any:
    if case.after is UNCHANGED:
        return case.start
    return None if case.after is MISSING else case.after


def _run(client: Any, key: Any, case: Case) -> None:
    _start(client, key, case)
    if case.error is not None:
        with pytest.raises(case.error) as failure:
            client.operate(key, case.ops)
        assert failure.value.code == case.code
        assert client.get(key).bins.get("b") == case.start
        return
    record = client.operate(key, case.ops)
    assert record.bins.get("b") == case.result
    assert client.get(key).bins.get("b") == _expected_after(case)


@pytest.mark.parametrize("case", MODIFY_CASES, ids=lambda case: case.name)
def test_bit_modify(client, key, case):
    _run(client, key, case)


@pytest.mark.parametrize("case", READ_CASES, ids=lambda case: case.name)
def test_bit_read(client, key, case):
    _run(client, key, case)


def test_failed_op_leaves_earlier_ops_of_the_call_undone(client, key):
    client.put(key, {"b": b"\x00"})
    ops = [bit.bit_set("b", 0, 8, b"\x0f"), bit.bit_add("b", 0, 8, 0xFF)]
    with pytest.raises(ServerError):
        client.operate(key, ops)
    assert client.get(key).bins["b"] == b"\x00"


def test_bit_ops_create_a_missing_record(client, key):
    client.operate(key, [bit.bit_insert("b", 0, b"\x07")])
    record = client.get(key)
    assert record.bins == {"b": b"\x07"}
    assert record.meta.gen == 1


def test_bit_op_on_a_missing_record_that_cannot_create_is_bin_not_found(client, key):
    with pytest.raises(BinNotFound):
        client.operate(key, [bit.bit_set("b", 0, 8, b"\x01")])
