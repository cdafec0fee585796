"""The book form check that all three example apps share."""

from __future__ import annotations

import pytest

from example_apps.common import InvalidBook, book_bins


@pytest.mark.parametrize(
    ("year", "stored"),
    [("", 0), ("1843", 1843), (" 2100 ", 2100), ("0042", 42), ("\u0661\u0669", 19)],
)
def test_a_year_is_empty_or_a_whole_number_in_range(year, stored):
    assert book_bins("Notes", "Ada", year)["year"] == stored


@pytest.mark.parametrize(
    "year", ["0", "2101", "-5", "+5", "1_000", "\u00b2", "1e3", "9" * 20, "9" * 5000]
)
def test_other_years_are_refused_with_the_range(year):
    with pytest.raises(InvalidBook, match="the year must be a whole number from 1 to"):
        book_bins("Notes", "Ada", year)


@pytest.mark.parametrize(
    ("title", "author", "message"),
    [
        ("  ", "Ada", "a book needs a title"),
        ("Notes", "", "a book needs an author"),
        ("x" * 201, "Ada", "the title is 201 characters long; at most 200"),
        ("Notes", "y" * 101, "the author is 101 characters long; at most 100"),
    ],
)
def test_titles_and_authors_are_required_and_limited(title, author, message):
    with pytest.raises(InvalidBook, match=message):
        book_bins(title, author, "")


def test_limits_count_characters_after_trimming():
    bins = book_bins(f" {'é' * 200} ", "Ada", "")
    assert bins["title"] == "é" * 200
