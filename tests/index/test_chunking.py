"""Chunking: exact offsets, full coverage, stable ids, and chunks the embedder reads whole."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.chunking import Chunker, align_spans
from index.documents import Document
from index.embedding import MAX_WORD_PIECES, HashEmbedder
from index.library import TITLE_CHARS, Library, embedding_text
from index.settings import IndexSettings
from tests.support.chunks import uncovered

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_8e37ae472674b90e.txt"
DEFAULTS = IndexSettings()
# A long, dense headline: names, digits and punctuation cost many word pieces.
LONG_TITLE = (
    "Zelenskyy, Macron & Meloni meet Trump's envoy Witkoff in Kyiv (Kiev) over NATO 'Article 5'-style "
    "guarantees for a 3,500-strong force"
)[:TITLE_CHARS]


def seed_document() -> Document:
    return Document(doc_id=SEED.name, text=SEED.read_text(encoding="utf-8"), title="000 8e37ae472674b90e")


def long_article(seed: int = 7) -> Document:
    """About 12,000 words with the shapes that trip splitters up."""
    rng = random.Random(seed)
    vocab = (
        "the minister said on Tuesday that talks with Kyiv and Brussels would continue despite sanctions "
        "inflation protests 2,345 12.5% Zelenskyy's tariff reporters asked whether U.S. officials agreed"
    ).split()
    paragraphs = []
    for p in range(120):
        if p % 17 == 3:
            paragraphs.append("Advertisement")  # the same boilerplate line many times
            continue
        sentences = []
        for _ in range(rng.randint(1, 7)):
            n = rng.randint(250, 420) if p % 23 == 5 else rng.randint(3, 45)  # some run-on sentences
            end = rng.choice([".", ".", "!", "?", "...", ",,", " —", ""])
            sentences.append(" ".join(rng.choice(vocab) for _ in range(n)).capitalize() + end)
        paragraphs.append(rng.choice([" ", "  ", "\t"]).join(sentences))
    text = "".join(para + rng.choice(["\n\n", "\r\n\r\n", "\n", "\n\n\n"]) for para in paragraphs)
    return Document(doc_id="long", text=text, title=LONG_TITLE)


def model_input_pieces(embedder, text: str) -> int:
    """Word pieces the model reads for `text`, [CLS] and [SEP] included."""
    return len(embedder.tokenize(text)) + 2


def hash_chunker(chunk_size: int = DEFAULTS.chunk_size, overlap: int = DEFAULTS.chunk_overlap) -> Chunker:
    return Chunker(HashEmbedder(64).tokenize, chunk_size, overlap)


@pytest.mark.parametrize("make_doc", [seed_document, long_article], ids=["seed", "long-synthetic"])
@pytest.mark.parametrize("size, overlap", [(DEFAULTS.chunk_size, DEFAULTS.chunk_overlap), (24, 4)])
def test_chunk_offsets_index_the_document_text(make_doc, size: int, overlap: int) -> None:
    doc = make_doc()
    chunks = hash_chunker(size, overlap).chunk(doc)
    assert len(chunks) > 1
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert c.text == c.text.strip() and c.text


@pytest.mark.parametrize("make_doc", [seed_document, long_article], ids=["seed", "long-synthetic"])
@pytest.mark.parametrize("size, overlap", [(DEFAULTS.chunk_size, DEFAULTS.chunk_overlap), (24, 4)])
def test_chunks_cover_every_non_whitespace_character(make_doc, size: int, overlap: int) -> None:
    doc = make_doc()
    gaps = uncovered(doc, hash_chunker(size, overlap).chunk(doc))
    assert gaps == [], repr(doc.text[gaps[0] - 40 : gaps[0] + 40]) if gaps else ""


@pytest.mark.parametrize("make_doc", [seed_document, long_article], ids=["seed", "long-synthetic"])
def test_chunks_run_forward_through_the_text(make_doc) -> None:
    chunks = hash_chunker().chunk(make_doc())
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.start < b.start and a.end < b.end for a, b in zip(chunks, chunks[1:]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(" \n\t.,!?"), min_size=1, max_size=160),
        min_size=1,
        max_size=12,
    ).map("\n\n".join)
)
def test_any_text_is_covered_by_chunks_with_exact_offsets(text: str) -> None:
    doc = Document(doc_id="x", text=text)
    chunks = hash_chunker(16, 3).chunk(doc)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    gaps = uncovered(doc, chunks)
    assert gaps == [], (repr(text), gaps[:5])


def test_align_spans_finds_pieces_whose_whitespace_changed() -> None:
    source = "First line\nof the story.\n\nSecond   paragraph here."
    spans = align_spans(source, ["First line of the story.", "Second paragraph here."])
    assert [source[s:e] for s, e in spans] == ["First line\nof the story.", "Second   paragraph here."]


def test_align_spans_keeps_repeated_pieces_in_document_order() -> None:
    source = "Advertisement\n\nReal text one.\n\nAdvertisement\n\nReal text two."
    spans = align_spans(source, ["Advertisement", "Real text one.", "Advertisement", "Real text two."])
    assert spans == [(0, 13), (15, 29), (31, 44), (46, 60)]


def test_chunk_ids_are_stable_and_name_the_document_version() -> None:
    doc = long_article()
    first, again = hash_chunker().chunk(doc), hash_chunker().chunk(doc)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert first[0].chunk_id == f"long::{doc.version}::0000"
    edited = Document(doc_id="long", text=doc.text + "\n\nA correction was added.", title=doc.title)
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in hash_chunker().chunk(edited)}


def test_overlap_must_be_smaller_than_chunk_size() -> None:
    with pytest.raises(ValueError, match="chunk_overlap"):
        hash_chunker(32, 32)


@pytest.mark.slow
@pytest.mark.parametrize("make_doc", [seed_document, long_article], ids=["seed", "long-synthetic"])
def test_minilm_reads_every_chunk_with_its_title_line_whole(minilm, make_doc) -> None:
    doc = make_doc()
    chunks = Chunker(minilm.tokenize, DEFAULTS.chunk_size, DEFAULTS.chunk_overlap).chunk(doc)
    assert len(chunks) > 1
    lengths = [model_input_pieces(minilm, embedding_text(doc.title, c.text)) for c in chunks]
    assert max(lengths) <= MAX_WORD_PIECES, (max(lengths), lengths.index(max(lengths)))
    assert not uncovered(doc, chunks)


@pytest.mark.slow
@pytest.mark.parametrize("title", ["东京奥运会组委会宣布新的防疫措施" * 8, "1.2.3.4.5.6.7.8.9." * 7], ids=["cjk", "figures"])
def test_minilm_window_holds_chunks_of_articles_with_dense_titles(minilm, title: str, tmp_path: Path) -> None:
    seen: list[str] = []

    class Recording:
        name, dim, variant = minilm.name, minilm.dim, minilm.variant
        tokenize = staticmethod(minilm.tokenize)

        def encode_documents(self, texts):
            seen.extend(texts)
            return HashEmbedder(minilm.dim).encode_documents(texts)  # the vectors do not matter here

        encode_query = staticmethod(HashEmbedder(minilm.dim).encode_query)

    doc = long_article()
    path = tmp_path / "dense.json"
    path.write_text(json.dumps({"id": "dense", "title": title, "text": doc.text}), encoding="utf-8")
    library = Library(IndexSettings(data_dir=tmp_path / "data"), Recording())
    assert library.ingest([path]).ok
    lengths = [model_input_pieces(minilm, text) for text in seen]
    assert len(lengths) > 10 and max(lengths) <= MAX_WORD_PIECES
    assert all(text.split("\n", 1)[0] and title.startswith(text.split("\n", 1)[0]) for text in seen)


def test_repeated_paragraphs_are_each_covered_once_in_order() -> None:
    """Found by hypothesis: identical chunks must map to successive copies, not an earlier one."""
    text = "0\n\n0\n\n0:0:0\n\n0:0\ud7fc0\n\n0:0\ud7fc0\n\n0:0\ud7fc0\n\n0:0\ud7fc0"
    doc = Document(doc_id="x", text=text)
    chunks = hash_chunker(16, 3).chunk(doc)
    assert uncovered(doc, chunks) == []
    assert all(b.start > a.start for a, b in zip(chunks, chunks[1:]))


def test_repeated_text_is_covered_to_the_end() -> None:
    # A chunk that matches an earlier copy of itself must not leave the real tail uncovered.
    doc = Document(doc_id="x", text="0\n\n0\n\n" + "\n\n".join(["0:0:0"] * 5) + "\n\n0")
    chunks = hash_chunker(16, 3).chunk(doc)
    assert len(chunks) > 1 and uncovered(doc, chunks) == []
    assert chunks[-1].end == len(doc.text.rstrip())
