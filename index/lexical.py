"""BM25 over chunks with SQLite FTS5: persisted, transactional, updated incrementally."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import StoreUnavailable

# `rows` holds each chunk's metadata, indexed by document; `text` is the FTS5 index of title and body,
# sharing the rowid. Deleting a document is then an index lookup, not a scan of every chunk.
SCHEMA_VERSION = "2"
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
    published TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rows_by_doc ON rows(doc_id, version);
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5(
    title, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Tables of earlier layouts: dropped on open, then refilled from Chroma by `Library.sync`.
_OLD_TABLES = ("chunks",)

# Words too common to help ranking; FTS5 has no stop list of its own.
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
# Query words found in more than this share of chunks (and in at least COMMON_TERM_MIN chunks) are
# left out of the match when rarer ones remain: their IDF is small, yet every chunk holding them
# must be scored, which is most of the cost of a query on a large index (docs/benchmarks.md).
COMMON_TERM_SHARE = 0.15
COMMON_TERM_MIN = 5000


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


def query_terms(text: str, limit: int = 32) -> list[str]:
    """Distinct lower-cased content words of a query, in order."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text.lower()):
        if token not in STOPWORDS and token not in seen:
            seen[token] = None
    return list(seen)[:limit]


class LexicalIndex:
    """One SQLite file per (store, collection); safe across threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the BM25 index {path}: {exc}") from exc
        self._lock = threading.Lock()
        self._df: dict[str, int] = {}  # chunks holding each query term, at `_df_generation`
        self._df_generation: int | None = None
        self._total = 0

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" in tables:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row and row[0] == SCHEMA_VERSION:
                return
        with self._db:
            for table in (*_OLD_TABLES, "text", "rows", "meta"):
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))

    # ---- writes (each call is one transaction) --------------------------------------------
    def _insert(self, rows: Iterable[LexicalRow]) -> None:
        self._df_generation = None
        for r in rows:
            cursor = self._db.execute(
                'INSERT INTO rows(chunk_id, doc_id, version, published_key, start, "end", url, published) '
                "VALUES (?,?,?,?,?,?,?,?)",
                (r.chunk_id, r.doc_id, r.version, r.published_key, r.start, r.end, r.url, r.published),
            )
            self._db.execute("INSERT INTO text(rowid, title, body) VALUES (?,?,?)", (cursor.lastrowid, r.title, r.body))

    def _delete(self, where: str, params: Sequence[object]) -> None:
        self._df_generation = None
        ids = [(row[0],) for row in self._db.execute(f"SELECT id FROM rows WHERE {where}", params)]
        self._db.executemany("DELETE FROM text WHERE rowid = ?", ids)
        self._db.executemany("DELETE FROM rows WHERE id = ?", ids)

    def add(self, rows: Iterable[LexicalRow]) -> None:
        with self._lock, self._db:
            self._insert(rows)

    def put_versions(self, versions: Sequence[tuple[str, str, Sequence[LexicalRow]]]) -> None:
        """Write (doc_id, version, rows) of documents in one transaction, replacing those versions only."""
        with self._lock, self._db:
            for doc_id, version, rows in versions:
                self._delete("doc_id = ? AND version = ?", (doc_id, version))
                self._insert(rows)

    def delete_document(self, doc_id: str, keep_version: str | None = None) -> None:
        with self._lock, self._db:
            if keep_version:
                self._delete("doc_id = ? AND version != ?", (doc_id, keep_version))
            else:
                self._delete("doc_id = ?", (doc_id,))

    def delete_ids(self, chunk_ids: Sequence[str]) -> None:
        with self._lock, self._db:
            for lo in range(0, len(chunk_ids), 500):
                part = list(chunk_ids[lo : lo + 500])
                self._delete(f"chunk_id IN ({','.join('?' * len(part))})", part)

    def reset(self) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM text")
            self._db.execute("DELETE FROM rows")
            self._db.execute("DELETE FROM meta WHERE key != 'schema'")

    def set_generation(self, generation: int) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES ('generation', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(generation),),
            )

    # ---- reads ------------------------------------------------------------------------------
    def generation(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else -1

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM rows").fetchone()[0])

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT chunk_id FROM rows")}

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
        with self._lock:
            terms = self._informative(terms)
        # Rank on ids and scores only, then read the few winners: sorting every match with its text
        # cost a third more at 18k chunks (docs/benchmarks.md).
        if doc_ids or min_key or max_key:
            sql = "SELECT text.rowid, -bm25(text, 0.6, 1.0) AS score FROM text JOIN rows r ON r.id = text.rowid WHERE text MATCH ?"
        else:
            sql = "SELECT text.rowid, -bm25(text, 0.6, 1.0) AS score FROM text WHERE text MATCH ?"
        params: list[object] = [_match(terms)]
        if doc_ids:
            sql += f" AND r.doc_id IN ({','.join('?' * len(doc_ids))})"
            params.extend(doc_ids)
        if min_key:
            sql += " AND r.published_key >= ?"
            params.append(min_key)
        if max_key:
            sql += " AND r.published_key > 0 AND r.published_key <= ?"
            params.append(max_key)
        sql += " ORDER BY score DESC LIMIT ?"
        params.append(n)
        with self._lock:
            ranked = self._db.execute(sql, params).fetchall()
            if not ranked:
                return []
            found = {
                r[0]: r[1:]
                for r in self._db.execute(
                    'SELECT r.id, r.chunk_id, r.doc_id, r.version, r.published_key, text.title, text.body, r.start, r."end", '
                    f"r.url, r.published FROM rows r JOIN text ON text.rowid = r.id WHERE r.id IN ({','.join('?' * len(ranked))})",
                    [rowid for rowid, _ in ranked],
                )
            }
        return [(LexicalRow(*found[rowid]), float(score)) for rowid, score in ranked if rowid in found]

    def _informative(self, terms: list[str]) -> list[str]:
        """The query terms worth matching: all but the very common ones (at least the two rarest)."""
        generation = self.generation()
        if self._df_generation != generation:  # any commit, of this process or another, changes counts
            self._df, self._df_generation, self._total = {}, generation, self.count()
        for term in terms:
            if term not in self._df:
                self._df[term] = self._db.execute("SELECT count(*) FROM text WHERE text MATCH ?", (_match([term]),)).fetchone()[0]
        limit = max(COMMON_TERM_SHARE * self._total, COMMON_TERM_MIN)
        kept = [t for t in terms if self._df[t] <= limit]
        return kept if len(kept) >= 2 else sorted(terms, key=self._df.__getitem__)[:2]


def _match(terms: Sequence[str]) -> str:
    return " OR ".join(f'"{t}"' for t in terms)
