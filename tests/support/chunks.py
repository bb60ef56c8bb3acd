"""Checks on chunks shared by the chunker and loader tests."""

from __future__ import annotations

from collections.abc import Sequence

from index.chunking import Chunk
from index.documents import Document


def uncovered(doc: Document, chunks: Sequence[Chunk]) -> list[int]:
    """Positions of non-whitespace characters that no chunk contains."""
    covered = bytearray(len(doc.text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    return [i for i, ch in enumerate(doc.text) if not covered[i] and not ch.isspace()]
