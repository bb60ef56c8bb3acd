"""Turn a follow-up question into a standalone one, using the conversation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.backends.base import Generator
from rag.prompts import CONDENSE, format_history
from rag.sentences import content_words

_FOLLOW_UP = re.compile(
    r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|this|that|these|those|there|then|the same|"
    r"also|too|what about|how about|and why|why not)\b",
    re.IGNORECASE,
)


def needs_condensing(question: str, history: Sequence[tuple[str, str]]) -> bool:
    if not history:
        return False
    q = question.strip()
    return bool(_FOLLOW_UP.search(q)) or len(content_words(q, drop_question_words=True)) <= 2


def condense_heuristic(question: str, history: Sequence[tuple[str, str]]) -> str:
    """Append the previous question's key words the follow-up does not repeat."""
    previous = history[-1][0]
    have = set(content_words(question))
    extra = [w for w in dict.fromkeys(re.findall(r"[^\W_]+", previous)) if w.lower() not in {"what", "who", "which", "why", "how", "when", "where"}]
    extra = [w for w in extra if content_words(w) and content_words(w)[0] not in have]
    return f"{question.strip()} ({' '.join(extra)})" if extra else question.strip()


def condense(question: str, history: Sequence[tuple[str, str]], generator: Generator | None) -> str:
    """A standalone question: rewritten by the generator when there is one, else by heuristic."""
    if not needs_condensing(question, history):
        return question.strip()
    if generator is None:
        return condense_heuristic(question, history)
    messages = CONDENSE.render(history=format_history(history), question=question.strip())
    rewritten = "".join(generator.stream(messages, max_tokens=60)).strip().splitlines()
    text = rewritten[0].strip().strip('"') if rewritten else ""
    if len(text) < 5 or len(text) > 400:
        return condense_heuristic(question, history)
    return text
