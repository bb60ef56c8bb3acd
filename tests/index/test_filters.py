from datetime import date

import pytest

from index.filters import Filters, as_filters
from index.store import _where


def test_an_upper_date_bound_takes_the_earlier_of_published_to_and_as_of_and_drops_undated_articles():
    filters = Filters(published_to=date(2024, 5, 1), as_of=date(2024, 3, 1))
    assert filters.key_range() == (0, 20240301)
    assert filters.admits("a", "2024-03-01") and not filters.admits("a", "2024-03-02")
    assert not filters.admits("a", "")


def test_document_ids_and_a_lower_bound_both_restrict():
    filters = Filters(doc_ids=("a",), published_from=date(2024, 1, 1))
    assert filters.admits("a", "2024-01-01")
    assert not filters.admits("b", "2024-06-01")
    assert not filters.admits("a", "2023-12-31")


@pytest.mark.parametrize(
    ("filters", "where"),
    [
        (Filters(), None),
        (Filters(doc_ids=("a", "b")), {"doc_id": {"$in": ["a", "b"]}}),
        (Filters(published_from=date(2024, 1, 2)), {"published_key": {"$gte": 20240102}}),
        (
            Filters(as_of=date(2024, 1, 2)),
            {"$and": [{"published_key": {"$lte": 20240102}}, {"published_key": {"$gt": 0}}]},
        ),
    ],
)
def test_the_store_translates_filters_into_chromas_syntax(filters, where):
    assert _where(filters) == where


def test_loose_values_become_dates_and_non_dates_become_none():
    filters = as_filters(["x"], published_from="2024/01/02", as_of="not a date")
    assert filters == Filters(doc_ids=("x",), published_from=date(2024, 1, 2))
