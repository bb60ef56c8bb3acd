"""BM25 over chunks with SQLite FTS5: persisted, transactional, updated incrementally."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import StoreUnavailable

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
    title, body,
    chunk_id UNINDEXED, doc_id UNINDEXED, version UNINDEXED, published_key UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

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


@dataclass(frozen=True)
class LexicalRow:
    chunk_id: str
    doc_id: str
    version: str
    published_key: int
    title: str
    body: str


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
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the BM25 index {path}: {exc}") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    # ---- writes (each call is one transaction) --------------------------------------------
    def add(self, rows: Iterable[LexicalRow]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO chunks(title, body, chunk_id, doc_id, version, published_key) VALUES (?,?,?,?,?,?)",
                [(r.title, r.body, r.chunk_id, r.doc_id, r.version, r.published_key) for r in rows],
            )

    def put_version(self, doc_id: str, version: str, rows: Sequence[LexicalRow]) -> None:
        """Write the rows of one version of a document (replacing that version only)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id = ? AND version = ?", (doc_id, version))
            self._db.executemany(
                "INSERT INTO chunks(title, body, chunk_id, doc_id, version, published_key) VALUES (?,?,?,?,?,?)",
                [(r.title, r.body, r.chunk_id, r.doc_id, r.version, r.published_key) for r in rows],
            )

    def delete_document(self, doc_id: str, keep_version: str | None = None) -> None:
        with self._lock, self._db:
            if keep_version:
                self._db.execute("DELETE FROM chunks WHERE doc_id = ? AND version != ?", (doc_id, keep_version))
            else:
                self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))

    def delete_ids(self, chunk_ids: Sequence[str]) -> None:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM chunks WHERE chunk_id = ?", [(c,) for c in chunk_ids])

    def reset(self) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM meta")

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
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT chunk_id FROM chunks")}

    def search(
        self,
        query: str,
        n: int,
        *,
        doc_ids: Sequence[str] = (),
        min_key: int = 0,
        max_key: int = 0,
    ) -> list[tuple[str, str, str, float]]:
        """Top `n` (chunk_id, doc_id, version, bm25 score; higher is better) for the query's words."""
        terms = query_terms(query)
        if not terms or n <= 0:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = (
            "SELECT chunk_id, doc_id, version, -bm25(chunks, 0.6, 1.0) AS score FROM chunks "
            "WHERE chunks MATCH ?"
        )
        params: list[object] = [match]
        if doc_ids:
            sql += f" AND doc_id IN ({','.join('?' * len(doc_ids))})"
            params.extend(doc_ids)
        if min_key:
            sql += " AND published_key >= ?"
            params.append(min_key)
        if max_key:
            sql += " AND published_key > 0 AND published_key <= ?"
            params.append(max_key)
        sql += " ORDER BY bm25(chunks, 0.6, 1.0) LIMIT ?"
        params.append(n)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [(r[0], r[1], r[2], float(r[3])) for r in rows]
