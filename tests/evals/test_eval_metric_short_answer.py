"""short_answer_em / short_answer_f1, short_answer_missed and answered_wrong, on hand-made records."""

from __future__ import annotations

import pytest

from evals.metrics import REGISTRY
from evals.metrics.short_answer import compute
from evals.records import EvalRecord


def _record(make_item, make_answer, short, *, answer="", refused=False, cited=True, **item):
    text = answer or (f"{short} [1]." if short else "")
    data = make_answer(text, refused=refused, citations=[{"n": 1}] if text and cited else [])
    data["short_answer"] = short
    return EvalRecord(make_item(**item), data)


def test_the_short_answer_is_scored_by_exact_match_and_token_f1(make_item, make_answer):
    records = [
        _record(make_item, make_answer, "Mark Rubio"),  # exact
        _record(make_item, make_answer, "US Secretary Mark Rubio"),  # F1 2 * (2/4 * 2/2) / (2/4 + 2/2) = 0.667
        _record(make_item, make_answer, None, refused=True),  # a refusal scores 0
    ]
    figures = compute(records)
    assert figures["short_answer_em"] == pytest.approx(1 / 3)
    assert figures["short_answer_f1"] == pytest.approx((1 + 2 / 3) / 3)


def test_except_questions_and_unanswerable_ones_are_not_scored_for_the_short_answer(make_item, make_answer):
    records = [
        _record(make_item, make_answer, "Mark Rubio"),
        _record(make_item, make_answer, "Taxi Driver", question="He was in all of these movies except:", answers=("Heat",)),
        _record(make_item, make_answer, None, refused=True, answers=()),
    ]
    assert compute(records)["short_answer_em"] == 1.0


def test_answered_wrong_counts_answers_without_a_gold_answer_and_answers_to_unanswerable_questions(make_item, make_answer):
    records = [
        _record(make_item, make_answer, "Mark Rubio"),  # right
        _record(make_item, make_answer, "Marco Polo"),  # wrong
        _record(make_item, make_answer, "France", answers=()),  # unanswerable, answered: wrong
        _record(make_item, make_answer, None, refused=True, answers=()),  # refused: not wrong
        _record(make_item, make_answer, None, refused=True),  # refused: not wrong either
    ]
    assert compute(records)["answered_wrong"] == pytest.approx(2 / 5)


def test_answered_wrong_is_a_lower_is_better_gated_metric_in_the_registry():
    assert REGISTRY["answered_wrong"].better == "lower" and REGISTRY["answered_wrong"].gated
    assert REGISTRY["short_answer_f1"].better == "higher"


def test_a_right_sentence_under_a_short_answer_that_misses_the_gold_is_counted(make_item, make_answer):
    sentence = "Mark Rubio leads the committee, officials said [1]."
    records = [
        _record(make_item, make_answer, "Mark Rubio", answer=f"Mark Rubio [1]. {sentence}"),  # right both ways
        _record(make_item, make_answer, "officials", answer=f"officials [1]. {sentence}"),  # right sentence, short answer misses
        _record(make_item, make_answer, "Marco Polo"),  # wrong: not a miss, a wrong answer
        _record(make_item, make_answer, None, refused=True),  # refused
        _record(make_item, make_answer, "France", answers=()),  # unanswerable: not scored
        # right by its text but without a citation: not right, so not a miss either
        _record(make_item, make_answer, "officials", answer=f"officials. {sentence}", cited=False),
    ]
    figures = compute(records)
    assert figures["short_answer_missed"] == pytest.approx(1 / 5)
    assert figures["answered_wrong"] == pytest.approx(2 / 6)
    assert REGISTRY["short_answer_missed"].better == "lower"
