"""The direct answer and the failure a user pays most for.

- `short_answer_em`, `short_answer_f1`: exact match and SQuAD token F1 of the Answer's
  `short_answer` (the bare phrase) against the gold `answers`, normalised as in `answer.py`
  (every Unicode punctuation character dropped). Averaged over answerable questions, except those
  whose question ends in "except" (RealTime QA's "All of the following ... except" items, which
  have no phrase to generate), as the RealTime QA generative setting is scored. A refusal, an
  error or a missing short answer scores 0. Range 0-1, higher is better.
- `answered_wrong`: share of all questions that were answered (not refused, no error) but not
  correctly: an unanswerable question answered, or an answerable one whose answer text holds no
  gold answer. Range 0-1, lower is better: a wrong answer under a verified-looking citation is
  worse than a refusal.
- `short_answer_missed`: share of the scored answerable questions answered right (a gold answer in the
  text, at least one citation: `answered_with_verified_citation`'s test) under a short answer that shares no word with any gold
  answer (token F1 0), e.g. "Yes" for "no" above a sentence that says no. `answered_wrong` counts
  them right; the user reads the short answer first. Range 0-1, lower is better.
"""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.answer import answer_contained, exact_match, token_f1
from evals.metrics.metric import Metric, MetricModule
from evals.metrics.verified import is_answered_right
from evals.records import EvalRecord


def scored_for_short_answer(record: EvalRecord) -> bool:
    """Answerable, and not an "... except" item."""
    return record.item.answerable and not record.item.question.rstrip(" ?.:…").lower().endswith("except")


def short_answer_of(record: EvalRecord) -> str:
    """The record's short answer, or '' when it failed, refused or gave none."""
    if record.error or record.refused:
        return ""
    return str(record.answer.get("short_answer") or "")


def short_answer_metrics(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    """short_answer_em, short_answer_f1 and short_answer_missed over the scored items."""
    scored = [r for r in records if scored_for_short_answer(r)]
    if not scored:
        return {"short_answer_em": None, "short_answer_f1": None, "short_answer_missed": None}
    n = len(scored)
    return {
        "short_answer_em": sum(exact_match(short_answer_of(r), r.item.answers) for r in scored) / n,
        "short_answer_f1": sum(token_f1(short_answer_of(r), r.item.answers) for r in scored) / n,
        "short_answer_missed": sum(misses_the_gold(r) for r in scored) / n,
    }


def misses_the_gold(record: EvalRecord) -> bool:
    """Right as `answered_with_verified_citation` counts it, under a short answer that shares no word with any gold answer."""
    return is_answered_right(record) and token_f1(short_answer_of(record), record.item.answers) == 0.0


def is_answered_wrong(record: EvalRecord) -> bool:
    """Answered, and not correct: any answer to an unanswerable question, or one without a gold answer."""
    if record.error or record.refused or not record.text:
        return False
    if not record.item.answerable:
        return True
    return not answer_contained(record.text, record.item.answers)


def answered_wrong(records: Sequence[EvalRecord]) -> float | None:
    """Share of all questions answered wrongly (lower is better)."""
    if not records:
        return None
    return sum(is_answered_wrong(r) for r in records) / len(records)


def compute(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    """Every figure this module declares."""
    return {**short_answer_metrics(records), "answered_wrong": answered_wrong(records)}


MODULE = MetricModule(
    metrics=(
        Metric("short_answer_em", "the short answer equals a gold answer (normalised); '... except' items skipped"),
        Metric("short_answer_f1", "token F1 of the short answer against the best gold answer", gated=True),
        Metric("short_answer_missed", "right by the cited sentence, but the short answer shares no word with the gold", better="lower"),
        Metric("answered_wrong", "answered but not correct, over all questions", better="lower", gated=True),
    ),
    compute=compute,
)
