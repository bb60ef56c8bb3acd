"""The README's example question, through the real pipeline on the shipped seed article.

"Who ruled out US soldiers on the ground?" was once answered with the sentence about NATO
membership, under a verified-looking citation. The person who ruled it out is the US president,
through his spokeswoman: the short answer names him (or her as the one who said so), and the
citation quotes the sentence about soldiers on the ground.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Config
from rag.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Who ruled out US soldiers on the ground?"


@pytest.fixture(scope="module")
def seed_pipeline(tmp_path_factory):
    from index.library import open_library

    config = Config().with_overrides(data_dir=tmp_path_factory.mktemp("seed") / "data")
    library = open_library(config.index)
    report = library.ingest([ROOT / "seeds"])
    assert report.ok and report.added
    return config, Pipeline(config, library=library)


def _check(answer) -> None:
    assert not answer.refused, answer.answer
    assert answer.short_answer and answer.answer.startswith(answer.short_answer)
    assert "president" in answer.short_answer.lower() or "Levit" in answer.short_answer
    assert "NATO" not in answer.answer
    quotes = " ".join(c.quote for c in answer.citations)
    assert "soldiers on the ground" in quotes
    for c in answer.citations:
        assert any(p.n == c.n and c.quote in p.text for p in answer.passages)


@pytest.mark.slow
def test_readme_example_is_answered_with_the_president_through_his_spokeswoman_extractively(seed_pipeline):
    _, pipeline = seed_pipeline
    _check(pipeline.ask(QUESTION, backend="extractive"))


@pytest.mark.slow
def test_readme_example_is_answered_with_the_president_through_his_spokeswoman_by_the_default_back_end(seed_pipeline):
    config, pipeline = seed_pipeline
    answer = pipeline.ask(QUESTION)
    assert answer.backend == config.backend == "embedded"
    _check(answer)
