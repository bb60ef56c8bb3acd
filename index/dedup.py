"""Near-duplicate articles (wire copies, syndicated reprints) found at ingest time with MinHash/LSH.

The first copy of a text is indexed; a later copy whose word 5-shingles overlap it by at least
`threshold` (Jaccard, estimated from 128 MinHash permutations, then checked) becomes an `Alias` of it:
recorded with its own URL, outlet and dates, but not chunked, embedded or counted, so no answer
reads the same text twice. Citations of the first copy list the aliases' outlets (`also_in`).

Signatures and aliases live in one SQLite file next to the BM25 index. A signature is written after
its document's commit, and any committed document without one (an interrupted ingest, an index
built before this module) gets it from its stored text the next time the index is written.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

NUM_PERM = 128
SCHEME = "affine32"  # datasketch's permutation scheme: stored signatures are only comparable within one
SHINGLE_WORDS = 5
MIN_SHINGLES = 20  # shorter texts (a headline, a brief) are too small to call copies of each other
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Alias:
    """A near-duplicate of `alias_of`: where else the same text was published."""

    doc_id: str
    alias_of: str
    title: str = ""
    url: str = ""
    site: str = ""
    published: str = ""
    updated: str = ""
    content_hash: str = ""
    source: str = ""


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}


class NearDuplicates:
    """The LSH index of every indexed document's signature, and the alias table."""

    def __init__(self, path: Path, threshold: float) -> None:
        from datasketch import MinHashLSH

        self.path = Path(path)
        self.threshold = threshold
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._read_lock = threading.Lock()  # questions read aliases from server threads
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS signatures (doc_id TEXT PRIMARY KEY, version TEXT, sig BLOB);"
            "CREATE TABLE IF NOT EXISTS aliases (doc_id TEXT PRIMARY KEY, alias_of TEXT, title TEXT, url TEXT,"
            " site TEXT, published TEXT, updated TEXT, content_hash TEXT, source TEXT);"
            "CREATE INDEX IF NOT EXISTS aliases_of ON aliases(alias_of);"
        )
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._sigs: dict[str, np.ndarray] = {}
        self._versions: dict[str, str] = {}
        self._pending: list[tuple[str, str, np.ndarray]] = []

    def close(self) -> None:
        self._db.close()

    # ---- signatures -----------------------------------------------------------------------
    @staticmethod
    def signature(text: str):
        """The MinHash of the text's word 5-shingles, or None when the text is too short to compare."""
        from datasketch import MinHash

        found = shingles(text)
        if len(found) < MIN_SHINGLES:
            return None
        minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
        minhash.update_batch(list(found))
        return minhash

    def load(self, committed: Mapping[str, str], texts: Callable[[list[str]], Mapping[str, str]]) -> None:
        """Fill the LSH index from the stored signatures of the `committed` documents (doc_id -> version),
        computing those that are missing or stale from their stored text."""
        from datasketch import MinHashLSH

        self._lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
        self._sigs, self._versions, self._pending = {}, {}, []
        rows = self._db.execute("SELECT doc_id, version, sig FROM signatures").fetchall()
        stored = {d: (v, np.frombuffer(s, dtype=np.uint64)) for d, v, s in rows}
        missing = [d for d, v in committed.items() if d not in stored or stored[d][0] != v]
        for doc_id, (version, sig) in stored.items():
            if committed.get(doc_id) == version:
                self._insert(doc_id, version, sig)
        gone = [d for d in stored if d not in committed]
        if gone:
            self._db.executemany("DELETE FROM signatures WHERE doc_id = ?", [(d,) for d in gone])
        orphans = [a.doc_id for a in self._aliases(None) if a.alias_of not in committed]
        if orphans:  # their first copy went (a rebuild, a removal elsewhere): they come back as documents
            self._db.executemany("DELETE FROM aliases WHERE doc_id = ?", [(d,) for d in orphans])
        if missing:
            log.info("computing near-duplicate signatures of %d document(s)", len(missing))
            for start in range(0, len(missing), 256):
                part = missing[start : start + 256]
                for doc_id, text in texts(part).items():
                    minhash = self.signature(text)
                    if minhash is not None:
                        self.stage(doc_id, committed[doc_id], minhash)
            self.commit()
        self._db.commit()

    def match(self, doc_id: str, minhash) -> str | None:
        """The indexed document `minhash` near-duplicates (the closest), or None; never `doc_id` itself."""
        if minhash is None:
            return None
        best, best_score = None, 0.0
        for key in self._lsh.query(minhash):
            if key == doc_id:
                continue
            score = float(np.mean(self._sigs[key] == minhash.hashvalues))
            if score >= self.threshold and (score > best_score or (score == best_score and key < (best or key))):
                best, best_score = key, score
        return best

    def stage(self, doc_id: str, version: str, minhash) -> None:
        """Index `doc_id`'s signature now (later documents of the batch match it); stored on `commit`."""
        if minhash is None:
            return
        self._insert(doc_id, version, minhash.hashvalues)
        self._pending.append((doc_id, version, minhash.hashvalues))

    def _insert(self, doc_id: str, version: str, sig: np.ndarray) -> None:
        from datasketch import MinHash

        if doc_id in self._sigs:
            self._lsh.remove(doc_id)
        self._lsh.insert(doc_id, MinHash(num_perm=NUM_PERM, hashvalues=sig, scheme=SCHEME))
        self._sigs[doc_id] = sig
        self._versions[doc_id] = version

    def commit(self) -> None:
        """Store the staged signatures (after their documents' commit)."""
        if self._pending:
            self._db.executemany(
                "INSERT OR REPLACE INTO signatures VALUES (?, ?, ?)",
                [(d, v, np.asarray(s, dtype=np.uint64).tobytes()) for d, v, s in self._pending],
            )
            self._db.commit()
            self._pending = []

    # ---- aliases ----------------------------------------------------------------------------
    def put_aliases(self, aliases: Iterable[Alias]) -> None:
        rows = [
            (a.doc_id, a.alias_of, a.title, a.url, a.site, a.published, a.updated, a.content_hash, a.source)
            for a in aliases
        ]
        if rows:
            self._db.executemany("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.commit()

    def aliases(self, of: Iterable[str] | None = None) -> list[Alias]:
        with self._read_lock:
            return self._aliases(of)

    def _aliases(self, of: Iterable[str] | None) -> list[Alias]:
        if of is None:
            rows = self._db.execute("SELECT * FROM aliases ORDER BY alias_of, doc_id").fetchall()
        else:
            ids = list(of)
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            rows = self._db.execute(f"SELECT * FROM aliases WHERE alias_of IN ({marks}) ORDER BY doc_id", ids).fetchall()
        return [Alias(*row) for row in rows]

    def alias(self, doc_id: str) -> Alias | None:
        row = self._db.execute("SELECT * FROM aliases WHERE doc_id = ?", (doc_id,)).fetchone()
        return Alias(*row) if row else None

    def drop_aliases(self, doc_ids: Iterable[str]) -> None:
        self._db.executemany("DELETE FROM aliases WHERE doc_id = ?", [(d,) for d in doc_ids])
        self._db.commit()

    def forget(self, doc_id: str) -> list[str]:
        """Drop a document: its signature, its alias row, and the aliases of it (returned)."""
        if doc_id in self._sigs:
            self._lsh.remove(doc_id)
            del self._sigs[doc_id]
        dropped = [a.doc_id for a in self._aliases([doc_id])]
        self._db.execute("DELETE FROM signatures WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM aliases WHERE doc_id = ? OR alias_of = ?", (doc_id, doc_id))
        self._db.commit()
        return dropped

    def reset(self) -> None:
        from datasketch import MinHashLSH

        self._db.executescript("DELETE FROM signatures; DELETE FROM aliases;")
        self._lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
        self._sigs, self._versions, self._pending = {}, {}, []
