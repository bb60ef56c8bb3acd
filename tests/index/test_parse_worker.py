"""Untrusted files are parsed in a child process: a parser that hangs or eats memory costs one file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from index.library import Library
from index.loaders import load_file, read_pdf
from index.parse_worker import ParseFailed, ParseWorker
from index.settings import IndexSettings
from tests.support.bombs import empty_pages_pdf, endless_parser, greedy_parser

ARTICLE = "<html><head><title>Ferry back</title></head><body><article><p>The ferry strike in Norrvik ended on Monday after a pay deal was agreed.</p></article></body></html>"


def test_a_parser_that_never_returns_is_stopped_at_the_time_limit_and_the_next_file_is_read(tmp_path):
    with ParseWorker(timeout_s=1.0) as worker:
        started = time.monotonic()
        with pytest.raises(ParseFailed, match="took over 1 s"):
            worker.run(endless_parser, "hostile.pdf")
        assert time.monotonic() - started < 5
        (tmp_path / "ok.html").write_text(ARTICLE)
        [document] = list(load_file(tmp_path / "ok.html", tmp_path, 1_000_000, worker))
        assert "ferry strike" in document.text


def test_a_parser_that_asks_for_too_much_memory_fails_that_file_only(tmp_path):
    with ParseWorker(memory_mb=512) as worker:
        with pytest.raises(ParseFailed, match="over 512 MB"):
            worker.run(greedy_parser)
        pdf = empty_pages_pdf(tmp_path / "few.pdf", 2)
        with pytest.raises(ParseFailed, match="no text found"):
            worker.run(read_pdf, pdf, "few.pdf", pdf.read_bytes(), 1_000_000)


def test_ingest_parses_html_and_pdf_in_the_worker_and_names_what_fails(tmp_path, monkeypatch):
    parsed: list[str] = []
    run = ParseWorker.run

    def counted(self, parser, *args):
        parsed.append(parser.__name__)
        return run(self, parser, *args)

    monkeypatch.setattr(ParseWorker, "run", counted)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "ferry.html").write_text(ARTICLE)
    empty_pages_pdf(inbox / "blank.pdf", 3)
    library = Library(IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64"))
    report = library.ingest([inbox])
    assert [d.doc_id for d in library.documents()] == ["ferry.html"]
    assert [(Path(p).name, r) for p, r in report.failed] == [("blank.pdf", "no text found in PDF (scanned images only?)")]
    assert sorted(parsed) == ["read_html", "read_pdf"]
