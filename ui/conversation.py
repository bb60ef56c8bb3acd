"""The conversation shown in the browser: turns, and their JSON form kept in the browser's storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.types import Answer, Passage

# Older turns are dropped from the stored conversation beyond this many.
MAX_TURNS = 50


@dataclass
class Turn:
    """One question and what became of it: streaming, answered, stopped or failed."""

    question: str
    answer: Answer | None = None
    partial: str = ""  # text streamed so far, before the verified answer arrives
    passages: list[Passage] = field(default_factory=list)  # retrieved before the answer
    error: str = ""
    stopped: bool = False

    @property
    def done(self) -> bool:
        return self.answer is not None or bool(self.error) or self.stopped

    @property
    def shown_passages(self) -> list[Passage]:
        return self.answer.passages if self.answer is not None else self.passages

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer.to_json() if self.answer is not None else None,
            "partial": self.partial,
            "passages": [p.to_json() for p in self.passages] if self.answer is None else [],
            "error": self.error,
            "stopped": self.stopped,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        answer = data.get("answer")
        return cls(
            question=str(data.get("question") or ""),
            answer=Answer.from_json(answer) if isinstance(answer, dict) else None,
            partial=str(data.get("partial") or ""),
            passages=[Passage.from_json(p) for p in data.get("passages") or ()],
            error=str(data.get("error") or ""),
            stopped=bool(data.get("stopped")),
        )


def load_turns(stored: object) -> list[Turn]:
    """Turns from the browser's storage; anything unreadable (an old format, tampering) is dropped."""
    if not isinstance(stored, list):
        return []
    turns: list[Turn] = []
    for item in stored[-MAX_TURNS:]:
        try:
            turns.append(Turn.from_json(item))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return turns


def dump_turns(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    return [t.to_json() for t in turns[-MAX_TURNS:]]


def history_pairs(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(question, answer text) of the answered turns, for follow-up questions."""
    return [(t.question, t.answer.answer) for t in turns if t.answer is not None]
