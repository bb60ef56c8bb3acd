"""The hostile document set rendered for the browser: attack text is shown as text, nothing in it is live.

Answers come from the extractive back end and from a fake model that obeys the articles; the
conversation, the sources panel and the documents table are parsed for anything a browser would
run or load (scripts, images, frames, event handlers, non-http links, remote styles).
"""

from __future__ import annotations

import pytest

from index.library import Library
from index.settings import IndexSettings
from rag.config import Config
from rag.pipeline import Pipeline
from tests.support.hostile import DOCUMENTS, ObedientModel, hostile_questions, live_html_problems
from ui.conversation import Turn
from ui.render import conversation_html, documents_html, sources_html

QUESTIONS = hostile_questions()


@pytest.fixture(scope="module")
def hostile_library(tmp_path_factory) -> Library:
    library = Library(IndexSettings(data_dir=tmp_path_factory.mktemp("hostile") / "data", embed_model="hash-256"))
    assert library.ingest([DOCUMENTS]).ok
    return library


@pytest.fixture(scope="module")
def turns(hostile_library: Library) -> dict[str, list[Turn]]:
    """Every hostile question answered by both back ends, as chat turns."""
    config = Config(index=hostile_library.settings, backend="extractive", refusal_threshold=0.0)
    extractive = Pipeline(config, library=hostile_library)
    obedient = Pipeline(config.with_overrides(backend="openai"), library=hostile_library, generator=ObedientModel())
    return {
        name: [Turn(question=q.question, answer=pipeline.ask(q.question)) for q in QUESTIONS]
        for name, pipeline in (("extractive", extractive), ("obedient-model", obedient))
    }


@pytest.mark.parametrize("backend", ["extractive", "obedient-model"])
def test_conversation_and_sources_built_from_hostile_articles_hold_nothing_live(turns, backend) -> None:
    chat = turns[backend]
    html = conversation_html(chat) + "".join(sources_html(chat, current=i) for i in range(len(chat)))
    assert live_html_problems(html) == []
    assert "evil.example" in html and "&lt;script&gt;" in html  # the attacks were shown, as text


def test_documents_table_of_hostile_articles_holds_nothing_live(hostile_library) -> None:
    html = documents_html(hostile_library.documents())
    assert live_html_problems(html) == []
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html  # the hostile title, escaped
    assert "javascript:" not in html


def test_the_checker_finds_live_elements() -> None:
    html = '<p onclick="x()"><img src="https://evil.example/a.png"><a href="javascript:alert(1)">x</a></p><script></script>'
    assert live_html_problems(html) == [
        "onclick= handler on <p>", "<img> element", "src= on <img>", "href='javascript:alert(1)' on <a>", "<script> element",
    ]
