"""Ingest is incremental and idempotent: same chunks every time, updates replace, remove deletes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from index.embedding import MAX_WORD_PIECES, HashEmbedder
from index.library import Library, embedding_text
from index.settings import IndexSettings


class CountingEmbedder:
    """The hash embedder, counting how many texts it was asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        self._inner = HashEmbedder(dim)
        self.name, self.dim, self.variant = self._inner.name, dim, self._inner.variant
        self.texts: list[str] = []

    def tokenize(self, text: str) -> list[str]:
        return self._inner.tokenize(text)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self._inner.encode_documents(texts)

    def encode_query(self, text: str) -> np.ndarray:
        return self._inner.encode_query(text)


def ids_of(library: Library, doc_id: str) -> set[str]:
    return {cid for cid in library.store.chunk_ids() if cid.startswith(f"{doc_id}::")}


def lexical_doc_ids(library: Library, query: str) -> set[str]:
    return {hit.doc_id for hit in library.lexical_search(query, 50)}


def test_ingesting_the_same_folder_three_times_keeps_exactly_the_same_chunks(
    hash_settings, write_articles, tmp_path, assert_consistent
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(8))
    library = Library(hash_settings)
    snapshots = []
    for run in range(3):
        report = library.ingest([folder])
        assert report.ok
        assert (len(report.added), len(report.unchanged)) == ((8, 0) if run == 0 else (0, 8))
        assert_consistent(library)
        ids = library.store.chunk_ids()
        assert len(ids) == len(set(ids)) == library.store.count()
        snapshots.append(sorted(ids))
    assert snapshots[0] == snapshots[1] == snapshots[2]
    assert len(library.documents()) == 8


def test_reopening_the_index_and_reingesting_adds_nothing(hash_settings, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(4))
    first = Library(hash_settings)
    first.ingest([folder])
    before = sorted(first.store.chunk_ids())
    reopened = Library(hash_settings)
    report = reopened.ingest([folder])
    assert (len(report.added), len(report.updated), len(report.unchanged), report.chunks_written) == (0, 0, 4, 0)
    assert sorted(reopened.store.chunk_ids()) == before


def test_unchanged_documents_are_not_embedded_again(hash_settings, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(5))
    embedder = CountingEmbedder()
    library = Library(hash_settings, embedder)
    first = library.ingest([folder])
    assert len(embedder.texts) == first.chunks_written == library.store.count() > 0

    embedder.texts.clear()
    library.ingest([folder])
    assert embedder.texts == []

    write_articles(folder, [3], revision=1)
    report = library.ingest([folder])
    assert report.updated == ["art-003"]
    assert len(embedder.texts) == report.chunks_written == len(ids_of(library, "art-003"))


def test_changed_document_replaces_its_chunks(
    hash_settings, write_articles, tmp_path, assert_consistent, article_marker
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(4), paragraphs=12)
    library = Library(hash_settings)
    library.ingest([folder])
    old_ids = ids_of(library, "art-002")
    others = {d: ids_of(library, d) for d in ("art-000", "art-001", "art-003")}

    (edited,) = write_articles(folder, [2], revision=1, paragraphs=5)
    report = library.ingest([folder])

    assert (report.updated, len(report.unchanged)) == (["art-002"], 3)
    new_ids = ids_of(library, "art-002")
    assert new_ids and not new_ids & old_ids
    record = library.document("art-002")
    assert record.text == edited["text"] and record.n_chunks == len(new_ids)
    assert all(cid.startswith(f"art-002::{record.version}::") for cid in new_ids)
    assert {d: ids_of(library, d) for d in others} == others
    assert lexical_doc_ids(library, article_marker(2, 0)) == set()
    assert lexical_doc_ids(library, article_marker(2, 1)) == {"art-002"}
    assert_consistent(library)


def test_remove_deletes_the_document_its_chunks_and_bm25_rows(
    hash_settings, write_articles, tmp_path, assert_consistent, article_marker
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    library = Library(hash_settings)
    library.ingest([folder])
    assert lexical_doc_ids(library, article_marker(1)) == {"art-001"}
    count_before = library.store.count()
    removed = len(ids_of(library, "art-001"))

    assert library.remove("art-001") is True

    assert library.document("art-001") is None
    assert ids_of(library, "art-001") == set()
    assert library.store.count() == count_before - removed
    assert lexical_doc_ids(library, article_marker(1)) == set()
    assert not any(cid.startswith("art-001::") for cid in library.lexical.chunk_ids())
    assert_consistent(library)
    assert library.remove("art-001") is False


def test_removed_document_comes_back_on_the_next_ingest(
    hash_settings, write_articles, tmp_path, assert_consistent
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    library = Library(hash_settings)
    library.ingest([folder])
    ids = ids_of(library, "art-000")
    library.remove("art-000")
    report = library.ingest([folder])
    assert report.added == ["art-000"]
    assert ids_of(library, "art-000") == ids
    assert_consistent(library)


def test_rebuild_keeps_only_what_the_rebuild_was_given(
    hash_settings, write_articles, tmp_path, assert_consistent
) -> None:
    everything, subset = tmp_path / "all", tmp_path / "subset"
    write_articles(everything, range(6))
    write_articles(subset, [1, 4])
    library = Library(hash_settings)
    library.ingest([everything])

    report = library.ingest([subset], rebuild=True)

    assert sorted(report.added) == ["art-001", "art-004"] and report.unchanged == []
    assert sorted(r.doc_id for r in library.documents()) == ["art-001", "art-004"]
    fresh = Library(replace(hash_settings, data_dir=tmp_path / "fresh"))
    fresh.ingest([subset])
    assert sorted(library.store.chunk_ids()) == sorted(fresh.store.chunk_ids())
    assert_consistent(library)


def test_lost_bm25_file_is_rebuilt_from_chroma_on_open(
    hash_settings, write_articles, tmp_path, assert_consistent, article_marker
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    library = Library(hash_settings)
    library.ingest([folder])
    path = library.lexical.path
    library.lexical.close()
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()

    reopened = Library(hash_settings)

    assert_consistent(reopened)
    assert lexical_doc_ids(reopened, article_marker(2)) == {"art-002"}


def test_duplicate_id_in_one_run_is_reported_and_stored_once(
    hash_settings, write_articles, tmp_path, assert_consistent
) -> None:
    folder = tmp_path / "articles"
    (art,) = write_articles(folder, [0])
    (folder / "copy.json").write_text(json.dumps({**art, "text": art["text"] + " Different."}), encoding="utf-8")
    library = Library(hash_settings)
    report = library.ingest([folder])
    assert report.added == ["art-000"]
    assert len(report.failed) == 1
    path, reason = report.failed[0]
    assert path.endswith("copy.json") and "duplicate document id 'art-000'" in reason
    assert_consistent(library)


def test_stored_chunks_carry_offsets_into_the_stored_document(
    hash_settings, write_articles, tmp_path
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3), paragraphs=10)
    library = Library(hash_settings)
    library.ingest([folder])
    for record in library.documents():
        text = library.document(record.doc_id).text
        chunks = list(library.store.get_chunks(sorted(ids_of(library, record.doc_id))))
        assert len(chunks) == record.n_chunks > 1
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert (chunk.title, chunk.url, chunk.published) == (record.title, record.url, record.published)


def test_metadata_of_each_document_is_kept(hash_settings, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    (art,) = write_articles(folder, [5])
    library = Library(hash_settings)
    library.ingest([folder])
    record = library.document("art-005")
    assert (record.title, record.url, record.published, record.authors) == (
        art["title"], art["url"], "2022-06-06", tuple(art["authors"])
    )
    assert record.source == str(folder / "art-005.json")
    assert len(record.content_hash) == 64 and record.version == record.content_hash[:12]


def test_dense_search_ranks_a_chunk_first_for_its_own_text(hash_settings, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(6))
    library = Library(hash_settings)
    library.ingest([folder])
    record = library.document("art-004")
    target = next(iter(library.store.get_chunks(sorted(ids_of(library, "art-004")))))
    vector = library.embedder.encode_query(embedding_text(record.title, target.text))
    hits = library.dense_search(vector, 5)
    assert hits[0].chunk_id == target.chunk_id
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_dense_hits_read_from_the_bm25_rows_equal_those_read_from_chroma(hash_settings, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(6))
    library = Library(hash_settings)
    library.ingest([folder])
    vector = library.embedder.encode_query("city council budget vote")
    from_rows = library.dense_search(vector, 8)
    from_chroma = library.store.query(vector, 8, None)
    assert len(from_rows) == 8
    assert from_rows == from_chroma
    # Rows the BM25 side does not hold yet (another process is writing) are read from Chroma.
    with library.lexical._db:
        library.lexical._db.execute("DELETE FROM rows WHERE chunk_id IN (?, ?)", (from_rows[0].chunk_id, from_rows[3].chunk_id))
    assert library.dense_search(vector, 8) == from_chroma


def test_progress_is_reported_inside_a_large_file(hash_settings, tmp_path, make_article) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(make_article(i, paragraphs=30)) for i in range(60)), encoding="utf-8")
    events = []
    report = Library(hash_settings).ingest([path], progress=events.append)
    assert any(e.files_done == 0 and e.chunks > 0 for e in events), "no progress before the file was done"
    assert [e.chunks for e in events] == sorted(e.chunks for e in events)
    assert (events[-1].files_done, events[-1].files_total, events[-1].chunks) == (1, 1, report.chunks_written)


def test_title_line_is_cut_to_fit_the_embedding_window(tmp_path) -> None:
    embedder = CountingEmbedder()
    settings = IndexSettings(data_dir=tmp_path / "data", embed_model=embedder.name)
    path = tmp_path / "long-title.json"
    title = " ".join(f"w{i}" for i in range(60))  # 60 words, 179 characters
    path.write_text(json.dumps({"id": "t", "title": title, "text": "Some words here. " * 400}), encoding="utf-8")
    library = Library(settings, embedder)
    assert library.ingest([path]).ok
    budget = MAX_WORD_PIECES - 2 - settings.chunk_size
    for text in embedder.texts:
        line, chunk = text.split("\n", 1)
        assert title.startswith(line) and line
        assert len(embedder.tokenize(line)) <= budget
        assert len(embedder.tokenize(line)) + len(embedder.tokenize(chunk)) <= MAX_WORD_PIECES - 2


def test_rag_ingest_twice_reports_everything_unchanged(run_rag, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    data_dir = tmp_path / "data"
    first = run_rag("ingest", folder, "--data-dir", data_dir, "--json")
    second = run_rag("ingest", folder, "--data-dir", data_dir, "--json")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert json.loads(first.stdout)["added"] == 3
    assert {k: json.loads(second.stdout)[k] for k in ("added", "updated", "unchanged", "chunks_written")} == {
        "added": 0, "updated": 0, "unchanged": 3, "chunks_written": 0
    }


def test_rag_remove_and_rebuild_from_the_command_line(run_rag, write_articles, tmp_path) -> None:
    folder, subset = tmp_path / "articles", tmp_path / "subset"
    write_articles(folder, range(4))
    write_articles(subset, [2])
    data_dir = tmp_path / "data"
    assert run_rag("ingest", folder, "--data-dir", data_dir).returncode == 0

    removed = run_rag("remove", "art-001", "--data-dir", data_dir)
    missing = run_rag("remove", "art-001", "--data-dir", data_dir)
    assert (removed.returncode, removed.stdout.strip()) == (0, "removed art-001")
    assert missing.returncode == 2 and "no document with id 'art-001'" in missing.stderr

    rebuilt = run_rag("ingest", subset, "--rebuild", "--data-dir", data_dir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    status = json.loads(run_rag("status", "--json", "--data-dir", data_dir).stdout)
    listed = json.loads(run_rag("list", "--json", "--data-dir", data_dir).stdout)
    assert status["documents"] == 1 and [d["doc_id"] for d in listed] == ["art-002"]
    assert status["chunks"] == listed[0]["chunks"]
