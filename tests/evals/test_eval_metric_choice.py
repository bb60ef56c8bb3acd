"""Picking the multiple-choice option the answer supports, and mc_accuracy."""

from __future__ import annotations

from evals.metrics.choice import choice_metrics, pick_choice
from evals.records import EvalRecord

CHOICES = ["“Game of Thrones”", "“Squid Game”", "“Breaking Bad”", "“Friends”"]


def test_the_option_named_in_the_answer_is_returned_exactly_as_given(make_answer) -> None:
    answer = make_answer("Netflix renewed Squid Game for a second season [1].")
    assert pick_choice("Which show was renewed?", CHOICES, answer) == "“Squid Game”"


def test_the_most_specific_named_option_wins(make_answer) -> None:
    answer = make_answer("The missile was launched by North Korea.")
    choices = ["Korea", "North Korea", "Japan"]
    assert pick_choice("Who launched it?", choices, answer) == "North Korea"


def test_without_a_named_option_the_passages_decide(make_answer, make_passage) -> None:
    passages = [
        make_passage(1, "Squid Game is coming back for a second season, Netflix says."),
        make_passage(2, "Streaming numbers for older shows keep falling."),
    ]
    answer = make_answer("I cannot answer from the articles.", refused=True, passages=passages)
    assert pick_choice("Which show was green lit?", CHOICES, answer) == "“Squid Game”"


def test_words_shared_by_every_option_do_not_decide(make_answer, make_passage) -> None:
    # Counting "ban" would favour the short option (1 of 2 words found against 2 of 5).
    choices = ["Ban on rifles", "Ban on sales of handguns to buyers under twenty-one"]
    passages = [make_passage(1, "Lawmakers argued over the ban for young buyers.")]
    answer = make_answer("", refused=True, passages=passages)
    assert pick_choice("Which measure was left out?", choices, answer) == choices[1]


def test_no_pick_when_nothing_supports_any_option(make_answer, make_passage) -> None:
    answer = make_answer("No idea.", passages=[make_passage(1, "Weather report for Tuesday.")])
    assert pick_choice("Which show?", CHOICES, answer) is None


def test_mc_accuracy_counts_a_missing_pick_as_wrong(make_item, make_answer) -> None:
    item = make_item(answers=["“Squid Game”"], choices=CHOICES)
    records = [
        EvalRecord(item, make_answer(), choice="“Squid Game”"),
        EvalRecord(item, make_answer(), choice="“Friends”"),
        EvalRecord(item, make_answer(), choice=None),
        EvalRecord(make_item(), make_answer()),
    ]
    metrics = choice_metrics(records)
    assert metrics["n_choices"] == 3
    assert metrics["mc_accuracy"] == 1 / 3
