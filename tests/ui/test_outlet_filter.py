"""Restricting answers to some outlets, from the chat's settings and from POST /api/ask.

The pages of two made-up outlets (the `two_outlets` fixture) are served with the extractive back end.
"""

from __future__ import annotations

import httpx
import pytest

from rag.config import Config
from rag.errors import NoSuchOutlet
from rag.pipeline import Pipeline
from rag.types import Filters
from tests.support.servers import free_port, serve_in_thread
from tests.ui.conftest import OUTLETS_QUESTION
from ui.chat import ChatHandlers
from ui.conversation import load_turns

pytestmark = [pytest.mark.integration]

QUESTION = OUTLETS_QUESTION


def test_the_library_lists_its_outlets_and_narrows_filters_to_them(two_outlets):
    library, gazette, courier = two_outlets
    assert library.outlets() == ["Coast Courier", "Harbor Gazette"]
    assert library.restrict_to_outlets(Filters(), ["  coast   COURIER "]).doc_ids == (courier,)
    assert library.restrict_to_outlets(Filters(doc_ids=(gazette,)), []).doc_ids == (gazette,)
    with pytest.raises(NoSuchOutlet, match="no articles from Nowhere Times"):
        library.restrict_to_outlets(Filters(), ["Nowhere Times"])
    with pytest.raises(NoSuchOutlet, match="none of the chosen documents is from Coast Courier"):
        library.restrict_to_outlets(Filters(doc_ids=(gazette,)), ["Coast Courier"])


def test_the_chat_answers_only_from_the_chosen_outlet_and_names_an_unknown_one(two_outlets, tmp_path):
    library, gazette, courier = two_outlets
    config = Config(index=library.settings, backend="extractive", refusal_threshold=0.0)
    chat = ChatHandlers(Pipeline(config, library=library), config, tmp_path / "exports")
    settings = ("extractive", 5, [], None, None)
    *_, stored, _ = list(chat.answer(QUESTION, [], *settings, ["Coast Courier"]))[-1]
    turn = load_turns(stored)[-1]
    assert turn.answer is not None and {p.doc_id for p in turn.answer.passages} == {courier}
    *_, stored, _ = list(chat.answer(QUESTION, [], *settings, ["Nowhere Times"]))[-1]
    turn = load_turns(stored)[-1]
    assert turn.answer is None and turn.error == "No articles from Nowhere Times."


def test_api_ask_takes_outlets_among_its_filters(two_outlets):
    library, gazette, courier = two_outlets
    config = Config(index=library.settings, backend="extractive", refusal_threshold=0.0, host="127.0.0.1", port=free_port())
    with serve_in_thread(Pipeline(config, library=library), config) as app:
        ask = f"{app.url}api/ask"
        answer = httpx.post(ask, json={"question": QUESTION, "filters": {"outlets": ["Harbor Gazette"]}}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert {p["doc_id"] for p in answer.json()["passages"]} == {gazette}
        unknown = httpx.post(ask, json={"question": QUESTION, "filters": {"outlets": ["Nowhere Times"]}}, timeout=60)
        assert unknown.status_code == 400 and unknown.json() == {"error": "no articles from Nowhere Times"}
        wrong = httpx.post(ask, json={"question": QUESTION, "filters": {"outlets": "Harbor Gazette"}}, timeout=60)
        assert wrong.status_code == 400 and wrong.json() == {"error": "'filters.outlets' must be a list of outlet names"}
