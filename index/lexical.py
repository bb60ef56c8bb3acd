"""BM25 over chunks: rows in SQLite (transactional), ranking by a Tantivy index kept in step.

SQLite holds every chunk's metadata and text; it is what a write commits and what a hit is read
from. Tantivy (a Lucene-like engine with segments, deletes and top-k pruning) holds the inverted
index built from those rows, in a folder next to the SQLite file. Each write commits SQLite first,
then applies the same changes to Tantivy and records the SQLite write count it reached. A crash
between the two leaves the Tantivy side behind; the next writer sees the count differ and rebuilds
it from the rows. Until then, searches read its last commit and stale hits are dropped against
the rows.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import StorageError, StoreUnavailable, write_failure

log = logging.getLogger(__name__)

# `rows` holds each chunk's metadata and text, indexed by document, so deleting a document is an
# index lookup. `meta` holds the Chroma generation the rows match and the count of writes so far.
SCHEMA_VERSION = "3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    published_key INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    url TEXT NOT NULL,
    published TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rows_by_doc ON rows(doc_id, version);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Tables of earlier layouts: dropped on open, then refilled from Chroma by `Library.sync`.
_OLD_TABLES = ("chunks", "text")
# Changes to the analyser or the Tantivy fields: a different value rebuilds the Tantivy side.
RANKING_VERSION = "2"
_WRITER_HEAP = 64_000_000

# Words too common to help ranking; never sent as query terms.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves""".split()
)
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class LexicalRow:
    """One chunk as the BM25 side keeps it: enough to serve a hit without asking Chroma."""

    chunk_id: str
    doc_id: str
    version: str
    published_key: int
    title: str
    body: str
    start: int
    end: int
    url: str
    published: str


_COLUMNS = 'chunk_id, doc_id, version, published_key, title, body, start, "end", url, published'


def query_terms(text: str, limit: int = 32) -> list[str]:
    """Distinct lower-cased content words of a query, in order."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text.lower()):
        if token not in STOPWORDS and token not in seen:
            seen[token] = None
    return list(seen)[:limit]


class LexicalIndex:
    """One SQLite file and one Tantivy folder per (store, collection); safe across threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ranking_path = path.with_suffix(".tantivy")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            migrated = self._migrate()
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the BM25 index {path}: {exc}") from exc
        self._lock = threading.Lock()
        self._ranking = _Ranking(self.ranking_path, fresh=migrated)
        self._ops: list[tuple[str, Any]] = []  # Tantivy changes of the open SQLite transaction

    def close(self) -> None:
        self._db.close()
        self._ranking.close()

    def _migrate(self) -> bool:
        """Drop the tables of an older layout; True when it did (the ranking side is then stale too)."""
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" in tables:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row and row[0] == SCHEMA_VERSION:
                return False
        with self._db:
            for table in (*_OLD_TABLES, "rows", "meta"):
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        return True

    # ---- writes (each call is one SQLite transaction, then one Tantivy commit) ----------------
    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._lock:
            self._ops = []
            with self._db:
                yield
                if self._ops:
                    self._db.execute(
                        "INSERT INTO meta(key, value) VALUES ('writes', '1') "
                        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                    )
            ops, self._ops = self._ops, []
            if ops:
                self._ranking.apply(ops, self._writes(), self._all_rows)

    def _insert(self, rows: Iterable[LexicalRow]) -> None:
        for r in rows:
            cursor = self._db.execute(
                f"INSERT INTO rows({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (r.chunk_id, r.doc_id, r.version, r.published_key, r.title, r.body, r.start, r.end, r.url, r.published),
            )
            self._ops.append(("add", (cursor.lastrowid, r)))

    def _delete(self, where: str, params: Sequence[object]) -> None:
        ids = [row[0] for row in self._db.execute(f"SELECT id FROM rows WHERE {where}", params)]
        self._db.executemany("DELETE FROM rows WHERE id = ?", [(i,) for i in ids])
        self._ops.extend(("delete", i) for i in ids)

    def add(self, rows: Iterable[LexicalRow]) -> None:
        with self._writing():
            self._insert(rows)

    def put_versions(self, versions: Sequence[tuple[str, str, Sequence[LexicalRow]]]) -> None:
        """Write (doc_id, version, rows) of documents in one transaction, replacing those versions only."""
        with self._writing():
            for doc_id, version, rows in versions:
                self._delete("doc_id = ? AND version = ?", (doc_id, version))
                self._insert(rows)

    def delete_document(self, doc_id: str, keep_version: str | None = None) -> None:
        with self._writing():
            if keep_version:
                self._delete("doc_id = ? AND version != ?", (doc_id, keep_version))
            else:
                self._delete("doc_id = ?", (doc_id,))

    def delete_ids(self, chunk_ids: Sequence[str]) -> None:
        with self._writing():
            for lo in range(0, len(chunk_ids), 500):
                part = list(chunk_ids[lo : lo + 500])
                self._delete(f"chunk_id IN ({','.join('?' * len(part))})", part)

    def reset(self) -> None:
        with self._writing():
            self._db.execute("DELETE FROM rows")
            self._db.execute("DELETE FROM meta WHERE key NOT IN ('schema', 'writes')")
            self._ops.append(("clear", None))

    def set_generation(self, generation: int) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES ('generation', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(generation),),
            )

    def catch_up(self) -> bool:
        """Rebuild the ranking side from the rows if an interrupted write left it behind; True if it did.

        A new, empty index is "behind" too (it has no write count yet), but there is nothing to rebuild.
        """
        with self._lock:
            return self._ranking.catch_up(self._writes(), self._all_rows) and self.count() > 0

    # ---- reads ------------------------------------------------------------------------------
    def generation(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else -1

    def _writes(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'writes'").fetchone()
        return int(row[0]) if row else 0

    def in_step(self) -> bool:
        """Whether the ranking side holds every committed write of the rows."""
        return self._ranking.synced_writes() == self._writes()

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM rows").fetchone()[0])

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT chunk_id FROM rows")}

    def rows(self, chunk_ids: Sequence[str]) -> list[LexicalRow]:
        """The rows of these chunks that exist, in no particular order."""
        if not chunk_ids:
            return []
        with self._lock:
            return [
                LexicalRow(*r)
                for lo in range(0, len(chunk_ids), 500)
                for r in self._db.execute(
                    f"SELECT {_COLUMNS} FROM rows WHERE chunk_id IN ({','.join('?' * len(chunk_ids[lo : lo + 500]))})",
                    list(chunk_ids[lo : lo + 500]),
                )
            ]

    def _all_rows(self) -> Iterator[tuple[int, LexicalRow]]:
        for row in self._db.execute(f"SELECT id, {_COLUMNS} FROM rows"):
            yield row[0], LexicalRow(*row[1:])

    def search(
        self,
        query: str,
        n: int,
        *,
        doc_ids: Sequence[str] = (),
        min_key: int = 0,
        max_key: int = 0,
    ) -> list[tuple[LexicalRow, float]]:
        """Top `n` chunks with their BM25 score (higher is better) for the query's words."""
        terms = query_terms(query)
        if not terms or n <= 0:
            return []
        ranked = self._ranking.search(" ".join(terms), n, doc_ids=doc_ids, min_key=min_key, max_key=max_key)
        if not ranked:
            return []
        with self._lock:
            found = {
                r[0]: LexicalRow(*r[1:])
                for r in self._db.execute(
                    f"SELECT id, {_COLUMNS} FROM rows WHERE id IN ({','.join('?' * len(ranked))})",
                    [rowid for rowid, _ in ranked],
                )
            }
        # A hit whose row is gone was deleted after the ranking side's last commit: skip it.
        return [(found[rowid], score) for rowid, score in ranked if rowid in found]


class _Ranking:
    """The Tantivy side: fields, analyser, incremental commits and the write count they reached."""

    def __init__(self, path: Path, *, fresh: bool) -> None:
        import tantivy

        self._tv = tantivy
        self.path = path
        self._marker = path / "synced"
        try:
            if fresh or not self._marker.exists() or self._marker.read_text().split(":")[0] != RANKING_VERSION:
                shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True, exist_ok=True)
            builder = tantivy.SchemaBuilder()
            builder.add_text_field("body", stored=False, tokenizer_name="news")
            builder.add_integer_field("rid", stored=True, indexed=True, fast=True)
            builder.add_integer_field("published_key", stored=False, indexed=True, fast=True)
            builder.add_text_field("doc_id", stored=False, tokenizer_name="raw")
            self._schema = builder.build()
            self._index = tantivy.Index(self._schema, path=str(path))
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(f"cannot open the BM25 ranking index {path}: {exc}") from exc
        # Lower-case, fold accents to ASCII, English (Snowball) stems; words over 40 bytes are dropped.
        self._analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("english"))
            .build()
        )
        self._index.register_tokenizer("news", self._analyzer)
        self._searcher_lock = threading.Lock()
        self._searcher: Any = None
        self._searcher_writes = -1

    def close(self) -> None:
        self._searcher = None
        self._index = None

    def synced_writes(self) -> int:
        try:
            version, writes = self._marker.read_text().split(":")
            return int(writes) if version == RANKING_VERSION else -1
        except (OSError, ValueError):
            return -1

    def _mark(self, writes: int) -> None:
        temporary = self._marker.with_suffix(".tmp")
        temporary.write_text(f"{RANKING_VERSION}:{writes}")
        os.replace(temporary, self._marker)

    def apply(self, ops: list[tuple[str, Any]], writes: int, all_rows) -> None:
        """Apply one committed SQLite transaction's changes (writes - 1 -> writes), or rebuild."""
        if self.synced_writes() != writes - 1:  # an earlier write never reached this side
            self._rebuild(writes, all_rows)
            return
        with self._writer() as writer:
            for op, value in ops:
                if op == "add":
                    writer.add_document(self._document(*value))
                elif op == "delete":
                    writer.delete_documents_by_term("rid", value)
                else:
                    writer.delete_all_documents()
        self._mark(writes)

    def catch_up(self, writes: int, all_rows) -> bool:
        if self.synced_writes() == writes:
            return False
        self._rebuild(writes, all_rows)
        return True

    def _rebuild(self, writes: int, all_rows) -> None:
        log.info("rebuilding the BM25 ranking index %s from its rows", self.path)
        with self._writer() as writer:
            writer.delete_all_documents()
            for rowid, row in all_rows():
                writer.add_document(self._document(rowid, row))
        self._mark(writes)

    def _document(self, rowid: int, row: LexicalRow) -> Any:
        # Bodies only: adding the titles, as a field or as text, lost 5 to 17 points of hit@5 on
        # realtimeqa-dev (benchmarks/results/history.md); the dense side embeds them.
        return self._tv.Document(body=row.body, rid=rowid, published_key=row.published_key, doc_id=row.doc_id)

    @contextmanager
    def _writer(self) -> Iterator[Any]:
        """A writer for one commit; dropped afterwards, so another process may write next."""
        try:
            writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            yield writer
            writer.commit()
            writer.wait_merging_threads()
        except ValueError as exc:
            reason = write_failure(exc)
            if reason:
                raise StorageError(f"cannot write the BM25 ranking index {self.path}: {reason}") from exc
            raise StoreUnavailable(f"cannot write the BM25 ranking index {self.path}: {exc}") from exc

    def search(
        self, text: str, n: int, *, doc_ids: Sequence[str], min_key: int, max_key: int
    ) -> list[tuple[int, float]]:
        """(row id, BM25 score) of the best `n` documents for the words of `text`."""
        tv = self._tv
        terms = list(dict.fromkeys(self._analyzer.analyze(text)))
        if not terms:
            return []
        query = tv.Query.boolean_query([(tv.Occur.Should, tv.Query.term_query(self._schema, "body", t)) for t in terms])
        filters = []
        if doc_ids:
            filters.append(tv.Query.term_set_query(self._schema, "doc_id", list(doc_ids)))
        if min_key or max_key:
            lower = max(min_key, 1) if max_key else min_key
            filters.append(
                tv.Query.range_query(self._schema, "published_key", tv.FieldType.Integer, lower, max_key or 2**62)
            )
        if filters:  # filters decide what may match; they add nothing to the score
            query = tv.Query.boolean_query(
                [(tv.Occur.Must, query)] + [(tv.Occur.Must, tv.Query.const_score_query(f, 0.0)) for f in filters]
            )
        searcher = self._current_searcher()
        hits = searcher.search(query, n).hits
        return [(searcher.doc(address)["rid"][0], float(score)) for score, address in hits]

    def _current_searcher(self) -> Any:
        """A searcher on the latest commit (of this process or another)."""
        writes = self.synced_writes()
        with self._searcher_lock:
            if self._searcher is None or writes != self._searcher_writes:
                self._index.reload()
                self._searcher, self._searcher_writes = self._index.searcher(), writes
            return self._searcher


__all__ = ["LexicalIndex", "LexicalRow", "STOPWORDS", "query_terms"]
