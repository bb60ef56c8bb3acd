"""Keeping the index current: poll the followed sources when they are due, and prune old articles."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from index.fetch import FetchSettings
from index.library import IngestReport, Library
from index.sources import Source, Sources
from index.urls import canonical_url
from index.validators import Validators

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0  # the watcher prunes past the retention at most this often


@dataclass(frozen=True)
class Poll:
    """One source polled: what the ingest did, and the source's own error ("" when it answered)."""

    source: Source
    report: IngestReport
    error: str


def poll_sources(
    library: Library, sources: Sources, *, due_only: bool = True, fetch: FetchSettings | None = None
) -> list[Poll]:
    """Ingest every followed source (only those due, unless `due_only` is False), one at a time.

    The sources are the user's own list, so loopback and private addresses are allowed. Each poll
    takes the writer lock for its own ingest, so uploads and `rag ingest` interleave with a long round.
    """
    now = time.time()
    polls = []
    for source in sources.all():
        if due_only and not source.due(now):
            continue
        report = library.ingest_urls([source.url], allow_private=True, fetch=fetch)
        error = next((reason for path, reason in report.failed if path == source.url), "")
        items = len(report.added) + len(report.updated) + len(report.unchanged)
        item_errors = len(report.failed) - (1 if error else 0)
        if error and items:  # a feed read in part (malformed after some items): its items count
            error, item_errors = "", item_errors + 1
        sources.record(source.url, items=items, item_errors=item_errors, error=error)
        if error:
            log.warning("source %s failed: %s", source.url, error)
        polls.append(Poll(source, report, error))
    return polls


def purge_source(library: Library, url: str) -> list[str]:
    """Remove the documents a source gave on its last good poll; their ids."""
    validators = Validators(library.settings.data_dir)
    removed = [doc_id for doc_id in validators.documents_of(canonical_url(url)) if library.remove(doc_id)]
    return removed


def older_than(library: Library, older_than_s: float, *, now: float | None = None) -> list[str]:
    """Ids of the articles last published or updated before now - `older_than_s` (undated ones never)."""
    from datetime import datetime, timezone

    from index.documents import date_key

    cutoff = datetime.fromtimestamp((now or time.time()) - older_than_s, tz=timezone.utc).date()
    limit = date_key(cutoff.isoformat())
    return [
        r.doc_id for r in library.documents() if r.published_key and max(r.published_key, date_key(r.updated)) < limit
    ]


def prune(library: Library, older_than_s: float, *, now: float | None = None) -> list[str]:
    """Remove the articles `older_than` finds; their ids."""
    return [doc_id for doc_id in older_than(library, older_than_s, now=now) if library.remove(doc_id)]


class Watcher:
    """Polls the due sources and ingests what changes in watched folders, until `stop` is set.

    Every write goes through the library, under its one writer lock: when another writer holds it
    (an upload, `rag ingest`), the round is tried again at the next tick.
    """

    def __init__(
        self,
        library: Library,
        sources: Sources,
        folders: list,
        *,
        tick_s: float = 5.0,
        retention_s: float = 0.0,
        fetch: FetchSettings | None = None,
        on_report=None,
    ) -> None:
        self.library = library
        self.sources = sources
        self.folders = [f for f in folders]
        self.tick_s = tick_s
        self.retention_s = retention_s
        self.fetch = fetch
        self.on_report = on_report or (lambda label, report: None)
        self._pruned_at = 0.0
        self._gone: set = set()  # deleted files whose documents are still to be removed

    def run(self, stop) -> None:
        """Until `stop` (a threading.Event) is set: folders first in full, then changes and due sources."""
        if not self.folders:
            self._round()
            while not stop.wait(self.tick_s):
                self._round()
            return
        from watchfiles import watch

        first = True
        for changes in watch(
            *self.folders, stop_event=stop, yield_on_timeout=True, rust_timeout=int(self.tick_s * 1000),
            debounce=500, raise_interrupt=False,
        ):
            if first:  # the folders in full once they are watched, so no change falls in between
                self._ingest_files(self.folders, "folders")
                self.remove_deleted()
                first = False
            elif changes:
                self._changed(changes)
            self._remove_gone()
            self._round()

    def _changed(self, changes) -> None:
        from pathlib import Path

        from watchfiles import Change

        from index.loaders import SUPPORTED_SUFFIXES, suffix_of

        paths = sorted({Path(p) for _, p in changes})
        wanted = [p for p in paths if p.is_file() and not p.name.startswith(".") and suffix_of(p) in SUPPORTED_SUFFIXES]
        self._gone.update(Path(p) for change, p in changes if change == Change.deleted and not Path(p).exists())
        if wanted:
            self._ingest_files(wanted, "changed files")

    def _remove_gone(self) -> None:
        """Remove the documents of files deleted from a watched folder (kept for the next try if the index is busy)."""
        from index.errors import IndexBusy, RagError
        from index.library import IngestReport

        report = IngestReport()
        self._gone = {path for path in self._gone if not path.exists()}  # back: an editor that saves by replacing
        try:
            documents = self.library.documents_from(self._gone) if self._gone else {}
        except RagError as exc:
            log.warning("could not look up the documents of deleted files yet: %s", exc)
            return
        for path in sorted(documents):
            try:
                for doc_id in documents[path]:
                    if self.library.remove(doc_id):
                        report.removed.append(doc_id)
            except IndexBusy as exc:
                log.info("removals wait for the writer lock: %s", exc)
                break
            except RagError as exc:  # the store went away: try again next round
                log.warning("could not remove the documents of %s yet: %s", path, exc)
                break
            self._gone.discard(path)
        if report.removed:
            self.on_report("deleted files", report)

    def remove_deleted(self) -> None:
        """Remove the documents of files that left the watched folders, while watched or before."""
        self._stale_in_folders()
        self._remove_gone()

    def _stale_in_folders(self) -> None:
        from pathlib import Path

        from index.errors import RagError

        try:
            self._gone.update(self.library.sources_gone(Path(f) for f in self.folders))
        except RagError as exc:
            log.warning("could not look for deleted files: %s", exc)

    def _ingest_files(self, paths, label: str) -> None:
        from index.errors import IndexBusy

        try:
            self.on_report(label, self.library.ingest(paths))
        except IndexBusy as exc:
            log.warning("%s not ingested yet: %s", label, exc)

    def _round(self) -> None:
        from index.errors import IndexBusy, RagError

        try:
            for poll in poll_sources(self.library, self.sources, fetch=self.fetch):
                self.on_report(poll.source.url, poll.report)
            if self.retention_s and time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                self._pruned_at = time.monotonic()
                removed = prune(self.library, self.retention_s)
                if removed:
                    log.info("pruned %d article(s) past the retention", len(removed))
        except IndexBusy as exc:
            log.info("another writer holds the index; next try in %g s (%s)", self.tick_s, exc)
        except RagError as exc:  # the store went away: say so, keep watching
            log.warning("watch round failed: %s", exc)
