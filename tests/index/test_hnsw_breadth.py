"""The HNSW search breadth (`hnsw_ef_search`) is set on new and existing collections, and it matters."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.library import Library
from index.settings import IndexSettings
from index.store import ChromaStore, connect
from index.errors import ConfigError
from rag.config import load_config

DIM = 64


def _fresh_process() -> None:
    """Forget Chroma's loaded indexes, as a new process would (it keeps searching them as loaded)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _ef(settings: IndexSettings) -> int:
    collection = connect(settings).get_collection(settings.collection, embedding_function=None)
    return collection.configuration["hnsw"]["ef_search"]


def test_a_new_collection_gets_the_configured_breadth_and_an_old_one_is_changed(hash_settings) -> None:
    Library(replace(hash_settings, hnsw_ef_search=50))
    assert _ef(hash_settings) == 50
    _fresh_process()
    Library(replace(hash_settings, hnsw_ef_search=300), create=False)
    assert _ef(hash_settings) == 300
    assert IndexSettings().hnsw_ef_search == 400


def test_breadth_out_of_range_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="hnsw_ef_search must be between 1 and 10000"):
        load_config(environ={"RAG_HNSW_EF_SEARCH": "0"})


def _recall_at_10(store: ChromaStore, vectors: np.ndarray, ids: list[str], queries: np.ndarray) -> float:
    found = []
    for q in queries:
        exact = {ids[i] for i in np.argpartition(-(vectors @ q), 10)[:10]}
        got = store.chunks.query(query_embeddings=[q], n_results=10, include=[])["ids"][0]
        found.append(len(exact & set(got)) / 10)
    return float(np.mean(found))


def _random_index(settings: IndexSettings) -> tuple[Library, np.ndarray, list[str], np.ndarray]:
    """Random directions in random data, HNSW's hard case: a narrow search misses true neighbours."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(4000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.normal(size=(100, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    ids = [f"c{i}" for i in range(len(vectors))]
    library = Library(settings)
    for lo in range(0, len(ids), 1000):
        library.store.chunks.add(ids=ids[lo : lo + 1000], embeddings=vectors[lo : lo + 1000])
    return library, vectors, ids, queries


def test_a_wider_search_finds_more_of_the_exact_neighbours(tmp_path: Path) -> None:
    settings = IndexSettings(data_dir=tmp_path / "data", embed_model=f"hash-{DIM}")
    library, vectors, ids, queries = _random_index(settings)
    recalls = {}
    for ef in (10, 400):
        _fresh_process()
        reopened = ChromaStore(replace(settings, hnsw_ef_search=ef), library.spec, create=False)
        recalls[ef] = _recall_at_10(reopened, vectors, ids, queries)
    assert recalls[400] > 0.95 and recalls[10] < recalls[400] - 0.1, recalls


@pytest.mark.integration
def test_a_chroma_server_applies_a_changed_breadth_once_it_restarts_and_the_user_is_told(
    chroma_server, tmp_path: Path, caplog
) -> None:
    settings = IndexSettings(
        data_dir=tmp_path / "data", embed_model=f"hash-{DIM}", chroma_url=chroma_server.url, hnsw_ef_search=10
    )
    library, vectors, ids, queries = _random_index(settings)
    narrow = _recall_at_10(library.store, vectors, ids, queries)  # the server now has the index loaded
    wider = replace(settings, hnsw_ef_search=400)
    with caplog.at_level(logging.WARNING, logger="index.store"):
        reopened = ChromaStore(wider, library.spec, create=False)
    assert f"Chroma server at {chroma_server.url}" in caplog.text and "restarts" in caplog.text
    assert reopened.chunks.configuration["hnsw"]["ef_search"] == 400
    assert _recall_at_10(reopened, vectors, ids, queries) < 0.8 and narrow < 0.8

    chroma_server.restart()
    after = ChromaStore(wider, library.spec, create=False)
    assert _recall_at_10(after, vectors, ids, queries) > 0.95
