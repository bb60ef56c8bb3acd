"""An index only opens with the model and chunking that built it; the error says how to rebuild."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from index.errors import IndexMismatchError
from index.library import Library

REBUILD_HINT = "rebuild it with `rag ingest --rebuild PATH...`"


@pytest.fixture()
def built(hash_settings, write_articles, tmp_path):
    """An index built with hash-64 and the default chunking, from three articles."""
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    Library(hash_settings).ingest([folder])
    return hash_settings, folder


def test_other_embedding_model_raises_mismatch_naming_both_and_how_to_rebuild(built) -> None:
    settings, _ = built
    with pytest.raises(IndexMismatchError) as caught:
        Library(replace(settings, embed_model="hash-32"))
    message = str(caught.value)
    assert "embed_model='hash-64' (now 'hash-32')" in message
    assert "embed_dim=64 (now 32)" in message
    assert REBUILD_HINT in message


@pytest.mark.parametrize("field, value", [("chunk_size", 128), ("chunk_overlap", 16)])
def test_other_chunking_raises_mismatch(built, field: str, value: int) -> None:
    settings, _ = built
    with pytest.raises(IndexMismatchError, match=f"{field}={getattr(settings, field)!r} \\(now {value!r}\\)"):
        Library(replace(settings, **{field: value}))


def test_same_settings_open_without_complaint(built) -> None:
    settings, _ = built
    assert Library(settings).status()["documents"] == 3


def test_other_collection_in_the_same_data_dir_is_a_separate_index(built) -> None:
    settings, _ = built
    other = Library(replace(settings, embed_model="hash-32", collection="other"))
    assert other.status()["documents"] == 0


def test_rebuild_replaces_an_index_built_with_another_model(built) -> None:
    settings, folder = built
    new_settings = replace(settings, embed_model="hash-32")
    library = Library(new_settings, rebuild=True)
    assert library.status()["documents"] == 0
    report = library.ingest([folder])
    assert len(report.added) == 3
    assert Library(new_settings).status()["model"] == "hash-32"
    with pytest.raises(IndexMismatchError):
        Library(settings)


def test_rag_status_on_a_mismatched_index_exits_2_with_the_rebuild_sentence(built, run_rag) -> None:
    settings, _ = built
    result = run_rag("status", "--data-dir", settings.data_dir, env={"RAG_EMBED_MODEL": "hash-32"})
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("rag: error: the index at ") and REBUILD_HINT in line


def test_rag_ingest_rebuild_follows_the_advice_of_the_mismatch_error(built, run_rag) -> None:
    settings, folder = built
    env = {"RAG_EMBED_MODEL": "hash-32"}
    rebuilt = run_rag("ingest", "--rebuild", folder, "--data-dir", settings.data_dir, env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    status = run_rag("status", "--json", "--data-dir", settings.data_dir, env=env)
    assert status.returncode == 0, status.stderr
    assert {k: json.loads(status.stdout)[k] for k in ("documents", "model")} == {"documents": 3, "model": "hash-32"}
