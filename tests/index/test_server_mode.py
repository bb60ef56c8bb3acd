"""Against a real `chroma run` server: the same behaviour as embedded, shared state, clear failures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index.errors import StoreUnavailable
from index.library import Library

pytestmark = pytest.mark.integration

QUERIES = ["officials said the plan would be reviewed", "residents asked why costs rose", "harbor authority Norrvik"]


def snapshot(library: Library) -> dict:
    """Everything observable that must not depend on where Chroma runs."""
    vectors = [library.embedder.encode_query(q) for q in QUERIES]
    return {
        "records": sorted((r.doc_id, r.version, r.n_chunks, r.title, r.published) for r in library.store.records()),
        "chunk_ids": sorted(library.store.chunk_ids()),
        "status": {k: v for k, v in library.status().items() if k not in ("store", "bm25")},
        "dense": [[(h.chunk_id, round(h.score, 4)) for h in library.dense_search(v, 8)] for v in vectors],
        "lexical": [[(h.chunk_id, round(h.score, 4)) for h in library.lexical_search(q, 8)] for q in QUERIES],
    }


def test_ingest_search_update_and_remove_behave_as_embedded(
    chroma_server, hash_settings, write_articles, tmp_path, assert_consistent
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(8))
    embedded = Library(hash_settings)
    served = Library(replace(hash_settings, data_dir=tmp_path / "client", chroma_url=chroma_server.url))
    assert served.status()["store"] == chroma_server.url

    steps = [
        lambda lib: lib.ingest([folder]),
        lambda lib: lib.ingest([folder]),
        lambda lib: (write_articles(folder, [5], revision=1), lib.ingest([folder])),
        lambda lib: lib.remove("art-003"),
    ]
    for step in steps:
        outcomes = []
        for library in (embedded, served):
            result = step(library)
            outcomes.append(result if isinstance(result, bool) else _report(result))
            assert_consistent(library)
        assert outcomes[0] == outcomes[1]
        assert snapshot(served) == snapshot(embedded)
    assert snapshot(served)["status"]["documents"] == 7


def _report(result):
    report = result[-1] if isinstance(result, tuple) else result
    return (sorted(report.added), sorted(report.updated), sorted(report.unchanged), report.chunks_written)


def test_bm25_follows_documents_another_client_writes(
    chroma_server, hash_settings, write_articles, tmp_path, article_marker, assert_consistent
) -> None:
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    write_articles(first_dir, range(3))
    write_articles(second_dir, [7])
    first = Library(replace(hash_settings, data_dir=tmp_path / "client-1", chroma_url=chroma_server.url))
    first.ingest([first_dir])
    assert first.lexical_search(article_marker(7), 5) == []

    second = Library(replace(hash_settings, data_dir=tmp_path / "client-2", chroma_url=chroma_server.url))
    second.ingest([second_dir])
    second.remove("art-001")

    assert {h.doc_id for h in first.lexical_search(article_marker(7), 5)} == {"art-007"}
    assert first.lexical_search(article_marker(1), 5) == []
    assert_consistent(first)
    assert sorted(r.doc_id for r in first.documents()) == ["art-000", "art-002", "art-007"]


def test_stopped_server_raises_store_unavailable_from_every_operation(
    chroma_server, hash_settings, write_articles, tmp_path
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(2))
    settings = replace(hash_settings, chroma_url=chroma_server.url)
    library = Library(settings)
    library.ingest([folder])
    chroma_server.stop()

    operations = {
        "open": lambda: Library(settings),
        "ingest": lambda: library.ingest([folder]),
        "remove": lambda: library.remove("art-000"),
        "status": library.status,
        "documents": library.documents,
        "dense_search": lambda: library.dense_search(library.embedder.encode_query("plan"), 3),
        "lexical_search": lambda: library.lexical_search("plan reviewed", 3),
    }
    for name, operation in operations.items():
        with pytest.raises(StoreUnavailable) as caught:
            operation()
        message = str(caught.value)
        assert f"the Chroma server at {chroma_server.url} is not reachable" in message, name
        assert "start it or fix chroma_url" in message, name


def test_rag_commands_against_a_stopped_server_exit_3_without_traceback(
    chroma_server, hash_settings, write_articles, tmp_path, run_rag
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(1))
    url = chroma_server.url
    assert run_rag("ingest", folder, "--data-dir", hash_settings.data_dir, "--chroma-url", url).returncode == 0
    chroma_server.stop()
    for args in (("status",), ("ingest", folder), ("remove", "art-000")):
        result = run_rag(*args, "--data-dir", hash_settings.data_dir, env={"RAG_CHROMA_URL": url})
        assert result.returncode == 3, (args, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        assert f"rag: error: the Chroma server at {url} is not reachable" in result.stderr
