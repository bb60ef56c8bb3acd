"""The gold sets about the seed article stay faithful to the article and apart from each other.

seed.jsonl is the tuning set the seed rules were found on; seed-b.jsonl is a second tuning set and
seed-heldout.jsonl the set it was split from at random, run to report only; seed-c.jsonl is a third
tuning set, written later without reading seed-heldout (evals/README.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.gold import load_gold
from evals.metrics.textnorm import normalize_answer, contains_phrase

ROOT = Path(__file__).resolve().parents[2]
GOLD_DIR = ROOT / "evals" / "gold"
SEED_SETS = ("seed.jsonl", "seed-b.jsonl", "seed-c.jsonl", "seed-heldout.jsonl")
SEED_GOLD = GOLD_DIR / "seed.jsonl"
SEED_DOC = "000_8e37ae472674b90e.txt"
ARTICLE = (ROOT / "seeds" / SEED_DOC).read_text(encoding="utf-8")
ITEMS = {name: load_gold(GOLD_DIR / name) for name in SEED_SETS}
ANSWERABLE = [i for items in ITEMS.values() for i in items if i.answerable]
# A yes/no question's answer is a reading of its evidence, not a phrase of it.
PHRASE_ANSWERS = [i for i in ANSWERABLE if not set(i.answers) <= {"yes", "no"}]


@pytest.mark.parametrize(("name", "least", "unanswerable"), [("seed.jsonl", 40, 8), ("seed-b.jsonl", 25, 6), ("seed-c.jsonl", 40, 10), ("seed-heldout.jsonl", 25, 6)])
def test_each_seed_set_has_enough_questions_and_unanswerable_ones(name, least, unanswerable) -> None:
    items = ITEMS[name]
    assert len(items) >= least
    assert sum(not i.answerable for i in items) >= unanswerable


@pytest.mark.parametrize("name", SEED_SETS)
def test_seed_ids_are_unique_in_the_raw_file(name) -> None:
    lines = [json.loads(line) for line in (GOLD_DIR / name).read_text(encoding="utf-8").splitlines()]
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) == len(ITEMS[name])


def test_no_question_is_asked_in_two_seed_sets() -> None:
    seen: dict[str, str] = {}
    for name, items in ITEMS.items():
        for item in items:
            key = normalize_answer(item.question)
            assert key not in seen, f"{item.id} of {name} repeats a question of {seen[key]}"
            seen[key] = name


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda i: i.id)
def test_every_evidence_quote_occurs_verbatim_in_the_seed_article(item) -> None:
    assert 1 <= len(item.evidence) <= 2
    for quote in item.evidence:
        assert quote in ARTICLE, f"{item.id}: {quote!r}"


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda i: i.id)
def test_answerable_items_point_at_the_seed_document(item) -> None:
    assert item.doc_ids == (SEED_DOC,)
    assert item.answers


@pytest.mark.parametrize("item", PHRASE_ANSWERS, ids=lambda i: i.id)
def test_some_acceptable_answer_is_written_in_the_article(item) -> None:
    def plain(text: str) -> str:
        return re.sub(r"[’']s\b", "", text)  # "Putin" is written as "Putin’s" only

    assert any(contains_phrase(plain(ARTICLE), plain(answer)) for answer in item.answers), item.id


@pytest.mark.parametrize("name", SEED_SETS)
def test_unanswerable_items_have_no_answers_and_no_evidence(name) -> None:
    for item in ITEMS[name]:
        if not item.answerable:
            assert item.answers == () and item.evidence == ()


def test_multiple_choice_items_list_their_answer_among_the_choices() -> None:
    with_choices = [i for i in ITEMS["seed.jsonl"] if i.choices]
    assert with_choices
    for item in with_choices:
        assert set(item.answers) & set(item.choices), item.id
