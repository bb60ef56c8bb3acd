from datetime import date

import pytest

from index.store import StoredChunk
from rag.retrieve import Retriever, RetrievalSettings, asks_about_recent
from rag.types import Filters, Passage


def test_hybrid_finds_the_article_that_holds_the_answer(library):
    passages = Retriever(library).retrieve("How much did the harbor bridge cost?", 3)
    assert passages[0].doc_id == "harbor-2024"
    assert [p.n for p in passages] == list(range(1, len(passages) + 1))


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_returns_passages_whose_text_is_the_document_slice(library, mode):
    for p in Retriever(library, mode=mode).retrieve("apple harvest tonnes", 3):
        record = library.document(p.doc_id)
        assert record.text[p.start : p.end] == p.text


def test_document_filter_restricts_results(library):
    passages = Retriever(library).retrieve("apple harvest", 5, Filters(doc_ids=("orchard-2023",)))
    assert passages and {p.doc_id for p in passages} == {"orchard-2023"}


def test_as_of_excludes_articles_published_later(library):
    passages = Retriever(library).retrieve("apple harvest tonnes", 5, Filters(as_of=date(2023, 12, 31)))
    assert passages and all(p.published <= "2023-12-31" for p in passages)


def test_date_range_filter(library):
    passages = Retriever(library).retrieve("apple harvest", 5, Filters(published_from=date(2024, 1, 1)))
    assert passages and all(p.published >= "2024-01-01" for p in passages)


def test_latest_prefers_recent_articles(library):
    plain = Retriever(library, settings=RetrievalSettings(recency_weight=0.0))
    recent = Retriever(library, settings=RetrievalSettings(recency_weight=2.0))
    question = "What is the latest apple harvest in the Kessel valley?"
    ranked = [p.doc_id for p in recent.retrieve(question, 3)]
    assert ranked.index("orchard-2024") < ranked.index("orchard-2023")
    assert plain.retrieve(question, 3)  # still answers without the boost


@pytest.mark.parametrize(
    ("question", "recent"),
    [
        ("What is the latest apple harvest in the valley?", True),
        ("Which team won this week?", True),
        ("Now that the bridge is open, who pays the toll?", True),
        # A name is not a time, and "new" describes the thing the article reports, not the newest article.
        ("Which judge presides over the trial in New York?", False),
        ("Which reporter at USA TODAY broke the story?", False),
        ("What are the odds of a strong quake under the new forecast?", False),
    ],
)
def test_only_words_about_time_ask_for_recent_articles(question, recent):
    assert asks_about_recent(question) is recent


def test_near_duplicate_wire_copies_do_not_crowd_results(config, library, tmp_path):
    import json

    original = library.document("orchard-2024")
    copies = tmp_path / "copies.jsonl"
    copies.write_text(
        "\n".join(json.dumps({"id": f"copy-{i}", "title": original.title, "text": original.text, "published": "2024/09/21"}) for i in range(3)),
        encoding="utf-8",
    )
    assert library.ingest([copies]).ok
    passages = Retriever(library).retrieve("record apple harvest tonnes", 4)
    texts = [p.text for p in passages]
    assert texts.count(original.text) == 1


def test_removed_document_is_never_retrieved(library):
    assert library.remove("harbor-2024")
    passages = Retriever(library).retrieve("harbor bridge cost", 5)
    assert all(p.doc_id != "harbor-2024" for p in passages)


def test_llama_index_adapter_returns_nodes_with_document_offsets(library):
    from rag.llamaindex import NewsRetriever

    nodes = NewsRetriever(Retriever(library), k=2).retrieve("How much did the harbor bridge cost?")
    assert nodes and nodes[0].node.metadata["doc_id"] == "harbor-2024"
    text = library.document("harbor-2024").text
    assert text[nodes[0].node.start_char_idx : nodes[0].node.end_char_idx] == nodes[0].node.text


def _nearest_calls(library, monkeypatch) -> list:
    calls = []
    original = library.store.nearest

    def recording(vector, n, filters=None):
        calls.append(filters)
        return original(vector, n, filters)

    monkeypatch.setattr(library.store, "nearest", recording)
    return calls


def test_a_date_filter_that_keeps_enough_candidates_skips_chromas_filtered_search(library, monkeypatch):
    filters = Filters(as_of=date(2024, 12, 31))
    vector = library.embedder.encode_query("apple harvest tonnes")
    expected = [cid for cid, _ in library.store.nearest(vector, 2, filters)]
    calls = _nearest_calls(library, monkeypatch)
    got = [h.chunk_id for h in library.dense_search(vector, 2, filters)]
    assert got == expected and len(got) == 2
    assert calls == [None]  # one unfiltered read, filtered here


def test_a_date_filter_that_keeps_too_few_candidates_falls_back_to_chroma(library, monkeypatch):
    filters = Filters(as_of=date(2023, 12, 31))  # only the 2023 article passes
    vector = library.embedder.encode_query("apple harvest tonnes")
    calls = _nearest_calls(library, monkeypatch)
    hits = library.dense_search(vector, 2, filters)
    assert calls[0] is None and calls[-1] == filters  # the exact filtered search had the last word
    assert hits and all(h.published <= "2023-12-31" for h in hits)


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_every_passage_carries_the_cosine_of_its_stored_vector_as_relevance(library, mode):
    import numpy as np

    question = "How much did the harbor bridge cost?"
    vector = library.embedder.encode_query(question)
    passages = Retriever(library, mode=mode).retrieve(question, 3)
    assert passages
    for p in passages:
        stored = library.store.embeddings(p.chunk_ids).values()
        assert p.relevance == pytest.approx(float(np.max(np.asarray(list(stored)) @ vector)), abs=1e-6)


def _stored(doc: str, start: int, words: str) -> StoredChunk:
    return StoredChunk(chunk_id=f"{doc}:v:{start}", doc_id=doc, version="v", text=words, start=start, end=start + len(words), title="", url="", published="", score=0.0)


RANKED = [
    _stored("a", 0, "harbor bridge opens after four years of work"),
    _stored("a", 500, "the mayor cut the ribbon on tuesday morning"),
    _stored("b", 0, "ferry operators fear fewer passengers this summer"),
    _stored("a", 900, "tolls start at two euros for cars next month"),
]


def test_one_passage_per_article_puts_other_articles_first_then_fills_up(library):
    one_each = Retriever(library, settings=RetrievalSettings(per_document=1))
    scored = [(c, 1.0 - i / 10) for i, c in enumerate(RANKED)]
    assert [p.chunk_id for p in one_each._select(scored, 3)] == ["a:v:0", "b:v:0", "a:v:500"]
    assert [p.chunk_id for p in one_each._select(scored, 2)] == ["a:v:0", "b:v:0"]
    unlimited = Retriever(library)
    assert [p.chunk_id for p in unlimited._select(scored, 3)] == ["a:v:0", "a:v:500", "b:v:0"]


def test_one_article_alone_still_fills_every_slot_under_a_per_article_limit(library):
    only_a = [(c, 1.0) for c in RANKED if c.doc_id == "a"]
    passages = Retriever(library, settings=RetrievalSettings(per_document=1))._select(only_a, 3)
    assert [p.chunk_id for p in passages] == ["a:v:0", "a:v:500", "a:v:900"]


def test_a_merged_passage_lists_its_chunks_and_keeps_the_joined_id_in_json(library):
    touching = [_stored("a", 0, "harbor bridge opens"), _stored("a", 19, " after four years")]
    merged = Retriever(library)._select([(c, 1.0) for c in touching], 3)
    assert [p.chunk_ids for p in merged] == [("a:v:0", "a:v:19")]
    data = merged[0].to_json()
    assert data["chunk_id"] == "a:v:0+a:v:19"
    assert Passage.from_json(data).chunk_ids == merged[0].chunk_ids


def _dated(doc_id: str, published: str) -> Passage:
    return Passage(n=1, doc_id=doc_id, chunk_ids=(f"{doc_id}::0",), title=doc_id, text="text", score=1.0, start=0, end=4, published=published)


def test_a_question_about_this_week_asked_as_of_a_date_keeps_only_articles_of_that_week_and_undated_ones():
    from rag.retrieve import current_for

    passages = [_dated("june", "2022-06-20"), _dated("december", "2021-12-20"), _dated("undated", ""), _dated("may", "2022-06-09")]
    question = "Which country elected its first leftist leader this week?"
    assert current_for(question, passages, date(2022, 6, 22)) == {"june", "undated"}  # 13 days is too old
    assert current_for(question, passages) == {"june", "december", "undated", "may"}  # no as-of date: no known week


@pytest.mark.parametrize("question", ["Which country elected a leftist leader?", "What happened this month?"])
def test_other_questions_keep_every_article(question):
    from rag.retrieve import current_for

    passages = [_dated("june", "2022-06-20"), _dated("december", "2021-12-20")]
    assert current_for(question, passages, date(2022, 6, 22)) == {"june", "december"}
