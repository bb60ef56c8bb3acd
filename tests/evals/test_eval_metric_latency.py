"""Latency percentiles from timings_ms."""

from __future__ import annotations

import pytest

from evals.metrics.latency import latency_metrics
from evals.records import EvalRecord


def test_p50_and_p95_of_each_timing(make_item, make_answer) -> None:
    records = [
        EvalRecord(make_item(), make_answer(timings={"total": float(t), "first_token": t / 10}))
        for t in range(1, 101)
    ]
    metrics = latency_metrics(records)
    assert metrics["latency_p50_ms"] == pytest.approx(50.5)
    assert metrics["latency_p95_ms"] == pytest.approx(95.05)
    assert metrics["first_token_p50_ms"] == pytest.approx(5.05)
    assert metrics["retrieve_p50_ms"] is None


def test_failed_questions_and_missing_timings_are_skipped(make_item, make_answer) -> None:
    records = [
        EvalRecord(make_item(), make_answer(timings={"total": 300.0})),
        EvalRecord(make_item(), make_answer(timings={})),
        EvalRecord(make_item(), error="RuntimeError"),
    ]
    assert latency_metrics(records)["latency_p95_ms"] == 300.0
