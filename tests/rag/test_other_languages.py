"""Questions in other languages and scripts: an answer with real citations or a refusal, never an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.library import Library
from rag.pipeline import Pipeline
from tests.support.languages import QUESTIONS, reply_problems

FOREIGN_ARTICLES = [
    {
        "id": "pont-2024",
        "title": "Norrvik inaugure son nouveau pont",
        "published": "2024/05/03",
        "text": (
            "La ville de Norrvik a inauguré mardi son nouveau pont sur le port. "
            "Le nouveau pont de Norrvik a coûté 240 millions d'euros et sa construction a duré quatre ans."
        ),
    },
    {
        "id": "qiao-2024",
        "title": "诺尔维克新港口大桥通车",
        "published": "2024/05/03",
        "text": "诺尔维克市周二开通了新的港口大桥。大桥耗资2.4亿欧元，历时四年建成。",
    },
]


@pytest.fixture()
def multilingual(library: Library, tmp_path: Path) -> Library:
    extra = tmp_path / "foreign.jsonl"
    extra.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in FOREIGN_ARTICLES) + "\n", encoding="utf-8")
    assert len(library.ingest([extra]).added) == len(FOREIGN_ARTICLES)
    return library


def text_of(library: Library):
    return lambda doc_id: library.document(doc_id).text


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_question_in_any_language_gets_a_cited_answer_or_a_refusal(config, multilingual, name) -> None:
    question = QUESTIONS[name]
    answer = Pipeline(config, library=multilingual).ask(question)
    assert reply_problems(answer, question, text_of(multilingual)) == []


def test_question_without_words_in_any_script_asks_for_words(config, multilingual) -> None:
    answer = Pipeline(config, library=multilingual).ask(QUESTIONS["emoji-only"])
    assert answer.refused and "in words" in answer.answer and answer.passages == []


def test_french_question_is_answered_from_the_french_article(config, multilingual) -> None:
    answer = Pipeline(config, library=multilingual).ask(QUESTIONS["french"])
    assert not answer.refused
    assert "pont-2024" in {c.doc_id for c in answer.citations}
    assert "240 millions" in answer.answer
