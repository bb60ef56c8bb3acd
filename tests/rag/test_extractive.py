from rag.extractive import compact_context, extractive_answer, rank_sentences
from rag.types import Passage


def make(n: int, text: str) -> Passage:
    return Passage(n=n, doc_id=f"d{n}", chunk_id=f"c{n}", title=f"T{n}", text=text, score=1.0, start=0, end=len(text), relevance=0.5)


PASSAGES = [
    make(1, "The bridge opened on Tuesday. It cost 240 million euros. Critics disliked it."),
    make(2, "Apple farmers picked 81,000 tonnes. Prices fell by ten percent."),
]


def test_best_sentence_answers_a_how_much_question():
    ranked = rank_sentences("How much did the bridge cost?", PASSAGES)
    assert ranked[0].text == "It cost 240 million euros."
    assert ranked[0].passage.n == 1


def test_extractive_answer_cites_its_passage_number():
    answer = extractive_answer(rank_sentences("How many tonnes of apples were picked?", PASSAGES))
    assert answer.startswith("Apple farmers picked 81,000 tonnes [2].")


def test_ranking_is_deterministic():
    first = [e.text for e in rank_sentences("bridge cost", PASSAGES)]
    assert first == [e.text for e in rank_sentences("bridge cost", PASSAGES)]


def test_compact_context_keeps_passage_numbers_and_stays_short():
    rows = compact_context(rank_sentences("How much did the bridge cost?", PASSAGES), sentences=2)
    assert {n for n, *_ in rows} <= {1, 2}
    assert sum(len(text) for *_, text in rows) < 200
    assert any("240 million" in text for *_, text in rows)
