import pytest

from rag.anchors import is_acronym, names_what_is_asked, question_names

ARTICLE = "Yahoo breach. The company, then run by CEO Marissa Mayer, disclosed the theft of data from British users."


def test_the_names_of_a_question_are_its_capitalised_words_that_do_not_open_a_sentence():
    assert question_names("Who is the CEO of JetBlue?") == ["CEO", "JetBlue"]
    assert question_names("Storms hit Texas on Monday. Which US state was hit in March?") == ["Texas"]
    assert question_names("who is the ceo of jetblue?") == []
    assert question_names("When did Spirit's shareholders vote?") == ["Spirit"]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Who is the CEO of JetBlue?", False),
        ("Who was the CEO of Yahoo when it disclosed the breach?", True),
        ("Why did Yahoo's users in Britain sue?", True),  # "Britain" / "British": the same first four letters
        ("Which EU users did Yahoo tell?", True),  # two letters: too short to be a name
        ("How many Yahoo users in Spain were hit?", False),
        ("how many users were hit?", True),
    ],
)
def test_an_article_names_what_the_question_names(question, named):
    assert names_what_is_asked(question, ARTICLE) is named


def test_a_short_name_must_occur_whole():
    assert not names_what_is_asked("What did Yahr say?", ARTICLE)  # "Yahr" is not "Yahoo"


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("How much rain did the NWS report?", "the National Weather Service said 13 inches fell"),
        ("What did the BoE decide?", "Mark Carney, the head of the Bank of England, kept rates"),
        ("Why did the DOJ sue Microsoft?", "Microsoft bundling triggered a Justice Department antitrust lawsuit"),
        ("Which award did the NHLPA give him?", "the NHL Players’ Association gave him the Ted Lindsay Award"),
    ],
)
def test_an_acronym_is_named_by_the_words_it_stands_for(question, article):
    assert names_what_is_asked(question, article)


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("How much rain did the NWS report?", "the National Hockey League said 13 inches fell"),
        ("What did the BoE decide?", "the Bank of Canada kept rates"),
        ("Why did the DOJ sue Microsoft?", "The Commerce Department sued Microsoft"),
    ],
)
def test_other_capitalised_words_do_not_spell_the_acronym(question, article):
    assert not names_what_is_asked(question, article)


def test_only_words_with_most_letters_capitalised_are_acronyms():
    assert [w for w in ("NWS", "BoE", "NHLPA", "COVID-19", "JetBlue", "Yahoo", "McDonald") if is_acronym(w)] == [
        "NWS", "BoE", "NHLPA", "COVID-19",
    ]


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("What did Washington promise Kyiv in 1994?", "In 1994 the US promised Ukraine security guarantees."),
        ("Why did London refuse?", "British officials refused, saying the plan was too costly."),
        ("What does Moscow want?", "The Kremlin wants sanctions lifted, Russian diplomats say."),
    ],
)
def test_a_capital_standing_for_its_government_is_named_by_its_country(question, article):
    assert names_what_is_asked(question, article)


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("What did Washington promise in 1994?", "Tell us what the treaty promised in 1994."),  # "us" is no "US"
        ("Why did London refuse?", "French officials refused, saying the plan was too costly."),
        ("What did Canberra decide?", "Officials in Austria decided to wait."),  # "Aust..." is not Australia
    ],
)
def test_a_capital_is_not_named_by_another_country_nor_by_a_pronoun(question, article):
    assert not names_what_is_asked(question, article)
