"""Citation precision and recall with a lexical support check."""

from __future__ import annotations

import pytest

from evals.metrics.citations import check_answer, citation_metrics, split_sentences, supports
from evals.records import EvalRecord

TROOPS = "On Tuesday it became clear that the United States would not develop soldiers in Ukraine."
POLAND = "Poland, which now has the EU largest army, excludes the mission of troops to Ukraine."


@pytest.fixture
def passages(make_passage):
    return [make_passage(1, "Intro. " + TROOPS), make_passage(2, POLAND, start=500)]


def test_markers_after_the_full_stop_stay_with_their_sentence() -> None:
    sentences = split_sentences(
        "The US will not send soldiers. [1] Poland has the largest army [2]."
    )
    assert sentences == ["The US will not send soldiers. [1]", "Poland has the largest army [2]."]


def test_abbreviations_followed_by_lower_case_do_not_split() -> None:
    assert len(split_sentences("U.S. soldiers will not go, said the spokesman [1].")) == 1


def test_an_abbreviation_before_a_name_splits_no_answer_sentence_and_leaves_it_supported() -> None:
    claim = "According to the U.S. Department of Agriculture, broiler slaughter was down 4% in the first quarter"
    quote = claim + "."
    answer = {
        "answer": f"4% [1]. {claim} [1].",
        "refused": False,
        "citations": [{"n": 1, "quote": quote}],
        "passages": [{"n": 1, "text": "Intro. " + quote}],
    }
    assert split_sentences(answer["answer"]) == ["4% [1].", f"{claim} [1]."]
    check = check_answer(answer)
    assert (check.sentences, check.supported_sentences) == (2, 2)


def test_the_support_check_needs_shared_content_words() -> None:
    assert supports("The United States will not send soldiers to Ukraine", TROOPS)
    assert not supports("Poland has the largest army in the EU", TROOPS)


def test_a_hyphenated_compound_supports_its_words() -> None:
    quote = "She is serving a 20-year sentence; the 101-year-old guard was convicted."
    assert supports("20 years [1].", quote)
    assert supports("101 years old [1].", quote)
    assert not supports("30 months [1].", quote)


def test_a_yes_or_no_lead_claims_no_words_and_is_judged_alike():
    quote = "Every member present voted for the bill."
    assert supports("Yes [1].", quote) and supports("No [1].", quote)
    assert supports("Yes, every member voted for it [1].", quote)
    assert not supports("Yes, the senators rejected the budget [1].", quote)


def test_supported_citations_give_full_precision_and_recall(
    make_item, make_answer, make_citation, passages
) -> None:
    answer = make_answer(
        "The United States will not send soldiers to Ukraine [1]. "
        "Poland has the largest army in the EU [2].",
        passages=passages,
        citations=[make_citation(passages[0], TROOPS), make_citation(passages[1], POLAND)],
    )
    metrics = citation_metrics([EvalRecord(make_item(), answer)])
    assert metrics["citation_precision"] == 1.0
    assert metrics["citation_recall"] == 1.0
    assert metrics["n_citations"] == 2


def test_a_quote_that_does_not_support_its_sentence_lowers_precision(
    make_item, make_answer, make_citation, passages
) -> None:
    answer = make_answer(
        "The United States will not send soldiers to Ukraine [1]. "
        "Poland has the largest army in the EU [1].",
        passages=passages,
        citations=[make_citation(passages[0], TROOPS)],
    )
    metrics = citation_metrics([EvalRecord(make_item(), answer)])
    assert metrics["citation_precision"] == 0.5
    assert metrics["citation_recall"] == 0.5


def test_a_quote_missing_from_its_passage_is_unsupported(
    make_answer, make_citation, passages
) -> None:
    fake = make_citation(passages[1], POLAND, n=1)  # quote of passage 2 filed under [1]
    fake["start"], fake["end"] = 500, 500 + len(POLAND)
    answer = make_answer(
        "Poland has the largest army in the EU [1].", passages=passages, citations=[fake]
    )
    check = check_answer(answer)
    assert (check.attachments, check.supported_attachments) == (1, 0)


def test_a_number_with_no_citation_behind_it_is_unsupported(make_answer, passages) -> None:
    answer = make_answer("The United States will not send soldiers [1].", passages=passages)
    check = check_answer(answer)
    assert (check.attachments, check.supported_attachments, check.supported_sentences) == (1, 0, 0)


def test_uncited_sentences_lower_recall_only(
    make_item, make_answer, make_citation, passages
) -> None:
    answer = make_answer(
        "The United States will not send soldiers to Ukraine [1]. Nobody knows what comes next.",
        passages=passages,
        citations=[make_citation(passages[0], TROOPS)],
    )
    metrics = citation_metrics([EvalRecord(make_item(), answer)])
    assert metrics["citation_precision"] == 1.0
    assert metrics["citation_recall"] == 0.5


def test_refused_and_failed_answers_are_not_scored(make_item, make_answer, passages) -> None:
    records = [
        EvalRecord(make_item(), make_answer("I cannot say [1].", refused=True, passages=passages)),
        EvalRecord(make_item(), error="RuntimeError"),
    ]
    metrics = citation_metrics(records)
    assert metrics["citation_precision"] is None and metrics["citation_recall"] is None
