"""Files made to exhaust the reader: each is refused by name, quickly and in little memory, and the
rest of the batch still goes in.

A 1 MB .jsonl.gz that decompresses to 1 GB (of newlines, or of one endless line), a PDF with
100,000 empty pages (with an honest and with a lying page count), JSON nested 100,000 deep.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from index.library import Library
from index.loaders import MAX_PDF_PAGES, LoadFailure, load_file
from index.settings import IndexSettings
from tests.support.bombs import deep_json, empty_pages_pdf, gzip_bomb

LIMIT = 50_000_000  # the default max_file_mb
GOOD = '{"id": "good", "title": "Ferry", "text": "The ferry strike in Norrvik ended on Monday."}\n'


def _load(path: Path) -> tuple[list, float, float]:
    """The loader's output for one file, its seconds and its peak Python memory in MB."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        out = list(load_file(path, path.parent, LIMIT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, time.monotonic() - started, peak / 1e6


@pytest.mark.parametrize(
    ("line", "reason"),
    [(b"\n", "more than 200,000 lines"), (b'{"text": "' + b"a" * 999, "decompresses to more than 50 MB")],
)
def test_a_gzip_bomb_is_refused_by_name_in_bounded_time_and_memory(tmp_path, line, reason):
    bomb = gzip_bomb(tmp_path / "bomb.jsonl.gz", 1_000_000_000, line)
    assert bomb.stat().st_size < 2_500_000
    out, seconds, peak_mb = _load(bomb)
    assert [type(o) for o in out] == [LoadFailure] and out[0].path == str(bomb)
    assert reason in out[0].reason
    assert seconds < 5 and peak_mb < 20, (seconds, peak_mb)


def test_json_nested_100000_deep_is_a_failure_not_a_crash(tmp_path):
    (tmp_path / "deep.json").write_text(deep_json(100_000))
    (tmp_path / "deep.jsonl").write_text(GOOD + deep_json(100_000) + "\n")
    [failure] = list(load_file(tmp_path / "deep.json", tmp_path, LIMIT))
    assert failure.reason == "JSON nested too deeply to read"
    good, deep = list(load_file(tmp_path / "deep.jsonl", tmp_path, LIMIT))
    assert good.doc_id == "good"
    assert deep.path == f"{tmp_path / 'deep.jsonl'}:2" and deep.reason == "JSON nested too deeply to read"


@pytest.mark.parametrize("declared", [None, 1])
def test_a_pdf_of_100000_empty_pages_is_refused_quickly(tmp_path, declared):
    pdf = empty_pages_pdf(tmp_path / "pages.pdf", 100_000, declared)
    started = time.monotonic()
    [failure] = list(load_file(pdf, tmp_path, LIMIT))
    seconds = time.monotonic() - started
    assert isinstance(failure, LoadFailure) and f"{MAX_PDF_PAGES:,}" in failure.reason and "page" in failure.reason
    assert seconds < 5, seconds


def test_a_pdf_within_the_page_limit_is_still_read_as_empty(tmp_path):
    [failure] = list(load_file(empty_pages_pdf(tmp_path / "few.pdf", 3), tmp_path, LIMIT))
    assert "no text found" in failure.reason


def test_hostile_files_are_named_and_the_rest_of_the_batch_goes_in(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    gzip_bomb(inbox / "bomb.jsonl.gz", 1_000_000_000)
    empty_pages_pdf(inbox / "pages.pdf", 100_000)
    (inbox / "deep.json").write_text(deep_json(100_000))
    (inbox / "good.jsonl").write_text(GOOD)
    library = Library(IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64"))
    report = library.ingest([inbox])
    assert [d.doc_id for d in library.documents()] == ["good"]
    failed = {Path(path).name: reason for path, reason in report.failed}
    assert set(failed) == {"bomb.jsonl.gz", "pages.pdf", "deep.json"}
