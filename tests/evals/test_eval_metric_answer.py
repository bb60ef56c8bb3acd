"""SQuAD-style exact match, token F1 and answer-contained."""

from __future__ import annotations

import pytest

from evals.metrics.answer import answer_contained, answer_metrics, exact_match, token_f1
from evals.metrics.textnorm import normalize_answer
from evals.records import EvalRecord


def test_normalisation_drops_case_articles_and_unicode_punctuation() -> None:
    assert normalize_answer("The “Squid Game”!") == "squid game"
    assert normalize_answer("Kiev’s  allies, 5,000 soldiers.") == "kievs allies 5000 soldiers"


def test_exact_match_ignores_articles_and_punctuation() -> None:
    assert exact_match("The Alaska.", ["Alaska"]) == 1.0
    assert exact_match("Alaska summit", ["Alaska"]) == 0.0
    assert exact_match("", ["Alaska"]) == 0.0


def test_f1_of_a_partial_match() -> None:
    # predicted tokens: mark rubio leads; gold: mark rubio -> P = 2/3, R = 1
    assert token_f1("Mark Rubio leads", ["Mark Rubio"]) == pytest.approx(0.8)
    assert token_f1("Rubio", ["Mark Rubio"]) == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_scores_take_the_best_acceptable_answer() -> None:
    golds = ["Caroline Levit", "Levit"]
    assert exact_match("Levit", golds) == 1.0
    assert token_f1("Levit", golds) == 1.0


def test_contained_matches_whole_tokens_only() -> None:
    assert answer_contained("The spokesman was Caroline Levit [1].", ["Levit"]) == 1.0
    assert answer_contained("Russia said no.", ["US"]) == 0.0
    assert answer_contained("About 5000 soldiers", ["5,000"]) == 1.0


def test_averages_over_answerable_items_and_refusals_score_zero(make_item, make_answer) -> None:
    records = [
        EvalRecord(make_item(answers=["Alaska"]), make_answer("Alaska")),
        EvalRecord(make_item(answers=["Alaska"]), make_answer("Not in Alaska", refused=True)),
        EvalRecord(make_item(answers=["Alaska"]), error="TimeoutError: slow"),
        EvalRecord(make_item(answers=[]), make_answer("Anything")),
    ]
    metrics = answer_metrics(records)
    assert metrics["n_answerable"] == 3
    assert metrics["answer_em"] == pytest.approx(1 / 3)
    assert metrics["answer_contained"] == pytest.approx(1 / 3)
    assert metrics["answer_f1"] == pytest.approx(1 / 3)
