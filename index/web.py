"""URLs to documents: pages and PDFs, and the items of feeds and sitemaps, each fetched at most once.

A URL is known by its canonical form (`index.urls.canonical_url`), so tracking-parameter variants
share their validators; a page whose validators still hold (304), or a feed item whose own date has
not moved since it was fetched, is `Unchanged` without its body being read again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from index.documents import Document
from index.errors import BadInput
from index.feeds import Item, Listing, kind_of, read_feed, read_sitemap
from index.fetch import Fetched, Fetcher
from index.loaders import LoadFailure, read_web_page, read_web_pdf
from index.parse_worker import ParseFailed, ParseWorker
from index.urls import canonical_url
from index.validators import Seen, Validators

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unchanged:
    """A URL whose document is already in the index as it is now (or, `duplicate`, was met earlier in this run)."""

    doc_id: str
    duplicate: bool = False


WebItem = Document | LoadFailure | Unchanged


class WebReader:
    """Turns URLs into `WebItem`s; `known` is doc_id -> content hash of what the index holds."""

    def __init__(
        self,
        fetcher: Fetcher,
        validators: Validators,
        known: Mapping[str, str],
        worker: ParseWorker,
        *,
        max_chars: int,
        max_items: int,
    ) -> None:
        self.fetcher = fetcher
        self.validators = validators
        self.known = known
        self.worker = worker
        self.max_chars = max_chars
        self.max_items = max_items
        self._done: dict[str, str] = {}  # canonical URL -> doc id, for this run

    def items(self, urls: Iterable[str]) -> Iterator[WebItem]:
        """Every document (or failure, or unchanged item) reachable from `urls`, in order."""
        for url in urls:
            yield from self._read(url.strip(), stamp="", top=True)

    def _read(self, url: str, *, stamp: str, top: bool) -> Iterator[WebItem]:
        key = canonical_url(url)
        if key in self._done:
            yield Unchanged(self._done[key], duplicate=True)
            return
        seen = self.validators.get(key)
        if seen and seen.kind == "page" and seen.doc_id in self.known and stamp and seen.stamp == stamp:
            self._done[key] = seen.doc_id
            yield Unchanged(seen.doc_id)
            return
        current = seen if seen and self._still_indexed(seen) else None
        try:
            fetched = self.fetcher.get(
                url, etag=current.etag if current else "", last_modified=current.last_modified if current else ""
            )
        except BadInput as exc:
            yield LoadFailure(url, str(exc))
            return
        if fetched.not_modified and current is not None:
            yield from self._not_modified(key, current, fetched, stamp)
            return
        kind = kind_of(fetched.content_type, fetched.body)
        if kind in ("feed", "sitemap"):
            if not top:
                yield LoadFailure(url, f"a {kind} inside a feed or sitemap is not followed")
                return
            yield from self._listing(url, key, fetched, kind)
            return
        yield from self._page(url, key, fetched, kind, stamp)

    def _still_indexed(self, seen: Seen) -> bool:
        if seen.kind == "page":
            return seen.doc_id in self.known
        return True  # a feed's items are checked one by one

    def _not_modified(self, key: str, seen: Seen, fetched: Fetched, stamp: str) -> Iterator[WebItem]:
        if seen.kind == "page":
            self._done[key] = seen.doc_id
            self.validators.put(key, replace(seen, stamp=stamp or seen.stamp))
            yield Unchanged(seen.doc_id)
            return
        self._done[key] = ""
        for item_url in seen.items:  # the feed did not change: its items may still (each asked on its own)
            yield from self._read(item_url, stamp=self._stamp_of(item_url), top=False)

    def _stamp_of(self, url: str) -> str:
        seen = self.validators.get(canonical_url(url))
        return seen.stamp if seen else ""

    def _listing(self, url: str, key: str, fetched: Fetched, kind: str) -> Iterator[WebItem]:
        try:
            listing = self._parse_listing(fetched, kind)
        except BadInput as exc:
            yield LoadFailure(url, str(exc))
            return
        self._done[key] = ""
        if listing.fault:  # named, and what could be read still goes in
            yield LoadFailure(url, f"{listing.fault}; read the {len(listing.items)} item(s) before it")
        for position in listing.missing_links:
            yield LoadFailure(f"{url} (item {position})", "the item has no link")
        items = listing.items
        if listing.kind == "sitemapindex":
            items = list(self._child_sitemaps(url, listing))
        self.validators.put(
            key, Seen(fetched.etag, fetched.last_modified, kind=kind, items=[i.url for i in items])
        )
        for item in items:
            yield from self._read(item.url, stamp=item.stamp, top=False)

    def _parse_listing(self, fetched: Fetched, kind: str) -> Listing:
        reader = read_feed if kind == "feed" else read_sitemap
        return reader(fetched.body, fetched.final_url, self.max_items)

    def _child_sitemaps(self, url: str, index: Listing) -> Iterator[Item]:
        """The pages of a sitemap index's sitemaps (one level deep), `max_items` in all."""
        count = 0
        for child in index.items:
            try:
                fetched = self.fetcher.get(child.url)
                listing = read_sitemap(fetched.body, fetched.final_url, self.max_items - count)
            except BadInput as exc:
                log.warning("sitemap %s of %s skipped: %s", child.url, url, exc)
                continue
            for item in listing.items:
                if count >= self.max_items:
                    return
                count += 1
                yield item

    def _page(self, url: str, key: str, fetched: Fetched, kind: str, stamp: str) -> Iterator[WebItem]:
        if kind == "other":
            what = fetched.content_type or "none"
            yield LoadFailure(url, f"not an HTML page, a PDF, a feed or a sitemap (content type '{what}')")
            return
        try:
            if kind == "pdf":
                doc = self.worker.run(read_web_pdf, fetched.final_url, fetched.body, self.max_chars)
            else:
                doc = self.worker.run(read_web_page, fetched.final_url, fetched.body, fetched.charset)
        except ParseFailed as exc:
            yield LoadFailure(url, str(exc))
            return
        self.validators.put(key, Seen(fetched.etag, fetched.last_modified, doc_id=doc.doc_id, kind="page", stamp=stamp))
        duplicate = doc.doc_id in self._done.values()
        self._done[key] = doc.doc_id
        yield Unchanged(doc.doc_id, duplicate=True) if duplicate else doc
