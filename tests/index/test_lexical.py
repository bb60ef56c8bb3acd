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


def test_very_common_query_words_are_left_out_of_the_match_on_a_large_index(tmp_path, monkeypatch) -> None:
    import index.lexical as lexical

    monkeypatch.setattr(lexical, "COMMON_TERM_MIN", 4)
    index = LexicalIndex(tmp_path / "bm25.sqlite")
    # "market" is in every chunk, "copper" in one, "tin" in another.
    index.add([_row(f"d{i}:0", f"d{i}", f"market report number {i}") for i in range(10)])
    index.add([_row("c:0", "c", "market price of copper"), _row("t:0", "t", "market price of tin")])
    assert index._informative(["market", "copper", "tin"]) == ["copper", "tin"]
    assert {r.chunk_id for r, _ in index.search("market copper tin", 20)} == {"c:0", "t:0"}
    # With only one rare word left, the two rarest are kept: a lone common word still matches.
    assert index._informative(["market", "copper"]) == ["copper", "market"]
    # Counts follow writes: once "copper" is common too, only "tin" is rare and the two rarest remain.
    index.add([_row(f"k{i}:0", f"k{i}", f"copper mine {i}") for i in range(10)])
    assert index._informative(["market", "copper", "tin"]) == ["tin", "copper"]
    assert index._df["copper"] == 11
