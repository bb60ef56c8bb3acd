"""answered_with_verified_citation: the one figure that says "a right answer the reader can check".

The share of answerable questions whose answer is not empty, contains a gold answer (as
`answer_contained` judges it) and carries at least one verified citation. Range 0-1, higher is
better; None when no question is answerable.
"""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.answer import answer_contained
from evals.metrics.metric import Metric, MetricModule
from evals.records import EvalRecord


def is_answered_right(record: EvalRecord) -> bool:
    """Answered, with a gold answer in the text and at least one citation."""
    return bool(record.text) and bool(record.citations) and bool(answer_contained(record.text, record.item.answers))


def answered_with_verified_citation(records: Sequence[EvalRecord]) -> float | None:
    """Share of answerable questions answered, with a gold answer in the text and >= 1 citation."""
    answerable = [r for r in records if r.item.answerable]
    if not answerable:
        return None
    return sum(is_answered_right(r) for r in answerable) / len(answerable)


MODULE = MetricModule(
    metrics=(Metric("answered_with_verified_citation", "answered, correct (contained) and cited", gated=True),),
    compute=lambda records: {"answered_with_verified_citation": answered_with_verified_citation(records)},
)
