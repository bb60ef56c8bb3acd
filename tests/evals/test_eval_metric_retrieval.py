"""hit@k and MRR@10 over retrieved passages, by doc_ids or by evidence quotes."""

from __future__ import annotations

import pytest

from evals.metrics.retrieval import first_relevant_rank, retrieval_metrics
from evals.records import EvalRecord


def ranked(make_passage, doc_ids: list[str]) -> list[dict]:
    return [make_passage(n, f"text {n}", doc_id=d) for n, d in enumerate(doc_ids, start=1)]


def test_hit_at_k_and_mrr_by_doc_ids(make_item, make_answer, make_passage) -> None:
    gold = make_item(doc_ids=["gold"])
    records = [
        EvalRecord(gold, make_answer(passages=ranked(make_passage, ["gold", "x", "y"]))),
        EvalRecord(gold, make_answer(passages=ranked(make_passage, ["x", "y", "gold"]))),
        EvalRecord(gold, make_answer(passages=ranked(make_passage, ["x", "y", "z"]))),
    ]
    metrics = retrieval_metrics(records)
    assert metrics["hit@1"] == pytest.approx(1 / 3)
    assert metrics["hit@5"] == pytest.approx(2 / 3)
    assert metrics["hit@10"] == pytest.approx(2 / 3)
    assert metrics["mrr@10"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert metrics["n_retrieval"] == 3


def test_a_hit_below_rank_10_counts_for_nothing(make_item, make_answer, make_passage) -> None:
    passages = ranked(make_passage, ["x"] * 10 + ["gold"])
    record = EvalRecord(make_item(doc_ids=["gold"]), make_answer(passages=passages))
    assert first_relevant_rank(record.item, passages) == 11
    metrics = retrieval_metrics([record])
    assert metrics["hit@10"] == 0.0 and metrics["mrr@10"] == 0.0


def test_without_doc_ids_an_evidence_quote_in_a_passage_is_a_hit(
    make_item, make_answer, make_passage
) -> None:
    item = make_item(evidence=["Rubio leads a committee"])
    passages = [
        make_passage(1, "Nothing relevant here."),
        make_passage(2, "the US Secretary of State Mark RUBIO leads\n a   committee With them"),
    ]
    metrics = retrieval_metrics([EvalRecord(item, make_answer(passages=passages))])
    assert metrics["hit@1"] == 0.0
    assert metrics["hit@5"] == 1.0
    assert metrics["mrr@10"] == 0.5


def test_evidence_variants_ignore_doc_ids(make_item, make_answer, make_passage) -> None:
    item = make_item(doc_ids=["doc-a"], evidence=["Article 5"])
    passages = [make_passage(1, "same document, other text"), make_passage(2, "Article 5 pact")]
    metrics = retrieval_metrics([EvalRecord(item, make_answer(passages=passages))])
    assert metrics["hit@1"] == 1.0
    assert metrics["evidence_hit@1"] == 0.0
    assert metrics["evidence_mrr@10"] == 0.5


def test_unanswerable_and_unlabelled_items_are_not_scored(make_item, make_answer) -> None:
    records = [
        EvalRecord(make_item(answers=[]), make_answer()),
        EvalRecord(make_item(), make_answer()),
    ]
    metrics = retrieval_metrics(records)
    assert metrics["n_retrieval"] == 0
    assert metrics["hit@5"] is None and metrics["mrr@10"] is None


def test_a_failed_question_counts_as_retrieving_nothing(
    make_item, make_answer, make_passage
) -> None:
    gold = make_item(doc_ids=["gold"])
    records = [
        EvalRecord(gold, make_answer(passages=ranked(make_passage, ["gold"]))),
        EvalRecord(gold, error="RuntimeError: down"),
    ]
    assert retrieval_metrics(records)["hit@1"] == 0.5
