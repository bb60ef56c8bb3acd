"""Plain data that crosses module borders in `rag/`: passages, citations, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.filters import Filters  # noqa: F401  (re-exported: the filter a question carries)


@dataclass(frozen=True)
class Outlet:
    """Another outlet carrying the same text (a wire copy or syndicated reprint) and its URL."""

    outlet: str
    url: str


def _outlets(data: object) -> tuple[Outlet, ...]:
    items = data if isinstance(data, list) else []
    return tuple(Outlet(str(o.get("outlet", "")), str(o.get("url", ""))) for o in items if isinstance(o, dict))


@dataclass(frozen=True)
class Passage:
    """A retrieved span of one document; `start`/`end` index into the document's text.

    Overlapping chunks of a document are merged into one passage: `chunk_ids` lists them all.
    """

    n: int
    doc_id: str
    chunk_ids: tuple[str, ...]
    title: str
    text: str
    score: float
    start: int
    end: int
    url: str = ""
    published: str = ""
    relevance: float = 0.0  # cosine similarity of the question to this passage
    outlet: str = ""  # the site name of a fetched page
    updated: str = ""  # its last update (ISO date), when it says
    also_in: tuple[Outlet, ...] = ()  # other outlets with the same text

    @property
    def chunk_id(self) -> str:
        """The passage's id in JSON and citations: its chunks' ids joined by "+"."""
        return "+".join(self.chunk_ids)

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
            "outlet": self.outlet,
            "updated": self.updated,
            "also_in": [asdict(o) for o in self.also_in],
        }

    @classmethod
    def from_json(cls, data: dict):
        """The inverse of `to_json`."""
        return cls(
            n=int(data["n"]),
            doc_id=str(data["doc_id"]),
            chunk_ids=tuple(str(data.get("chunk_id", "")).split("+")),
            title=str(data.get("title", "")),
            text=str(data.get("text", "")),
            score=float(data.get("score", 0.0)),
            start=int(data.get("start", 0)),
            end=int(data.get("end", 0)),
            url=str(data.get("url", "")),
            published=str(data.get("published", "")),
            relevance=float(data.get("relevance", 0.0)),
            outlet=str(data.get("outlet", "")),
            updated=str(data.get("updated", "")),
            also_in=_outlets(data.get("also_in")),
        )


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
    outlet: str = ""  # the site name of a fetched page
    updated: str = ""  # its last update (ISO date), when it says
    also_in: tuple[Outlet, ...] = ()  # other outlets with the same text: [{outlet, url}] in JSON

    def to_json(self) -> dict:
        data = asdict(self)
        data["also_in"] = [asdict(o) for o in self.also_in]
        return data

    @classmethod
    def from_json(cls, data: dict):
        """The inverse of `to_json`."""
        return cls(
            n=int(data["n"]),
            doc_id=str(data["doc_id"]),
            chunk_id=str(data.get("chunk_id", "")),
            title=str(data.get("title", "")),
            url=str(data.get("url", "")),
            published=str(data.get("published", "")),
            quote=str(data.get("quote", "")),
            start=int(data.get("start", 0)),
            end=int(data.get("end", 0)),
            outlet=str(data.get("outlet", "")),
            updated=str(data.get("updated", "")),
            also_in=_outlets(data.get("also_in")),
        )


@dataclass
class TokenUsage:
    """The model's work for one answer: tokens read, tokens written and calls made, over every step
    (rewriting a follow-up, judging sentences, copying the short answer)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_calls: int = 0

    def add(self, prompt_tokens: int = 0, completion_tokens: int = 0, calls: int = 0) -> None:
        self.prompt_tokens += max(0, prompt_tokens)
        self.completion_tokens += max(0, completion_tokens)
        self.model_calls += max(0, calls)

    def to_json(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "model_calls": self.model_calls,
        }

    def __str__(self) -> str:
        """'3 model calls, 1,204 tokens'."""
        calls = f"{self.model_calls} model call{'s' if self.model_calls != 1 else ''}"
        return f"{calls}, {self.prompt_tokens + self.completion_tokens:,} tokens"

    @classmethod
    def from_json(cls, data: dict | None):
        """The inverse of `to_json`; zeros for an answer saved before usage was counted."""
        data = data or {}
        return cls(int(data.get("prompt_tokens", 0)), int(data.get("completion_tokens", 0)), int(data.get("model_calls", 0)))


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
    short_answer: str | None = None  # the bare phrase that answers (a name, date, number, clause); None on a refusal
    # The model's belief (0-1) that the answer's first sentence states the answer (verify mode's
    # VERIFY); None when no model judged it (a refusal, the extractive back end, a written answer).
    confidence: float | None = None
    tentative: bool = False  # confidence below `tentative_below`: shown with a word of caution
    usage: TokenUsage = field(default_factory=TokenUsage)  # zeros when no model was asked

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "short_answer": self.short_answer,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "notices": list(self.notices),
            "standalone_question": self.standalone_question,
            "confidence": self.confidence,
            "tentative": self.tentative,
            "usage": self.usage.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict):
        """The inverse of `to_json`."""
        return cls(
            question=str(data.get("question", "")),
            answer=str(data.get("answer", "")),
            refused=bool(data.get("refused", False)),
            citations=[Citation.from_json(c) for c in data.get("citations") or ()],
            passages=[Passage.from_json(p) for p in data.get("passages") or ()],
            backend=str(data.get("backend", "")),
            timings_ms={str(k): float(v) for k, v in (data.get("timings_ms") or {}).items()},
            notices=[str(n) for n in data.get("notices") or ()],
            standalone_question=str(data.get("standalone_question", "")),
            short_answer=None if data.get("short_answer") is None else str(data["short_answer"]),
            confidence=None if data.get("confidence") is None else float(data["confidence"]),
            tentative=bool(data.get("tentative", False)),
            usage=TokenUsage.from_json(data.get("usage")),
        )


@dataclass(frozen=True)
class Retrieved:
    """Stream event: the passages are known; the generator has not started yet."""

    passages: list[Passage]
    standalone_question: str = ""
