"""Multiple-choice accuracy: which option the system's answer supports, and whether it is right.

The pick (`pick_choice`) works in two steps. First, the options whose normalised text occurs
in the answer; when several do, the longest (most specific) wins, then the earliest mentioned.
Otherwise each option is scored by how many of its distinctive content words (not in the
question, not shared by every option) appear in the answer (weight 1), in the cited quotes and
cited passages (0.5) or in the top passages (0.25); the best positive score wins. When nothing
supports any option there is no pick. A refused answer contributes no text, but its passages
still count. mc_accuracy is the fraction of items with `choices` whose pick is one of the gold
`answers` (range 0-1); no pick or an error counts as wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evals.metrics.textnorm import content_words, contains_phrase, normalize_answer
from evals.metrics.metric import Metric, MetricModule
from evals.records import EvalRecord

ANSWER_WEIGHT = 1.0
CITED_WEIGHT = 0.5
PASSAGE_WEIGHT = 0.25
TOP_PASSAGES = 5


def pick_choice(question: str, choices: Sequence[str], answer: Mapping[str, Any]) -> str | None:
    """The option (exactly as given) best supported by the answer and its passages, or None."""
    if not choices:
        return None
    text = "" if answer.get("refused") else str(answer.get("answer", ""))
    named = _named_in_answer(text, choices)
    if named is not None:
        return named
    return _best_supported(question, choices, text, answer)


def choice_metrics(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    """mc_accuracy over the items that have choices."""
    scored = [r for r in records if r.item.choices]
    if not scored:
        return {"mc_accuracy": None, "n_choices": 0}
    correct = sum(r.choice is not None and r.choice in r.item.answers for r in scored)
    return {"mc_accuracy": correct / len(scored), "n_choices": len(scored)}


def _named_in_answer(text: str, choices: Sequence[str]) -> str | None:
    named = [c for c in choices if contains_phrase(text, c)]
    if not named:
        return None
    norm_text = normalize_answer(text)

    def specificity(choice: str) -> tuple[int, int]:
        norm = normalize_answer(choice)
        return (len(norm), -norm_text.find(norm))

    return max(named, key=specificity)


def _best_supported(
    question: str, choices: Sequence[str], text: str, answer: Mapping[str, Any]
) -> str | None:
    sources = _weighted_sources(text, answer)
    words = [content_words(c) for c in choices]
    shared = set.intersection(*words) if words else set()
    asked = content_words(question)
    best: tuple[float, int] = (0.0, 0)
    pick: str | None = None
    for choice, choice_words in zip(choices, words):
        distinctive = (choice_words - asked - shared) or choice_words
        score = _support(distinctive, sources)
        if score > best:
            best, pick = score, choice
    return pick


def _weighted_sources(text: str, answer: Mapping[str, Any]) -> list[tuple[float, set[str]]]:
    passages = list(answer.get("passages") or [])
    citations = list(answer.get("citations") or [])
    cited_ns = {c.get("n") for c in citations}
    cited = [str(c.get("quote", "")) for c in citations]
    cited += [str(p.get("text", "")) for p in passages if p.get("n") in cited_ns]
    top = [str(p.get("text", "")) for p in passages[:TOP_PASSAGES]]
    return [
        (ANSWER_WEIGHT, content_words(text)),
        (CITED_WEIGHT, content_words(" ".join(cited))),
        (PASSAGE_WEIGHT, content_words(" ".join(top))),
    ]


def _support(words: set[str], sources: list[tuple[float, set[str]]]) -> tuple[float, int]:
    """(mean best weight per word, number of source hits): the second part breaks ties."""
    if not words:
        return (0.0, 0)
    weights = [max((w for w, vocab in sources if word in vocab), default=0.0) for word in words]
    hits = sum(word in vocab for word in words for _, vocab in sources)
    return (sum(weights) / len(words), hits)


MODULE = MetricModule(
    metrics=(
        Metric("mc_accuracy", "picked option is the gold option", gated=True),
        Metric("n_choices", "multiple-choice questions", better=None, unit="count"),
    ),
    compute=choice_metrics,
)
