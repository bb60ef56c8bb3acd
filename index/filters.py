"""Which chunks a search may return: the typed filter every layer passes, translated to a store's syntax only in `index/store.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from index.documents import date_key, parse_date


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents and/or a published-date range (inclusive)."""

    doc_ids: tuple[str, ...] = ()
    published_from: date | None = None
    published_to: date | None = None
    as_of: date | None = None

    def is_empty(self) -> bool:
        return not (self.doc_ids or self.published_from or self.published_to or self.as_of)

    def key_range(self) -> tuple[int, int]:
        """(lowest, highest) `published_key` allowed, 0 where unbounded; an upper bound also excludes undated articles."""
        lo = date_key(self.published_from) if self.published_from else 0
        upper = [d for d in (self.published_to, self.as_of) if d]
        return lo, date_key(min(upper)) if upper else 0

    def admits(self, doc_id: str, published: str) -> bool:
        """Does a chunk of document `doc_id`, published on `published`, pass these filters?"""
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        lo, hi = self.key_range()
        key = date_key(published)
        return (not lo or key >= lo) and (not hi or 0 < key <= hi)


def as_filters(
    doc_ids: Sequence[str] = (), published_from: object = None, published_to: object = None, as_of: object = None
) -> Filters:
    """Build `Filters` from loose values (strings or dates)."""
    return Filters(
        doc_ids=tuple(doc_ids),
        published_from=parse_date(published_from),
        published_to=parse_date(published_to),
        as_of=parse_date(as_of),
    )
