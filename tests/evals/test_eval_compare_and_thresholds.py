"""Comparing two runs and the --min / --max quality gates."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.compare import RunNotFoundError
from evals.runner import check_thresholds, compare_runs, parse_thresholds, run_eval
from evals.thresholds import Threshold, ThresholdError


@pytest.fixture
def two_runs(tmp_path: Path, make_item, make_answer):
    items = [
        make_item("q1", "Who is the spokesman?", ["Levit"]),
        make_item("q2", "Where was the summit?", ["Alaska"]),
        make_item("q3", "Who is NATO's chief?", [], answerable=False),
    ]
    first = {"q1": make_answer("Levit"), "q2": make_answer("Geneva"), "q3": make_answer("Rutte")}
    second = {
        "q1": make_answer("Levit"),
        "q2": make_answer("Alaska"),
        "q3": make_answer("Not in the articles.", refused=True),
    }
    run_eval(items, lambda item: first[item.id], tmp_path / "a", progress=False)
    run_eval(items, lambda item: second[item.id], tmp_path / "b", progress=False)
    return tmp_path / "a", tmp_path / "b"


def test_compare_shows_metric_deltas(two_runs) -> None:
    rows = {line.split(" | ")[0]: line for line in compare_runs(*two_runs).splitlines() if line.startswith("| ")}
    assert rows["| answer_contained"].startswith("| answer_contained | higher | 0.500 | 1.000 | +0.500 | ")
    # one question of each kind changed: a gain, but one the interval of B - A cannot tell from chance
    assert rows["| answer_contained"].endswith("| better, may be noise |")
    assert rows["| refusal_recall"].startswith("| refusal_recall | higher | 0.000 | 1.000 | +1.000 | ")
    assert rows["| n_questions"] == "| n_questions |  | 3 | 3 | +0 | – |  |"


def test_compare_says_that_fewer_wrong_answers_is_better(two_runs) -> None:
    table = compare_runs(*two_runs)  # A answered q2 and q3 wrongly, B neither
    assert "| answered_wrong | lower | 0.667 | 0.000 | -0.667 | " in table
    assert "| answered_wrong | lower | 0.667 | 0.000 | -0.667 | +" not in table  # the interval of B - A starts below 0


def test_compare_lists_only_the_questions_that_changed(two_runs) -> None:
    changed = compare_runs(*two_runs).split("## Questions that changed", 1)[1]
    assert "| q2 | place | Where was the summit? | wrong | correct |" in changed
    q3 = "| q3 | person | Who is NATO's chief? | answered-unanswerable | declined-unanswerable |"
    assert q3 in changed
    assert "q1" not in changed


def test_compare_sums_the_changes_by_the_kind_of_answer_asked_for(two_runs) -> None:
    changed = compare_runs(*two_runs).split("## Questions that changed", 1)[1]
    assert "| place | 1 | 0 |" in changed and "| person | 1 | 0 |" in changed
    backwards = compare_runs(*reversed(two_runs)).split("## Questions that changed", 1)[1]
    assert "| place | 0 | 1 |" in backwards and "| person | 0 | 1 |" in backwards


def test_compare_of_a_directory_without_a_run_is_a_clear_error(tmp_path: Path, two_runs) -> None:
    with pytest.raises(RunNotFoundError, match="metrics.json is missing"):
        compare_runs(two_runs[0], tmp_path / "nowhere")


def test_thresholds_report_each_metric_below_its_minimum() -> None:
    metrics = {"hit@5": 0.85, "answer_f1": 0.5, "mc_accuracy": None}
    failures = check_thresholds(metrics, ["hit@5=0.9", "answer_f1=0.5", "mc_accuracy=0.1"])
    assert failures == [
        "hit@5 = 0.850 is below the minimum 0.900",
        "mc_accuracy was not measured in this run (no eligible questions)",
    ]


def test_thresholds_pass_when_every_minimum_is_met() -> None:
    metrics = {"hit@5": 0.95, "refusal_recall": 1.0}
    assert check_thresholds(metrics, ["hit@5=0.9", " refusal_recall = 1 "]) == []


def test_parse_thresholds_validates_up_front() -> None:
    assert parse_thresholds(["mrr@10=0.75"]) == [Threshold("mrr@10", 0.75)]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hit@3=0.9", "unknown metric 'hit@3'"),
        ("hit@5", "expected METRIC=VALUE"),
        ("=0.9", "expected METRIC=VALUE"),
        ("hit@5=high", "'high' is not a number"),
        ("hit@5=90", "between 0 and 1"),
        ("latency_p95_ms=0.5", "not a higher-is-better figure; use --max"),
    ],
)
def test_bad_threshold_specs_raise_a_clear_error(spec: str, message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        check_thresholds({"hit@5": 1.0}, [spec])


def test_a_maximum_fails_above_its_value_and_reads_milliseconds() -> None:
    metrics = {"latency_p95_ms": 3200.0, "first_token_p50_ms": 900.0, "n_errors": 0}
    thresholds = parse_thresholds([], ["latency_p95_ms=3000", "first_token_p50_ms=1000", "n_errors=0"])
    assert thresholds[0] == Threshold("latency_p95_ms", 3000.0, "max")
    assert check_thresholds(metrics, thresholds) == ["latency_p95_ms = 3200.000 is above the maximum 3000.000"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [("hit@5=0.9", "not a lower-is-better figure; use --min"), ("latency_p95_ms=-1", "at least 0")],
)
def test_bad_maximums_raise_a_clear_error(spec: str, message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        parse_thresholds([], [spec])


def test_compare_says_that_less_time_is_better(tmp_path: Path, make_item, make_answer) -> None:
    import json

    items = [make_item("q1", "Who is the spokesman?", ["Levit"])]
    for name, total in (("a", 2000.0), ("b", 1000.0)):
        run_eval(items, lambda item: make_answer("Levit"), tmp_path / name, progress=False)
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        metrics["latency_p50_ms"] = total
        (tmp_path / name / "metrics.json").write_text(json.dumps(metrics))
    assert "| latency_p50_ms | lower | 2000 ms | 1000 ms | -1000 ms | – | better |" in compare_runs(tmp_path / "a", tmp_path / "b")


def test_compare_computes_a_metric_an_older_run_did_not_store(two_runs) -> None:
    import json

    old = two_runs[0] / "metrics.json"
    metrics = json.loads(old.read_text())
    del metrics["answered_wrong"]  # as a run made before the metric existed
    old.write_text(json.dumps(metrics))
    assert "| answered_wrong | lower | 0.667 | 0.000 | -0.667 | " in compare_runs(*two_runs)
