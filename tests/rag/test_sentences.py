"""Sentence splitting: where evidence sentences begin and end."""

from __future__ import annotations

from rag.sentences import letter_runs, split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_an_initial_or_a_title_does_not_end_a_sentence():
    text = "The medal was established under President John F. Kennedy in 1963. Dr. Lee presented it."
    assert _texts(text) == ["The medal was established under President John F. Kennedy in 1963.", "Dr. Lee presented it."]


def test_sentences_still_end_after_an_abbreviation_of_several_letters_and_offsets_hold():
    text = "Troops left the U.S. Army base. It rained. He said no. Then he left."
    sentences = split_sentences(text)
    assert [s.text for s in sentences][-3:] == ["It rained.", "He said no.", "Then he left."]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_letter_runs_keep_accented_letters_and_drop_digits_and_apostrophes():
    assert letter_runs("Ramón Estévez’s 2nd film, Rhône-Alpes") == ["Ramón", "Estévez", "s", "nd", "film", "Rhône", "Alpes"]
