"""Retrieval quality: hit@k and MRR@10 of the passages the pipeline retrieved, in rank order.

A passage is relevant when its `doc_id` is one of the gold `doc_ids`; for items without
`doc_ids`, when one of the gold `evidence` quotes occurs in its text (case and whitespace
folded). hit@k is the fraction of scored items with a relevant passage in the top k
(range 0-1); MRR@10 is the mean of 1/rank of the first relevant passage within the top 10,
0 when there is none (range 0-1). Only answerable items with `doc_ids` or `evidence` are
scored; a question that failed with an error counts as retrieving nothing.
The `evidence_*` variants judge every item with evidence by the quotes alone, which still
discriminates on a one-article corpus where every passage has the gold `doc_id`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evals.gold import GoldItem
from evals.metrics.metric import Metric, MetricModule
from evals.metrics.textnorm import squash
from evals.records import EvalRecord

KS = (1, 5, 10)
MRR_DEPTH = 10


def relevant_by_doc(item: GoldItem, passage: Mapping[str, Any]) -> bool:
    return passage.get("doc_id") in item.doc_ids


def relevant_by_evidence(item: GoldItem, passage: Mapping[str, Any]) -> bool:
    text = squash(str(passage.get("text", "")))
    return any(squash(quote) in text for quote in item.evidence if quote.strip())


def first_relevant_rank(
    item: GoldItem, passages: Sequence[Mapping[str, Any]], *, by_evidence: bool = False
) -> int | None:
    """1-based rank of the first relevant passage, or None when none is relevant."""
    use_evidence = by_evidence or not item.doc_ids
    relevant = relevant_by_evidence if use_evidence else relevant_by_doc
    for rank, passage in enumerate(passages, start=1):
        if relevant(item, passage):
            return rank
    return None


def retrieval_metrics(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    """hit@1/5/10 and mrr@10 by doc_ids (or evidence), plus the evidence-only variants."""
    scored = [r for r in records if r.item.answerable and (r.item.doc_ids or r.item.evidence)]
    with_evidence = [r for r in records if r.item.answerable and r.item.evidence]
    out: dict[str, float | int | None] = {}
    out.update(_rank_metrics(scored, by_evidence=False, prefix=""))
    out.update(_rank_metrics(with_evidence, by_evidence=True, prefix="evidence_"))
    out["n_retrieval"] = len(scored)
    return out


def _rank_metrics(
    records: Sequence[EvalRecord], *, by_evidence: bool, prefix: str
) -> dict[str, float | None]:
    ranks = [first_relevant_rank(r.item, r.passages, by_evidence=by_evidence) for r in records]
    out: dict[str, float | None] = {}
    for k in KS:
        out[f"{prefix}hit@{k}"] = _mean([rank is not None and rank <= k for rank in ranks])
    reciprocal = [1.0 / rank if rank is not None and rank <= MRR_DEPTH else 0.0 for rank in ranks]
    out[f"{prefix}mrr@{MRR_DEPTH}"] = _mean(reciprocal)
    return out


def _mean(values: Sequence[float | bool]) -> float | None:
    return sum(values) / len(values) if values else None


MODULE = MetricModule(
    metrics=(
        Metric("hit@1", "a gold document (or evidence) in the top 1 passage"),
        Metric("hit@5", "a gold document (or evidence) in the top 5 passages", gated=True),
        Metric("hit@10", "a gold document (or evidence) in the top 10 passages"),
        Metric("mrr@10", "mean 1/rank of the first relevant passage (top 10)", gated=True),
        Metric("evidence_hit@1", "a gold evidence quote in the top 1 passage"),
        Metric("evidence_hit@5", "a gold evidence quote in the top 5 passages", gated=True),
        Metric("evidence_hit@10", "a gold evidence quote in the top 10 passages"),
        Metric("evidence_mrr@10", "mean 1/rank of the first passage holding evidence"),
        Metric("n_retrieval", "questions scored for retrieval", better=None, unit="count"),
    ),
    compute=retrieval_metrics,
)
