"""The one small protocol every answer generator implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@runtime_checkable
class Generator(Protocol):
    """Streams the text of a reply to chat messages. Raises `BackendUnavailable` when it cannot."""

    name: str

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> Iterator[str]:
        """Yield text pieces of the reply as they are produced."""
        ...


@runtime_checkable
class ChoiceScorer(Protocol):
    """A generator that can also score how likely its reply starts with each of a few options."""

    def choice_probabilities(self, messages: Sequence[ChatMessage], options: Sequence[str]) -> dict[str, float]:
        """Probability of each option as the start of the reply (by its first token)."""
        ...
