"""answered_right_sure, answered_wrong_sure and tentative_answers, on hand-made records."""

from __future__ import annotations

import pytest

from evals.metrics import REGISTRY
from evals.metrics.tentative import compute
from evals.records import EvalRecord
from evals.scoring import FAILURE_RATES, QUALITY_METRICS, compute_metrics


def _record(make_item, make_answer, make_passage, make_citation, short, *, tentative=False, refused=False, **item):
    passage = make_passage(1, "The committee is led by Mark Rubio. It met on Monday.")
    quote = "The committee is led by Mark Rubio."
    text = "" if refused else f"{short} [1]."
    data = make_answer(text, refused=refused, passages=[passage], citations=[] if refused else [make_citation(passage, quote)])
    data["short_answer"] = None if refused else short
    data["tentative"] = tentative
    return EvalRecord(make_item(**item), data)


def test_tentative_answers_are_left_out_of_the_sure_figures_and_counted(make_item, make_answer, make_passage, make_citation):
    def rec(short, **kw):
        return _record(make_item, make_answer, make_passage, make_citation, short, **kw)

    records = [
        rec("Mark Rubio"),  # right, shown plainly
        rec("Mark Rubio", tentative=True),  # right, marked tentative
        rec("Marco Polo"),  # wrong, shown plainly
        rec("Marco Polo", tentative=True),  # wrong, marked tentative
        rec("France", answers=()),  # unanswerable, answered plainly: wrong
        rec(None, refused=True, answers=()),  # refused
    ]
    figures = compute(records)
    assert figures["answered_right_sure"] == pytest.approx(1 / 4)  # of the 4 answerable questions
    assert figures["answered_wrong_sure"] == pytest.approx(2 / 6)  # of all 6 questions
    assert figures["tentative_answers"] == 2


def test_without_tentative_answers_the_sure_figures_equal_the_plain_ones(make_item, make_answer, make_passage, make_citation):
    records = [
        _record(make_item, make_answer, make_passage, make_citation, short)
        for short in ("Mark Rubio", "Marco Polo", "Mark Rubio")
    ]
    figures = compute_metrics(records)
    assert figures["answered_right_sure"] == figures["answered_with_verified_citation"] == pytest.approx(2 / 3)
    assert figures["answered_wrong_sure"] == figures["answered_wrong"] == pytest.approx(1 / 3)
    assert figures["tentative_answers"] == 0


def test_the_sure_figures_are_gateable_in_the_direction_that_is_better():
    assert "answered_right_sure" in QUALITY_METRICS and "answered_wrong_sure" in FAILURE_RATES
    assert REGISTRY["tentative_answers"].unit == "count" and REGISTRY["tentative_answers"].better is None
