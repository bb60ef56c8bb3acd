from rag.citations import answer_sentences, best_support, is_refusal, markers_in, verify_sentence
from rag.types import Passage

TEXT = (
    "The bridge cost 240 million euros and took four years to build. "
    "Mayor Lena Holm said the bridge would cut commuting times by half."
)


def passage(n: int = 1, text: str = TEXT, start: int = 100) -> Passage:
    return Passage(n=n, doc_id="d", chunk_ids=(f"d::{n}",), title="T", text=text, score=1.0, start=start, end=start + len(text))


def test_supported_citation_quotes_the_exact_sentence_with_document_offsets():
    verified = verify_sentence("The bridge cost 240 million euros [1].", [passage()])
    assert [c.n for c in verified.citations] == [1]
    quote = verified.citations[0]
    assert quote.quote == "The bridge cost 240 million euros and took four years to build."
    assert quote.start == 100 and quote.end == 100 + len(quote.quote)


def test_citation_to_a_passage_that_was_not_shown_is_dropped():
    verified = verify_sentence("The bridge cost 240 million euros [7].", [passage()])
    assert verified.citations == [] and verified.dropped == [7]


def test_wrong_number_is_not_supported():
    verified = verify_sentence("The bridge cost 300 million euros [1].", [passage()])
    assert verified.citations == [] and verified.dropped == [1]


def test_unsupported_claim_loses_its_marker():
    verified = verify_sentence("Aliens landed on the bridge yesterday [1].", [passage()])
    assert verified.citations == []
    assert "[1]" not in verified.text


def test_only_the_supporting_passage_keeps_its_marker():
    other = passage(2, "Apples were harvested in the valley.", 0)
    verified = verify_sentence("Mayor Lena Holm said commuting times would be cut by half [1][2].", [passage(), other])
    assert [c.n for c in verified.citations] == [1]
    assert verified.dropped == [2]
    assert verified.text.endswith("[1].")


def test_uncited_sentence_gets_a_citation_only_on_strong_support():
    strong = verify_sentence("Mayor Lena Holm said the bridge would cut commuting times by half.", [passage()])
    weak = verify_sentence("The mayor likes bridges and boats.", [passage()])
    assert [c.n for c in strong.citations] == [1]
    assert weak.citations == []


def test_markers_after_the_period_stay_with_their_sentence():
    assert answer_sentences("It cost 240 million euros. [1] It took four years. [1]") == [
        "It cost 240 million euros. [1]",
        "It took four years. [1]",
    ]
    assert markers_in("a [1, 3] b [2]") == [1, 3, 2]


def test_support_can_span_two_adjacent_sentences():
    support = best_support("The bridge took four years to build and Lena Holm said it cuts commuting by half", passage())
    assert support.score >= 0.6
    assert support.start == 0 and support.end == len(TEXT)


def test_refusal_phrases_are_recognised():
    assert is_refusal("The passages do not contain this information.")
    assert is_refusal("I don't know.")
    assert not is_refusal("The bridge cost 240 million euros [1].")


def test_a_name_the_passage_never_mentions_is_not_supported():
    text = "Moscow is categorically opposed to the development of NATO troops in Ukraine."
    verified = verify_sentence("China is categorically opposed to the development of NATO troops in Ukraine [1].", [passage(text=text)])
    assert verified.citations == []
    same = verify_sentence("Moscow is categorically opposed to NATO troops in Ukraine [1].", [passage(text=text)])
    assert [c.n for c in same.citations] == [1]


def test_a_name_with_accented_letters_is_supported_by_the_passage_that_spells_it():
    text = "Although Martin Sheen’s birth name is on his documents, the star regrets not going by Ramon Estévez."
    verified = verify_sentence("Ramon Estévez [1].", [passage(text=text)])
    assert [c.n for c in verified.citations] == [1]
    other = verify_sentence("Ramon Esteban [1].", [passage(text=text)])
    assert other.citations == []
    capital = verify_sentence("Émile Zola wrote it [1].", [passage(text="Émile Zola wrote it in 1898.")])
    assert [c.n for c in capital.citations] == [1]
    assert verify_sentence("Émile Zola wrote it [1].", [passage(text="Zola wrote it in 1898.")]).citations == []
