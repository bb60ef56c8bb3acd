"""Sentence splitting: where evidence sentences begin and end."""

from __future__ import annotations

from rag.sentences import letter_runs, split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_an_initial_or_a_title_does_not_end_a_sentence():
    text = "The medal was established under President John F. Kennedy in 1963. Dr. Lee presented it."
    assert _texts(text) == ["The medal was established under President John F. Kennedy in 1963.", "Dr. Lee presented it."]


def test_a_dotted_abbreviation_before_a_name_or_noun_does_not_end_a_sentence_and_offsets_hold():
    text = "Troops left the U.S. Army base. It rained. Former President George H.W. Bush spoke. Then he left."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Troops left the U.S. Army base.",
        "It rained.",
        "Former President George H.W. Bush spoke.",
        "Then he left.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_a_dotted_abbreviation_ends_a_sentence_before_a_word_sentences_start_with_or_a_quote():
    assert _texts("They met in the U.S. The talks failed.") == ["They met in the U.S.", "The talks failed."]
    assert _texts("Talks in Washington, D.C. “We will,” he said.") == ["Talks in Washington, D.C.", "“We will,” he said."]


def test_times_saints_suffixes_and_case_names_stay_inside_their_sentence():
    text = "It starts at 7 p.m. Tuesday in St. Louis. Martin Luther King Jr. Day follows Roe v. Wade. It ends at 9 p.m. The fans left."
    assert _texts(text) == [
        "It starts at 7 p.m. Tuesday in St. Louis.",
        "Martin Luther King Jr. Day follows Roe v. Wade.",
        "It ends at 9 p.m.",
        "The fans left.",
    ]


def test_plural_titles_and_a_number_sign_end_no_sentence_but_a_bare_no_does():
    assert _texts("Sens. Amy Klobuchar and Reps. Cori Bush spoke. It reached No. 1 in May. He said No. Then he left.") == [
        "Sens. Amy Klobuchar and Reps. Cori Bush spoke.",
        "It reached No. 1 in May.",
        "He said No.",
        "Then he left.",
    ]


def test_letter_runs_keep_accented_letters_and_drop_digits_and_apostrophes():
    assert letter_runs("Ramón Estévez’s 2nd film, Rhône-Alpes") == ["Ramón", "Estévez", "s", "nd", "film", "Rhône", "Alpes"]
