"""The model's work per question, from the Answer JSON usage."""

from __future__ import annotations

import pytest

from evals.metrics.cost import compute
from evals.records import EvalRecord
from evals.scoring import compute_metrics


def _with_usage(answer: dict, calls: int, prompt: int, written: int) -> dict:
    return {**answer, "usage": {"model_calls": calls, "prompt_tokens": prompt, "completion_tokens": written}}


def test_means_over_the_questions_that_report_usage(make_item, make_answer) -> None:
    records = [
        EvalRecord(make_item(), _with_usage(make_answer("a"), 2, 600, 4)),
        EvalRecord(make_item(), _with_usage(make_answer(refused=True), 5, 1500, 0)),
        EvalRecord(make_item(), make_answer("saved before usage was counted")),
        EvalRecord(make_item(), error="RuntimeError"),
    ]
    assert compute(records) == {"model_calls_mean": 3.5, "prompt_tokens_mean": 1050.0, "completion_tokens_mean": 2.0}


def test_no_usage_reported_gives_none_and_the_figures_reach_metrics_json(make_item, make_answer) -> None:
    assert set(compute([EvalRecord(make_item(), make_answer("a"))]).values()) == {None}
    metrics = compute_metrics([EvalRecord(make_item(), _with_usage(make_answer("a"), 3, 900, 5))])
    assert metrics["model_calls_mean"] == pytest.approx(3.0) and metrics["prompt_tokens_mean"] == pytest.approx(900.0)
