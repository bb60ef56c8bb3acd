"""All metrics of a run, computed from its records into the flat mapping written to metrics.json."""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.answer import answer_contained, answer_metrics
from evals.metrics.choice import choice_metrics
from evals.metrics.citations import citation_metrics
from evals.metrics.latency import latency_metrics
from evals.metrics.refusal import refusal_metrics
from evals.metrics.retrieval import retrieval_metrics
from evals.records import EvalRecord

Metrics = dict[str, float | int | None]

# Fractions in [0, 1], higher is better: the metrics a `--min` quality gate may name.
QUALITY_METRICS = (
    "hit@1",
    "hit@5",
    "hit@10",
    "mrr@10",
    "evidence_hit@1",
    "evidence_hit@5",
    "evidence_hit@10",
    "evidence_mrr@10",
    "answer_em",
    "answer_f1",
    "answer_contained",
    "answered_with_verified_citation",
    "mc_accuracy",
    "citation_precision",
    "citation_recall",
    "refusal_precision",
    "refusal_recall",
    "refusal_f1",
)
# Milliseconds, lower is better.
LATENCY_METRICS = (
    "latency_p50_ms",
    "latency_p95_ms",
    "first_token_p50_ms",
    "first_token_p95_ms",
    "retrieve_p50_ms",
    "retrieve_p95_ms",
)
COUNTS = (
    "n_questions",
    "n_errors",
    "n_answerable",
    "n_unanswerable",
    "n_refused",
    "n_retrieval",
    "n_choices",
    "n_citations",
)


def answered_with_verified_citation(records: Sequence[EvalRecord]) -> float | None:
    """Share of answerable questions answered, with a gold answer in the text and >= 1 citation."""
    answerable = [r for r in records if r.item.answerable]
    if not answerable:
        return None
    good = sum(
        bool(r.text) and bool(r.citations) and bool(answer_contained(r.text, r.item.answers))
        for r in answerable
    )
    return good / len(answerable)


def compute_metrics(records: Sequence[EvalRecord]) -> Metrics:
    """Every metric, keyed as in metrics.json; None where no question was eligible."""
    metrics: Metrics = {}
    metrics.update(retrieval_metrics(records))
    metrics.update(answer_metrics(records))
    metrics["answered_with_verified_citation"] = answered_with_verified_citation(records)
    metrics.update(choice_metrics(records))
    metrics.update(citation_metrics(records))
    metrics.update(refusal_metrics(records))
    metrics.update(latency_metrics(records))
    metrics["n_questions"] = len(records)
    metrics["n_errors"] = sum(bool(r.error) for r in records)
    order = QUALITY_METRICS + LATENCY_METRICS + COUNTS
    return {key: metrics.get(key) for key in order}
