"""The hand-written gold set for the seed article stays faithful to the article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.gold import load_gold
from evals.metrics.textnorm import contains_phrase

ROOT = Path(__file__).resolve().parents[2]
SEED_GOLD = ROOT / "evals" / "gold" / "seed.jsonl"
SEED_DOC = "000_8e37ae472674b90e.txt"
ARTICLE = (ROOT / "seeds" / SEED_DOC).read_text(encoding="utf-8")
ITEMS = load_gold(SEED_GOLD)
ANSWERABLE = [i for i in ITEMS if i.answerable]


def test_seed_set_has_at_least_40_questions_of_which_8_unanswerable() -> None:
    assert len(ITEMS) >= 40
    assert sum(not i.answerable for i in ITEMS) >= 8


def test_seed_ids_are_unique_in_the_raw_file() -> None:
    lines = [json.loads(line) for line in SEED_GOLD.read_text(encoding="utf-8").splitlines()]
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) == len(ITEMS)


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda i: i.id)
def test_every_evidence_quote_occurs_verbatim_in_the_seed_article(item) -> None:
    assert 1 <= len(item.evidence) <= 2
    for quote in item.evidence:
        assert quote in ARTICLE, f"{item.id}: {quote!r}"


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda i: i.id)
def test_answerable_items_point_at_the_seed_document(item) -> None:
    assert item.doc_ids == (SEED_DOC,)
    assert item.answers


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda i: i.id)
def test_some_acceptable_answer_is_written_in_the_article(item) -> None:
    assert any(contains_phrase(ARTICLE, answer) for answer in item.answers), item.id


def test_unanswerable_items_have_no_answers_and_no_evidence() -> None:
    for item in ITEMS:
        if not item.answerable:
            assert item.answers == () and item.evidence == ()


def test_multiple_choice_items_list_their_answer_among_the_choices() -> None:
    with_choices = [i for i in ITEMS if i.choices]
    assert with_choices
    for item in with_choices:
        assert set(item.answers) & set(item.choices), item.id
