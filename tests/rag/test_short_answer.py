"""The direct answer: the kind a question asks for, and the checks a short phrase must pass."""

from __future__ import annotations

import pytest

from rag.short_answer import (
    MAX_WORDS,
    Kind,
    asked_noun,
    clause_span,
    clean_phrase,
    counted_thing,
    counts_another_thing,
    counts_what_is_asked,
    described,
    describes_a_person,
    fits_kind,
    grounded,
    is_attribution,
    kind_of_span,
    left_unnamed,
    question_kind,
    listed_beside_the_question,
    only_inside_a_longer_name,
    plain_measure,
    pronoun_speaker,
    quoted_referent,
    quoted_speaker,
    reported_on,
    restates_what_is_asked,
    rule_span,
    short_answer_for,
    without_dateline,
)

SENTENCE = "The bridge cost 240 million euros and was opened by Mayor Lena Holm in Norrvik on Tuesday, May 3, 2022."


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who opened the bridge?", Kind.PERSON),
        ("Which company built the bridge?", Kind.PERSON),
        ("Where was the bridge opened?", Kind.PLACE),
        ("Which country has ruled out NATO membership?", Kind.PLACE),
        ("When did the bridge open?", Kind.DATE),
        ("In which year was the memorandum signed?", Kind.DATE),
        ("How many soldiers are being sent?", Kind.NUMBER),
        ("How much did the bridge cost?", Kind.NUMBER),
        ("Did the mayor resign?", Kind.YES_NO),
        ("Is the bridge open or closed?", Kind.OTHER),
        ("Why was the bridge closed?", Kind.REASON),
        ("What would happen if the bridge closed?", Kind.CONSEQUENCE),
        ("Which three countries signed the deal?", Kind.LIST),
        ("What happened at the harbour on Tuesday?", Kind.EVENT),
        ("What kind of force are they preparing?", Kind.THING),
        ("Which show received the most nominations?", Kind.THING),
        ("The agency said it will do what this week?", Kind.OTHER),  # "what this week" names no thing
        ("Combien a coûté le pont ?", Kind.NUMBER),
        ("Wann wurde die Brücke eröffnet?", Kind.DATE),
        ("Which forensic firm examined the bridge?", Kind.PERSON),  # words between "which" and the noun
        ("Which German MP complained about the bridge?", Kind.PERSON),  # a member of parliament is a person
        ("Which European country paid for it?", Kind.PLACE),
        ("What did the company say about the bridge?", Kind.OTHER),  # "the company" is not what is asked
        ("What was the magnitude of the earthquake?", Kind.NUMBER),
        ("What temperature did the mirrors reach?", Kind.NUMBER),
        ("How deep was the epicenter?", Kind.NUMBER),
        ("Who was the company's chief executive when the bridge opened?", Kind.PERSON),  # the leading word decides
        ("When did the mayor who opened the bridge resign?", Kind.DATE),
        ("Who did the U.S. President call when the talks failed?", Kind.PERSON),  # "U.S." ends no sentence
        ("The bridge closed in May. When did it reopen?", Kind.DATE),  # the last sentence asks
        ("At what point would the bridge reopen?", Kind.OTHER),  # when, or on what condition: not a thing's name
        ("What point did the mayor make?", Kind.THING),
        ("Which county sheriff closed the bridge?", Kind.PERSON),  # people named by their office
        ("What's the name of the diplomat who opened the bridge?", Kind.PERSON),
    ],
)
def test_question_kind_reads_what_the_question_asks_for(question, kind):
    assert question_kind(question) is kind


def test_a_grounded_phrase_is_short_supported_and_adds_a_word():
    assert grounded("240 million euros", SENTENCE, "How much did the bridge cost?")
    assert not grounded("300 million euros", SENTENCE, "How much did the bridge cost?")  # a number the sentence lacks
    assert not grounded("the new harbour tunnel", SENTENCE, "How much did the bridge cost?")  # words it lacks
    assert not grounded("the bridge", SENTENCE, "How much did the bridge cost?")  # only the question's words
    long = " ".join(SENTENCE.split()[: MAX_WORDS + 1])
    assert not grounded(long, SENTENCE, "How much did the bridge cost?")
    assert grounded("Yes", SENTENCE, "Did the bridge open?")


@pytest.mark.parametrize(
    ("phrase", "kind", "fits"),
    [
        ("Mayor Lena Holm", Kind.PERSON, True),
        ("the mayor", Kind.PERSON, True),
        ("on the ground", Kind.PERSON, False),
        ("Norrvik", Kind.PLACE, True),
        ("over the river", Kind.PLACE, True),  # where it is, without a name
        ("the river", Kind.PLACE, False),
        ("Tuesday", Kind.DATE, True),
        ("soon", Kind.DATE, False),
        ("240 million euros", Kind.NUMBER, True),
        ("several thousand", Kind.NUMBER, True),
        ("a lot", Kind.NUMBER, False),
        ("No", Kind.YES_NO, True),
        ("maybe", Kind.YES_NO, False),
        ("anything at all", Kind.OTHER, True),
        ("Yes", Kind.OTHER, False),  # only a yes/no question is answered yes or no
        ("Tuesday", Kind.PLACE, False),  # a day is not a place
        ("German Army", Kind.PLACE, False),  # nor is an army
        ("the company recently obtained new intelligence and now believes", Kind.PERSON, False),  # a clause is not a name
        ("August", Kind.PERSON, False),  # nor is a month
    ],
)
def test_a_phrase_must_be_of_the_kind_asked(phrase, kind, fits):
    assert fits_kind(phrase, kind) is fits


@pytest.mark.parametrize(
    ("question", "phrase", "fits"),
    [
        ("How long did he serve as mayor?", "10", False),  # the 10 of "10 Downing St." measures nothing
        ("How long did he serve as mayor?", "three years", True),
        ("How deep was the epicenter?", "12 miles", True),
        ("How deep was the epicenter?", "98", False),
        ("What temperature did the mirrors reach?", "18 points", False),
        ("What temperature did the mirrors reach?", "minus 388 degrees", True),
        ("At what time did he speak?", "Thursday", False),  # a day is not a time of day
        ("At what time did he speak?", "6:46 p.m.", True),
        ("What time of year is the festival?", "spring", True),
        ("Who is the British defense secretary?", "Parliament", False),  # the role asks for a person's name
        ("Who is the British defense secretary?", "Ben Wallace", True),
        ("Who is Ben Wallace?", "the British defense secretary", True),
    ],
)
def test_a_measure_needs_its_unit_and_a_time_its_clock(question, phrase, fits):
    assert fits_kind(phrase, question_kind(question), question) is fits


def test_how_many_reads_the_counted_noun_and_what_happened_to_it():
    assert counted_thing("How many Spirit Airlines employees will join JetBlue?") == ("employees", "")
    assert counted_thing("How many people were injured in the quake?") == ("people", "injured")
    assert counted_thing("How many were killed?") == ("", "")
    assert counted_thing("How many homes in Pelham were damaged?") == ("homes", "damaged")  # past "in Pelham"
    assert counted_thing("How many heads of state are expected to attend?") == ("heads", "")  # "expected to" is no event


def test_a_number_about_something_else_does_not_answer_how_many():
    deaths = "The death toll rose to 98 after a magnitude 7.0 earthquake rocked the island on Sunday."
    assert not counts_what_is_asked("How many homes were destroyed by the earthquake?", deaths)
    assert not counts_what_is_asked("How many aftershocks followed the quake?", deaths)
    assert not counts_what_is_asked("How many people were injured in the earthquake?", "It killed 98 people.")
    assert counts_what_is_asked("How many people were killed in the earthquake?", "The quake killed 98 people.")
    assert counts_what_is_asked("How many tackles did he record?", "He had a team-leading 108 tackles.")
    # What happened to them names what is counted; the noun may be put in other words.
    assert counts_what_is_asked("How many user accounts were affected?", "All 3 billion users were affected.")
    assert short_answer_for("How many homes were destroyed?", Kind.NUMBER, deaths, deaths) is None


def test_a_number_that_counts_another_noun_beside_the_one_asked_does_not_answer_how_many():
    season = "She scored 43 goals and 67 assists for 110 points in 71 games."
    question = "How many points did she score this season?"
    assert counts_another_thing("43", season, question) and counts_another_thing("71", season, question)
    assert not counts_another_thing("110", season, question)
    assert rule_span(question, season, Kind.NUMBER) == "110 points"
    assert short_answer_for(question, Kind.NUMBER, season, season, "43") == "110 points"
    terms = "Members will keep their voting rights after three ten-year terms."
    assert short_answer_for("How many voting members does the academy have?", Kind.NUMBER, terms, terms, "three") is None


def test_a_number_joined_to_the_noun_asked_or_beside_no_other_counts_it():
    question = "How many layers does the sunshield have?"
    assert not counts_another_thing("five", "It has a five-layer sunshield to protect the mirror.", question)
    assert counts_another_thing("100", "She had a 100-point season and 80 layers.", question)  # "100-point" is no layer
    # the sentence never names what is asked: a synonym may count it
    assert not counts_another_thing("5,000", "The alliance sent 5,000 soldiers.", "How many troops were sent?")
    assert not counts_another_thing("98", "The quake killed 98 people.", "How many people died?")
    # one of the number's places counts the thing asked
    both = "The 12 jurors found her guilty on all 12 fraud counts."
    assert not counts_another_thing("12", both, "On how many fraud counts was she convicted?")
    # every noun of a counted list is asked for
    staff = "The lab employs 480 engineers, students and staff from across Europe."
    assert not counts_another_thing("480", staff, "How many engineers, students and staff does the lab employ?")


def test_the_day_a_statement_was_made_does_not_date_the_event():
    sentence = "Hackers stole the data in August 2013, the company said in a statement posted on its website Tuesday."
    assert reported_on("Tuesday", sentence) and not reported_on("August 2013", sentence)
    assert short_answer_for("When did the hackers break in?", Kind.DATE, sentence, sentence, "Tuesday") == "August 2013"
    # A date after a preposition is what was said, not when; the report's own day is left aside.
    bridge = "Repairs to the bridge will last until October, the roads agency said on Monday."
    assert not reported_on("October", "The agency said repairs will last until October.")
    assert short_answer_for("Until when will the repairs last?", Kind.DATE, bridge, bridge) == "October"
    # Unless the question asks when it was said.
    assert short_answer_for("When did the company announce the theft?", Kind.DATE, sentence, sentence, "Tuesday") == "Tuesday"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How much did the bridge cost?", "240 million euros"),
        ("Who opened the bridge?", "Mayor Lena Holm"),
        ("Where was the bridge opened?", "Norrvik"),
        ("When was the bridge opened?", "Tuesday, May 3, 2022"),
    ],
)
def test_patterns_find_a_phrase_of_the_kind_asked(question, expected):
    assert rule_span(question, SENTENCE, question_kind(question)) == expected


def test_a_number_glued_to_another_is_not_grounded_alone():
    sentence = "The Avalanche beat the Lightning 2-1 in Game 6, a first since Covid-19 began."
    assert grounded("2-1", sentence, "What was the score?") and not grounded("2", sentence, "What was the score?")
    assert not grounded("19", sentence, "How many games?")
    assert rule_span("What was the score?", sentence, Kind.NUMBER) == "2-1"


def test_a_what_year_question_needs_a_year():
    assert fits_kind("1995", Kind.DATE, "What year did the browser debut?")
    assert not fits_kind("27", Kind.DATE, "What year did the browser debut?")
    assert fits_kind("27 May", Kind.DATE, "When did the browser debut?")


def test_patterns_find_the_reason_clause():
    sentence = "The ferry stopped running because the crews went on strike over pay."
    assert rule_span("Why did the ferry stop?", sentence, Kind.REASON) == "the crews went on strike over pay"


def test_yes_no_without_a_model_reads_a_negation():
    assert rule_span("Did the mayor resign?", "The mayor did not resign after the vote.", Kind.YES_NO) == "No"
    assert rule_span("Did the mayor resign?", "The mayor resigned after the vote.", Kind.YES_NO) == "Yes"


def test_a_typed_question_gets_no_clause_when_the_sentence_holds_no_phrase_of_its_kind():
    sentence = "The council talked about the bridge for a long time."
    assert short_answer_for("How much did the bridge cost?", Kind.NUMBER, sentence, sentence, "a long time") is None
    assert short_answer_for("What did the council do?", Kind.OTHER, sentence, sentence, None) is not None


def test_the_models_phrase_wins_when_it_passes_and_a_pattern_replaces_it_when_it_does_not():
    question = "How much did the bridge cost?"
    assert short_answer_for(question, Kind.NUMBER, SENTENCE, SENTENCE, "“240 million euros.”") == "240 million euros"
    assert short_answer_for(question, Kind.NUMBER, SENTENCE, SENTENCE, "three hundred million") == "240 million euros"


@pytest.mark.parametrize(
    "phrase, question, restates",
    [
        ("The TV channel", "Which state-owned TV channel called the town a place of extremes?", True),
        ("the 80-year-old singer", "Fans of which veteran singer may not film her shows?", True),
        ("the home team", "Which team won the final?", True),
        ("Danish band", "Which popular band cancelled its tour?", True),  # a people's adjective names no band
        ("Kinkstones", "Which popular band cancelled its tour?", False),
        ("peacekeeping force", "What kind of force may be sent?", False),  # "what kind" asks for the description
        ("the Nordvision channel", "Which state-owned TV channel called the town a place of extremes?", False),
        ("the always-on display", "Which feature did the phone maker add?", False),
        ("the city's mayor", "Who closed the old library?", False),  # no "which": a role answers who
    ],
)
def test_the_questions_own_description_without_a_name_says_not_which(phrase, question, restates):
    assert restates_what_is_asked(phrase, question) is restates


def test_a_country_is_no_answer_when_people_are_asked_for_but_may_be_a_team():
    leader = "Which foreign leader did the minister praise on Monday?"
    assert not fits_kind("Norway", question_kind(leader), leader)
    assert fits_kind("Erna Lund", question_kind(leader), leader)
    team = "Which team won the final?"
    assert fits_kind("Norway", question_kind(team), team)


def test_a_peoples_adjective_alone_is_no_answer_to_where():
    question = "Where did the data leak happen?"
    assert not fits_kind("Danish", Kind.PLACE, question)
    assert fits_kind("Denmark", Kind.PLACE, question)
    assert fits_kind("the Danish capital", Kind.PLACE, question)


def test_a_peoples_adjective_alone_names_a_language_but_not_which_thing():
    show = "Which hit series was renewed for a third season?"
    assert question_kind(show) is Kind.THING
    assert not fits_kind("North Korean", Kind.THING, show)
    assert fits_kind("Frontier Nights", Kind.THING, show)
    language = "Which language is the series filmed in?"
    assert fits_kind("Danish", question_kind(language), language)


@pytest.mark.parametrize(
    "phrase, fits",
    [("Ana Ruiz and Tom Hale", True), ("Ana Ruiz, Tom Hale", True), ("Ruiz", True),
     ("race narrowed after lawmakers voted in the second round", False), ("the front-runners in the party's race", False)],
)
def test_a_list_of_people_or_countries_asked_for_is_a_list_of_names(phrase, fits):
    question = "Which two candidates are left in the party's leadership race?"
    assert fits_kind(phrase, question_kind(question), question) is fits


def test_a_description_that_points_back_is_no_answer_to_which_but_the_name_is():
    question = "Which state-owned TV channel called the town a place of extremes?"
    pointing = "The TV channel, which is part-owned by the state, called the town a place of extremes."
    assert short_answer_for(question, Kind.THING, pointing, pointing, "The TV channel") is None
    naming = "Nordvision, the TV channel part-owned by the state, called the town a place of extremes."
    assert short_answer_for(question, Kind.THING, naming, naming, "Nordvision") == "Nordvision"


def test_a_place_that_describes_a_person_says_not_where_something_happened():
    sentence = "On May 3, Ohio nurse Dana Cole was removed from a flight after refusing to give up her seat."
    assert describes_a_person("Ohio", sentence)
    assert describes_a_person("Texas", "Texas Gov. Greg Abbott signed the bill.")
    assert not describes_a_person("Denver", "Cole was flying to Denver, Colorado, that evening.")
    question = "Where was Dana Cole flying to?"
    assert short_answer_for(question, Kind.PLACE, sentence, sentence, "Ohio") is None
    later = "Cole was flying to Denver, Colorado, that evening."
    assert short_answer_for(question, Kind.PLACE, later, later, "Denver, Colorado") == "Denver, Colorado"
    home = "Where is Dana Cole from?"  # where the person is from is what such a place says
    assert short_answer_for(home, Kind.PLACE, sentence, sentence, "Ohio") == "Ohio"


def test_an_organisation_is_no_answer_when_a_person_is_asked_for_by_a_people_noun():
    judge = "Which judge dismissed the lawsuit?"
    assert not fits_kind("Los Angeles Superior Court", question_kind(judge), judge)
    assert not fits_kind("Rockland County", Kind.PERSON, "Which county health commissioner announced the case?")
    assert fits_kind("Michael Stern", question_kind(judge), judge)
    company = "Which company cut its prices?"
    assert fits_kind("Delta Air Lines", question_kind(company), company)


@pytest.mark.parametrize(
    "phrase, fits", [("Wonder Wheel and Carnage", True), ("if chosen for the jury", False), ("films he made in 2011", False)]
)
def test_a_list_of_films_or_charities_asked_for_is_a_list_of_names(phrase, fits):
    question = "Which films did the actress regret making?"
    assert question_kind(question) is Kind.LIST
    assert fits_kind(phrase, Kind.LIST, question) is fits


@pytest.mark.parametrize(
    ("question", "wrong", "right"),
    [
        ("Which judge is presiding over the fraud trial?", "A-list", "James Burke"),  # a letter compound is no name
        ("What are the names of the two witnesses who testified?", "encounters", "Ana Ruiz and Mia Holt"),
        ("What is the name of the passenger who refused to sit down?", "Delta Air Lines", "Tom Hale"),  # no organisation
    ],
    ids=["letter-compound", "names-asked-for", "name-of-a-person"],
)
def test_a_name_asked_for_is_a_name_of_the_kind_asked(question, wrong, right):
    assert not fits_kind(wrong, question_kind(question), question)
    assert fits_kind(right, question_kind(question), question)


@pytest.mark.parametrize(
    ("question", "sentence", "item", "expected"),
    [
        ("Which two directors did the actress regret working with?",
         "The actress regrets working with directors Ann Lowe and Piotr Nowak.", "Piotr Nowak", "Ann Lowe and Piotr Nowak"),
        ("Which countries are wary of the deal?", "However, Greece and Cyprus are cautious about the deal.",
         "Cyprus", "Greece and Cyprus"),
        ("Which states expect the worst heat?", "The worst heat is forecast in Texas, Oklahoma and Arkansas this week.",
         "Texas", "Texas, Oklahoma and Arkansas"),
        # the list has three names where two are asked for: it is not the list asked about
        ("Which two countries were invited?", "NATO invited Sweden, Finland and Norway to talks.", "Finland", "Finland"),
        # names with a description between them are not read as one list
        ("Which two players finished behind him?", "He beat Ann Lowe (Boston) and Mia Holt (Denver).", "Mia Holt", "Mia Holt"),
        # a list too long for a short answer (more than 10 words) is not given as one
        ("Which people spoke?", "Anna Maria Lowe, Piotr Jan Nowak, Mia Rose Holt and Tom Lee Hale spoke.", "Mia Rose Holt", "Mia Rose Holt"),
    ],
    ids=["two-directors", "countries", "three-states", "count-differs", "described-names", "too-long"],
)
def test_a_list_question_answered_by_one_listed_name_gets_the_whole_list(question, sentence, item, expected):
    kind = question_kind(question)
    assert kind is Kind.LIST
    assert short_answer_for(question, kind, sentence, sentence, item) == expected


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("Which countries are wary of the deal?", "However, Greece and Cyprus are cautious about the deal.", "Greece and Cyprus"),
        ("Which two countries were invited?", "NATO invited Sweden and Finland to join, officials in Brussels said.", "Sweden and Finland"),
        # the number asked for picks the list
        ("Which three cities flooded?", "Mayors Ann Lowe and Piotr Nowak said Ely, Leeds and Wisbech flooded.", "Ely, Leeds and Wisbech"),
        # peoples are not the names asked for, and nothing else is listed
        ("Which two leaders want the force?", "With Ukrainians and Europeans, the leaders want the force.", None),
    ],
    ids=["countries", "two-countries", "count-picks", "peoples"],
)
def test_a_list_question_finds_the_names_listed_without_the_model(question, sentence, expected):
    kind = question_kind(question)
    assert kind is Kind.LIST
    assert rule_span(question, sentence, kind) == expected


def test_a_list_already_given_or_a_single_thing_asked_for_is_left_as_it_is():
    sentence = "Greece and Cyprus are cautious, while Turkey and Hungary back the plan."
    question = "Which countries back the plan?"
    assert short_answer_for(question, Kind.LIST, sentence, sentence, "Turkey and Hungary") == "Turkey and Hungary"
    thing = "Which country is cautious about the plan?"  # one country asked for: no list
    assert short_answer_for(thing, question_kind(thing), sentence, sentence, "Cyprus") == "Cyprus"


def test_a_list_of_the_owners_things_asked_for_is_a_list_of_names():
    question = "Which of the senator's charities did the donor support?"
    assert question_kind(question) is Kind.LIST
    assert not fits_kind("if chosen for the board", Kind.LIST, question)
    assert fits_kind("Hope House", Kind.LIST, question)


def test_a_maximum_payment_asked_for_is_a_number():
    question = "What was the maximum payment for passengers before the change?"
    assert question_kind(question) is Kind.NUMBER
    assert not fits_kind("Among", Kind.NUMBER, question)


def test_clause_span_adds_words_and_stays_short():
    sentence = "Officials warned against discussing a subject that exists only in theory, the paper said."
    clause = clause_span("What did officials warn against discussing?", sentence)
    assert clause and len(clause.split()) <= MAX_WORDS and "theory" in clause


@pytest.mark.parametrize(
    ("phrase", "attribution"),
    [
        ("spokeswoman Ann Berg told reporters", True),
        ("the city's news site reported on Monday", True),
        ("said one EU diplomat", True),
        ("said in a statement", True),
        ("he said", True),
        ("warned of more strikes next week", False),  # what was said, not who said it
        ("the mayor warned of more strikes", False),
        ("the talks do not stop, he said", False),  # a clause before the verb
        ("has never been asked", False),  # passive
        ("Edward Said", False),  # a name, not the verb
        ("said to be the largest", False),
    ],
)
def test_an_attribution_is_who_said_it_and_nothing_more(phrase, attribution):
    assert is_attribution(phrase) is attribution


def test_clause_span_takes_what_was_said_not_who_said_it():
    question = "What did the city hall say the mayor has permanently excluded?"
    sentence = "“I can tell you that she has permanently excluded the closure of the old bridge,” city hall spokeswoman Ann Berg told reporters."
    assert clause_span(question, sentence) == "closure of the old bridge"


def test_an_attribution_does_not_name_who_or_which():
    assert not fits_kind("the Norrvik News site reported", Kind.PERSON, "Who rescued the fishermen?")
    assert fits_kind("spokeswoman Ann Berg", Kind.PERSON, "Who announced the closure?")


def test_clause_span_falls_back_to_what_lies_between_the_questions_words():
    question = "What do engineers say heavy rain could mean for bridges like this one?"
    sentence = "Bridges may need closing far more often in the coming years because of heavy rain, engineers say."
    assert clause_span(question, sentence) == "may need closing far more often in the coming years"


@pytest.mark.parametrize(
    "phrase, plain",
    [("20-year", "20 years"), ("101-year-old", "101 years old"), ("1-day", "1 day"), ("3-foot", "3 feet"), ("12 months", "12 months"),
     ("5- to 12-year-old group", "5- to 12-year-old group")],
)
def test_a_measure_written_as_an_adjective_is_answered_as_a_measure(phrase, plain):
    assert plain_measure(phrase) == plain


def test_how_long_is_answered_with_the_measure_not_its_adjective():
    question, sentence = "How long is the sentence the judge gave her?", "The judge gave her a 20-year sentence on Tuesday."
    assert short_answer_for(question, Kind.NUMBER, sentence, sentence, "20-year") == "20 years"


def test_clean_phrase_strips_quotes_labels_and_trailing_punctuation():
    assert clean_phrase(' Answer: "Lena Holm." ') == "Lena Holm"
    assert clean_phrase("U.S.") == "U.S."


def test_a_quoted_he_is_named_through_the_speaker_unless_the_question_asks_who_said_it():
    sentence = "“I can tell you that he has permanently excluded soldiers on the ground,” spokeswoman Ann Berg told reporters."
    before, after = "On Tuesday the plan changed.", "The US president was clear about it."
    named = quoted_referent("Who ruled out soldiers on the ground?", "spokeswoman Ann Berg", sentence, before, after)
    assert named == "The US president, through spokeswoman Ann Berg"
    assert quoted_referent("Who told reporters about the soldiers?", "Ann Berg", sentence, before, after) is None
    plain = "Spokeswoman Ann Berg said the soldiers would stay."
    assert quoted_referent("Who ruled out soldiers?", "Ann Berg", plain, before, after) is None


def test_a_name_listed_beside_the_questions_own_is_a_sibling_not_the_answer():
    sentence = "The team lost coach Jim Harbaugh and watched Frank Gore, Mike Iupati and Chris Cox depart this week."
    assert listed_beside_the_question("Mike Iupati", sentence, "Which team did the 49ers lose Frank Gore to?")
    assert short_answer_for("Which team did the 49ers lose Frank Gore to?", Kind.PERSON, sentence, sentence, "Mike Iupati") is None
    # Questions asking for companions take them.
    assert not listed_beside_the_question("Mike Iupati", sentence, "Besides Frank Gore, which player left?")
    assert not listed_beside_the_question("Merz", "Macron, Merz and Starmer met in Kiev.", "Who met Macron in Kiev?")


def test_a_phrase_that_only_changes_the_ending_of_a_question_word_adds_nothing():
    question = "The Sri Lankan president fled to which country this week?"
    sentence = "President Gotabaya Rajapaksa had been in Maldives after fleeing Sri Lanka on Wednesday."
    assert not grounded("Sri Lanka", sentence, question)
    assert grounded("Maldives", sentence, question)
    assert short_answer_for(question, question_kind(question), sentence, sentence, "Sri Lanka") == "Maldives"


def test_a_short_word_or_a_number_is_not_read_as_the_root_of_a_longer_one():
    sentence = "The 108 tackles made him the team's best rookie since 2010."
    assert grounded("108 tackles", sentence, "How many tackles did he make in 10 games?")
    assert grounded("Trumpet", "A bloodhound named Trumpet won.", "Which dog won the show?")


def test_who_takes_the_owner_when_the_models_phrase_goes_on_about_what_is_theirs():
    question = "Which world leader did Boris Johnson accuse of toxic masculinity?"
    sentence = "Vladimir Putin’s invasion of Ukraine is a perfect example of toxic masculinity, Boris Johnson has said."
    proposed = "Vladimir Putin’s invasion of Ukraine is a"
    assert short_answer_for(question, question_kind(question), sentence, sentence, proposed) == "Vladimir Putin"
    # a possessive phrase that is itself a fitting answer is kept whole
    owner = "Who auctioned the skeleton?"
    said = "Sotheby’s auction house sold the skeleton on Tuesday."
    assert short_answer_for(owner, question_kind(owner), said, said, "Sotheby’s auction house") == "Sotheby’s auction house"


def test_where_takes_a_place_without_a_name_but_not_a_time():
    question = "Where would the European forces operate?"
    sentence = "Macron said Europe was ready to deploy forces to operate in the air, at sea and on land."
    assert fits_kind("in the air, at sea", Kind.PLACE, question)
    assert short_answer_for(question, Kind.PLACE, sentence, sentence, "in the air, at sea") == "in the air, at sea"
    assert not fits_kind("on Monday", Kind.PLACE, question)
    assert not fits_kind("in 2019", Kind.PLACE, question)
    assert not fits_kind("the forces", Kind.PLACE, question)


@pytest.mark.parametrize("opener", ["It's", "There's", "Here’s", "That's"])
def test_a_word_capitalised_only_because_it_opens_the_sentence_is_not_a_name(opener):
    question = "Who is Lea Michele replacing in the musical?"
    sentence = f"{opener} official: Lea Michele is replacing star Beanie Feldstein on Broadway."
    assert not fits_kind(opener, Kind.PERSON, question)
    assert not fits_kind(opener, Kind.PLACE, "Where is the musical?")
    assert short_answer_for(question, Kind.PERSON, sentence, sentence, proposed=opener) == "Beanie Feldstein"


@pytest.mark.parametrize(
    ("phrase", "fits"),
    [
        ("chicken nuggets", True),
        ("Leave It to Beaver", True),  # a title may hold a preposition
        ("which follows the dysfunctional Roy family", False),
        ("the agency announced in a statement", False),
        ("in select U.S. markets", False),
        ("the only specimen of its kind available for private ownership", False),
        ("Tuesday", False),
        ("Sept", False),  # a month, shortened
        ("Sept.", False),
        ("May Day parade", True),  # "May" here is a name, not a verb
    ],
)
def test_which_thing_takes_a_thing_not_a_clause_about_it(phrase, fits):
    assert fits_kind(phrase, Kind.THING, "Which feature did the company bring back?") is fits


def test_which_thing_finds_a_quoted_title_when_the_models_phrase_is_a_clause():
    question = "Which show received the most nominations?"
    sentence = "“Succession”, which follows the Roy family, leads the race with 25 nominations."
    proposed = "which follows the Roy family"
    assert short_answer_for(question, Kind.THING, sentence, sentence, proposed) == "Succession"


def test_which_thing_falls_back_on_a_name_when_no_clause_is_a_thing():
    sentence = "Trump said in a Fox News appearance that European nations would carry the burden."
    question = "On which TV channel did Trump say that European nations would carry the burden?"
    assert short_answer_for(question, Kind.THING, sentence, sentence, None) == "Fox News"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which British singer was on the island when the quake hit?", Kind.PERSON),
        ("He fled as a boy. From which country was he taken to the UK when he was nine?", Kind.PLACE),
        ("Which company opened an office where the old port was?", Kind.PERSON),
        ("When did the storm hit the town where she lives?", Kind.DATE),
        ("The mayor spoke on Monday. Where did she speak when the bridge opened?", Kind.PLACE),
    ],
)
def test_a_when_or_where_that_opens_a_clause_does_not_decide_the_kind(question, kind):
    assert question_kind(question) is kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # A place noun that describes another noun asks for that noun; one that ends its noun phrase asks for a place.
        ("Which city council member proposed the ban?", Kind.PERSON),
        ("Which district attorney filed the charges?", Kind.PERSON),
        ("Which city hosted the final?", Kind.PLACE),
        # People nouns beyond officials and stars.
        ("Which former first lady opened the library?", Kind.PERSON),
        ("Which hospital director spoke to reporters?", Kind.PERSON),
        ("To whom did the mayor send the letter?", Kind.PERSON),
        # A plural noun asked for is a list; "list" as a noun is not a request for one.
        ("Which actors were cast in the sequel?", Kind.LIST),
        ("What toppings are sold out?", Kind.LIST),
        ("Which greenhouse gas does rotting food give off?", Kind.THING),
        ("Which rule put the singer on the banned list?", Kind.THING),
        ("List the teams that qualified.", Kind.LIST),
        # Amounts and odds are numbers; reasons asked by their noun are reasons.
        ("What was the cap on refunds before the change?", Kind.NUMBER),
        ("What are the odds of a strong quake in the next decade?", Kind.NUMBER),
        ("What reasons did the court give for the delay?", Kind.REASON),
        ("What can happen when a dam overflows?", Kind.CONSEQUENCE),
        ("What does the ruling mean for the tenants?", Kind.CONSEQUENCE),
        # "Which of X's ..." asks for the thing, not its owner.
        ("Which of the mayor's projects was cancelled?", Kind.THING),
        # A "who" that opens a relative clause does not ask; the first question word does.
        ("What happens to tenants who miss a payment?", Kind.CONSEQUENCE),
        ("What do critics say the rule on who can vote is meant to stop?", Kind.OTHER),
        ("What was the name of the boy who found the fossil?", Kind.PERSON),
        # People named by the ending of their noun, when it ends its noun phrase.
        ("Which seismologist warned of aftershocks?", Kind.PERSON),
        ("Which pediatrician treated the twins?", Kind.PERSON),
        ("Which photographer took the picture?", Kind.PERSON),
        ("Which tourist attraction reopened in May?", Kind.THING),
        ("Which playlist topped the chart?", Kind.THING),
        ("Which children's book won the prize?", Kind.THING),
    ],
)
def test_question_kind_reads_the_noun_that_is_asked_for(question, kind):
    assert question_kind(question) is kind


def test_a_place_that_only_starts_a_longer_name_does_not_say_where():
    sentence = "Other winners: Masterton Trophy (perseverance, Ottawa Senators' Bobby Ryan)."
    assert only_inside_a_longer_name("Ottawa", sentence)
    assert only_inside_a_longer_name("UK", "as the UK-hosted climate summit gets under way")
    assert not only_inside_a_longer_name("Pelham", "the worst flooding happened in Pelham, outside Birmingham")
    # Nor does another name of the sentence ("Bobby Ryan", "Masterton Trophy") when the model's place was such a word.
    assert short_answer_for("Where was the awards show held?", Kind.PLACE, sentence, sentence, proposed="Ottawa") is None
    held = "The awards show was held in Toronto on Monday."
    assert short_answer_for("Where was the awards show held?", Kind.PLACE, held, held, proposed="Toronto") == "Toronto"


def test_who_is_a_named_person_is_answered_by_the_description_beside_the_name():
    sentence = "“It’s too early,” Selim Genra, a former Turkish ambassador to the EU, observed in Politico."
    question = "Who is Selim Genra?"
    assert described(question, sentence) == "a former Turkish ambassador to the EU"
    assert described("Who is Caroline Levit?", "Caroline Levit is the White House spokeswoman.") == "the White House spokeswoman"
    assert described("Who is the spokeswoman?", "Caroline Levit is the White House spokeswoman.") is None
    # The model's "Turkish" is a people's adjective, not who he is; the description is.
    assert short_answer_for(question, Kind.PERSON, sentence, sentence, proposed="Turkish") == "a former Turkish ambassador to the EU"
    assert not fits_kind("a former ambassador who said it was too early", Kind.PERSON, question)


@pytest.mark.parametrize(
    "question, counted",
    [
        ("How many fires broke out in London on the hottest day?", "fires"),
        ("How many people currently sit on the academy's board?", "people"),
        ("How many grammar schools still exist in England?", "schools"),
        ("The band split after how many years together?", "years"),
        ("How many Americans live abroad?", "Americans"),
        ("How many Kellogg's workers are on strike?", "workers"),  # a possessive is no plural
        ("How many Buffalo Wild Wings locations ran out of wings?", "locations"),  # a plural name goes on
        ("How many news outlets ran the story?", "outlets"),
        ("How many Texas oil wells were shut?", "wells"),  # "Texas" is a name, not a plural
        ("How many bus drivers went on strike?", "drivers"),
    ],
)
def test_the_counted_noun_ends_where_the_verb_or_an_adverb_begins(question, counted):
    assert counted_thing(question)[0] == counted


def test_a_number_about_the_counted_noun_counts_once_the_verb_is_not_read_as_the_noun():
    question = "How many fires broke out in London on the hottest day?"
    assert counts_what_is_asked(question, "The London Fire Brigade fought 1,146 fires that day.")
    assert not counts_what_is_asked(question, "Temperatures reached 40 degrees that day.")


@pytest.mark.parametrize(
    "question, sentence, proposed, short",
    [
        ("How many people did the outbreak kill?", "The outbreak killed at least 33 people.", "33", "at least 33"),
        ("How many members of his government resigned?", "Nearly 60 members of his government resigned.", "60", "nearly 60"),
        ("How much will the plan cost?", "The plan will cost more than $6 billion.", "$6 billion", "more than $6 billion"),
        ("How many people could lose power?", "Up to 1.4 million people could lose power.", "1.4 million", "up to 1.4 million"),
        ("How many people did the outbreak kill?", "The outbreak killed 33 people.", "33", "33"),  # no bound: as it is
        ("How long did the talks last?", "The talks went on over 10 years.", "10 years", "10 years"),  # "over" a span says when
        ("How many people died?", "About 15 were hurt and 5 people died.", "5", "5"),  # "about" bounds the 15, not the 5
    ],
)
def test_a_number_keeps_the_word_that_bounds_it(question, sentence, proposed, short):
    assert short_answer_for(question, Kind.NUMBER, sentence, sentence, proposed) == short


def test_a_verb_with_to_after_it_is_what_happened_unless_it_hands_on_to_another_verb():
    assert counted_thing("Exactly how many countries contributed to building the telescope?") == ("countries", "contributed")
    assert counted_thing("How many people were scheduled to fly?") == ("people", "")


def test_a_compound_counted_noun_is_counted_by_its_head():
    fires = "As of Tuesday there had been 420 fires in England and Wales since the start of the year."
    assert counts_what_is_asked("How many wildfires have there been in England since January?", fires)
    assert counts_what_is_asked("How many fires did crews fight this year?", "Crews fought 420 wildfires this year.")
    assert not counts_what_is_asked("How many wildfires have there been?", "There were 420 floods this year.")
    assert not counts_what_is_asked("How many players were injured?", "Crews laid 40 layers of asphalt.")


@pytest.mark.parametrize(
    "sentence, body",
    [
        ("(CNN) Rafael Nadal has withdrawn from Wimbledon.", "Rafael Nadal has withdrawn from Wimbledon."),
        ("London (CNN Business) — Shares fell.", "Shares fell."),
        ("KYIV, Ukraine (AP) — Russian forces shelled the city.", "Russian forces shelled the city."),
        ("WASHINGTON – The monarch butterfly moved closer to extinction.", "The monarch butterfly moved closer to extinction."),
        ("New York CNN — “Squid Game” is officially coming back.", "“Squid Game” is officially coming back."),
        ("UK Health Security Agency said polio was found.", "UK Health Security Agency said polio was found."),
        ("US President Joe Biden said (in a tweet) that it was over.", "US President Joe Biden said (in a tweet) that it was over."),
    ],
)
def test_a_dateline_is_not_part_of_the_sentence_that_answers(sentence, body):
    assert without_dateline(sentence) == body


def test_the_outlet_of_a_dateline_is_no_answer_to_who():
    question = "Rafael Nadal withdrew from Wimbledon, paving the way for who to advance to the final?"
    sentence = "(CNN) Rafael Nadal has withdrawn from Wimbledon due to an abdominal injury."
    assert short_answer_for(question, question_kind(question), sentence, sentence, "CNN") is None
    assert short_answer_for(question, question_kind(question), sentence, sentence) is None
    named = "(CNN) Nick Kyrgios advances to the final after Rafael Nadal withdrew from Wimbledon."
    assert short_answer_for(question, question_kind(question), named, named, "Nick Kyrgios") == "Nick Kyrgios"


def test_deaths_are_counted_by_killed_and_a_cause_says_nothing_of_what_happened():
    assert counted_thing("How many deaths were tied to the outbreak?") == ("deaths", "")
    assert counts_what_is_asked("How many deaths were tied to the outbreak?", "The outbreak killed 21 people.")
    assert counts_what_is_asked("How many injuries were linked to the crash?", "Nine people were wounded.")
    assert not counts_what_is_asked("How many deaths were tied to the outbreak?", "The outbreak sickened 140 people.")


@pytest.mark.parametrize(
    ("question", "phrase", "kind", "fits"),
    [
        ("How long is the review expected to take?", "about a year", Kind.NUMBER, True),  # "a" is its number
        ("How long did the repairs take?", "an hour", Kind.NUMBER, True),
        ("How many birds did the survey count?", "40%", Kind.NUMBER, False),  # a share counts nothing
        ("What percentage of birds were counted?", "40%", Kind.NUMBER, True),
        ("When does the new rule take effect?", "20 days", Kind.DATE, False),  # how long, not when
        ("When does the new rule take effect?", "in 20 days", Kind.DATE, True),
        ("When did the ferry sink?", "two weeks ago", Kind.DATE, True),
        ("Which bird is most at risk?", "2 million", Kind.THING, False),  # how many, not which
        ("Which species is most at risk?", "up to 1M species", Kind.THING, False),
        ("Which species is most at risk?", "the 17-year cicada", Kind.THING, True),
        ("Which article of the treaty holds the pact?", "Article 5", Kind.THING, True),  # a name with a number
        ("Which plane did the airline order?", "Boeing 737", Kind.THING, True),
        ("What yearly funding target was set?", "$100bn", Kind.THING, True),  # "what" may ask for a value
    ],
)
def test_a_number_a_share_and_a_duration_answer_only_what_they_measure(question, phrase, kind, fits):
    assert question_kind(question) is kind
    assert fits_kind(phrase, kind, question) is fits


@pytest.mark.parametrize("word", ["Previously", "Finally", "Similarly", "Saturday's"])
def test_an_opening_adverb_or_a_weekday_is_not_a_name(word):
    sentence = f"{word} the council let anyone deliver a ballot for a voter."
    assert not fits_kind(word, Kind.PERSON, "Who may deliver a ballot for a voter?")
    assert not fits_kind(word, Kind.PLACE, "In which stadium was the game played?")
    assert short_answer_for("Who may deliver a ballot for a voter?", Kind.PERSON, sentence, sentence, word) is None


@pytest.mark.parametrize("name", ["Kelly", "Italy", "Emily"])
def test_a_name_that_ends_like_an_adverb_is_still_a_name(name):
    assert fits_kind(name, Kind.PERSON if name != "Italy" else Kind.PLACE, "Who won?" if name != "Italy" else "Where was it?")


def test_who_said_it_is_answered_by_the_person_a_she_said_stands_for():
    before = "Geologist Mara Quint also told residents to keep off the beaches, adding that the water moves fast."
    sentence = "“A tsunami is not one wave,” she said on the radio."
    assert pronoun_speaker("Which geologist said a tsunami is not one wave?", sentence, [before]) == "Mara Quint"
    # The nearest sentence that names a person: past another "she said".
    between = "But she said the harbour would be safe by noon."
    assert pronoun_speaker("Which geologist said a tsunami is not one wave?", sentence, [between, before]) == "Mara Quint"
    # The speaker is named, or the question does not ask who spoke: nothing to resolve.
    assert pronoun_speaker("Who said a tsunami is not one wave?", "Mayor Ann Berg said it is not one wave.", [before]) is None
    assert pronoun_speaker("Which radio station broadcast the warning?", sentence, [before]) is None
    # Sentences before that name no person (one word, or an institution) resolve nothing.
    assert pronoun_speaker("Who said it?", sentence, ["The Fire Department closed the pier.", between]) is None


def test_how_many_is_not_answered_by_the_number_of_a_share():
    sentence = "They found that about 50% of the species had local extinctions."
    assert short_answer_for("How many species did the study cover?", Kind.NUMBER, sentence, sentence, "50") is None
    counted = "The study covered 538 species, and about 50% of them had local extinctions."
    assert short_answer_for("How many species did the study cover?", Kind.NUMBER, counted, counted, "538") == "538"
    assert short_answer_for("What percentage of the species died out locally?", Kind.NUMBER, sentence, sentence, "50%") == "about 50%"


def test_which_thing_does_not_fall_back_on_the_capital_that_opens_the_sentence():
    sentence = "Dangerous flooding closed the coastal road on Friday."
    assert short_answer_for("Which road did the flooding close?", Kind.THING, sentence, sentence, None) is None
    # A name further in still answers (as in test_which_thing_falls_back_on_a_name_when_no_clause_is_a_thing).
    named = "Officials said flooding in a Fox News report."
    assert short_answer_for("On which TV channel did officials describe the flooding?", Kind.THING, named, named, None) == "Fox News"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the name of the senior Polish official who spoke anonymously?", Kind.PERSON),
        ("What was the name of H.J. Heinz's wife?", Kind.PERSON),
        ("What were the names of the two Russian intelligence officers charged?", Kind.PERSON),
        ("What is the name of the ship that sank off the coast?", Kind.THING),
        ("What was the name of the hurricane?", Kind.THING),
    ],
)
def test_the_name_of_someone_asks_for_a_person_and_the_name_of_something_for_a_name(question, kind):
    assert question_kind(question) is kind


def test_an_organisation_asked_for_is_not_answered_by_a_country_nor_by_a_person_in_office():
    question = "Which political party does the prime minister lead?"
    assert not fits_kind("UK", Kind.PERSON, question)
    assert not fits_kind("UK Prime Minister Kirm", Kind.PERSON, question)
    assert fits_kind("the Labour Party", Kind.PERSON, question)
    # A team, or anyone asked by "who", may be a country's.
    assert fits_kind("France", Kind.PERSON, "Which team won the final?")
    assert fits_kind("Russia", Kind.PERSON, "Who invaded Ukraine?")


def test_people_asked_for_are_not_answered_by_a_list_of_countries():
    question = "What is the name of the senior official who spoke anonymously?"
    assert not fits_kind("Russia and Belarus", Kind.PERSON, question)
    assert fits_kind("Anna Nowak and Piotr Lis", Kind.PERSON, question)


QUOTE = "“Given how weak the two governments are, it is hard to see how this plan will work,” said one EU diplomat."


def test_who_thought_what_a_quote_says_is_answered_by_its_speaker():
    assert quoted_speaker("Who doubted the plan would work given how weak the governments are?", QUOTE) == "one EU diplomat"
    before = "“It is too early to talk about troops,” Anna Nowak, a former ambassador to Turkey, observed on Monday."
    assert quoted_speaker("Who said it was too early to talk about troops?", before) == "Anna Nowak"


@pytest.mark.parametrize("verb", ["said", "cautioned", "replied", "argued", "insisted", "admitted", "concluded"])
def test_every_speech_verb_names_the_speaker_of_a_quote_and_of_a_she_said(verb):
    quote = f"“It is too early to talk about troops,” {verb} Anna Nowak."
    assert quoted_speaker("Who thinks it is too early to talk about troops?", quote) == "Anna Nowak"
    before = "Geologist Mara Quint also told residents to keep off the beaches."
    sentence = f"“A tsunami is not one wave,” she {verb} on the radio."
    assert pronoun_speaker(f"Which geologist {verb} a tsunami is not one wave?", sentence, [before]) == "Mara Quint"


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        # The question names the speaker: it asks about the quote.
        ("What did the EU diplomat say about the plan?", QUOTE),
        # The question's words are outside the quote.
        ("Who said one EU diplomat spoke?", "“No comment,” said one EU diplomat."),
        # The quote speaks of "he": the person meant, not the speaker (quoted_referent).
        ("Who ruled out troops?", "“He has ruled out troops,” said spokeswoman Ann Berg."),
        # No quote at all.
        ("Who doubted the plan would work?", "One EU diplomat doubted the plan would work."),
    ],
)
def test_a_quote_gives_no_speaker_when_the_question_is_not_about_it(question, sentence):
    assert quoted_speaker(question, sentence) is None


@pytest.mark.parametrize(
    ("question", "sentence", "span"),
    [
        ("What kind of promises hurt the town?", "The town was hurt by promises not backed by money from the state.", "promises not backed by money"),
        ("What kind of force will Europe send?", "Europe would send a reassurance force after a ceasefire.", "reassurance force"),
        ("What type of weapons did they use?", "They used weapons from Iran, officials said.", "weapons from Iran"),
        ("What kind of force will Europe send?", "Europe would send a force.", None),  # not qualified: no answer
        ("Which force will Europe send?", "Europe would send a reassurance force.", None),  # not a "what kind of" question
    ],
)
def test_what_kind_of_is_answered_by_the_noun_as_the_sentence_qualifies_it(question, sentence, span):
    assert kind_of_span(question, sentence) == span
    if span:
        assert short_answer_for(question, Kind.THING, sentence, sentence, None) == span


def test_a_short_answer_does_not_run_from_one_sentence_into_the_next():
    joined = "“It is too early,” Anna Nowak observed in Politico. And Ankara warned it will demand something in return."
    question = "What does Nowak expect the EU would do if Turkey asked for something?"
    short = short_answer_for(question, Kind.CONSEQUENCE, joined, joined, "observed in Politico. And Ankara warned")
    assert short is not None and "Politico" not in short  # another clause of the sentence, not the model's phrase
    # A title or an abbreviation with its stop is no sentence end.
    sentence = "The deal was signed by U.S. President Joe Biden and Dr. Lee in Geneva."
    assert short_answer_for("Who signed the deal in Geneva?", Kind.PERSON, sentence, sentence, "U.S. President Joe Biden") == "U.S. President Joe Biden"


@pytest.mark.parametrize(
    ("phrase", "crosses"),
    [
        ("observed in Politico. And Ankara warned", True),
        ("the officials said no. Then the talks", True),  # a lower-case "no." is a word, not "No. 1"
        ("rose in 2019. 2020 was", True),
        ("at 7 p.m. Tuesday", False),
        ("St. Louis Cardinals", False),
        ("in the U.S. The talks", True),  # an abbreviation ends a sentence before a sentence's first word
        ("Roe v. Wade", False),
        ("the No. 1 seed", False),
    ],
)
def test_a_phrase_crosses_a_sentence_where_the_splitter_would_cut_it(phrase, crosses):
    sentence = f"Officials spoke of it: {phrase} here."
    kept = short_answer_for("What did officials speak of?", Kind.OTHER, sentence, sentence, phrase)
    assert (kept != phrase) is crosses


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("According to the city's engineer, would the bridge stay open in winter?", Kind.YES_NO),
        ("In 2019, did the ferry company report a loss?", Kind.YES_NO),
        ("After the vote, is the budget law?", Kind.YES_NO),
        ("Who, according to the engineer, would close the bridge?", Kind.PERSON),  # a question word leads
        ("According to the engineer, would the bridge open in May or in June?", Kind.OTHER),  # a choice
        ("Should the bridge close, who would pay for the ferry?", Kind.PERSON),  # a condition opens it
        ("Had the engineer known, would she have closed the bridge?", Kind.YES_NO),
    ],
)
def test_a_yes_no_question_may_open_with_a_phrase_before_its_verb(question, kind):
    assert question_kind(question) is kind


@pytest.mark.parametrize(
    ("phrase", "fits"),
    [
        ("in the coming days", True),
        ("over the next few weeks", True),
        ("earlier that day", True),
        ("the day after the vote", True),
        ("overnight", True),
        ("the coming storm", False),
        ("after a long debate", False),
    ],
)
def test_a_time_said_relative_to_the_story_answers_when(phrase, fits):
    assert fits_kind(phrase, Kind.DATE, "When will the engineers meet?") is fits


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("The engineers will meet in the coming days to inspect the bridge, the agency said.", "the coming days"),
        ("The engineers met later that evening to inspect the bridge.", "later that evening"),
        ("The engineers met the day after the vote.", "the day after"),
        ("The engineers met earlier this week.", "earlier this week"),
    ],
)
def test_patterns_find_a_time_said_relative_to_the_story(sentence, span):
    assert rule_span("When did the engineers meet?", sentence, Kind.DATE) == span


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("Which actor was the singer pushed onto at the awards?", "actor"),
        ("At which Dallas hospital was the patient treated?", "hospital"),
        ("Which airline cancelled the most flights?", "airline"),
        ("What kind of force would it be?", None),  # the kind, not a thing
        ("What did the minister say?", None),
        ("Which of them won?", None),
        ("Which Tory MP resigned from the cabinet?", "mp"),  # a noun in capitals, after a name that qualifies it
        ("Which German MP complained that the army lacks staff?", "mp"),  # not the verb after it
        ("Which Microsoft CEO wants to remake the company?", "ceo"),
        ("Which US state flooded?", "state"),  # capitals that qualify the noun after them
    ],
)
def test_the_noun_a_which_question_asks_for(question, noun):
    assert asked_noun(question) == noun


ACTOR_Q = "Which actor was the singer accused of pushing her towards?"
ACTOR_S = 'She says Rivers pushed her "towards an actor," who then refused to let her go, the lawsuit says.'


def test_a_name_beside_an_unnamed_a_noun_does_not_answer_which_noun():
    assert left_unnamed("Rivers", ACTOR_S, ACTOR_Q)
    assert short_answer_for(ACTOR_Q, question_kind(ACTOR_Q), ACTOR_S, ACTOR_S, "Rivers") is None


def test_a_word_that_only_qualifies_an_unnamed_a_noun_does_not_answer_which_noun():
    question = "Which film topped the box office this weekend?"
    assert left_unnamed("Pixar", "Fans who see a Pixar film on its first weekend rarely return.", question)


@pytest.mark.parametrize(
    "sentence",
    [
        "Rivers, an actor from Leeds, was at the party.",  # apposed
        "She was pushed towards an actor named Rivers.",  # named after the mention
        "Rivers is an actor who was at the party.",  # the mention describes the phrase
        "She was pushed towards an actor, and Rivers watched.",  # said after the mention
    ],
)
def test_a_name_apposed_to_or_described_by_the_a_noun_still_answers(sentence):
    assert not left_unnamed("Rivers", sentence, ACTOR_Q)


def test_a_phrase_counts_as_said_beside_a_mention_only_as_whole_words():
    question = "Which analyst warned of a recession?"
    assert not left_unnamed("Ana", "Anatoly told an analyst of a recession.", question)  # "Ana" is not said before
    assert left_unnamed("Ana", "Ana told an analyst at the Anatolian bank of a recession.", question)  # nor after


def test_an_a_noun_that_qualifies_another_noun_is_no_unnamed_mention():
    question = "Which state has the highest petrol price?"
    assert not left_unnamed("Nevada", "The priciest state is Nevada, with a state average of $6.10.", question)
    assert not left_unnamed("Nevada", "Nevada tops a state ranking of petrol prices.", question)
