"""Follow-up questions: the model's rewrite is used only when it is a standalone form of the question."""

from __future__ import annotations

import pytest

from rag.condense import HEURISTIC_EXTRA_WORDS, condense, condense_heuristic, referents, usable_rewrite

TONGA = [("Who was evacuated from a palace near the shore in Tonga?", "King Tupou VI [1]. The king left the palace [2].")]
HOUSE = [("Where was Maxwell arrested?", "At a secluded house in Bradford, New Hampshire [1].")]


def test_a_rewrite_that_resolves_the_pronoun_is_used(scripted):
    generator = scripted("Who got King Tupou VI out of the palace?")
    assert condense("Who got him out?", TONGA, generator) == "Who got King Tupou VI out of the palace?"
    assert "Who got him out?" in generator.prompts[0][-1].content


@pytest.mark.parametrize("quoted", ['"Who got King Tupou VI out?"', "“Who got King Tupou VI out?”"])
def test_a_rewrite_in_quotation_marks_is_used_without_them(scripted, quoted):
    assert condense("Who got him out?", TONGA, scripted(quoted)) == "Who got King Tupou VI out?"


def test_a_rewrite_that_answers_instead_of_asking_gives_way_to_the_heuristic(scripted):
    assert condense("Who got him out?", TONGA, scripted("King Tupou VI got him out.")) == "Who got King Tupou VI out?"


def test_a_rewrite_that_leaves_the_pointer_unresolved_gives_way_to_the_heuristic(scripted):
    standalone = condense("How much was that house worth?", HOUSE, scripted("How much was the house worth?"))
    assert standalone.startswith("How much was that house worth? (")
    assert "Bradford" in standalone


@pytest.mark.parametrize(
    ("question", "rewrite", "usable"),
    [
        ("Who got him out?", "Who got King Tupou VI out?", True),
        ("Who got him out?", "King Tupou VI got him out.", False),
        ("Who got him out?", "Who got him out?", False),
        ("Who got him out", "King Tupou VI got out how", True),  # no question mark to keep; it names the king
        ("And which flavour?", "Which flavour?", True),  # nothing points back: nothing to bring in
        ("Who got him out?", "Who?", False),  # too short to be a question on its own
    ],
)
def test_usable_rewrite(question, rewrite, usable):
    assert usable_rewrite(question, rewrite, TONGA) is usable


def test_the_heuristic_adds_the_previous_question_and_the_answers_first_sentence_without_citation_marks():
    history = [("Where was Maxwell arrested?", "At a secluded house in Bradford [1]. Agents waited outside [2].")]
    standalone = condense_heuristic("How much was that house worth?", history)
    assert standalone == "How much was that house worth? (Maxwell arrested secluded Bradford)"


@pytest.mark.parametrize(
    ("question", "answer", "standalone"),
    [
        ("Who got him out?", "King Tupou VI [1]. The king left the palace [2].", "Who got King Tupou VI out?"),
        ("Whom has she disagreed with?", "**Giorgia Melloni** [1].", "Whom has Giorgia Melloni disagreed with?"),
        ("Who got him out?", "King Tupou VI [1, 2]. The king left [3].", "Who got King Tupou VI out?"),  # a marker of two
        ("Why didn't Zuckerberg answer his question?", "Richard Durbin", "Why didn't Zuckerberg answer Richard Durbin's question?"),
        ("What is her job title?", "Kristen Manion Taylor [1].", "What is Kristen Manion Taylor's job title?"),
        ("Who pushed her onto the stage?", "Ashley Walters [1].", "Who pushed Ashley Walters onto the stage?"),
    ],
)
def test_the_heuristic_puts_a_name_answered_in_place_of_the_pronoun(question, answer, standalone):
    assert condense_heuristic(question, [("Who was it?", answer)]) == standalone


@pytest.mark.parametrize("answer", ["Yes [1].", "Monday [1].", "The city opened it [1].", "Carnage, released in 2011."])
def test_an_answer_that_is_not_a_name_is_added_not_put_in_place_of_the_pronoun(answer):
    standalone = condense_heuristic("When did he leave?", [("Who was it?", answer)])
    assert standalone.startswith("When did he leave? (")
def test_the_heuristic_adds_a_bounded_number_of_words():
    long_answer = " ".join(f"word{i}" for i in range(200))
    standalone = condense_heuristic("What about it?", [("Where was it?", long_answer)])
    added = standalone.split("(", 1)[1].rstrip(")").split()
    assert len(added) == HEURISTIC_EXTRA_WORDS


def test_a_question_that_needs_no_history_is_not_rewritten(scripted):
    generator = scripted("something else entirely?")
    assert condense("How much did the Norrvik harbor bridge cost?", HOUSE, generator) == "How much did the Norrvik harbor bridge cost?"
    assert generator.prompts == []


@pytest.mark.parametrize(
    ("question", "standalone", "words"),
    [
        ("How old was she?", "How old was Heather Heyer?", ["Heather", "Heyer"]),
        ("What has it been raised to?", "What has Harvey Weinstein's bail been raised to?", ["Harvey", "Weinstein's", "bail"]),
        ("How much was that house worth?", "How much was that house worth? (Maxwell arrested Bradford)", []),  # added, not put in place
        ("Which flavour did they pick?", "Which flavour did they pick?", []),
    ],
)
def test_referents_are_the_words_put_in_place_of_the_pronouns(question, standalone, words):
    assert referents(question, standalone) == words
