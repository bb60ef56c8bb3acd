"""Sentence-aware chunking (llama-index's SentenceSplitter) with exact character offsets."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


from index.documents import Document

# Bump when the way chunks are cut changes: it is recorded with the index.
CHUNKER_VERSION = 1


@dataclass(frozen=True)
class Chunk:
    """A span of one document: `text == document.text[start:end]`."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int


class Chunker:
    """Cuts documents into overlapping sentence-aligned chunks that the embedder reads whole."""

    def __init__(self, tokenize: Callable[[str], list], chunk_size: int, chunk_overlap: int) -> None:
        if chunk_overlap >= chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self._settings = (tokenize, chunk_size, chunk_overlap)
        self._splitter = None

    @property
    def splitter(self):
        """llama-index's SentenceSplitter, imported on first use: a server that only answers never needs it."""
        if self._splitter is None:
            from llama_index.core.node_parser import SentenceSplitter

            tokenize, size, overlap = self._settings
            self._splitter = SentenceSplitter(
                chunk_size=size, chunk_overlap=overlap, tokenizer=tokenize, paragraph_separator="\n\n"
            )
        return self._splitter

    def chunk(self, doc: Document) -> list[Chunk]:
        version = doc.version
        spans = align_spans(doc.text, self.splitter.split_text(doc.text))
        return [
            Chunk(
                chunk_id=f"{doc.doc_id}::{version}::{i:04d}",
                doc_id=doc.doc_id,
                index=i,
                text=doc.text[start:end],
                start=start,
                end=end,
            )
            for i, (start, end) in enumerate(spans)
        ]


def align_spans(source: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Find each piece's [start, end) in `source`, in order; pieces may overlap."""
    spans: list[tuple[int, int]] = []
    cursor, covered = 0, 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        start = _next_occurrence(source, piece, cursor, covered)
        if start >= 0:
            end = start + len(piece)
        else:
            start, end = _fuzzy_span(source, piece, cursor)
        spans.append((start, end))
        cursor, covered = start + 1, max(covered, end)
    return spans


def _next_occurrence(source: str, piece: str, cursor: int, covered: int) -> int:
    """Where the next chunk starts: after `cursor`, reaching past what is covered.

    Each chunk moves forward, so in text that repeats itself an earlier copy is not the one.
    Chunks overlap by a few tokens at most, so of the copies that leave no gap (only the
    whitespace the splitter drops), the last one is it; failing that, the first that reaches past.
    """
    rest = source[covered:]
    no_gap = covered + len(rest) - len(rest.lstrip())
    first = source.find(piece, cursor)
    best, start = -1, first
    while 0 <= start <= no_gap:
        if start + len(piece) > covered:
            best = start
        start = source.find(piece, start + 1)
    if best >= 0:
        return best
    if start >= 0:  # past `no_gap`, so it reaches past what is covered
        return start
    return first if first >= 0 else source.find(piece)


def _fuzzy_span(source: str, piece: str, cursor: int) -> tuple[int, int]:
    """Locate a piece whose whitespace the splitter changed, by matching its words in order."""
    words = piece.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.compile(pattern).search(source, max(0, cursor - 1)) or re.compile(pattern).search(source)
    if match:
        return match.start(), match.end()
    head = source.find(words[0], cursor)
    head = head if head >= 0 else cursor
    return head, min(len(source), head + len(piece))
