"""Fixtures for the UI tests: a small hash-embedded index, and the real app served on a free port."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from index.library import Library  # noqa: E402
from index.settings import IndexSettings  # noqa: E402
from rag.config import Config  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from tests.support import small_corpus  # noqa: E402
from tests.support.news_site import article_html  # noqa: E402
from tests.support.servers import RunningApp, free_port, serve_in_thread  # noqa: E402
from tests.support.small_corpus import serve_small  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUTLETS_QUESTION = "How often was the ferry to Eastholm cancelled?"
SEEDS = REPO / "seeds"


@pytest.fixture()
def small_library(tmp_path: Path) -> Library:
    """Two made-up articles in a hash-embedded index (fast, deterministic)."""
    return small_corpus.small_library(tmp_path)


@pytest.fixture()
def small_config(small_library: Library) -> Config:
    return Config(index=small_library.settings, backend="extractive", refusal_threshold=0.0)


@pytest.fixture()
def small_pipeline(small_config: Config, small_library: Library) -> Pipeline:
    return Pipeline(small_config, library=small_library)


def _seeded_minilm_app(tmp_path: Path, minilm, auth: str | None = None) -> AbstractContextManager[RunningApp]:
    """The app over an index of `seeds/` embedded with the real MiniLM, extractive back end."""
    settings = IndexSettings(data_dir=tmp_path / "data")
    library = Library(settings, embedder=minilm)
    report = library.ingest([SEEDS])
    assert report.ok and report.added
    config = Config(index=settings, backend="extractive", host="127.0.0.1", port=free_port(), auth=auth)
    return serve_in_thread(Pipeline(config, library=library), config)


@pytest.fixture(scope="session")
def seeded_app(minilm) -> Callable[..., AbstractContextManager[RunningApp]]:
    """`seeded_app(folder, auth=None)`: serve the real app over `seeds/` (MiniLM, extractive)."""
    return lambda folder, auth=None: _seeded_minilm_app(folder, minilm, auth)


@pytest.fixture(scope="module")
def small_app(tmp_path_factory) -> Iterator[RunningApp]:
    """The real app over the two made-up articles (hash-embedded, extractive), one per test module."""
    with serve_small(tmp_path_factory.mktemp("small-app")) as running:
        yield running


@pytest.fixture(scope="session")
def serve_app() -> Callable[[Pipeline, Config], AbstractContextManager[RunningApp]]:
    """`serve_app(pipeline, config)`: the real app served on `config.port` while the block runs."""
    return serve_in_thread


@pytest.fixture()
def two_outlets(site, tmp_path) -> tuple[Library, str, str]:
    """Two pages of two made-up outlets, fetched from a news site on loopback into a hash-embedded index."""
    ferry = "\n\n".join(f"The ferry to Eastholm was cancelled {p + 2} times this week because of storms." for p in range(4))
    bus = "\n\n".join(f"The ferry company said storms also hit the bus link to Eastholm {p + 1} times." for p in range(4))
    gazette = site.route("/g", article_html("Ferries cancelled", ferry, site="Harbor Gazette"))
    courier = site.route("/c", article_html("Buses hit too", bus, site="Coast Courier"))
    settings = IndexSettings(data_dir=tmp_path / "data", embed_model="hash-256", fetch_delay_s=0, fetch_retries=0)
    library = Library(settings)
    assert library.ingest_urls([gazette, courier], allow_private=True).ok
    return library, gazette, courier
