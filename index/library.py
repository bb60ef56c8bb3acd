"""The index as one object: ingest, remove, list, and the raw dense and BM25 searches."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from index.chunking import CHUNKER_VERSION, Chunk, Chunker
from index.documents import Document, date_key
from index.embedding import MAX_WORD_PIECES, Embedder, SentenceTransformerEmbedder, default_variant, make_embedder
from index.errors import ConfigError, IndexBusy, NoSuchOutlet, StoreUnavailable
from index.dedup import Alias, NearDuplicates
from index.fetch import FetchSettings
from index.filters import Filters
from index.lexical import LexicalIndex, LexicalRow
from index.loaders import LoadFailure, discover, load_file
from index.parse_worker import ParseWorker
from index.locking import writer_lock
from index.remote_embedding import EmbeddingServer
from index.settings import DEFAULT_VARIANT, EMBED_VARIANTS, IndexSettings
from index.store import ChromaStore, DocumentRecord, IndexSpec, StoredChunk, recorded_spec
from index.urls import host_of

log = logging.getLogger(__name__)

# Embedding is batched across documents; a batch is committed as a unit.
TITLE_CHARS = 120
# A filtered dense search first reads this many times the candidates unfiltered (see `Library.dense_search`).
FILTER_OVERFETCH = 4


@dataclass
class IngestReport:
    """What one ingest did; `failed` holds (path, reason) pairs."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0
    duplicates: list[str] = field(default_factory=list)  # URLs met twice in one run: not failures
    requests: int = 0  # HTTP requests answered (URL ingests)
    aliased: list[str] = field(default_factory=list)  # near-duplicates recorded as aliases of an indexed copy
    removed: list[str] = field(default_factory=list)  # documents whose file left a watched folder

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 2),
            "duplicates": len(self.duplicates),
            "aliased": len(self.aliased),
            "removed": len(self.removed),
            "requests": self.requests,
        }

    def merge(self, other: IngestReport) -> IngestReport:
        """The two reports as one (a command given both files and URLs)."""
        return IngestReport(
            self.added + other.added, self.updated + other.updated, self.unchanged + other.unchanged,
            self.failed + other.failed, self.chunks_written + other.chunks_written, self.seconds + other.seconds,
            self.duplicates + other.duplicates, self.requests + other.requests, self.aliased + other.aliased,
            self.removed + other.removed,
        )


@dataclass(frozen=True)
class Provenance:
    """Where a document comes from: its outlet, its last update, and the (outlet, url) of its copies."""

    outlet: str = ""
    updated: str = ""
    also_in: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Progress:
    """A progress event: files done of total, chunks embedded so far."""

    files_done: int
    files_total: int
    chunks: int
    elapsed: float
    current: str = ""


ProgressFn = Callable[[Progress], None]


def _outlet_name(site: str) -> str:
    """An outlet's name as listed and matched: spaces collapsed (matching also ignores case)."""
    return " ".join(site.split())


def _holding(record: DocumentRecord, paths: Iterable[Path]) -> list[Path]:
    """Those of `paths` (absolute or not) that are the file `record` was read from, or a folder above it."""
    if not record.source:
        return []
    source = Path(record.source)
    return [p for p in paths if source.is_relative_to(p.absolute())]


def embedding_text(title: str, text: str) -> str:
    """What the embedder reads for a chunk: a short title line, then the chunk."""
    title = " ".join(title.split())[:TITLE_CHARS]
    return f"{title}\n{text}" if title else text


def _variant(settings: IndexSettings, rebuild: bool) -> str:
    """The embedding variant to use: the configured one, or for "auto" the one the index was built with."""
    if settings.embed_variant not in EMBED_VARIANTS:
        raise ConfigError(f"unknown embed_variant '{settings.embed_variant}'; use one of {', '.join(EMBED_VARIANTS)}")
    if settings.embed_variant != "auto":
        return settings.embed_variant
    if settings.embed_url:  # a server's precision is its own, whatever an existing index records
        return DEFAULT_VARIANT
    recorded = None if rebuild else (recorded_spec(settings) or {}).get("embed_variant")
    return recorded if recorded in EMBED_VARIANTS[1:] else default_variant(settings.embed_runtime)


def _here(embedder: Embedder) -> str:
    runtime = getattr(embedder, "runtime", None)  # torch or OpenVINO for the local model
    return f"this process ({runtime})" if runtime else "this process"


class Library:
    """Opens (or creates) the index described by `settings`; the one entry point of `index/`."""

    def __init__(
        self, settings: IndexSettings, embedder: Embedder | None = None, *, create: bool = True, rebuild: bool = False
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(
            settings.embed_model,
            settings.embed_batch_size,
            _variant(settings, rebuild),
            server=EmbeddingServer.from_settings(settings),
            runtime=settings.embed_runtime,
            cache_dir=settings.model_cache_dir,
        )
        self.spec = IndexSpec(
            embed_model=self.embedder.name,
            embed_dim=self.embedder.dim,
            embed_variant=self.embedder.variant,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            chunker_version=CHUNKER_VERSION,
        )
        self._dedup: NearDuplicates | None = None
        self._dedup_generation = -2
        # `rebuild` empties the index before its spec is checked, so a mismatched index can be replaced.
        with self._write_lock() if rebuild else nullcontext():
            self.store = ChromaStore(settings, self.spec, create=create, reset=rebuild)
            self.lexical = LexicalIndex(self._lexical_path())
            if rebuild:
                self.lexical.reset()
                if self._dedup_store() is not None:
                    self._dedup_store().reset()
        self.chunker = Chunker(self.embedder.tokenize, settings.chunk_size, settings.chunk_overlap)
        self._versions: dict[str, str] = {}
        self._versions_generation = -2
        with self.store.guarded():
            self.sync()

    def _lexical_path(self) -> Path:
        return self.settings.data_dir / "bm25" / f"{self.settings.collection}-{self._store_key()}.sqlite"

    def _store_key(self) -> str:
        where = self.settings.chroma_url or str(self.settings.chroma_dir.resolve())
        return hashlib.sha1(f"{where}|{self.settings.collection}".encode()).hexdigest()[:12]

    def _dedup_store(self) -> NearDuplicates | None:
        if self.settings.near_duplicate_jaccard <= 0:
            return None
        if self._dedup is None:
            path = self.settings.data_dir / "dedup" / f"{self.settings.collection}-{self._store_key()}.sqlite"
            try:
                self._dedup = NearDuplicates(path, self.settings.near_duplicate_jaccard)
            except (OSError, sqlite3.Error) as exc:  # a read-only data directory still answers, without aliases
                log.warning("near-duplicate index unavailable at %s: %s", path, exc)
                return None
        return self._dedup

    def near_duplicates(self) -> NearDuplicates | None:
        """The near-duplicate index (None when `near_duplicate_jaccard` is 0), read once per store generation."""
        if self._dedup_store() is None:
            return None
        generation = self.store.generation()
        if generation != self._dedup_generation:
            texts = lambda ids: {r.doc_id: r.text for r in self.store.records(ids, with_text=True)}  # noqa: E731
            self._dedup.load(self.committed_versions(), texts)
            self._dedup_generation = generation
        return self._dedup

    # ---- consistency -----------------------------------------------------------------------
    def committed_versions(self) -> dict[str, str]:
        """doc_id -> version of every committed document (cached per store generation)."""
        generation = self.store.generation()
        if generation != self._versions_generation:
            self._versions = {r.doc_id: r.version for r in self.store.records()}
            self._versions_generation = generation
            if self.lexical.generation() != generation:
                self.sync()
        return self._versions

    def sync(self) -> None:
        """Bring the BM25 side in line with what Chroma holds (cheap when already in step).

        Skipped while another process writes: that writer leaves both sides in step.
        """
        try:
            with self._write_lock(), self.store.guarded():
                self._sync_locked()
        except IndexBusy:
            log.debug("an ingest is running; BM25 sync left to it")
        except StoreUnavailable as exc:  # a read-only data directory still serves questions
            log.warning("BM25 index not synchronised: %s", exc)

    def _sync_locked(self) -> None:
        generation = self.store.generation()
        if self.lexical.catch_up():
            log.warning("the BM25 ranking index was behind its rows (an interrupted write); rebuilt it")
        if self.lexical.generation() == generation and self.lexical.count() == self.store.count():
            return
        chroma_ids = set(self.store.chunk_ids()) if self.store.chunks is not None else set()
        lexical_ids = self.lexical.chunk_ids()
        extra = sorted(lexical_ids - chroma_ids)
        missing = sorted(chroma_ids - lexical_ids)
        if extra:
            self.lexical.delete_ids(extra)
        if missing:
            self.lexical.add(_lexical_row(c) for c in self.store.get_chunks(missing))
        self.lexical.set_generation(generation)
        log.info("BM25 index synchronised with Chroma: +%d -%d chunks", len(missing), len(extra))

    def repair(self) -> None:
        """Finish or undo the writes of an interrupted ingest (listed in the journal)."""
        pending = self.store.journal()
        if not pending:
            return
        records = {r.doc_id: r for r in self.store.records(pending)}
        for doc_id in pending:
            keep = records[doc_id].version if doc_id in records else None
            self.store.delete_chunks(self.store.stale_chunk_ids(doc_id, keep))
            self.lexical.delete_document(doc_id, keep)
        self.lexical.set_generation(self.store.commit())
        log.warning("repaired %d document(s) left by an interrupted ingest", len(pending))

    # ---- writes ------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        rebuild: bool = False,
        progress: ProgressFn | None = None,
    ) -> IngestReport:
        """Add new and changed documents from files or folders; skip unchanged ones."""
        started = time.perf_counter()
        report = IngestReport()
        # PDF and HTML are parsed in a child process with a time and memory limit (index/parse_worker.py).
        with self._write_lock(), self.store.guarded(), ParseWorker() as worker:
            known = self._prepare_write(rebuild)
            files, failures = discover([Path(p) for p in paths])
            report.failed.extend((f.path, f.reason) for f in failures)
            tell = self._teller(progress, len(files), started, report)
            writer = _BatchWriter(self, known, report, tell)
            for done, (path, root) in enumerate(files, start=1):
                for item in load_file(path, root, int(self.settings.max_file_mb * 1e6), worker):
                    writer.add(item, done - 1, str(path))
                tell(done, str(path))
            writer.flush()
            tell(len(files), "")
        report.seconds = time.perf_counter() - started
        return report

    def ingest_urls(
        self,
        urls: Sequence[str],
        *,
        allow_private: bool,
        progress: ProgressFn | None = None,
        fetch: FetchSettings | None = None,
    ) -> IngestReport:
        """Fetch pages, PDFs, feeds and sitemaps and add what is new or changed (docs/sources.md).

        `allow_private` is True only for URLs the machine's user gave (command line, rag.toml, sources);
        URLs from the chat, the HTTP API or MCP pass `settings.allow_private_urls`.
        """
        from index.fetch import Fetcher
        from index.validators import Validators
        from index.web import WebReader

        started = time.perf_counter()
        report = IngestReport()
        fetch = fetch or FetchSettings.from_index(self.settings)
        # Fetching takes long (a polite delay per page): the writer lock is held only to prepare and
        # then for each batch's write, so uploads and `rag ingest` get their turn in between.
        with self._write_lock(), self.store.guarded():
            known = self._prepare_write(False)
            tell = self._teller(progress, len(urls), started, report)
            writer = _BatchWriter(self, known, report, tell, lock_each_batch=True)
        validators = Validators(self.settings.data_dir)
        try:
            with ParseWorker() as worker, Fetcher(fetch, allow_private=allow_private) as fetcher:
                reader = WebReader(
                    fetcher, validators, dict(known), worker,
                    max_chars=int(self.settings.max_file_mb * 1e6), max_items=fetch.max_items,
                )
                for done, url in enumerate(urls, start=1):
                    for item in reader.items([url]):
                        writer.add(item, done - 1, url)
                    tell(done, url)
                writer.flush()
                report.requests = fetcher.requests
        finally:
            validators.save()
        tell(len(urls), "")
        report.seconds = time.perf_counter() - started
        return report

    @contextmanager
    def _batch_turn(self) -> Iterator[None]:
        """The writer lock for one batch (waiting for another writer's turn), the index repaired and in step."""
        with writer_lock(self.settings.data_dir / "ingest.lock", wait=True), self.store.guarded():
            self.repair()
            self._sync_locked()
            yield

    def _prepare_write(self, rebuild: bool) -> dict[str, str]:
        """Under the writer lock: empty the index when rebuilding, repair, resync; doc_id -> content hash."""
        if rebuild:
            self.store.reset()
            self.lexical.reset()
            if self._dedup_store() is not None:
                self._dedup_store().reset()
                self._dedup_generation = -2
        self.repair()
        self._sync_locked()
        known = {r.doc_id: r.content_hash for r in self.store.records()}
        dedup = self.near_duplicates()
        if dedup is not None:  # an alias re-read as it was is unchanged too
            known.update((a.doc_id, a.content_hash) for a in dedup.aliases())
        return known

    def _teller(self, progress: ProgressFn | None, total: int, started: float, report: IngestReport):
        def tell(done: int, current: str) -> None:
            if progress:
                elapsed = time.perf_counter() - started
                progress(Progress(done, total, report.chunks_written, elapsed, current))

        return tell

    def _classify(self, item, known, seen, report) -> tuple[Document, list[Chunk]] | None:
        from index.web import Unchanged

        if isinstance(item, LoadFailure):
            report.failed.append((item.path, item.reason))
            return None
        if isinstance(item, Unchanged):
            (report.duplicates if item.duplicate else report.unchanged).append(item.doc_id)
            return None
        doc: Document = item
        if doc.doc_id in seen:
            report.failed.append((doc.source, f"duplicate document id '{doc.doc_id}' (also in {seen[doc.doc_id]})"))
            return None
        seen[doc.doc_id] = doc.source
        if known.get(doc.doc_id) == doc.content_hash:
            report.unchanged.append(doc.doc_id)
            return None
        chunks = self.chunker.chunk(doc)
        if not chunks:
            report.failed.append((doc.source, "no text to index"))
            return None
        return doc, chunks

    def _write_batch(self, batch: list[tuple[Document, list[Chunk]]], known: dict[str, str], report: IngestReport) -> None:
        if not batch:
            return
        texts = [embedding_text(self._title_line(d.title), c.text) for d, chunks in batch for c in chunks]
        self.store_batch(batch, self.embedder.encode_documents(texts), known, report)

    def store_batch(
        self, batch: list[tuple[Document, list[Chunk]]], vectors: np.ndarray, known: dict[str, str], report: IngestReport
    ) -> None:
        """Write embedded chunks of whole documents: journal, chunks, BM25 rows, then the commit point."""
        docs = [d for d, _ in batch]
        self.store.begin([d.doc_id for d in docs])
        self.store.add_chunks(batch, vectors)
        self.lexical.put_versions([(d.doc_id, d.version, [_row(d, c) for c in chunks]) for d, chunks in batch])
        self.store.put_records(docs, [len(c) for _, c in batch])  # the commit point of each document
        for doc in docs:
            version = doc.version
            if doc.doc_id in known:  # a new document has no older chunks: `repair` removed any leftovers
                self.store.delete_chunks(self.store.stale_chunk_ids(doc.doc_id, version))
                self.lexical.delete_document(doc.doc_id, keep_version=version)
            (report.updated if doc.doc_id in known else report.added).append(doc.doc_id)
            known[doc.doc_id] = doc.content_hash
        self.lexical.set_generation(self.store.commit())
        report.chunks_written += len(vectors)

    def _title_line(self, title: str) -> str:
        """The title, cut so that title, chunk, [CLS] and [SEP] fit in the embedder's window."""
        budget = MAX_WORD_PIECES - 2 - self.settings.chunk_size
        title = " ".join(title.split())[:TITLE_CHARS]
        pieces = len(self.embedder.tokenize(title))
        while title and pieces > budget:  # dense titles (CJK, figures) run to 120 pieces
            title = title[: len(title) * budget // pieces].rstrip()
            pieces = len(self.embedder.tokenize(title))
        return title

    def remove(self, doc_id: str) -> bool:
        """Delete one document and all its chunks; False when it is not in the index."""
        with self._write_lock(), self.store.guarded():
            dedup = self.near_duplicates()
            if dedup is not None and dedup.alias(doc_id) is not None:
                dedup.drop_aliases([doc_id])
                return True
            if dedup is not None:
                dropped = dedup.forget(doc_id)
                if dropped:  # they were copies of it: the next poll or ingest brings them in on their own
                    log.info("%s removed with its %d alias(es)", doc_id, len(dropped))
            if not self.store.records([doc_id]) and not self.store.stale_chunk_ids(doc_id, None):
                return False
            self.store.begin([doc_id])
            self.store.delete_record(doc_id)
            self.store.delete_chunks(self.store.stale_chunk_ids(doc_id, None))
            self.lexical.delete_document(doc_id)
            self.lexical.set_generation(self.store.commit())
            return True

    def documents_from(self, paths: Iterable[Path]) -> dict[Path, list[str]]:
        """For each of `paths`, the ids of the documents read from that file or from any file under that folder.

        One read of the records, however many paths (a deleted folder reports each of its files).
        """
        found: dict[Path, list[str]] = {Path(p): [] for p in paths}
        for record in self.store.records():
            for path in _holding(record, found):
                found[path].append(record.doc_id)
        return found

    def sources_gone(self, folders: Iterable[Path]) -> set[Path]:
        """The files under `folders` that indexed documents were read from and that no longer exist."""
        roots = [Path(f) for f in folders]
        return {Path(r.source) for r in self.store.records() if _holding(r, roots) and not Path(r.source).exists()}

    def _write_lock(self):
        return writer_lock(self.settings.data_dir / "ingest.lock")

    # ---- reads -------------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return sorted(self.store.records(), key=lambda r: (r.published, r.title), reverse=True)

    def aliases(self, of: Sequence[str] | None = None) -> list[Alias]:
        """Near-duplicates recorded as aliases (of these documents, or all). Only reads: questions use it."""
        dedup = self._dedup_store()
        if dedup is None:
            return []
        try:
            return dedup.aliases(of)
        except sqlite3.Error as exc:
            log.warning("aliases unavailable: %s", exc)
            return []

    def outlet_documents(self, outlets: Sequence[str]) -> set[str]:
        """Ids of the documents whose outlet (site name, case and spaces ignored) is one of `outlets`."""
        wanted = {_outlet_name(o).casefold() for o in outlets}
        return {r.doc_id for r in self.store.records() if _outlet_name(r.site).casefold() in wanted}

    def outlets(self) -> list[str]:
        """The outlets (site names) of the indexed documents, sorted, each once."""
        names = {_outlet_name(r.site): None for r in self.store.records() if r.site.strip()}
        return sorted(names, key=str.casefold)

    def restrict_to_outlets(self, filters: Filters, outlets: Sequence[str]) -> Filters:
        """`filters` narrowed to the articles of `outlets` (none: unchanged); raises NoSuchOutlet when none is left."""
        outlets = [o for o in outlets if o and o.strip()]
        if not outlets:
            return filters
        names = ", ".join(outlets)
        allowed = self.outlet_documents(outlets)
        if not allowed:
            raise NoSuchOutlet(f"no articles from {names}")
        kept = [d for d in filters.doc_ids if d in allowed] if filters.doc_ids else sorted(allowed)
        if not kept:
            raise NoSuchOutlet(f"none of the chosen documents is from {names}")
        return replace(filters, doc_ids=tuple(kept))

    def provenance(self, doc_ids: Sequence[str]) -> dict[str, Provenance]:
        """Outlet, update date and the other outlets carrying the same text, of these documents."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        also: dict[str, list[tuple[str, str]]] = {}
        for alias in self.aliases(ids):
            also.setdefault(alias.alias_of, []).append((alias.site or host_of(alias.url), alias.url))
        return {
            r.doc_id: Provenance(r.site, r.updated, tuple(also.get(r.doc_id, ())))
            for r in self.store.records(ids)
        }

    def document(self, doc_id: str) -> DocumentRecord | None:
        found = self.store.records([doc_id], with_text=True)
        return found[0] if found else None

    def documents_by_id(self, doc_ids: Sequence[str]) -> dict[str, DocumentRecord]:
        """The documents of `doc_ids` that exist, with their text, in one read of the store."""
        if not doc_ids:
            return {}
        return {r.doc_id: r for r in self.store.records(list(doc_ids), with_text=True)}

    def status(self) -> dict[str, Any]:
        return {
            "documents": len(self.committed_versions()),
            "aliases": len(self.aliases()),
            "chunks": self.store.count(),
            "model": self.spec.embed_model,
            "embedding_variant": self.spec.embed_variant,
            "embedded_by": self.settings.embed_url or _here(self.embedder),
            "dimension": self.spec.embed_dim,
            "chunk_size": self.spec.chunk_size,
            "chunk_overlap": self.spec.chunk_overlap,
            "store": self.settings.store_label,
            "collection": self.settings.collection,
            "bm25": str(self.lexical.path),
        }

    def dense_search(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[StoredChunk]:
        """The `n` nearest chunks of committed documents that pass `filters`, `score` their cosine similarity.

        Chroma's filtered search costs about 15x its plain one (140-165 against 10 ms at 18k chunks),
        and most filters (an `as_of` date, a date range) keep most of the archive. So the unfiltered
        top `FILTER_OVERFETCH` x `n` are filtered here first: if enough pass, they are the filtered
        top `n` up to the HNSW approximation (on realtimeqa-dev, recall@40 against an exact search
        0.988, where Chroma's filtered search gets 0.979); if not, Chroma filters.
        """
        if filters is None or filters.is_empty():
            return self._nearest(vector, n, None)
        if not filters.doc_ids:
            unfiltered = self._nearest(vector, FILTER_OVERFETCH * n, None)
            passing = [hit for hit in unfiltered if filters.admits(hit.doc_id, hit.published)]
            if len(passing) >= n:
                return passing[:n]
        return self._nearest(vector, n, filters)

    def _nearest(self, vector: np.ndarray, n: int, filters: Filters | None) -> list[StoredChunk]:
        versions = self.committed_versions()
        nearest = self.store.nearest(vector, n, filters)
        # The BM25 side holds every chunk's text and metadata: one indexed read instead of Chroma's.
        found = {row.chunk_id: _from_lexical(row, 0.0) for row in self.lexical.rows([cid for cid, _ in nearest])}
        missing = [cid for cid, _ in nearest if cid not in found]
        if missing:  # the BM25 side lags behind (another process is writing): ask Chroma
            found.update((c.chunk_id, c) for c in self.store.get_chunks(missing))
        hits = [replace(found[cid], score=score) for cid, score in nearest if cid in found]
        return [h for h in hits if versions.get(h.doc_id) == h.version]

    def lexical_search(self, query: str, n: int, filters: Filters | None = None) -> list[StoredChunk]:
        """Top BM25 chunks of committed documents that pass `filters` (the BM25 side holds all a hit needs)."""
        filters = filters or Filters()
        lo, hi = filters.key_range()
        versions = self.committed_versions()
        hits = self.lexical.search(query, n, doc_ids=filters.doc_ids, min_key=lo, max_key=hi)
        return [_from_lexical(row, score) for row, score in hits if versions.get(row.doc_id) == row.version]

    def similarities(self, vector: np.ndarray, chunk_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of `vector` to these stored chunks (vectors are unit length)."""
        stored = self.store.embeddings(chunk_ids)
        query = np.asarray(vector, dtype=np.float32)
        return {cid: float(v @ query) for cid, v in stored.items()}


class _BatchWriter:
    """Collects classified documents and writes them a batch of `ingest_batch_chunks` at a time.

    A new document that near-duplicates an indexed one (or one earlier in this run) becomes its alias.
    """

    def __init__(
        self, library: Library, known: dict[str, str], report: IngestReport, tell, *, lock_each_batch: bool = False
    ) -> None:
        self.library = library
        self.lock_each_batch = lock_each_batch
        self.known = known
        self.report = report
        self.tell = tell
        self.batch: list[tuple[Document, list[Chunk]]] = []
        self.seen: dict[str, str] = {}
        self.dedup = library.near_duplicates()
        self.indexed = set(library.committed_versions())
        self.aliases: list[Alias] = []
        self.signatures: list[tuple[str, str, object]] = []

    def add(self, item, done: int, current: str) -> None:
        signature = None
        if self.dedup is not None and isinstance(item, Document) and self.known.get(item.doc_id) != item.content_hash:
            signature = self.dedup.signature(item.text)
            original = None if item.doc_id in self.indexed else self.dedup.match(item.doc_id, signature)
            if original is not None and item.doc_id not in self.seen:
                self.seen[item.doc_id] = item.source
                self.aliases.append(_alias(item, original))
                self.report.aliased.append(item.doc_id)
                return
        entry = self.library._classify(item, self.known, self.seen, self.report)
        if entry is not None:
            self.batch.append(entry)
            if self.dedup is not None:
                self.dedup.stage(entry[0].doc_id, entry[0].version, signature)
                self.indexed.add(entry[0].doc_id)
        if sum(len(c) for _, c in self.batch) >= self.library.settings.ingest_batch_chunks:
            self.flush()
            self.tell(done, current)  # a big .jsonl file or feed shows progress inside it

    def flush(self) -> None:
        if not self.batch and not self.aliases:
            return
        with self.library._batch_turn() if self.lock_each_batch else nullcontext():
            self._flush()

    def _flush(self) -> None:
        written = [d.doc_id for d, _ in self.batch]
        self.library._write_batch(self.batch, self.known, self.report)
        self.batch = []
        if self.dedup is None:
            return
        self.dedup.commit()  # after the documents' own commit
        self.dedup.drop_aliases(written)  # a former copy whose text now differs is a document again
        self.dedup.put_aliases(self.aliases)
        self.known.update((a.doc_id, a.content_hash) for a in self.aliases)
        self.aliases = []
        self.library._dedup_generation = self.library.store.generation()


def _alias(doc: Document, original: str) -> Alias:
    return Alias(
        doc_id=doc.doc_id, alias_of=original, title=doc.title, url=doc.url, site=doc.site or host_of(doc.url),
        published=doc.published, updated=doc.updated, content_hash=doc.content_hash, source=doc.source,
    )


def _row(doc: Document, chunk: Chunk) -> LexicalRow:
    return LexicalRow(
        chunk.chunk_id, doc.doc_id, doc.version, doc.published_key, doc.title, chunk.text,
        chunk.start, chunk.end, doc.url, doc.published,
    )


def _lexical_row(chunk: StoredChunk) -> LexicalRow:
    return LexicalRow(
        chunk.chunk_id, chunk.doc_id, chunk.version, date_key(chunk.published), chunk.title, chunk.text,
        chunk.start, chunk.end, chunk.url, chunk.published,
    )


def _from_lexical(row: LexicalRow, score: float) -> StoredChunk:
    return StoredChunk(
        chunk_id=row.chunk_id, doc_id=row.doc_id, version=row.version, text=row.body, start=row.start,
        end=row.end, title=row.title, url=row.url, published=row.published, score=score,
    )


def open_library(settings: IndexSettings, embedder: Embedder | None = None, *, rebuild: bool = False) -> Library:
    """Open the index (emptied first when `rebuild`), turning low-level failures into `StoreUnavailable`."""
    try:
        return Library(settings, embedder, rebuild=rebuild)
    except OSError as exc:
        raise StoreUnavailable(f"cannot use {settings.data_dir}: {exc.strerror or exc}") from exc


def prepare_embedder(settings: IndexSettings) -> str:
    """Convert the local embedding model's network for OpenVINO into the cache (3-10 s, once per
    OpenVINO version), so that the first ingest or question does not pay for it; with torch there is
    nothing to keep. Returns one sentence saying what is ready."""
    if settings.embed_url:
        return f"embeddings come from {settings.embed_url}: nothing to prepare here"
    embedder = make_embedder(
        settings.embed_model,
        settings.embed_batch_size,
        # What an existing index records is not read (no store is needed): fp32 and bf16 share one network.
        _variant(settings, rebuild=True),
        runtime=settings.embed_runtime,
        cache_dir=settings.model_cache_dir,
    )
    if isinstance(embedder, SentenceTransformerEmbedder) and embedder.runtime == "openvino":
        embedder.model  # noqa: B018 -- loading converts the network into the cache (torch caches nothing)
    runtime = getattr(embedder, "runtime", None)
    computed = f", computed by {'OpenVINO' if runtime == 'openvino' else runtime}" if runtime else ""
    return f"the embedding model is ready: {embedder.name} ({embedder.variant}{computed})"


__all__ = ["IngestReport", "Library", "Progress", "Provenance", "open_library", "embedding_text", "prepare_embedder"]
