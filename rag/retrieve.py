"""Hybrid retrieval: dense (Chroma) + BM25 (Tantivy), reciprocal rank fusion, news-aware ranking."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import date

from index.documents import parse_date
from index.filters import Filters, as_filters
from index.lexical import query_terms
from index.library import Library
from index.store import StoredChunk
from rag.config import RetrievalSettings
from rag.types import Outlet, Passage

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
_RECENT = re.compile(
    r"\b(this|last|past) (week|month|weekend|year)\b|\b(latest|recent(ly)?|currently|now|today|yesterday|newest|upcoming)\b",
    re.IGNORECASE,
)


def asks_about_recent(question: str) -> bool:
    """Does `question` ask about what is recent ("this week", "the latest", "now")?

    A capitalised word past the question's first is part of a name, not a time: "USA TODAY". "New" and
    "announced" do not count: "the new forecast" is what its article reported, whenever that was.
    """
    return any(m.start() == 0 or not m.group(0)[0].isupper() for m in _RECENT.finditer(question.strip()))


# A question about "this week" cannot be answered by an article published more than this many days
# before its reference date (a week and a weekend's slack for the publication).
WEEK_WINDOW_DAYS = 10
_THIS_WEEK = re.compile(r"\b(this|last|past) (week|weekend)\b", re.IGNORECASE)


def current_for(question: str, passages: Sequence[Passage], as_of: date | None = None) -> set[str]:
    """The documents among `passages` that can tell what a question about this week asks.

    When the question is asked as of a date and says "this week" ("last week", "the past week",
    "this weekend"), an article dated more than `WEEK_WINDOW_DAYS` before that date does not: the
    Chile election of December is no answer to "which country elected its first leftist leader this
    week?" asked in June. Undated articles stay. Without an as-of date the week is not known (the
    newest article of an archive is no guide: its "last week" may be years back), so all stay.
    """
    ids = {p.doc_id for p in passages}
    if as_of is None or not _THIS_WEEK.search(question):
        return ids
    dates = {p.doc_id: parse_date(p.updated or p.published) for p in passages}
    return {i for i in ids if dates[i] is None or (as_of - dates[i]).days <= WEEK_WINDOW_DAYS}


class Retriever:
    """Finds the passages for a question; `mode` picks dense, BM25 or both."""

    def __init__(self, library: Library, mode: str = "hybrid", settings: RetrievalSettings | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        self.library = library
        self.mode = mode
        self.settings = settings or RetrievalSettings()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        """The top `k` passages in rank order, numbered from 1."""
        filters = filters or Filters()
        # BM25 (Tantivy, then SQLite) runs while the query is embedded and searched densely (torch, HNSW): all
        # three release the GIL, so on two cores the slower side sets the time, not the sum.
        lexical = self._lexical_in_background(query, filters) if self.mode in ("hybrid", "bm25") else None
        vector = self.library.embedder.encode_query(query)  # also needed in BM25 mode, for relevance
        ranked, cosines = self._fuse(vector, filters, lexical)
        ranked = self._prefer_recent(query, ranked, filters)
        passages = self._with_provenance(self._select(ranked, k))
        # Dense hits come with their cosine; only BM25-only hits need their vectors read back.
        chosen = [cid for p in passages for cid in p.chunk_ids]
        relevance = cosines | self.library.similarities(vector, [c for c in chosen if c not in cosines])
        return [
            replace(p, n=i, relevance=max(relevance.get(cid, 0.0) for cid in p.chunk_ids))
            for i, p in enumerate(passages, start=1)
        ]

    # ---- stages -----------------------------------------------------------------------------
    def _with_provenance(self, passages: list[Passage]) -> list[Passage]:
        """Each passage's outlet, update date and the other outlets carrying the same text (its aliases)."""
        known = self.library.provenance([p.doc_id for p in passages])
        out = []
        for p in passages:
            about = known.get(p.doc_id)
            if about is None or not (about.outlet or about.updated or about.also_in):
                out.append(p)
                continue
            also = tuple(Outlet(outlet, url) for outlet, url in about.also_in)
            out.append(replace(p, outlet=about.outlet, updated=about.updated, also_in=also))
        return out

    def _lexical_in_background(self, query: str, filters: Filters) -> Future:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bm25")
            pool = self._pool
        return pool.submit(self.library.lexical_search, query, self.settings.candidates, filters)

    def _fuse(
        self, vector, filters: Filters, lexical: Future | None
    ) -> tuple[list[tuple[StoredChunk, float]], dict[str, float]]:
        """Chunks by fused score, and the cosine similarity of each dense hit (`lexical`: the BM25 hits to come)."""
        s = self.settings
        lists: list[tuple[list[StoredChunk], float]] = []
        cosines: dict[str, float] = {}
        if self.mode in ("hybrid", "dense"):
            dense = self.library.dense_search(vector, s.candidates, filters)
            cosines = {hit.chunk_id: hit.score for hit in dense}
            lists.append((dense, s.dense_weight))
        if lexical is not None:
            lists.append((lexical.result(), s.bm25_weight))
        scores: dict[str, float] = {}
        chunks: dict[str, StoredChunk] = {}
        for hits, weight in lists:
            for rank, hit in enumerate(hits):
                scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (s.rrf_k + rank + 1)
                chunks.setdefault(hit.chunk_id, hit)
        return sorted(((chunks[c], v) for c, v in scores.items()), key=lambda cv: -cv[1]), cosines

    def _prefer_recent(self, query: str, ranked, filters: Filters):
        """Questions about 'this week' or 'the latest' favour articles close to the reference date."""
        s = self.settings
        if not ranked or s.recency_weight <= 0 or not (filters.as_of or asks_about_recent(query)):
            return ranked
        dates = [parse_date(c.published) for c, _ in ranked]
        reference = filters.as_of or max((d for d in dates if d), default=None)
        if reference is None:
            return ranked
        rescored = []
        for (chunk, score), published in zip(ranked, dates):
            age = (reference - published).days if published else None
            boost = s.recency_weight * math.exp(-max(age, 0) / s.recency_half_life_days) if age is not None else 0.0
            rescored.append((chunk, score * (1.0 + boost)))
        return sorted(rescored, key=lambda cv: -cv[1])

    def _select(self, ranked: Sequence[tuple[StoredChunk, float]], k: int) -> list[Passage]:
        """Take the best chunks, merging overlapping ones of a document and skipping wire copies."""
        chosen: list[Passage] = []
        held: list[Passage] = []  # passages of articles already at `per_document`, used only to fill up
        shingles: list[tuple[str, set[str]]] = []
        cap = self.settings.per_document
        for chunk, score in ranked:
            if _merge_into(chosen, chunk) or _merge_into(held, chunk):
                continue
            words = _shingles(chunk.text)
            if any(doc != chunk.doc_id and _jaccard(words, other) >= self.settings.duplicate_jaccard for doc, other in shingles):
                continue
            shingles.append((chunk.doc_id, words))
            passage = _passage(chunk, score)
            if cap and sum(p.doc_id == chunk.doc_id for p in chosen) >= cap:
                held.append(passage)
                continue
            chosen.append(passage)
            if len(chosen) >= k:
                break
        return chosen + held[: k - len(chosen)]


def _passage(chunk: StoredChunk, score: float) -> Passage:
    return Passage(
        n=0,
        doc_id=chunk.doc_id,
        chunk_ids=(chunk.chunk_id,),
        title=chunk.title,
        text=chunk.text,
        score=score,
        start=chunk.start,
        end=chunk.end,
        url=chunk.url,
        published=chunk.published,
    )


def _merge_into(chosen: list[Passage], chunk: StoredChunk) -> bool:
    """Fold `chunk` into a chosen passage of the same document that it overlaps or touches."""
    for i, p in enumerate(chosen):
        if p.doc_id != chunk.doc_id or chunk.start > p.end or chunk.end < p.start:
            continue
        if chunk.start >= p.start and chunk.end <= p.end:
            return True
        if chunk.start < p.start:
            text = chunk.text + p.text[chunk.end - p.start :] if chunk.end < p.end else chunk.text
        else:
            text = p.text + chunk.text[p.end - chunk.start :]
        start, end = min(p.start, chunk.start), max(p.end, chunk.end)
        chosen[i] = replace(p, text=text, start=start, end=end, chunk_ids=(*p.chunk_ids, chunk.chunk_id))
        return True
    return False


def _shingles(text: str) -> set[str]:
    words = query_terms(text, limit=10_000)
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


__all__ = ["MODES", "Retriever", "RetrievalSettings", "as_filters", "date"]
