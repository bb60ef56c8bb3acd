"""Counts of the run itself: questions asked, and questions that failed with an error (not a refusal)."""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.metric import Metric, MetricModule
from evals.records import EvalRecord


def run_counts(records: Sequence[EvalRecord]) -> dict[str, int]:
    return {"n_questions": len(records), "n_errors": sum(bool(r.error) for r in records)}


MODULE = MetricModule(
    metrics=(
        Metric("n_questions", "questions asked", better=None, unit="count", gated=True),
        Metric("n_errors", "questions that failed with an error", better="lower", unit="count", gated=True),
    ),
    compute=run_counts,
)
