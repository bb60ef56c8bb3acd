"""The BM25 side: serves hits on its own, deletes by document without scanning, and outlives its old layout."""

from __future__ import annotations

import sqlite3

from index.lexical import SCHEMA_VERSION, LexicalIndex, LexicalRow
from index.library import Library


def _row(chunk_id: str, doc_id: str, body: str, version: str = "v1") -> LexicalRow:
    return LexicalRow(chunk_id, doc_id, version, 20220701, f"title of {doc_id}", body, 10, 10 + len(body),
                      f"https://example.org/{doc_id}", "2022-07-01")


def test_search_returns_the_whole_row_with_a_score(tmp_path) -> None:
    index = LexicalIndex(tmp_path / "bm25.sqlite")
    index.add([_row("a:0", "a", "the harbour bridge reopened after repairs"), _row("b:0", "b", "a quiet day at sea")])
    [(row, score)] = index.search("harbour bridge", 5)
    assert row == _row("a:0", "a", "the harbour bridge reopened after repairs")
    assert score > 0


def test_deleting_a_document_keeps_the_others_and_the_kept_version(tmp_path) -> None:
    index = LexicalIndex(tmp_path / "bm25.sqlite")
    index.add([_row("a:0", "a", "old harbour text", "v1"), _row("a:1", "a", "new harbour text", "v2"),
               _row("b:0", "b", "harbour news from b")])
    index.delete_document("a", keep_version="v2")
    assert index.chunk_ids() == {"a:1", "b:0"}
    assert {r.chunk_id for r, _ in index.search("harbour", 5)} == {"a:1", "b:0"}
    index.delete_document("a")
    assert index.chunk_ids() == {"b:0"}
    index.delete_ids(["b:0"])
    assert index.count() == 0 and index.search("harbour", 5) == []


def test_an_index_of_the_old_layout_is_dropped_and_refilled_from_chroma(hash_settings, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    library = Library(hash_settings)
    library.ingest([folder])
    expected = library.lexical.chunk_ids()
    path = library.lexical.path
    library.lexical.close()
    # Rewrite the file in the first layout: one FTS5 table holding ids and text, no schema mark.
    path.unlink()
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE VIRTUAL TABLE chunks USING fts5(title, body, chunk_id UNINDEXED, doc_id UNINDEXED, "
            "version UNINDEXED, published_key UNINDEXED);"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO meta VALUES ('generation', '999');"
        )
    reopened = Library(hash_settings)
    assert reopened.lexical.chunk_ids() == expected
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "chunks" not in tables
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == SCHEMA_VERSION
    word = max(next(iter(reopened.store.get_chunks(sorted(expected)[:1]))).text.split(), key=len)
    assert reopened.lexical_search(word, 3)  # served from the refilled side


def test_a_write_that_never_reached_the_ranking_side_is_rebuilt_from_the_rows(tmp_path, monkeypatch) -> None:
    index = LexicalIndex(tmp_path / "bm25.sqlite")
    index.add([_row("a:0", "a", "harbour bridge news")])
    # The rows commit, then the process dies before the ranking side is written.
    monkeypatch.setattr(type(index._ranking), "apply", lambda *args: None)
    index.add([_row("b:0", "b", "lighthouse keeper retires")])
    monkeypatch.undo()
    assert not index.in_step()
    assert index.search("lighthouse", 5) == []  # the last ranking commit still serves
    assert [r.chunk_id for r, _ in index.search("harbour", 5)] == ["a:0"]
    reopened = LexicalIndex(tmp_path / "bm25.sqlite")
    assert reopened.catch_up() and reopened.in_step()
    assert [r.chunk_id for r, _ in reopened.search("lighthouse", 5)] == ["b:0"]
    assert not reopened.catch_up()  # in step: nothing to do


def test_the_next_write_after_a_lost_one_rebuilds_instead_of_adding_on_top(tmp_path, monkeypatch) -> None:
    index = LexicalIndex(tmp_path / "bm25.sqlite")
    monkeypatch.setattr(type(index._ranking), "apply", lambda *args: None)
    index.add([_row("a:0", "a", "harbour bridge news")])
    monkeypatch.undo()
    index.add([_row("b:0", "b", "harbour lighthouse news")])
    assert index.in_step()
    assert {r.chunk_id for r, _ in index.search("harbour", 5)} == {"a:0", "b:0"}


def test_writes_of_another_process_are_seen_by_an_open_reader(tmp_path) -> None:
    reader = LexicalIndex(tmp_path / "bm25.sqlite")
    assert reader.search("harbour", 5) == []
    writer = LexicalIndex(tmp_path / "bm25.sqlite")
    writer.add([_row("a:0", "a", "harbour bridge news"), _row("b:0", "b", "harbour at dusk")])
    assert {r.chunk_id for r, _ in reader.search("harbour", 5)} == {"a:0", "b:0"}
    writer.delete_document("a")
    assert [r.chunk_id for r, _ in reader.search("harbour", 5)] == ["b:0"]


def test_words_match_across_inflections_and_accents_and_rarer_words_weigh_more(tmp_path) -> None:
    index = LexicalIndex(tmp_path / "bm25.sqlite")
    index.add([_row("a:0", "a", "The ministers resigned over the café closures"),
               _row("b:0", "b", "a minister spoke about the weather and the weather again"),
               _row("c:0", "c", "closures of roads and closures of schools")])
    ranked = [r.chunk_id for r, _ in index.search("minister resigning cafe", 5)]
    assert ranked[0] == "a:0" and set(ranked) == {"a:0", "b:0"}


def test_filters_restrict_matches_without_changing_scores(tmp_path) -> None:
    index = LexicalIndex(tmp_path / "bm25.sqlite")
    rows = [LexicalRow(f"{d}:0", d, "v1", key, "", "harbour news", 0, 12, "", "") for d, key in
            (("old", 20220101), ("new", 20220801), ("undated", 0))]
    index.add(rows)
    everything = dict((r.chunk_id, s) for r, s in index.search("harbour", 5))
    assert set(everything) == {"old:0", "new:0", "undated:0"}
    assert [r.chunk_id for r, _ in index.search("harbour", 5, max_key=20220601)] == ["old:0"]
    assert [r.chunk_id for r, _ in index.search("harbour", 5, min_key=20220601)] == ["new:0"]
    [(row, score)] = index.search("harbour", 5, doc_ids=["undated"])
    assert row.chunk_id == "undated:0" and score == everything["undated:0"]
