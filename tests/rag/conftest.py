"""Fixtures for the answering tests: a small hash-embedded index of made-up articles."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from index.library import Library
from index.settings import IndexSettings
from rag.backends.base import ChatMessage
from rag.config import Config

ARTICLES = [
    {
        "id": "harbor-2024",
        "title": "City opens new harbor bridge",
        "url": "https://example.org/harbor",
        "published": "2024/05/02",
        "text": (
            "The city of Norrvik opened its new harbor bridge on Tuesday. "
            "The bridge cost 240 million euros and took four years to build. "
            "Mayor Lena Holm said the bridge would cut commuting times by half.\n\n"
            "Critics argued that the money should have gone to schools. "
            "The opposition leader, Piet Vann, called the project a vanity plan."
        ),
    },
    {
        "id": "orchard-2024",
        "title": "Apple harvest breaks record",
        "url": "https://example.org/apples",
        "published": "2024/09/20",
        "text": (
            "Farmers in the Kessel valley picked a record 81,000 tonnes of apples this autumn. "
            "A warm spring and late rains helped the orchards, said grower Ada Brink. "
            "Prices fell by ten percent as a result."
        ),
    },
    {
        "id": "orchard-2023",
        "title": "Apple harvest hit by frost",
        "url": "https://example.org/apples-2023",
        "published": "2023/09/18",
        "text": (
            "Frost in April cut the apple harvest in the Kessel valley to 52,000 tonnes. "
            "Growers asked the government for help."
        ),
    },
]


@pytest.fixture()
def corpus_file(tmp_path: Path) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def config(tmp_path: Path) -> Config:
    return Config(index=IndexSettings(data_dir=tmp_path / "data", embed_model="hash-256"), backend="extractive", refusal_threshold=0.0)


@pytest.fixture()
def library(config: Config, corpus_file: Path) -> Library:
    lib = Library(config.index)
    report = lib.ingest([corpus_file])
    assert report.ok and len(report.added) == len(ARTICLES)
    return lib


class ScriptedGenerator:
    """A fake LLM: replies with a fixed text, streamed word by word; records the prompts."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[Sequence[ChatMessage]] = []

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> Iterator[str]:
        self.prompts.append(list(messages))
        for i, word in enumerate(self.reply.split(" ")):
            yield word if i == 0 else " " + word


@pytest.fixture()
def scripted():
    return ScriptedGenerator
