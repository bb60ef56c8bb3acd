"""Counting the model's tokens for one answer.

The back ends know what a call cost (the local model tokenizes the prompt itself; Ollama and
OpenAI-compatible servers report counts at the end of a stream) and call `record`. The pipeline
wraps its generator for one answer in `metered`, which makes that answer's `TokenUsage` the one
`record` adds to while each step of a call runs, on whichever thread runs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from rag.backends.base import ChatMessage, ChoiceScorer, Generator
from rag.types import TokenUsage

_counting: ContextVar[TokenUsage | None] = ContextVar("newsrag_token_usage", default=None)


def record(prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
    """Add to the usage of the answer being computed (nothing when no answer is being metered)."""
    usage = _counting.get()
    if usage is not None:
        usage.add(prompt_tokens, completion_tokens)


def reported_count(value: object) -> int:
    """A token count a server reported: the integer, or 0 when it is missing or not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@contextmanager
def _counting_into(usage: TokenUsage) -> Iterator[None]:
    token = _counting.set(usage)
    try:
        yield
    finally:
        _counting.reset(token)


class _Metered:
    """`generator`, with every call counted in `usage`."""

    def __init__(self, generator: Generator, usage: TokenUsage) -> None:
        self.inner = generator
        self.name = generator.name
        self.usage = usage

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> Iterator[str]:
        self.usage.add(calls=1)
        return self._pieces(messages, max_tokens)

    def _pieces(self, messages: Sequence[ChatMessage], max_tokens: int) -> Iterator[str]:
        with _counting_into(self.usage):
            pieces = iter(self.inner.stream(messages, max_tokens=max_tokens))
        try:
            while True:
                with _counting_into(self.usage):  # set around each step: the consumer may change threads
                    try:
                        piece = next(pieces)
                    except StopIteration:
                        return
                yield piece
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                with _counting_into(self.usage):
                    close()


class _MeteredScorer(_Metered):
    def choice_probabilities(self, messages: Sequence[ChatMessage], options: Sequence[str]) -> dict[str, float]:
        self.usage.add(calls=1)
        with _counting_into(self.usage):
            return self.inner.choice_probabilities(messages, options)  # type: ignore[attr-defined]


def metered(generator: Generator, usage: TokenUsage) -> Generator:
    """`generator` counting its calls and tokens into `usage`; a scorer stays a scorer."""
    wrapper = _MeteredScorer if isinstance(generator, ChoiceScorer) else _Metered
    return wrapper(generator, usage)
