"""Which country / state / continent questions take a name from a closed set (rag/places.py)."""

import pytest

from rag.places import is_demonym, names_place, place_asked, places_in, smaller_place_asked, too_big_for
from rag.short_answer import Kind, fits_kind, question_kind, short_answer_for


@pytest.mark.parametrize(
    "question, asked",
    [
        ("Which country was shaken by an earthquake this week?", "country"),
        ("A former prime minister of which nation was shot?", "country"),
        ("In which US state did the river flood?", "state"),
        ("Which continent will require one charger for all phones?", "continent"),
        ("Which European country joined the alliance?", "country"),
        ("What did the state announce on Monday?", None),  # "what did the state" asks for no state
        ("What state of emergency was declared?", None),
        ("Which state-owned company bought the mine?", None),
        ("Which city hosted the summit?", None),  # cities are an open set
        # The noun is asked for only when it ends the noun phrase: these ask for a broadcaster, a star.
        ("Which Italian state broadcaster aired the debate?", None),
        ("Which country music star opened the festival?", None),
        ("Which state officials signed the order?", None),
        ("The president fled to which country this week?", "country"),
        ("Which country recently banned the toys?", "country"),
        ("Which nation's leader resigned?", "country"),
        ("Which US national park was flooded?", None),  # "national" is not "nation"
    ],
)
def test_place_asked_reads_the_noun_after_which_or_what(question, asked):
    assert place_asked(question) == asked


@pytest.mark.parametrize(
    "phrase, asked, named",
    [
        ("China", "country", True),
        ("the Philippines", "country", True),
        ("Russia", "country", True),  # ISO writes "Russian Federation"
        ("South Korea", "country", True),
        ("Moldova", "country", True),
        ("Wales", "country", True),
        ("Chinese", "country", False),  # a people, not a country
        ("Luzon", "country", False),  # an island
        ("White House", "country", False),
        ("Saudi", "country", False),
        ("Virginia", "state", True),
        ("Ontario", "state", True),
        ("Coeur d'Alene", "state", False),  # a city
        ("Europe", "continent", True),
        ("European", "continent", False),
    ],
)
def test_names_place_knows_countries_states_and_continents_from_their_demonyms_and_towns(phrase, asked, named):
    assert names_place(phrase, asked) is named


def test_places_in_finds_the_longest_name_at_each_spot_in_order():
    text = "Police in Idaho said the men came from New York and New Mexico, not from Coeur d'Alene."
    assert places_in(text, "state") == ["Idaho", "New York", "New Mexico"]
    assert places_in("Talks between Saudi Arabia and the United Arab Emirates stalled.", "country") == [
        "Saudi Arabia",
        "United Arab Emirates",
    ]


def test_a_which_country_question_takes_the_country_the_sentence_names_not_the_models_demonym_or_island():
    question = "Which country was shaken by a 7.0-magnitude earthquake this week?"
    sentence = "A 7.0-magnitude earthquake shook the island of Luzon in the Philippines on Wednesday."
    assert question_kind(question) is Kind.PLACE
    assert not fits_kind("Luzon", Kind.PLACE, question) and fits_kind("Philippines", Kind.PLACE, question)
    assert short_answer_for(question, Kind.PLACE, sentence, sentence, "Luzon") == "Philippines"


def test_a_which_country_question_is_not_answered_by_a_sentence_that_names_no_country():
    question = "Which country banned rainbow-coloured toys?"
    sentence = "Officials at the White House said the toys were seized in raids."
    assert short_answer_for(question, Kind.PLACE, sentence, sentence, "White House") is None


@pytest.mark.parametrize(
    "question, noun",
    [
        ("Which US national park was flooded?", "park"),
        ("In which city did the leaders meet on Monday?", "city"),
        ("Which Ohio county ran out of ballots?", "county"),
        ("Which city council voted against the plan?", None),  # asks for a council
        ("Which island nation declared a state of emergency?", None),
        ("Which country was shaken by an earthquake?", None),
    ],
)
def test_smaller_place_asked_reads_a_place_inside_a_state(question, noun):
    assert smaller_place_asked(question) == noun


def test_a_country_or_state_does_not_say_which_city_or_park():
    park = "Which national park closed its roads after the floods?"
    assert not fits_kind("Montana", question_kind(park), park)
    assert fits_kind("Glacier National Park", question_kind(park), park)
    city = "In which city did the leaders meet on Monday?"
    assert not fits_kind("Ukraine", question_kind(city), city)
    assert fits_kind("Kyiv", question_kind(city), city)
    assert fits_kind("New York", question_kind(city), city)  # a state's name that is a city's too
    assert not too_big_for("Singapore", "city") and too_big_for("Texas", "county")


def test_where_questions_still_take_any_place_name():
    question = "Where was the festival held?"
    sentence = "The festival was held at Tempe Beach Park on Saturday."
    assert short_answer_for(question, Kind.PLACE, sentence, sentence, "Tempe Beach Park") == "Tempe Beach Park"


@pytest.mark.parametrize(
    "word", ["British", "Chinese", "French", "Italian", "Israeli", "Iraqi", "Qatari", "Congolese", "American", "European", "Saudi"]
)
def test_a_peoples_adjective_is_a_demonym(word):
    assert is_demonym(word)


@pytest.mark.parametrize("word", ["Polanski", "Jordan", "Christian", "Morgan", "Brexit", "Tshisekedi", "Ottawa", "Mali", "Draghi"])
def test_names_that_look_like_a_country_are_not_demonyms(word):
    assert not is_demonym(word)


def test_a_lone_demonym_is_no_person_but_a_role_with_one_is():
    question = "Which judge sentenced Ghislaine Maxwell?"
    assert question_kind(question) is Kind.PERSON
    assert not fits_kind("British", Kind.PERSON, question)
    assert fits_kind("Judge Alison Nathan", Kind.PERSON, question)
    assert fits_kind("the British prime minister", Kind.PERSON, "Who said it?")
    assert fits_kind("Roman Polanski", Kind.PERSON, "Who directed it?")
