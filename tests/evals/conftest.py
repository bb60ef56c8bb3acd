"""Builders of small hand-made gold items and Answer JSON dicts for the evaluation tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from evals.gold import GoldItem

DEFAULT_TIMINGS = {"retrieve": 10.0, "first_token": 50.0, "total": 200.0}


def _item(
    id: str = "q1",
    question: str = "Who leads the committee?",
    answers: Sequence[str] = ("Mark Rubio",),
    **fields: Any,
) -> GoldItem:
    answerable = fields.pop("answerable", bool(answers))
    for key in ("doc_ids", "evidence", "choices"):
        fields[key] = tuple(fields.get(key, ()))
    return GoldItem(
        id=id, question=question, answers=tuple(answers), answerable=answerable, **fields
    )


def _passage(n: int, text: str, doc_id: str = "doc-a", start: int = 0) -> dict[str, Any]:
    return {
        "n": n,
        "doc_id": doc_id,
        "chunk_id": f"{doc_id}#{n}",
        "title": f"Title of {doc_id}",
        "text": text,
        "score": round(1.0 / n, 3),
        "start": start,
        "end": start + len(text),
        "url": "",
        "published": "",
    }


def _citation(passage: dict[str, Any], quote: str, n: int | None = None) -> dict[str, Any]:
    offset = passage["text"].find(quote)
    start = passage["start"] + max(offset, 0)
    return {
        "n": passage["n"] if n is None else n,
        "doc_id": passage["doc_id"],
        "chunk_id": passage["chunk_id"],
        "title": passage["title"],
        "url": "",
        "published": "",
        "quote": quote,
        "start": start,
        "end": start + len(quote),
    }


def _answer(
    answer: str = "",
    *,
    refused: bool = False,
    passages: Sequence[dict[str, Any]] = (),
    citations: Sequence[dict[str, Any]] = (),
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "question": "q",
        "answer": answer,
        "refused": refused,
        "citations": list(citations),
        "passages": list(passages),
        "backend": "fake",
        "timings_ms": DEFAULT_TIMINGS if timings is None else timings,
        "notices": [],
        "standalone_question": "q",
    }


@pytest.fixture
def make_item() -> Callable[..., GoldItem]:
    return _item


@pytest.fixture
def make_passage() -> Callable[..., dict[str, Any]]:
    return _passage


@pytest.fixture
def make_citation() -> Callable[..., dict[str, Any]]:
    return _citation


@pytest.fixture
def make_answer() -> Callable[..., dict[str, Any]]:
    return _answer
