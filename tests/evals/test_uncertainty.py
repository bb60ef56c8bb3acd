"""Intervals of a run's figures, and of the difference between two runs (evals/uncertainty.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evals.metrics import REGISTRY
from evals.records import EvalRecord
from evals.runner import compare_runs, run_eval
from evals.scoring import compute_metrics
from evals.uncertainty import (
    AVERAGED,
    INTERVALS_JSON,
    difference_intervals,
    intervals,
    newcombe_paired,
    question_values,
    read_intervals,
    sign_test,
    wilson,
)


def _records(make_item, make_answer, right: int, wrong: int, unanswerable_refused: int = 0) -> list[EvalRecord]:
    """`right` + `wrong` answerable questions answered so, and some unanswerable ones refused."""
    records = []
    for i in range(right + wrong):
        item = make_item(f"q{i}", f"Who won race {i}?", [f"Runner{i}"])
        records.append(EvalRecord(item, make_answer(f"Runner{i} won." if i < right else "Nobody won.")))
    for i in range(unanswerable_refused):
        item = make_item(f"u{i}", f"Who lost race {i}?", [], answerable=False)
        records.append(EvalRecord(item, make_answer("Not in the articles.", refused=True)))
    return records


def _run(tmp_path: Path, name: str, make_item, make_answer, right_ids: set[int], n: int = 30) -> Path:
    items = [make_item(f"q{i}", f"Who won race {i}?", [f"Runner{i}"]) for i in range(n)]
    answers = {f"q{i}": make_answer(f"Runner{i} won." if i in right_ids else "Nobody won.") for i in range(n)}
    run_eval(items, lambda item: answers[item.id], tmp_path / name, progress=False)
    return tmp_path / name


def test_wilson_interval_of_a_perfect_score_still_leaves_room_below() -> None:
    span = wilson(8, 8)
    assert span.high == 1.0
    assert 0.6 < span.low < 0.72  # 8 of 8 does not prove 100%
    assert wilson(0, 10).low == 0.0 and wilson(0, 10).high > 0.2


def test_wilson_interval_holds_the_rate_and_narrows_with_more_questions() -> None:
    small, large = wilson(15, 20), wilson(150, 200)
    assert small.holds(0.75) and large.holds(0.75)
    assert large.high - large.low < (small.high - small.low) / 2


def test_every_averaged_metric_is_the_mean_of_its_per_question_values(make_item, make_answer) -> None:
    records = _records(make_item, make_answer, right=5, wrong=3, unanswerable_refused=2)
    records.append(EvalRecord(make_item("u9", "Who lost race 9?", [], answerable=False), make_answer("Runner9 lost.")))
    run = compute_metrics(records)
    for name, values in question_values(records).items():
        known = [v for v in values if v is not None]
        if run[name] is None:
            assert not known, name
        else:
            assert sum(known) / len(known) == pytest.approx(run[name]), name
    assert "citation_precision" not in AVERAGED and not REGISTRY["refusal_f1"].averaged


def test_intervals_of_a_run_hold_its_figures_and_count_their_questions(make_item, make_answer) -> None:
    records = _records(make_item, make_answer, right=15, wrong=5, unanswerable_refused=4)
    run, spans = compute_metrics(records), intervals(records)
    assert spans["answer_contained"].holds(run["answer_contained"]) and spans["answer_contained"].questions == 20
    assert spans["answered_wrong"].holds(5 / 24) and spans["answered_wrong"].questions == 24
    assert spans["refusal_recall"].low > 0.4 and spans["refusal_recall"].high == 1.0
    assert spans == intervals(records)  # seeded: the same records, the same intervals


def test_a_run_writes_its_intervals_and_shows_them_in_the_report(tmp_path: Path, make_item, make_answer) -> None:
    run = _run(tmp_path, "a", make_item, make_answer, right_ids=set(range(24)))
    spans = read_intervals(run / INTERVALS_JSON)
    assert json.loads((run / INTERVALS_JSON).read_text())["level"] == 0.95
    assert spans["answer_contained"].holds(0.8) and spans["answer_contained"].questions == 30
    markdown = (run / "report.md").read_text(encoding="utf-8")
    assert f"| answer_contained | 0.800 | {spans['answer_contained']} | 30 |" in markdown
    assert f"| answered_wrong | 0.200 | {spans['answered_wrong']} | 30 |" in markdown  # the wrong answers' table
    assert "95% interval" in (run / "report.html").read_text(encoding="utf-8")


def test_newcombe_interval_is_sure_of_thirty_flips_but_not_of_one() -> None:
    assert newcombe_paired(np.zeros(30), np.ones(30)).low > 0.8
    one = newcombe_paired(np.array([0.0]), np.array([1.0]))
    assert one.holds(0.0) and one.high == 1.0
    same = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    assert newcombe_paired(same, same).holds(0.0)


def test_difference_of_a_clearly_better_run_excludes_zero_and_of_a_run_with_itself_holds_it(make_item, make_answer) -> None:
    worse = _records(make_item, make_answer, right=5, wrong=25)
    better = _records(make_item, make_answer, right=28, wrong=2)
    up = difference_intervals(worse, better)["answer_contained"]
    assert up.low > 0.5 and up.holds(23 / 30)
    assert difference_intervals(better, worse)["answer_contained"].high < -0.5
    assert difference_intervals(worse, worse)["answer_contained"].holds(0.0)


def test_sign_test_is_even_for_a_tie_and_small_for_a_sweep() -> None:
    assert sign_test(5, 5) == 1.0 and sign_test(0, 0) == 1.0
    assert sign_test(10, 0) == pytest.approx(2 / 2**10)
    assert sign_test(3, 1) == sign_test(1, 3) == pytest.approx(0.625)


def test_compare_calls_a_large_gain_better_and_a_small_one_maybe_noise(tmp_path: Path, make_item, make_answer) -> None:
    base = _run(tmp_path, "base", make_item, make_answer, right_ids=set(range(10)))
    much = _run(tmp_path, "much", make_item, make_answer, right_ids=set(range(28)))
    little = _run(tmp_path, "little", make_item, make_answer, right_ids=set(range(11)))
    sure = compare_runs(base, much)
    row = next(line for line in sure.splitlines() if line.startswith("| answer_contained |"))
    assert row.endswith("| better |")
    assert "18 questions got a better outcome in B and 0 a worse one" in sure and "chance of 0.000" in sure
    row = next(line for line in compare_runs(base, little).splitlines() if line.startswith("| answer_contained |"))
    assert row.endswith("| better, may be noise |")
