"""Loaders on arbitrary bytes (hypothesis): a document or a named failure, never a crash; chunks index the text.

Each format gets plain random bytes and, more often, bytes shaped like the format (valid UTF-8
text, JSON articles, gzip, a real PDF) with random damage, so that examples get past the first check.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.chunking import Chunker
from index.documents import Document
from index.embedding import HashEmbedder
from index.loaders import LoadFailure, load_file
from tests.support.chunks import uncovered

MAX_BYTES = 1_000_000
CHUNKER = Chunker(HashEmbedder(64).tokenize, 16, 3)  # small chunks: many boundaries per example
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(" \n\t.,!?"), max_size=300)
damage = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4)


def damaged(data: bytes, flips: list[tuple[int, int]], cut: int | None = None) -> bytes:
    """`data` with some bytes overwritten and perhaps cut short."""
    out = bytearray(data)
    for where, value in flips:
        if out:
            out[where % len(out)] = value
    return bytes(out[:cut] if cut is not None else out)


articles = st.fixed_dictionaries(
    {"text": texts | st.integers() | st.none()},
    optional={"id": st.text(max_size=12) | st.integers(), "title": texts | st.lists(st.integers(), max_size=2),
              "url": st.text(max_size=30), "published": st.text(max_size=12), "authors": st.text(max_size=12) | st.lists(st.text(max_size=8), max_size=2)},
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | texts, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def jsonl(items: list) -> bytes:
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in items).encode("utf-8")


def html_page(title: str, body: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{body}</p></article></body></html>".encode()


def pdf_bytes(pdfs, lines: list[str], flips, cut) -> bytes:
    return damaged(pdfs.plain(lines, title=lines[0] if lines else ""), flips, cut)


SHAPED = {
    ".txt": texts.map(lambda t: t.encode("utf-8")) | texts.map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    ".md": texts.map(lambda t: f"# {t[:30]}\n\n{t}".encode("utf-8")),
    ".html": st.builds(html_page, texts, texts) | st.builds(damaged, st.builds(html_page, texts, texts), damage),
    ".json": st.one_of(articles.map(lambda a: json.dumps(a).encode()), st.lists(articles, max_size=3).map(lambda a: json.dumps(a).encode()),
                       json_values.map(lambda v: json.dumps(v).encode())),
    ".jsonl": st.builds(damaged, st.lists(articles | json_values, max_size=4).map(jsonl), damage),
    ".jsonl.gz": st.builds(damaged, st.lists(articles, max_size=3).map(lambda a: gzip.compress(jsonl(a))), damage, st.none() | st.integers(0, 200)),
}
latin_lines = st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=60), max_size=4)


def check_loaded(path: Path, raw: bytes) -> list[Document]:
    """Load `path`; every item must be a Document or a LoadFailure naming it, and chunk exactly."""
    path.write_bytes(raw)
    items = list(load_file(path, path.parent, MAX_BYTES))
    assert items, "a file must give a document or a failure"
    documents = []
    for item in items:
        if isinstance(item, LoadFailure):
            assert item.path.startswith(str(path)) and item.reason
            continue
        assert isinstance(item, Document) and item.text.strip()
        chunks = CHUNKER.chunk(item)
        assert all(item.text[c.start : c.end] == c.text for c in chunks)
        assert uncovered(item, chunks) == [], repr(item.text)
        documents.append(item)
    return documents


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("suffix", list(SHAPED))
@FUZZ
@given(data=st.data())
def test_any_bytes_give_documents_whose_chunks_cover_their_text_or_a_named_failure(folder: Path, suffix: str, data) -> None:
    raw = data.draw(st.binary(max_size=400) | SHAPED[suffix] | SHAPED[suffix], label="bytes")
    documents = check_loaded(folder / f"input{suffix}", raw)
    if suffix in (".txt", ".md") and documents:  # offsets index the file's own text
        assert [d.text for d in documents] == [raw.decode("utf-8-sig")]


@FUZZ
@given(lines=latin_lines, flips=damage, cut=st.none() | st.integers(0, 900))
def test_any_damaged_pdf_gives_a_document_or_a_named_failure(folder: Path, pdf_factory, lines, flips, cut) -> None:
    check_loaded(folder / "input.pdf", pdf_bytes(pdf_factory, lines, flips, cut))


@FUZZ
@given(items=st.lists(articles, min_size=1, max_size=3))
def test_json_articles_keep_their_text_exactly(folder: Path, items) -> None:
    documents = check_loaded(folder / "input.jsonl", jsonl(items))
    wanted = [a["text"] for a in items if isinstance(a["text"], str) and a["text"].strip()]
    assert [d.text for d in documents] == wanted


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "corrupt gzip data"),  # zlib.error escaped
        (gzip.compress(b"\n \n"), "empty file"),  # gave neither a document nor a failure
    ],
    ids=["bad-deflate-block", "empty-inside"],
)
def test_gzip_inputs_found_by_hypothesis_are_named_failures(folder: Path, raw: bytes, reason: str) -> None:
    path = folder / "found.jsonl.gz"
    path.write_bytes(raw)
    (failure,) = load_file(path, folder, MAX_BYTES)
    assert isinstance(failure, LoadFailure) and reason in failure.reason
