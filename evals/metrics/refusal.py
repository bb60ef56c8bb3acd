"""Refusal quality, with "the question is unanswerable from the articles" as the positive class.

- refusal_precision: refused unanswerable / all refusals (are refusals justified?);
- refusal_recall: refused unanswerable / all unanswerable (are unanswerable questions declined?);
- refusal_f1: their harmonic mean.
Range 0-1; None when the denominator is empty. A question that failed with an error is
counted as not refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from evals.records import EvalRecord
from evals.metrics.metric import Metric, MetricModule


def refusal_metrics(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    refused = [r for r in records if not r.error and r.refused]
    unanswerable = [r for r in records if not r.item.answerable]
    true_pos = sum(not r.item.answerable for r in refused)
    precision = true_pos / len(refused) if refused else None
    recall = true_pos / len(unanswerable) if unanswerable else None
    if precision is None or recall is None:
        f1 = None
    elif precision + recall == 0:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {
        "refusal_precision": precision,
        "refusal_recall": recall,
        "refusal_f1": f1,
        "n_unanswerable": len(unanswerable),
        "n_refused": len(refused),
    }


MODULE = MetricModule(
    metrics=(
        Metric("refusal_precision", "refusals that were on unanswerable questions", gated=True),
        Metric("refusal_recall", "unanswerable questions that were refused", gated=True),
        Metric("refusal_f1", "harmonic mean of refusal precision and recall", averaged=False),
        Metric("n_unanswerable", "unanswerable questions", better=None, unit="count"),
        Metric("n_refused", "answers that were refusals", better=None, unit="count"),
    ),
    compute=refusal_metrics,
)
