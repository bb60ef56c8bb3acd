"""kill -9 during ingest: readers only ever see whole committed documents, and a re-run ends exact."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from index.chunking import Chunker
from index.documents import Document
from index.embedding import HashEmbedder
from index.library import Library, embedding_text
from index.loaders import discover, load_file

ARTICLES = 60
PARAGRAPHS = 30  # about 12 chunks each
# Small batches give about 30 commit points per run, so random kills land between commits.
SMALL_BATCHES = {"RAG_INGEST_BATCH_CHUNKS": "24"}
KILLS = 10
LOCK_TIMEOUT_S = 120.0
RNG_SEED = 1906


@dataclass(frozen=True)
class Kill:
    """What one SIGKILL hit: was the ingest running and holding the lock, and what it left."""

    delay: float
    mid_ingest: bool
    committed_docs: int
    stray_chunks: int


def load_folder(folder: Path) -> list[Document]:
    files, failures = discover([folder])
    assert not failures
    return [doc for path, root in files for doc in load_file(path, root, 10**9)]


def expected_chunks(folder: Path, settings) -> dict[str, set[str]]:
    """doc_id -> the chunk ids a clean ingest of `folder` produces."""
    chunker = Chunker(HashEmbedder(64).tokenize, settings.chunk_size, settings.chunk_overlap)
    return {doc.doc_id: {c.chunk_id for c in chunker.chunk(doc)} for doc in load_folder(folder)}


def reopen(settings) -> Library:
    """A Library that reads the files as the killed process left them (no cached client)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    return Library(settings)


def lock_holder(data_dir: Path) -> str:
    try:
        return (data_dir / "ingest.lock").read_text().strip()
    except OSError:
        return ""


def wait_for_lock(process, data_dir: Path) -> None:
    """Until the ingest process holds the writer lock, i.e. ingest proper has begun."""
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while lock_holder(data_dir) != str(process.pid):
        assert process.poll() is None, f"ingest ended (exit {process.returncode}) before taking the lock"
        assert time.monotonic() < deadline, "ingest never took the writer lock"
        time.sleep(0.005)


def kill_ingest(start_rag, folder: Path, data_dir: Path, *, after_lock: float | None, after_start: float = 0.0):
    """Start `rag ingest` and SIGKILL it; returns whether it was inside ingest when killed."""
    process = start_rag("ingest", folder, "--data-dir", data_dir, env=SMALL_BATCHES)
    try:
        if after_lock is None:
            time.sleep(after_start)
        else:
            wait_for_lock(process, data_dir)
            time.sleep(after_lock)
        running = process.poll() is None
        inside = running and lock_holder(data_dir) == str(process.pid)
    finally:
        process.kill()
        process.wait(timeout=30)
    return inside


def assert_only_committed_chunks_are_served(
    library: Library, versions: dict[str, dict[str, set[str]]], markers: dict[tuple[str, str], str]
) -> tuple[int, int]:
    """Check the half-written state a kill left; returns (committed docs, stray chunks).

    `versions[doc_id][version]` holds the chunk ids of each acceptable version of a document,
    `markers[(doc_id, version)]` a word found only in that version.
    """
    records = {r.doc_id: r for r in library.store.records()}
    stored = set(library.store.chunk_ids())
    committed: set[str] = set()
    for doc_id, record in records.items():
        assert record.version in versions[doc_id], f"{doc_id} committed with unknown version {record.version}"
        whole = versions[doc_id][record.version]
        present = {cid for cid in stored if cid.startswith(f"{doc_id}::{record.version}::")}
        assert present == whole, f"{doc_id} is committed but has {len(present)} of {len(whole)} chunks"
        assert record.n_chunks == len(whole)
        committed |= whole
    stray = stored - committed

    for (doc_id, version), word in markers.items():
        hits = library.lexical_search(word, 10)
        assert {h.chunk_id for h in hits} <= committed
        is_committed = doc_id in records and records[doc_id].version == version
        assert bool(hits) == is_committed, f"BM25 for {word}: {len(hits)} hits, committed={is_committed}"

    probes = [c.text for c in library.store.get_chunks(sorted(stray)[:10])] + ["officials said the plan would be reviewed"]
    for text in probes:
        hits = library.dense_search(library.embedder.encode_query(embedding_text("", text)), 100)
        assert {h.chunk_id for h in hits} <= committed
    return len(records), len(stray)


def assert_final_state(library: Library, expected: dict[str, set[str]], assert_consistent) -> None:
    ids = library.store.chunk_ids()
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    assert sorted(ids) == sorted(set().union(*expected.values()))
    assert sorted(r.doc_id for r in library.store.records()) == sorted(expected)
    assert_consistent(library)


@pytest.fixture()
def corpus(tmp_path: Path, write_articles, hash_settings):
    folder = tmp_path / "articles"
    write_articles(folder, range(ARTICLES), paragraphs=PARAGRAPHS)
    return folder, expected_chunks(folder, hash_settings)


def version_of(chunk_ids: set[str]) -> str:
    return next(iter(chunk_ids)).split("::")[1]


def test_ingest_killed_at_random_points_recovers_exactly(
    corpus, hash_settings, tmp_path: Path, start_rag, run_rag, assert_consistent, article_marker
) -> None:
    folder, expected = corpus
    versions = {doc_id: {version_of(ids): ids} for doc_id, ids in expected.items()}
    markers = {(f"art-{i:03d}", version_of(expected[f"art-{i:03d}"])): article_marker(i) for i in range(ARTICLES)}

    # A clean run, timed from taking the lock to exiting, to aim the kills inside ingest.
    reference = hash_settings.data_dir.parent / "reference"
    process = start_rag("ingest", folder, "--data-dir", reference, env=SMALL_BATCHES)
    wait_for_lock(process, reference)
    began = time.monotonic()
    assert process.wait(timeout=600) == 0
    duration = time.monotonic() - began
    assert_final_state(reopen(replace(hash_settings, data_dir=reference)), expected, assert_consistent)

    rng = random.Random(RNG_SEED)
    plans = [(None, 0.2)] + [(duration * f, 0.0) for f in sorted(rng.uniform(0.05, 0.9) for _ in range(KILLS - 1))]
    kills: list[Kill] = []
    for n, (after_lock, after_start) in enumerate(plans):
        settings = replace(hash_settings, data_dir=tmp_path / f"killed-{n}")
        inside = kill_ingest(start_rag, folder, settings.data_dir, after_lock=after_lock, after_start=after_start)
        if settings.chroma_dir.exists():
            docs, stray = assert_only_committed_chunks_are_served(reopen(settings), versions, markers)
        else:
            docs, stray = 0, 0
        kills.append(Kill(after_lock if after_lock is not None else after_start, inside, docs, stray))

        rerun = run_rag("ingest", folder, "--data-dir", settings.data_dir)
        assert rerun.returncode == 0, rerun.stderr
        assert_final_state(reopen(settings), expected, assert_consistent)

    mid = [k for k in kills if k.mid_ingest]
    assert len(mid) >= 2, f"too few kills landed inside ingest (clean run {duration:.2f}s): {kills}"
    assert any(0 < k.committed_docs < ARTICLES or k.stray_chunks for k in mid), f"no kill left a partial index: {kills}"


def test_update_killed_midway_serves_old_or_new_versions_whole_and_recovers(
    corpus, hash_settings, tmp_path: Path, write_articles, start_rag, run_rag, assert_consistent, article_marker
) -> None:
    folder, old = corpus
    settings = hash_settings
    started = time.monotonic()
    assert run_rag("ingest", folder, "--data-dir", settings.data_dir).returncode == 0
    full_run = time.monotonic() - started

    changed = range(0, ARTICLES, 2)
    write_articles(folder, changed, revision=1, paragraphs=PARAGRAPHS)
    new = expected_chunks(folder, settings)
    versions = {d: {version_of(old[d]): old[d], version_of(new[d]): new[d]} for d in new}
    markers = {}
    for i in changed:
        doc_id = f"art-{i:03d}"
        markers[(doc_id, version_of(old[doc_id]))] = article_marker(i, 0)
        markers[(doc_id, version_of(new[doc_id]))] = article_marker(i, 1)

    kills = []
    for fraction in (0.15, 0.3):  # a second crash lands in the recovery of the first
        inside = kill_ingest(start_rag, folder, settings.data_dir, after_lock=full_run * fraction)
        docs, stray = assert_only_committed_chunks_are_served(reopen(settings), versions, markers)
        kills.append(Kill(full_run * fraction, inside, docs, stray))

    rerun = run_rag("ingest", folder, "--data-dir", settings.data_dir)
    assert rerun.returncode == 0, rerun.stderr
    assert_final_state(reopen(settings), new, assert_consistent)
    assert any(k.mid_ingest for k in kills), kills
