import numpy as np

from rag.extractive import (
    Evidence,
    compact_context,
    copied_answer,
    extractive_answer,
    fits_answer_type,
    rank_sentences,
    with_attribution,
    with_next,
)
from rag.types import Passage


def make(n: int, text: str) -> Passage:
    return Passage(n=n, doc_id=f"d{n}", chunk_ids=(f"c{n}",), title=f"T{n}", text=text, score=1.0, start=0, end=len(text), relevance=0.5)


PASSAGES = [
    make(1, "The bridge opened on Tuesday. It cost 240 million euros. Critics disliked it."),
    make(2, "Apple farmers picked 81,000 tonnes. Prices fell by ten percent."),
]


def test_best_sentence_answers_a_how_much_question():
    ranked = rank_sentences("How much did the bridge cost?", PASSAGES)
    assert ranked[0].text.endswith("It cost 240 million euros.")
    assert ranked[0].passage.n == 1
    assert PASSAGES[0].text[ranked[0].start : ranked[0].end] == ranked[0].text


def test_a_sentence_that_points_back_is_read_with_the_one_before_when_that_one_holds_question_words():
    ranked = rank_sentences("How much did the bridge cost?", PASSAGES)
    assert ranked[0].text == "The bridge opened on Tuesday. It cost 240 million euros."
    ruled = make(1, "Joining NATO would protect Ukraine best. But the United States have ruled this possibility out.")
    best = rank_sentences("Which country has ruled out NATO membership for Ukraine?", [ruled])[0]
    assert best.text == ruled.text and best.start == 0


def test_sentences_stay_single_without_join_back():
    ranked = rank_sentences("How much did the bridge cost?", PASSAGES, join_back=False)
    assert ranked[0].text == "It cost 240 million euros."


def test_a_sentence_that_points_back_stays_alone_when_the_one_before_adds_no_question_word():
    text = "The talks ended late. It cost the city 240 million euros."
    ranked = rank_sentences("How much did the city pay?", [make(1, text)])
    assert ranked[0].text == "It cost the city 240 million euros."


def test_a_copied_answer_must_occur_in_the_sentence_and_add_words_to_the_question():
    sentence = "“We have European nations,” Trump said in a Fox News appearance."
    question = "On which TV channel did Trump speak?"
    assert copied_answer("Fox News", sentence, question)
    assert copied_answer("fox news.", sentence, question)  # case and punctuation do not matter
    assert not copied_answer("CNN", sentence, question)  # not in the sentence
    assert not copied_answer("Fox", "Foxes ran.", "Which animal ran?")  # only on word boundaries
    assert not copied_answer("Trump", sentence, question)  # adds nothing to the question
    assert not copied_answer("none", sentence, question) and not copied_answer("", sentence, question)
    clause = "Moscow is categorically opposed to the development of NATO troops in Ukraine."
    assert not copied_answer(clause, clause, "What did Putin say?")  # a whole clause points at no answer


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


def test_sentence_vectors_are_embedded_once_and_kept_in_order() -> None:
    from index.embedding import HashEmbedder
    from rag.extractive import CachedSentences

    class Counting(HashEmbedder):
        def __init__(self) -> None:
            super().__init__(16)
            self.seen: list[str] = []

        def encode_documents(self, texts):
            self.seen.extend(texts)
            return super().encode_documents(texts)

    inner = Counting()
    cache = CachedSentences(inner, capacity=3)
    first = cache.encode_documents(["a b", "c d", "a b"])
    assert inner.seen == ["a b", "c d"]
    assert np.allclose(first, inner.encode_documents(["a b", "c d", "a b"]))
    inner.seen.clear()
    cache.encode_documents(["c d", "e f", "g h"])  # "a b" is now the least recently used: dropped
    assert inner.seen == ["e f", "g h"]
    inner.seen.clear()
    cache.encode_documents(["a b"])
    assert inner.seen == ["a b"]


def test_count_questions_need_a_number_that_is_not_a_year():
    question = "How many nuclear warheads did Ukraine hand over?"
    assert not fits_answer_type(question, "The 1994 Budapest Memorandum saw Ukraine give up its nuclear weapons.")
    assert fits_answer_type(question, "Ukraine handed over 1,900 warheads.")
    assert fits_answer_type(question, "It handed over several thousand warheads.")
    assert not fits_answer_type("How much money was set aside?", "The EU set money aside for defence.")


def test_date_questions_need_a_digit_month_or_weekday():
    assert not fits_answer_type("On what date will the groups meet?", "The groups meet in the coming days.")
    assert not fits_answer_type("On what exact date will the groups meet?", "On Tuesday the allies met.")  # a weekday is no date
    assert fits_answer_type("On what date will the groups meet?", "They meet on 3 March.")
    assert fits_answer_type("On which day of the week did they meet?", "They met on Monday in Washington.")
    assert fits_answer_type("In which year was the memorandum signed?", "It was signed in 1994.")


def test_other_questions_always_fit():
    assert fits_answer_type("Who leads the committee?", "Nothing here names anyone.")
    assert fits_answer_type("Why does Moscow object?", "It says so.")


QUOTES = (
    "Budgets are tight. “If one looks at how weak the leaders are, it is not easy to see how this plan will evolve,” "
    "said one EU diplomat. “It’s not an easy financial time.” Rain fell in Brussels."
)


def _evidence_of(sentence: str, text: str = QUOTES) -> Evidence:
    passage = Passage(n=1, doc_id="d", chunk_ids=("d:0",), title="t", text=text, score=1.0, start=0, end=len(text))
    start = text.index(sentence)
    return Evidence(passage, sentence, start, start + len(sentence), 1.0, 1.0)


def test_a_bare_quote_is_joined_with_the_sentence_that_names_its_speaker():
    joined = with_attribution(_evidence_of("“It’s not an easy financial time.”"))
    assert "said one EU diplomat" in joined.text and joined.text.endswith("financial time.”")
    assert QUOTES[joined.start : joined.end] == joined.text
    answer = extractive_answer([_evidence_of("“It’s not an easy financial time.”")])
    assert "EU diplomat" in answer and "[1]" in answer


def test_a_sentence_is_read_on_through_the_next_one_of_its_passage_and_the_last_has_none():
    pair = with_next(_evidence_of("Budgets are tight."))
    assert pair.text.startswith("Budgets are tight. “If one looks") and pair.text.endswith("said one EU diplomat.")
    assert QUOTES[pair.start : pair.end] == pair.text
    assert with_next(_evidence_of("Rain fell in Brussels.")) is None


def test_sentences_that_name_a_speaker_or_are_not_quotes_stay_as_they_are():
    for sentence in ("Budgets are tight.", "Rain fell in Brussels."):
        assert with_attribution(_evidence_of(sentence)).text == sentence
    attributed = "“If one looks at how weak the leaders are, it is not easy to see how this plan will evolve,” said one EU diplomat."
    assert with_attribution(_evidence_of(attributed)).text == attributed
    lonely = "Budgets are tight. “Nobody knows.” Rain fell."
    assert with_attribution(_evidence_of("“Nobody knows.”", lonely)).text == "“Nobody knows.”"


RUNNING_QUOTE = (
    "The port reopened. “The cranes are old. Half of them break every week. We need new ones by spring,” said "
    "harbour master Ana Ruiz. The mayor agreed."
)


def test_a_quote_that_runs_on_is_read_up_to_the_sentence_that_names_its_speaker():
    joined = with_attribution(_evidence_of("“The cranes are old.", RUNNING_QUOTE))
    assert joined.text.startswith("“The cranes are old.") and joined.text.endswith("harbour master Ana Ruiz.")
    assert RUNNING_QUOTE[joined.start : joined.end] == joined.text
    # A quote that closes before a speaker is named, or a new quote, ends the search.
    closed = "The port reopened. “The cranes are old.” Half of them break. Repairs are slow, said Ana Ruiz."
    assert with_attribution(_evidence_of("“The cranes are old.”", closed)).text == "“The cranes are old.”"
    reopened = "The port reopened. “The cranes are old. “Half of them break,” she added. Repairs are slow, said Ana Ruiz."
    assert "Ana Ruiz" not in with_attribution(_evidence_of("“The cranes are old.", reopened)).text
