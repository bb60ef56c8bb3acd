"""Plain data that crosses module borders in `rag/`: passages, citations, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents and/or a published-date range (inclusive)."""

    doc_ids: tuple[str, ...] = ()
    published_from: date | None = None
    published_to: date | None = None
    as_of: date | None = None

    def is_empty(self) -> bool:
        return not (self.doc_ids or self.published_from or self.published_to or self.as_of)


@dataclass(frozen=True)
class Passage:
    """A retrieved span of one document; `start`/`end` index into the document's text."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    text: str
    score: float
    start: int
    end: int
    url: str = ""
    published: str = ""
    relevance: float = 0.0  # cosine similarity of the question to this passage

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "text": self.text,
            "score": round(float(self.score), 6),
            "start": self.start,
            "end": self.end,
            "url": self.url,
            "published": self.published,
            "relevance": round(float(self.relevance), 6),
        }


@dataclass(frozen=True)
class Citation:
    """A verified citation: `quote` is `document.text[start:end]`."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    url: str
    published: str
    quote: str
    start: int
    end: int

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """The one answer shape used by the CLI, the evaluation and the HTTP API."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    passages: list[Passage]
    backend: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    standalone_question: str = ""

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "notices": list(self.notices),
            "standalone_question": self.standalone_question,
        }


@dataclass(frozen=True)
class Retrieved:
    """Stream event: the passages are known; the generator has not started yet."""

    passages: list[Passage]
    standalone_question: str = ""
