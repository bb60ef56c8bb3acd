"""Refusal precision/recall/F1 with unanswerable as the positive class."""

from __future__ import annotations

import pytest

from evals.metrics.refusal import refusal_metrics
from evals.records import EvalRecord


def test_precision_recall_and_f1_from_known_counts(make_item, make_answer) -> None:
    unanswerable, answerable = make_item(answers=[]), make_item()
    records = [
        EvalRecord(unanswerable, make_answer(refused=True)),  # true positive
        EvalRecord(unanswerable, make_answer(refused=True)),  # true positive
        EvalRecord(unanswerable, make_answer("Made up.")),  # missed
        EvalRecord(answerable, make_answer(refused=True)),  # false positive
        EvalRecord(answerable, make_answer("Mark Rubio")),
        EvalRecord(answerable, make_answer("Mark Rubio")),
    ]
    metrics = refusal_metrics(records)
    assert metrics["refusal_precision"] == pytest.approx(2 / 3)
    assert metrics["refusal_recall"] == pytest.approx(2 / 3)
    assert metrics["refusal_f1"] == pytest.approx(2 / 3)
    assert (metrics["n_refused"], metrics["n_unanswerable"]) == (3, 3)


def test_never_refusing_gives_no_precision_and_zero_recall(make_item, make_answer) -> None:
    metrics = refusal_metrics([EvalRecord(make_item(answers=[]), make_answer("Something"))])
    assert metrics["refusal_precision"] is None
    assert metrics["refusal_recall"] == 0.0
    assert metrics["refusal_f1"] is None


def test_a_failed_question_is_not_a_refusal(make_item) -> None:
    metrics = refusal_metrics([EvalRecord(make_item(answers=[]), error="RuntimeError")])
    assert metrics["refusal_recall"] == 0.0 and metrics["n_refused"] == 0
