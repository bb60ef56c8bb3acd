"""A full disk or a read-only data directory: one clear sentence, and the index as it was still answers.

The write that fails is injected at each step of an ingest (Chroma's chunks, the BM25 rows, the
commit) with the errors SQLite, Chroma and the OS raise; one run of the real CLI hits a real
write error (its files may not grow: RLIMIT_FSIZE), and one, without root's power over file modes, a read-only directory.
"""

from __future__ import annotations

from dataclasses import replace

import errno
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from chromadb.errors import InternalError

import index.library
from index.lexical import LexicalIndex
from index.library import Library
from index.settings import IndexSettings
from index.store import ChromaStore
from rag.errors import StorageError

OLD, NEW = range(0, 4), range(4, 12)
SMALL_BATCH = 8  # chunks per committed batch, so that an ingest writes several batches

FAULTS = {
    "chroma-chunks-disk-full": (
        ChromaStore, "add_chunks",
        InternalError("Query error: Database error: error returned from database: (code: 13) database or disk is full"),
        "the disk is full",
    ),
    "bm25-rows-disk-full": (LexicalIndex, "put_versions", sqlite3.OperationalError("database or disk is full"), "the disk is full"),
    "bm25-rows-read-only": (
        LexicalIndex, "put_versions", sqlite3.OperationalError("attempt to write a readonly database"), "it is read-only",
    ),
    "commit-no-space": (ChromaStore, "commit", OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
}


def doc_id(i: int) -> str:
    return f"art-{i:03d}"


def fail_on_second_call(monkeypatch, owner: type, name: str, error: Exception) -> list[int]:
    """Make `owner.name` raise `error` from its second call on; returns the list of calls made."""
    real = getattr(owner, name)
    calls: list[int] = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) >= 2:
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return calls


def found_by_both_searches(library: Library, word: str) -> tuple[set[str], set[str]]:
    """Document ids that BM25 and the dense search return for `word`."""
    lexical = {hit.doc_id for hit in library.lexical_search(word, 5)}
    dense = {hit.doc_id for hit in library.dense_search(library.embedder.encode_query(word), 50)}
    return lexical, dense


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_ingest_that_cannot_write_stops_with_one_sentence_and_the_index_still_answers(
    fault, tmp_path: Path, hash_settings: IndexSettings, write_articles, article_marker, assert_consistent, monkeypatch
) -> None:
    owner, name, error, reason = FAULTS[fault]
    hash_settings = replace(hash_settings, ingest_batch_chunks=SMALL_BATCH)
    write_articles(tmp_path / "old", OLD)
    library = Library(hash_settings)
    assert library.ingest([tmp_path / "old"]).ok
    write_articles(tmp_path / "new", NEW)

    calls = fail_on_second_call(monkeypatch, owner, name, error)
    with pytest.raises(StorageError) as failed:
        library.ingest([tmp_path / "new"])
    assert len(calls) >= 2  # it failed mid-way, after a batch had gone through
    message = str(failed.value)
    assert f"cannot write to the index in {hash_settings.data_dir}: {reason};" in message and "\n" not in message

    reopened = Library(hash_settings)  # as the next process would see it, the fault still there
    committed = reopened.committed_versions()
    assert {doc_id(i) for i in OLD} <= set(committed)
    for i in OLD:
        lexical, dense = found_by_both_searches(reopened, article_marker(i))
        assert doc_id(i) in lexical and doc_id(i) in dense
    for i in NEW:  # a document is served whole or not at all
        lexical, dense = found_by_both_searches(reopened, article_marker(i))
        assert (lexical | dense) <= set(committed)

    monkeypatch.undo()  # space is back
    again = Library(hash_settings).ingest([tmp_path / "new"])
    assert again.ok and len(again.added) + len(again.unchanged) == len(NEW)
    final = Library(hash_settings)
    assert set(final.committed_versions()) == {doc_id(i) for i in [*OLD, *NEW]}
    assert_consistent(final)


def largest_file(folder: Path) -> int:
    return max(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def search_ids(run_rag, word: str, data_dir: Path, mode: str) -> set[str]:
    result = run_rag("search", word, "--mode", mode, "-k", "8", "--json", "--data-dir", data_dir)
    assert result.returncode == 0, result.stderr
    return {p["doc_id"] for p in json.loads(result.stdout)}


def test_rag_ingest_on_a_disk_that_fills_up_exits_3_with_one_sentence_and_no_traceback(
    tmp_path: Path, run_rag, write_articles, article_marker, assert_consistent
) -> None:
    data_dir = tmp_path / "data"
    write_articles(tmp_path / "old", OLD)
    assert run_rag("ingest", tmp_path / "old", "--data-dir", data_dir).returncode == 0
    write_articles(tmp_path / "many", range(100, 130))

    limit = largest_file(data_dir) + 64 * 1024  # no file may grow by more than 64 KiB
    full = run_rag("ingest", tmp_path / "many", "--data-dir", data_dir, file_size_limit=limit)
    assert full.returncode == 3, full.stderr
    assert "Traceback" not in full.stderr
    errors = [line for line in full.stderr.splitlines() if line.startswith("rag: error:")]
    assert errors == [
        f"rag: error: cannot write to the index in {data_dir}: writing to the disk failed; free some space or make it "
        "writable and run the command again (what was indexed before is unchanged and still answers)"
    ]

    every_old_marker = " ".join(article_marker(i) for i in OLD)
    assert {doc_id(i) for i in OLD} <= search_ids(run_rag, every_old_marker, data_dir, "bm25")
    assert doc_id(0) in search_ids(run_rag, article_marker(0), data_dir, "dense")
    done = run_rag("ingest", tmp_path / "many", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    library = Library(IndexSettings(data_dir=data_dir, embed_model="hash-64"))
    assert len(library.committed_versions()) == len(OLD) + 30
    assert_consistent(library)


def make_read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_read_only_data_directory_gives_one_sentence_and_works_again_once_writable(
    tmp_path: Path, run_rag, write_articles, article_marker
) -> None:
    data_dir = tmp_path / "data"
    write_articles(tmp_path / "old", OLD)
    assert run_rag("ingest", tmp_path / "old", "--data-dir", data_dir).returncode == 0
    write_articles(tmp_path / "new", NEW)
    make_read_only(data_dir)
    try:
        for args in (("ingest", tmp_path / "new"), ("search", article_marker(0))):
            result = run_rag(*args, "--data-dir", data_dir, as_unprivileged=True)  # root would write through the modes
            assert result.returncode == 3 and "Traceback" not in result.stderr
            assert f"rag: error: cannot open the index in {data_dir}: it is read-only;" in result.stderr
    finally:
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert run_rag("ingest", tmp_path / "new", "--data-dir", data_dir).returncode == 0
    assert doc_id(0) in search_ids(run_rag, article_marker(0), data_dir, "bm25")
