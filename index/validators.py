"""What was fetched from each URL: its validators (ETag, Last-Modified), the document it gave and,
for a feed, its items. One JSON file in the data directory, replaced atomically; two ingests that
save at once both keep their entries (each merges its own changes into what is on disk)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.atomic import read_json_records, write_json_atomic
from index.locking import writer_lock

log = logging.getLogger(__name__)

FILE_NAME = "fetched.json"


@dataclass(frozen=True)
class Seen:
    """The last good fetch of one URL (keyed by its canonical form)."""

    etag: str = ""
    last_modified: str = ""
    doc_id: str = ""  # the document a page gave ("" for a feed or sitemap)
    kind: str = ""  # page | feed | sitemap
    stamp: str = ""  # a feed item's own updated/published value when it was last fetched
    items: list[str] = field(default_factory=list)  # a feed's item URLs


class Validators:
    """URL -> `Seen`, loaded from and saved to `data_dir/fetched.json`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self._entries: dict[str, Seen] = self._read()
        self._changes: dict[str, Seen | None] = {}  # this run's puts, and its forgets (None)

    def _read(self) -> dict[str, Seen]:
        try:
            return read_json_records(self.path, Seen)
        except (OSError, ValueError, TypeError) as exc:  # a cache: losing it costs one full fetch
            log.warning("ignoring unreadable %s (%s); every URL will be fetched in full once", self.path, exc)
            return {}

    def get(self, url: str) -> Seen | None:
        return self._entries.get(url)

    def put(self, url: str, seen: Seen) -> None:
        self._entries[url] = seen
        self._changes[url] = seen

    def forget(self, urls: list[str]) -> None:
        for url in urls:
            self._entries.pop(url, None)
            self._changes[url] = None

    def documents_of(self, url: str) -> list[str]:
        """The documents a page, feed or sitemap gave on its last good fetch (`url` canonical)."""
        seen = self._entries.get(url)
        if seen is None:
            return []
        if seen.kind == "page":
            return [seen.doc_id] if seen.doc_id else []
        from index.urls import canonical_url

        found = (self._entries.get(canonical_url(item)) for item in seen.items)
        return sorted({s.doc_id for s in found if s is not None and s.doc_id})

    def urls_of(self, doc_ids: set[str]) -> list[str]:
        return [url for url, seen in self._entries.items() if seen.doc_id in doc_ids]

    def save(self) -> None:
        """Merge this run's changes into the file as it is now, and replace it atomically (when anything changed)."""
        if not self._changes:
            return
        with writer_lock(self.path.with_name(FILE_NAME + ".lock"), wait=True):
            merged = self._read()
            for url, seen in self._changes.items():
                if seen is None:
                    merged.pop(url, None)
                else:
                    merged[url] = seen
            write_json_atomic(self.path, {url: asdict(seen) for url, seen in merged.items()})
        self._entries = merged
        self._changes = {}
