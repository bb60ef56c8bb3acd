"""Two made-up articles in a hash-embedded index, and the real app served over them (extractive).

Fast and deterministic: the UI, API and MCP tests use them when the model is not what they test.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from index.library import Library
from index.settings import IndexSettings
from rag.config import Config
from rag.pipeline import Pipeline
from tests.support.servers import RunningApp, free_port, serve_in_thread

BRIDGE = {
    "id": "harbor-2024",
    "title": "City opens new harbor bridge",
    "url": "https://example.org/harbor",
    "published": "2024-05-02",
    "text": (
        "The city of Norrvik opened its new harbor bridge on Tuesday. "
        "The bridge cost 240 million euros and took four years to build. "
        "Mayor Lena Holm said the bridge would cut commuting times by half."
    ),
}
APPLES = {
    "id": "orchard-2024",
    "title": "Apple harvest breaks record",
    "url": "javascript:alert(1)",
    "published": "2024-09-20",
    "text": (
        "Farmers in the Kessel valley picked a record 81,000 tonnes of apples this autumn. "
        "A warm spring and late rains helped the orchards, said grower Ada Brink."
    ),
}


def small_library(folder: Path) -> Library:
    """BRIDGE and APPLES ingested into a hash-embedded index under `folder`."""
    corpus = folder / "articles.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in (BRIDGE, APPLES)) + "\n", encoding="utf-8")
    library = Library(IndexSettings(data_dir=folder / "data", embed_model="hash-256"))
    assert library.ingest([corpus]).ok
    return library


def small_config(library: Library, **settings: Any) -> Config:
    """The extractive back end over `library`, never refusing for a weak match, on a free loopback port."""
    return Config(
        index=library.settings, backend="extractive", refusal_threshold=0.0, host="127.0.0.1", port=free_port(), **settings
    )


def serve_small(folder: Path, pipeline_type: type[Pipeline] = Pipeline, **settings: Any) -> AbstractContextManager[RunningApp]:
    """The real app over the two articles while the block runs; `settings` go to the Config."""
    library = small_library(folder)
    config = small_config(library, **settings)
    return serve_in_thread(pipeline_type(config, library=library), config)
