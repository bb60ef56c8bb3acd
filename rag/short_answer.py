"""The direct answer: the short phrase that answers a question, grounded in the cited sentence.

A short answer is at most `MAX_WORDS` words, every content word of it occurs in the supporting
text (the cited sentence, or the sentences just before it that a pronoun leans on), it adds at
least one word the question does not hold, and it is of the kind the question asks for (a person
or organisation, a place, a date, a number, yes or no). `question_kind` reads the kind asked;
`grounded` and `fits_kind` check a phrase that a model proposed; `rule_span` finds one without a
model (the extractive back end, and the fallback when a model's phrase does not pass).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum

from index.lexical import STOPWORDS
from rag.places import is_demonym, names_a_region, names_place, noun_ends_here, place_asked, places_in, smaller_place_asked, too_big_for
from rag.sentences import SPEECH_VERB, SPEECH_VERBS, content_words, letter_runs, split_sentences

MAX_WORDS = 10


class Kind(str, Enum):
    """What a question asks for."""

    PERSON = "person"  # who / which organisation, company, team ...
    PLACE = "place"
    DATE = "date"
    NUMBER = "number"
    YES_NO = "yes_no"
    REASON = "reason"  # why
    CONSEQUENCE = "consequence"  # what would happen if ...
    LIST = "list"  # which three ..., what are the ...
    EVENT = "event"  # what happened
    THING = "thing"  # which / what <noun>: a thing named, or a short noun phrase
    OTHER = "other"

    @property
    def typed(self) -> bool:
        """Kinds whose answer is a name, place, date, number or yes/no, which a phrase must be."""
        return self in (Kind.PERSON, Kind.PLACE, Kind.DATE, Kind.NUMBER, Kind.YES_NO)

    @property
    def wants_more(self) -> bool:
        """Kinds whose answer may need two or three sentences."""
        return self in (Kind.REASON, Kind.CONSEQUENCE, Kind.LIST, Kind.EVENT)


_AUXILIARY = r"(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must|shall)"
_QUESTION_WORD = r"(?:who|whom|whose|what|which|when|where|why|how)"
# "Should a deal be reached, what would ...?": the question word of the main clause asks, not the verb
# that opens the condition.
_WH_AFTER_A_CLAUSE = re.compile(rf",\s*{_QUESTION_WORD}\b", re.IGNORECASE)
# "Did ...?", and "According to the official, would ...?": a phrase with no question word may lead.
_YES_NO = re.compile(
    rf"^(?:(?:(?!\b{_QUESTION_WORD}\b)[^,?]){{3,80}},\s*)?(and |so |but )?{_AUXILIARY}\b", re.IGNORECASE
)
# Up to two words between "which"/"what" and the noun that says what is asked ("which European country",
# "what was the magnitude"), never an auxiliary or a preposition ("what did the company say" asks no name).
_MODIFIERS = (
    r"(?:(?:is|are|was|were) the )?(?:(?!(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|"
    r"the|a|an|of|in|to|for|on|at|by|with|from)\b)[\w-]+ ){0,2}"
)
_NUMBER_Q = re.compile(
    r"\bhow (many|much|long|old|big|large|far|high|tall|often|deep|wide|fast|heavy|hot|cold|strong)\b|\bnumber of\b|"
    rf"\b(what|which) {_MODIFIERS}(percentage|percent|share|proportion|number|amount|sum|price|age|rate|figure|total|"
    r"temperature|distance|depth|height|speed|weight|magnitude|cost|salary|score|size|population|death toll|cap|limit|fine|"
    r"fee|budget|odds|chances?|probability|likelihood|rating|maximum|minimum|payment|payout|compensation)\b|\bby how\b",
    re.IGNORECASE,
)
_DATE_Q = re.compile(
    r"\bwhen\b|\b(what|which) (exact )?(year|date|day|month|time|week|decade|century)\b|\bsince when\b|\bhow soon\b",
    re.IGNORECASE,
)
_PLACE_Q = re.compile(
    rf"\bwhere\b|\b(what|which) {_MODIFIERS}(country|countries|city|cities|state|states|region|town|place|nation|continent|"
    r"province|capital|island|county|area|venue|stadium)\b|\bfrom where\b",
    re.IGNORECASE,
)
# Nouns only people are: "which county health commissioner", "which first lady".
_PEOPLE_NOUNS = (
    r"person|people|leaders?|officials?|mps?|meps?|ministers?|presidents?|politicians?|senators?|governors?|lawmakers?|ceos?|"
    r"spokes\w*|actors?|actress(?:es)?|singers?|authors?|judges?|athletes?|players?|candidates?|musicians?|artists?|"
    r"designers?|commissioners?|directors?|secretar(?:y|ies)|chair\w*|mayors?|founders?|owners?|coach(?:es)?|managers?|"
    r"executives?|researchers?|scientists?|experts?|doctors?|physicians?|lawyers?|attorneys?|prosecutors?|"
    r"journalists?|reporters?|writers?|producers?|rappers?|passengers?|victims?|suspects?|lady|ladies|wom[ae]n|"
    r"members?|husband|wife|sons?|daughters?|mother|father|brothers?|sisters?|girls?|boys?|m[ae]n(?!-)|"
    r"child(?:ren)?(?![’'])|"  # "which children's show" asks for a show
    r"bab(?:y|ies)|teen(?:ager)?s?|students?|patients?|soldiers?|survivors?|protesters?|employees?|workers?|officers?|"
    r"sheriffs?|ambassadors?|diplomats?|envoys?|generals?|commanders?|captains?|pilots?|nurses?|teachers?|professors?|"
    r"detectives?|investigators?|firefighters?|astronauts?|comedians?|billionaires?|entrepreneurs?|investors?|"
    r"heirs?|kings?|queens?|princes?|princess(?:es)?|residents?|citizens?|voters?|whistleblowers?|hostages?"
)
_PERSON_Q = re.compile(
    rf"\bwho(m|se)?\b|\b(what|which) {_MODIFIERS}({_PEOPLE_NOUNS}|company|companies|firm|organi[sz]ation|group|team|"
    r"party|agency|court|chief|club|airline|bank|network|newspaper|brand|manufacturer|carmaker|university|school|"
    r"band|body|institution|department|union|ally|allies)\b",
    re.IGNORECASE,
)
# Questions that ask for people by a noun that only people are (a team or a company may be a country's name).
_PEOPLE_Q = re.compile(
    rf"\b(?:(?:what|which) {_MODIFIERS}|names? of (?:the|a|an|this|that|these|those|his|her|their|its|(?:[\w.-]+ ){{0,2}}[\w.-]+['’]s?) (?:[\w-]+ ){{0,3}})({_PEOPLE_NOUNS})\b",
    re.IGNORECASE,
)
# People named by their noun's ending ("which seismologist", "which physician", "which photographer"),
# when the noun ends its noun phrase: "which tourist attraction" asks for a place.
_PEOPLE_BY_ENDING_Q = re.compile(rf"\b(?:what|which) {_MODIFIERS}(?!\w*list\b)\w{{3,}}(?:ists?|icians?|ographers?)\b", re.IGNORECASE)


# Organisations no country is: "which political party", "what company" (a team or an ally may be a country).
_ORGANISATION_Q = re.compile(
    rf"\b(?:what|which) {_MODIFIERS}(compan(?:y|ies)|firms?|organi[sz]ations?|part(?:y|ies)|agenc(?:y|ies)|clubs?|"
    r"airlines?|banks?|networks?|newspapers?|brands?|manufacturers?|carmakers?|universit(?:y|ies)|schools?|bands?|"
    r"institutions?|departments?|unions?|courts?)\b",
    re.IGNORECASE,
)


def _only_places(phrase: str) -> bool:
    """Is `phrase` a country, state or continent, or a list of them ("Russia and Belarus")?"""
    items = _list_items(phrase)
    return bool(items) and all(names_a_region(item) for item in items)


# Roles only a person holds: a party or a company is not answered by "UK Prime Minister Kirm".
_PERSON_ROLES = (
    r"president|minister|chancellor|premier|king|queen|prince|princess|pope|spokes\w*|secretary|governor|mayor|"
    r"senator|judge|ceo"
)
_PERSON_ROLE = re.compile(rf"\b(?:{_PERSON_ROLES})\b", re.IGNORECASE)


def asks_for_an_organisation(question: str) -> bool:
    """Does `question` ask for an organisation by a noun no country is ("which political party")?"""
    return any(noun_ends_here(question[m.end() :]) for m in _ORGANISATION_Q.finditer(question))


def asks_for_people(question: str) -> bool:
    """Does `question` ask for people by a noun only people are ("which world leader", "the name of the
    passenger", "which seismologist")?"""
    return bool(_PEOPLE_Q.search(question)) or any(
        noun_ends_here(question[m.end() :]) for m in _PEOPLE_BY_ENDING_Q.finditer(question)
    )


_REASON_Q = re.compile(
    r"\bwhy\b|\b(what|which) ((is|was|were|are) the )?(main )?reasons?\b|\bfor what reason\b|\bhow come\b", re.IGNORECASE
)
_CONSEQUENCE_Q = re.compile(
    r"\bwhat (would|will|could|might|may|can) (happen|follow|result)\b|\bwhat happens\b|\bwhat (does|do|did) .{0,60}\bmean for\b|"
    r"\bwhat if\b|\bconsequences?\b|\b(lead|leads) to\b|"
    r"\bwhat (would|will|could|might) .{0,60}\b(mean|cause|do)\b|\bif\b.*\?$",
    re.IGNORECASE,
)
_LIST_Q = re.compile(
    r"\b(which|what|name|list) (two|three|four|five|several)\b|\bwhat are the\b|\bwhich (countries|nations|people|"
    r"companies|leaders|states|groups|cities)\b|^(?:please )?(?:name|list)\b",
    re.IGNORECASE,
)
# A plural noun asked for, then the question's verb: "which actresses were named", "what side effects can it cause".
_PLURAL_ASKED = re.compile(
    rf"\b(?:which|what) {_MODIFIERS}"
    r"(?!(?:was|has|does|is|this|its|his|news|series|species|means|gas|bias|atlas|canvas|alias)\b)"
    r"(?:[a-z][\w-]*[a-rtvwxyz]s|wom[ae]n|men|people|children) "
    r"(?:are|were|have|had|do|did|can|could|will|would|should|may|might|must|[a-z]+ed)\b",
    re.IGNORECASE,
)
# "Which of Weinstein's charities" asks which charity: the owner is not what is asked.
_WHICH_OF_OWNER = re.compile(r"\b(which|what) of (?:(?:[\w.-]+\s+){0,3}[\w.-]+['’]s?|his|her|their|its) ", re.IGNORECASE)
_EVENT_Q = re.compile(r"\bwhat (happened|has happened|took place|went wrong)\b", re.IGNORECASE)
# "Which feature", "what disease": a noun after which/what, not an auxiliary, a determiner or a preposition.
_THING_Q = re.compile(
    rf"\b(which|what) (?!(?:{_AUXILIARY}|be|"
    r"happened|happens|happen|this|that|these|those|the|a|an|it|he|she|they|we|you|i|his|her|its|their|our|my|your|"
    r"in|on|at|for|to|of|about|from|by|with|if|as|so|and|or|but|else)\b)[a-z][\w-]*",
    re.IGNORECASE,
)

# "What is the name of the ship?" asks for a name, as "which ship?" does.
_NAME_OF_Q = re.compile(r"\bwhat (?:is|was|are|were) the names? of\b", re.IGNORECASE)
# "At what point would the force be deployed?" asks when or on what condition, not for a thing's name.
_CIRCUMSTANCE_Q = re.compile(r"\b(?:at|in|under) (?:what|which) (?:point|stage|moment|juncture)\b", re.IGNORECASE)

# The same question words in the other languages the index serves (French, Spanish, German,
# Italian, Portuguese): a question in any of them asks for the same kinds of answer.
_OTHER_LANGUAGES = (
    (re.compile(r"\b(combien|cu[aá]nt[oa]s?|wie (viel|viele|lange)|quant[oia]s?)\b", re.IGNORECASE), "NUMBER"),
    (re.compile(r"\b(quand|cu[aá]ndo|wann|quando)\b", re.IGNORECASE), "DATE"),
    (re.compile(r"(^|\s)(o[uù]|d[oó]nde|wo|dove|onde)\b", re.IGNORECASE), "PLACE"),
    (re.compile(r"\b(qui|qui[eé]n(es)?|wer|chi|quem)\b", re.IGNORECASE), "PERSON"),
)


_LEADING_WH = re.compile(
    r"^(?:and |so |but )?(?:(?:to|for|by|with|from|of) )?(who|whom|whose|when|where)\b", re.IGNORECASE
)  # "To whom did ..." asks for a person
_LEADING_KIND = {"who": Kind.PERSON, "whom": Kind.PERSON, "whose": Kind.PERSON, "when": Kind.DATE, "where": Kind.PLACE}


_WH_WORD = re.compile(rf"\b({_QUESTION_WORD})\b", re.IGNORECASE)
_CLAUSE_WH = re.compile(r"\b(when|where|who|whom|whose)\b", re.IGNORECASE)


def _without_clause_wh(question: str) -> str:
    """`question` without a "when", "where" or "who" that opens a clause rather than asks ("which singer was
    on Lombok when the quake hit?" asks for a person, "what happens to members who no longer qualify?" for
    what happens): only the first question word of the question's last sentence asks."""
    sentences = split_sentences(question)  # "Who did the U.S. President call ...?" is one sentence
    if not sentences:
        return question
    first = _WH_WORD.search(sentences[-1].text)
    if first is None:
        return question
    offset = sentences[-1].start + first.start()
    return _CLAUSE_WH.sub(lambda m: m.group(0) if m.start() == offset else "", question)


def question_kind(question: str) -> Kind:
    """The kind of answer `question` asks for (the first rule that matches, in a fixed order)."""
    q = " ".join(_without_clause_wh(" ".join(question.split())).split())
    q = _WHICH_OF_OWNER.sub(lambda m: m.group(1) + " ", q)
    for pattern, name in _OTHER_LANGUAGES:
        if pattern.search(q) and not _PERSON_Q.search(q) and not _NUMBER_Q.search(q):
            return Kind[name]
    if _YES_NO.search(q) and not re.search(r"\bor\b", q, re.IGNORECASE) and not _WH_AFTER_A_CLAUSE.search(q):
        return Kind.YES_NO
    leading = _LEADING_WH.match(q)  # "Who was CEO when ...?" asks for a person, not a date
    if leading and not _LIST_Q.search(q):
        return _LEADING_KIND[leading.group(1).lower()]
    if _REASON_Q.search(q):
        return Kind.REASON
    if _CONSEQUENCE_Q.search(q) and not (_PERSON_Q.search(q) or _PLACE_Q.search(q) or _DATE_Q.search(q)):
        return Kind.CONSEQUENCE
    if _EVENT_Q.search(q):
        return Kind.EVENT
    if _NUMBER_Q.search(q):
        return Kind.NUMBER
    if _DATE_Q.search(q):
        return Kind.DATE
    if (_LIST_Q.search(q) or _PLURAL_ASKED.search(q)) and not _PERSON_Q.search(q.split(" ")[0]):
        return Kind.LIST
    if _place_noun_asked(q):
        return Kind.PLACE
    if _PERSON_Q.search(q) or asks_for_people(q):
        return Kind.PERSON
    if (_THING_Q.search(q) or _NAME_OF_Q.search(q)) and not _CIRCUMSTANCE_Q.search(q):
        return Kind.THING
    return Kind.OTHER


def _place_noun_asked(question: str) -> bool:
    """Does `question` ask where, or for a place by a noun that ends its noun phrase ("which city hosted"),
    not one that describes another noun ("which county health commissioner", "which city council")?"""
    return any(not match.group(2) or noun_ends_here(question[match.end() :]) for match in _PLACE_Q.finditer(question))


_MARKERS = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
_EDGE = re.compile(r"^[\s\"“”‘’'«»()\[\],;:.!?–—-]+|[\s\"“”‘’'«»()\[\],;:!?–—-]+$|(?<!\.\w)\.$")


def clean_phrase(text: str) -> str:
    """A proposed phrase as it is shown: one line, no quotes or trailing punctuation around it."""
    text = " ".join(_MARKERS.sub(" ", text or "").split())
    text = re.sub(r"^(answer|short answer)\s*:\s*", "", text, flags=re.IGNORECASE)
    previous = None
    while previous != text:
        previous = text
        text = _EDGE.sub("", text).strip()
    return text


def grounded(phrase: str, support: str, question: str) -> bool:
    """At most `MAX_WORDS` words, every content word and number in `support`, one word the question lacks."""
    phrase = clean_phrase(phrase)
    if not phrase or len(phrase.split()) > MAX_WORDS:
        return False
    if phrase.lower() in ("yes", "no"):
        return True
    words = set(content_words(phrase))
    if not words:
        return False
    if not words <= set(content_words(support)):
        return False
    if not _number_tokens(phrase) <= _number_tokens(support):
        return False  # "2" is not in "won 2-1", nor "19" in "Covid-19"
    return _adds_a_word(phrase, set(content_words(question)))


def _adds_a_word(phrase: str, q_words: set[str]) -> bool:
    return any(not any(_same_root(w, a) for a in q_words) for w in content_words(phrase))


def _same_root(word: str, other: str) -> bool:
    """The same word, or one a short ending away ("Lanka" / "Lankan", "Japan" / "Japanese"): repeating
    the question's "Sri Lankan" as "Sri Lanka" adds nothing to it."""
    if word == other:
        return True
    short, long_ = sorted((word, other), key=len)
    return short.isalpha() and len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3


_NUMBER_TOKEN = re.compile(r"(?<![\w.,-])\d[\d,.]*(?:[-–/:]\w+)*")


def _number_tokens(text: str) -> set[str]:
    """Numbers as they stand, with what a hyphen, dash, slash or colon glues to them ("2-1", "24/7")."""
    return {m.group(0).rstrip(".,").replace(",", "") for m in _NUMBER_TOKEN.finditer(text)}


_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH_ALONE = re.compile(rf"{_MONTH}", re.IGNORECASE)  # "Sept" is a date, not the name of a thing
# A time said relative to the story's day ("in the coming days", "earlier that day", "overnight") answers
# "when?" as a date does.
_RELATIVE_TIME = (
    r"(?:the )?(?:coming|next few|past few|last few|following) (?:days?|weeks?|months?|years?)|"
    r"(?:earlier|later) (?:(?:this|that|in the) (?:day|week|month|year|morning|afternoon|evening)|today|tonight)|"
    r"the (?:day|week|month|year) (?:before|after)|the next (?:day|morning)|overnight|(?:this|that|the same) (?:afternoon|night)"
)
_DATE_WORDS = re.compile(
    rf"\b({_MONTH}|{_WEEKDAY}|yesterday|today|tomorrow|tonight|last (week|month|year|night)|next (week|month|year)|"
    rf"this (week|month|year|morning|evening)|ago|weekend|spring|summer|autumn|fall|winter|decade|century|{_RELATIVE_TIME})\b|\d",
    re.IGNORECASE,
)
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|"
    r"millions?|billions?|trillions?|dozens?|half|double|twice|triple|several|a few|a dozen)"
)
_NUMBERS = re.compile(rf"\d|\b{_NUMBER_WORD}\b", re.IGNORECASE)
# The roles and bodies a "who" answer may name instead of a person.
_ROLE = re.compile(
    rf"\b({_PERSON_ROLES}|leader|official|officials|"
    r"court|police|army|military|government|administration|ministry|"
    r"company|firm|agency|council|parliament|congress|committee|union|party|team|group|board|chief|director|"
    r"founder|chairman|chairwoman|manager|coach|player|authorities|prosecutors?|investigators?|researchers?|"
    r"scientists?|doctors?|lawmakers?|regulators?|officers?|troops|forces|allies|voters|residents)\b",
    re.IGNORECASE,
)
_CAPITAL = re.compile(r"\b[A-Z][\w’'.-]*")
_YEAR_Q = re.compile(r"\b(what|which|in which|in what) year\b|\bwhat year\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[5-9]|20)\d\d\b")
_TIME_UNITS = r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century|nights?|seasons?|terms?"
_LENGTH_UNITS = r"miles?|kilometres?|kilometers?|km|metres?|meters?|m|feet|foot|ft|yards?|inches|cm|centimetres?|centimeters?"
# A measure needs its unit: "how long did he serve?" is not answered by the "10" of "10 Downing St.".
_UNIT_NEEDED = (
    (re.compile(r"\bhow long\b", re.IGNORECASE), re.compile(rf"\b({_TIME_UNITS}|{_LENGTH_UNITS})\b", re.IGNORECASE)),
    (re.compile(r"\bhow (far|deep|high|tall|wide)\b|\b(distance|depth|height)\b", re.IGNORECASE),
     re.compile(rf"\b({_LENGTH_UNITS})\b", re.IGNORECASE)),
    (re.compile(r"\btemperature\b|\bhow (hot|cold)\b", re.IGNORECASE),
     re.compile(r"°|\bdegrees?\b|\b(celsius|fahrenheit|kelvin)\b", re.IGNORECASE)),
)
_WHICH = re.compile(r"\bwhich\b", re.IGNORECASE)
_QUANTIFIER = frozenset(content_words("about around some nearly almost roughly more less than over under up to at least most"))


def _only_a_quantity(phrase: str, question: str) -> bool:
    """Is `phrase` a number and nothing else but quantifiers before it and the noun asked after it: "1 million",
    "up to 1M species"? A name with a number ("Article 5", "Boeing 737") is not."""
    words = phrase.split()
    while words and set(content_words(words[0])) <= _QUANTIFIER and not _NUMBERS.match(words[0]):
        words = words[1:]
    number = _NUMBER_SPAN.match(" ".join(words))
    if number is None:
        return False
    rest = " ".join(words)[number.end() :]
    asked = _WHICH_WORDS.search(question)
    asked_words = set(content_words(asked.group(1))) if asked else set()
    return all(w in _QUANTIFIER or any(_same_root(w, a) for a in asked_words) for w in content_words(rest))


# "a year", "an hour": a measure whose number is the article.
_ONE_UNIT = re.compile(
    rf"\b(?:an?|one)\s+(?:{_TIME_UNITS}|mile|kilometre|kilometer|foot|metre|meter|yard|inch|dozen|half)\b", re.IGNORECASE
)
# A share, which does not count things: "50%", "half of".
_SHARE = re.compile(r"%|\bper ?cent\b|\bpercentage\b", re.IGNORECASE)
_SHARE_Q = re.compile(r"%|\bper ?cent|\bpercentage\b|\bshare\b|\bproportion\b", re.IGNORECASE)


def _counts_items(question: str) -> bool:
    """Does `question` ask how many things there are ("how many species?"), not what share of them?"""
    return bool(_HOW_MANY.search(question)) and not _SHARE_Q.search(question)

# Words that bound a number ("at least 33", "nearly 60", "up to 1.4 million").
_BOUND_WORDS = (
    r"about|around|some|nearly|almost|roughly|approximately|more than|less than|fewer than|over|under|up to|"
    r"at least|at most|close to|as many as|as much as|as few as|upwards of"
)
# A length of time with nothing that places it: "20 days", "about a year" (not "in 20 days", "two weeks ago").
_DURATION = re.compile(
    rf"(?:{_BOUND_WORDS})?\s*"
    rf"(?:\d[\d,.]*|{_NUMBER_WORD}|an?)\s+(?:more\s+)?(?:{_TIME_UNITS})",
    re.IGNORECASE,
)
MAX_NAME_WORDS = 6
_WHO_IS_THE_ROLE = re.compile(r"^who (is|was|are|were) (the|a|an) ", re.IGNORECASE)
# Two capitalised words in a row that are not an institution: "Tom Super", not "Parliament".
_INSTITUTION = (
    r"(?:Parliament|Congress|Senate|House|Ministry|Council|Committee|Court|Department|Agency|Party|Union|Office|"
    r"Commission|Government|Administration|Army|Police|Bank|University|Company|Inc|Corp|Group)"
)
# The last word of an organisation's or a place's name: "Delta Air Lines", "Rockland County", "the Justice Department".
_ORGANISATION_END = re.compile(
    rf"\b(?:{_INSTITUTION}|Lines|Airlines|Airways|Times|Post|News|Network|College|Association|Corporation|Ltd|LLC|"
    r"County|City|Hospital|School|Foundation|Institute|Service)\W*$"
)
_PERSONAL_NAME = re.compile(rf"\b(?!{_INSTITUTION}\b)[A-Z][\w’'.-]+\s+(?:[A-Z]\.\s+)?(?!{_INSTITUTION}\b)[A-Z][\w’'-]+")
# "At what time" asks for a time of day, not the day: "Thursday" does not answer it.
_WHEREABOUTS = re.compile(
    r"^(in|at|on|near|across|along|over|under|underneath|inside|outside|behind|beyond|between|throughout|around|off)\s+\w",
    re.IGNORECASE,
)
_CLOCK_Q = re.compile(r"\b(what|which) time\b(?! of (the )?(year|season|month|week))|\bat what hour\b", re.IGNORECASE)
_CLOCK = re.compile(
    r"\b\d{1,2}(:\d\d)?\s?([ap]\.?m\b\.?)|\b\d{1,2}:\d\d\b|\b(noon|midday|midnight|dawn|dusk|morning|afternoon|evening|"
    r"night|o'clock|o’clock)\b",
    re.IGNORECASE,
)


def fits_kind(phrase: str, kind: Kind, question: str = "") -> bool:
    """Is `phrase` of the kind asked: a name or role for who, a place name for where, a date (a year for
    "what year"), a number, yes/no? Only a yes/no question takes "yes" or "no"."""
    phrase = clean_phrase(phrase)
    if phrase.lower() in ("yes", "no") or kind is Kind.YES_NO:
        return kind is Kind.YES_NO and phrase.lower() in ("yes", "no")
    if kind in (Kind.PERSON, Kind.THING) and is_attribution(phrase):
        return False  # "the news site reported" is where a statement comes from, not a name that answers
    if kind is Kind.NUMBER:
        if _counts_items(question) and _SHARE.search(phrase):
            return False  # "50% of the species" does not say how many species
        unit = next((u for q, u in _UNIT_NEEDED if q.search(question)), None)
        return bool(_NUMBERS.search(phrase) or _ONE_UNIT.search(phrase)) and (unit is None or bool(unit.search(phrase)))
    if kind is Kind.DATE:
        if _DURATION.fullmatch(phrase):
            return False  # "20 days" says how long, not when
        if _YEAR_Q.search(question):
            return bool(_YEAR.search(phrase))
        if _CLOCK_Q.search(question):
            return bool(_CLOCK.search(phrase))
        return bool(_DATE_WORDS.search(phrase))
    smaller = smaller_place_asked(question)
    if smaller and too_big_for(phrase, smaller):
        return False  # "which national park?" is not answered by "Montana"
    if kind is Kind.PLACE:  # a place's name, or where it happens without one ("in the air, at sea")
        asked = place_asked(question)
        if asked:  # "which country" takes a country's name, not "Chinese", "Luzon" or "White House"
            return names_place(phrase, asked)
        if all(is_demonym(w) for w in phrase.split()):  # "Chinese" says whose, not where
            return False
        named = _names_in(phrase)
        located = bool(_WHEREABOUTS.match(phrase)) and not _DATE_WORDS.search(phrase) and not _NUMBERS.search(phrase)
        return (bool(named) or located) and not _ROLE.search(phrase)
    if kind in (Kind.PERSON, Kind.THING) and restates_what_is_asked(phrase, question):
        return False
    if asks_for_people(question) and (_only_places(phrase) or _ORGANISATION_END.search(phrase)):
        return False  # "which world leader?" is not answered by "Ukraine", "which passenger?" by "Delta Air Lines"
    if kind is Kind.PERSON and asks_for_an_organisation(question) and (_only_places(phrase) or _PERSON_ROLE.search(phrase)):
        return False  # "which political party?" is not answered by "UK" nor by "Prime Minister Kirm"
    if kind is Kind.PERSON:  # a name or a role is a few words, not a clause, nor a date ("August"), nor "British"
        named = [w for w in _names_in(phrase) if not is_demonym(w)]
        if _WHO_IS_NAME.match(question) and _DESCRIPTION.match(phrase):  # "Who is X?": "a former ambassador"
            return len(phrase.split()) <= MAX_WORDS and not _CLAUSE_VERB.search(phrase)
        if _WHO_IS_THE_ROLE.search(question):  # "who is the defense secretary?" wants the person's name
            return bool(_PERSONAL_NAME.search(phrase)) and len(phrase.split()) <= MAX_NAME_WORDS
        return len(phrase.split()) <= MAX_NAME_WORDS and bool(named or _ROLE.search(phrase))
    if _asks_for_names(kind, question):
        return names_each(phrase)  # "which two candidates?": "Liz Truss and Rishi Sunak", not a clause
    if kind is Kind.THING:  # a thing's name or a short noun phrase, not a clause about it ("which follows ..."), nor a date
        if len(phrase.split()) > MAX_NAME_WORDS or _DATE_SPAN.fullmatch(phrase) or _MONTH_ALONE.fullmatch(phrase):
            return False
        if _WHICH.search(question) and _only_a_quantity(phrase, question):
            return False  # "up to 1M species" is how many, not which species ("what funding target?" may take "$100bn")
        if all(_of_a_people(w) for w in phrase.split()) and not _PEOPLES_THING_Q.search(question):
            return False  # "South Korean" says whose show, not which one; "which language?" takes "Korean"
        return _title_cased(phrase) or not (_CLAUSE_OPENER.match(phrase) or _CLAUSE_VERB.search(phrase))
    return True


# The words after "which" / "what" that say what is asked: "which Qatari-funded news outlet", "which legendary musician".
_WHICH_WORDS = re.compile(r"\b(?:which|what)((?:\s+[\w’'-]+){1,3})", re.IGNORECASE)
_DEFINITE = re.compile(r"^(?:the|this|that|these|those)\s+(.+)$", re.IGNORECASE)


def restates_what_is_asked(phrase: str, question: str) -> bool:
    """Is `phrase` the question's own description back, with no name: "the news site" for "which news
    outlet?", "the 74-year-old musician" for "which legendary musician?", "South Korean show" for "which
    popular show?". Such a phrase points to a thing the article names elsewhere; it does not say which one."""
    asked = _WHICH_WORDS.search(question)
    phrase = clean_phrase(phrase)
    if asked is None or not phrase or _KIND_OF.match(asked.group(1)):  # "what kind of force?": "reassurance force"
        return False
    asked_words = set(content_words(asked.group(1)))
    definite = _DEFINITE.match(phrase)
    body = definite.group(1) if definite else phrase
    named = [
        w for w in _CAPITAL.findall(body) if not any(_same_root(w.lower(), a) for a in asked_words) and not _of_a_people(w)
    ]
    if named:
        return False
    words = content_words(body)
    if definite:
        return any(_same_root(w, a) for w in words for a in asked_words)
    # Without "the", only a people's adjective before the thing asked: "Chinese company", not "reassurance force".
    *before, head = body.split()
    head_words = content_words(head)
    return (
        bool(before and head_words)
        and any(_same_root(head_words[-1], a) for a in asked_words)
        and all(_of_a_people(w) for w in before)
    )


# Things a people's adjective alone names: "which language?" "Korean".
_PEOPLES_THING_Q = re.compile(
    r"\b(languages?|tongues?|dialects?|nationalit(?:y|ies)|citizenships?|ethnicit(?:y|ies)|origins?|descent|heritage|"
    r"cuisines?|food|dishes|accents?|backgrounds?)\b",
    re.IGNORECASE,
)


def _of_a_people(word: str) -> bool:
    """A people's adjective or a compass word that may open one: "Korean", "South" in "South Korean"."""
    return is_demonym(word) or word in _COMPASS


# Lists of things that have names: "which two countries", "which three schools".
_NAMED_LIST_Q = re.compile(
    r"\b(which|what) (?:[\w’'-]+ ){0,3}(countries|nations|states|cities|schools|universities|colleges|teams|clubs|"
    r"companies|firms|brands|airlines|banks|networks|parties|charities|organi[sz]ations|agencies|newspapers|films|movies|"
    r"shows|songs|albums|books|names)\b",  # "what are the names of the two women"
    re.IGNORECASE,
)
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")


def _asks_for_names(kind: Kind, question: str) -> bool:
    """A list question answered by names: people, or named countries, teams, films ... ("which two candidates?")."""
    return kind is Kind.LIST and (asks_for_people(question) or bool(_NAMED_LIST_Q.search(question)))


def names_each(phrase: str) -> bool:
    """Is `phrase` one or more names, listed ("Liz Truss and Rishi Sunak", "the US and the United Kingdom")?"""
    items = [re.sub(r"^the\s+", "", item, flags=re.IGNORECASE) for item in _LIST_SEPARATOR.split(clean_phrase(phrase))]
    return all(
        item and item[0].isupper() and len(item.split()) <= MAX_NAME_WORDS and not _CLAUSE_VERB.search(item) and _names_in(item)
        for item in items
    )


_KIND_OF = re.compile(r"\s+(kinds?|types?|sorts?|forms?)\s+of\b", re.IGNORECASE)
_COMPASS = frozenset("North South East West Central Northern Southern Eastern Western".split())


# What starts a clause or a phrase about a thing rather than the thing: "which follows ...", "in select markets".
_CLAUSE_OPENER = re.compile(
    r"^(which|who|whom|whose|that|because|since|as|if|when|while|whereas|although|though|after|before|until|so|but|and|or|"
    r"to|than|where|in|on|at|from|with|by|for|into|through|during|over|under|about|amid)\b",
    re.IGNORECASE,
)
# A verb that makes a phrase a statement: "the agency announced in a statement", "a source tells CNN".
_CLAUSE_VERB = re.compile(
    rf"\b({_AUXILIARY}|be|been|being|am|"
    r"says?|said|tells?|told|announced?|announces|reported|reports)\b"  # lower case: "May Day" is a name
)


def _title_cased(phrase: str) -> bool:
    """A title or a name: every word longer than three letters capitalised ("Leave It to Beaver")."""
    long = [w for w in re.findall(r"[\w’'-]+", phrase) if len(w) > 3]
    return bool(long) and all(w[0].isupper() for w in long)


def _names_in(phrase: str) -> list[str]:
    """The capitalised words of `phrase` that may be names: not a month or weekday ("August", "Saturday's"), nor
    a word capitalised only because it opens a sentence ("There's", "It's", "Here", "Previously"), nor a letter
    compound ("A-list")."""
    return [
        w for w in _CAPITAL.findall(phrase)
        if not (_DATE_WORDS.fullmatch(re.sub(r"[’']s$", "", w)) or _opener(w) or _LETTER_COMPOUND.match(w) or _ADVERB.fullmatch(w))
    ]


# An adverb that opens a sentence ("Previously, anyone ..."), not a name: "Kelly", "Italy", "Emily" keep theirs.
_ADVERB = re.compile(r"[A-Z][a-z]{2,}(?:ously|ally|ively|ently|antly|edly|ately|ingly|fully|lessly|ually|arly)")


# A capital letter joined to a common word: "A-list", "T-shirt", "X-ray" are not names.
_LETTER_COMPOUND = re.compile(r"^[A-Z]-[a-z]")


def _opener(word: str) -> bool:
    """A function word or its contraction ("It's", "There’s", "That'll"), capitalised only at a sentence's start."""
    return re.split(r"['’]", word.lower())[0] in _SENTENCE_OPENERS


# ---- rules: a phrase without a model --------------------------------------------------------------

# A month named alone ("until October"), capitalised: "may" is a verb.
_MONTH_NAME = r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE_SPAN = re.compile(
    rf"\b(?:(?:on |since )?{_WEEKDAY},? )?(?:{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)? "
    rf"(?:of )?{_MONTH}(?:,? \d{{4}})?|{_MONTH},? \d{{4}}|{_WEEKDAY}|(?:in |since )?(?:1[89]|20)\d\d|{_MONTH_NAME}|"
    rf"(?:yesterday|today|tomorrow|last (?:week|month|year|night)|next (?:week|month|year)|(?:in )?(?:{_RELATIVE_TIME})))\b",
    re.IGNORECASE,
)
_SCALE = r"(?:\s?(?:%|percent|per cent|million|billion|trillion|thousand|hundred|bn|m|km|miles|kilometres|kilometers|" \
    r"years?|months?|weeks?|days?|hours?|minutes?|people|points?|votes?|seats?|times|tons?|tonnes?|degrees|acres|" \
    r"hectares|euros?|dollars?|pounds?|yen|yuan|crowns?|francs?|rubles?|roubles?|rupees?|pesos?))?"
_NUMBER_SPAN = re.compile(
    rf"(?:[$€£]\s?)?\b(?:\d[\d,]*(?:\.\d+)?(?:[-–]\d+)?|{_NUMBER_WORD})(?:[- ](?:million|billion|trillion|thousand|hundred))?{_SCALE}"
    r"(?:\s(?:euros?|dollars?|pounds?|yen|yuan|crowns?|francs?|rubles?|roubles?|rupees?|pesos?))?\b",
    re.IGNORECASE,
)
# A run of capitalised words, allowing short joiners ("Bank of England", "Caroline Levit").
_NAME_SPAN = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:of|de|da|del|van|von|bin|al|the|and|for|&)?\s*[A-Z][\w’'.-]*)*")
# A role and the name after it: "White House spokesman Caroline Levit", "Prime Minister Giorgia Melloni".
_TITLED_NAME = re.compile(
    r"(?:[A-Z][\w.’'-]*\s+){0,3}(?:spokes\w+|president|minister|chancellor|secretary|governor|mayor|senator|"
    r"ambassador|diplomat|official|leader|chief|director|general|judge|lawmaker|MP|CEO|founder|chair\w*|"
    r"[Pp]resident|[Mm]inister|[Cc]hancellor|[Ss]ecretary|[Gg]overnor|[Mm]ayor|[Ss]enator|[Jj]udge)"
    r"(?:\s+[A-Z][\w’'-]+){1,3}"
)
# A title in quotes: “Succession”, "Leave It to Beaver".
_QUOTED_TITLE = re.compile(r"[“\"]([A-Z][^“”\"]{0,60})[”\"]")
# A name after a preposition of place: "in Norrvik", "to Lithuania".
_LOCATED = re.compile(r"\b(?:in|at|to|from|near|across|into|inside|outside|towards?)\s+(?:the\s+)?([A-Z][\w’'.-]*(?:\s+(?:of\s+)?[A-Z][\w’'.-]*)*)")
_REASON_SPAN = re.compile(
    r"\b(because(?: of)?|since|as a result of|due to|owing to|in order to|so that|so as to|, so\b|to avoid|after|amid|as)\b"
    r"\s+([^.;:!?]+)",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(not|no|never|n't|neither|nor|none|without|refused|rejected|denied|ruled out|excluded)\b|n’t", re.IGNORECASE)
_SENTENCE_OPENERS = frozenset(
    "the a an this that these those it he she they we i but and so however in on at for after before when while "
    "if as by from with according despite although also yet still there here what let".split()
)


# "Who is Selim Genra?" asks what the person is: the description beside the name ("a former Turkish ambassador").
_WHO_IS_NAME = re.compile(r"^\s*(?i:who\s+(?:is|was))\s+([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})\s*\?*\s*$")
_DESCRIPTION = re.compile(r"^(?:a|an|the)\s", re.IGNORECASE)


def described(question: str, sentence: str) -> str | None:
    """For "who is <name>?": the description the sentence gives the name ("X, a former ambassador," or
    "X is a former ambassador"); None for other questions or when the sentence gives none."""
    match = _WHO_IS_NAME.match(question)
    if not match:
        return None
    name = re.escape(match.group(1))
    found = re.search(rf"{name},\s+((?:a|an|the)\s[^,;:.“”\"()]{{3,90}}?)\s*(?=[,;:.)]|$)", sentence) or re.search(
        rf"{name}\s+(?:is|was)\s+((?:a|an|the)\s[^,;:.“”\"()]{{3,90}}?)\s*(?=[,;:.)]|$)", sentence
    )
    return found.group(1) if found else None


def rule_span(question: str, sentence: str, kind: Kind) -> str | None:
    """A phrase of `sentence` of the kind `question` asks for, found by patterns; None when there is none."""
    q_words = set(content_words(question))
    if kind is Kind.PERSON and (description := described(question, sentence)):
        return description
    if kind is Kind.YES_NO:
        return "No" if _NEGATION.search(sentence) and not _NEGATION.search(question) else "Yes"
    if kind is Kind.NUMBER:
        spans = [m.group(0) for m in _NUMBER_SPAN.finditer(sentence)]
        if _counts_items(question):
            # not "43 goals" for points, nor "100" of "a 100-point season" (`grounded` reads "100-point" whole)
            spans = [x for x in spans if not counts_another_thing(x, sentence, question) and grounded(x, sentence, question)]
        return _nearest(spans, sentence, q_words, avoid_years=True)
    if kind is Kind.DATE:
        dates = [re.sub(r"^(on|in|since) ", "", m.group(0), flags=re.IGNORECASE) for m in _DATE_SPAN.finditer(sentence)]
        if not _REPORTING.search(question):  # the day a statement was made does not date the event asked about
            dates = [d for d in dates if not reported_on(d, sentence)]
        return _nearest(dates, sentence, q_words)
    asked = place_asked(question) if kind is Kind.PLACE else None
    if asked:  # not the question's own place ("Sri Lankan" / "Sri Lanka")
        places = [p for p in places_in(sentence, asked) if _adds_a_word(p, q_words)]
        return _nearest(places, sentence, q_words)
    if kind is Kind.PLACE:
        located = [m.group(1) for m in _LOCATED.finditer(sentence)]
        found = _nearest([n for n in (_trim_opener(x) for x in located) if n], sentence, q_words)
        if found:
            return found
    if kind is Kind.THING:  # a quoted title; any capitalised name could be a person or a place
        return kind_of_span(question, sentence) or _nearest([m.group(1) for m in _QUOTED_TITLE.finditer(sentence)], sentence, q_words)
    if kind in (Kind.PERSON, Kind.PLACE):
        titled = [m.group(0) for m in _TITLED_NAME.finditer(sentence)] if kind is Kind.PERSON else []
        names = [_trim_opener(m.group(0)) for m in _NAME_SPAN.finditer(sentence)]
        names = titled + [n for n in names if n and not any(n in t for t in titled)]
        return _nearest(names, sentence, q_words)
    if _asks_for_names(kind, question):  # "which Balkan countries?": "Albania and Croatia"
        return _nearest(named_lists(sentence, question), sentence, q_words)
    if kind is Kind.REASON:
        for match in _REASON_SPAN.finditer(sentence):
            clause = " ".join(match.group(2).split()[:MAX_WORDS])
            clause = clean_phrase(re.split(r",\s+(?:but|while|and|which)\b", clause)[0])
            if set(content_words(clause)) - q_words:
                return clause
    return None


_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:()]|\s[–—-]\s|[“”\"])\s*")


_KIND_OF_Q = re.compile(r"\bwhat\s+(?:kinds?|types?|sorts?|forms?)\s+of\s+([a-z][\w-]+)", re.IGNORECASE)
# What may qualify a noun after it: a negation, a participle, a relative word or a preposition.
_POST_MODIFIER = re.compile(r"^(?:not\s+)?(?:[a-z]+ed|that|which|with|without|from|of|for|by|against)\b")


def kind_of_span(question: str, sentence: str) -> str | None:
    """For "what kind of N?": N as `sentence` qualifies it, by the words before it ("reassurance force")
    or the phrase after it ("declarations not supported by soldiers"); None when it is not qualified."""
    asked = _KIND_OF_Q.search(question)
    if not asked:
        return None
    q_words = set(content_words(question))
    noun = asked.group(1).lower()
    words = sentence.split()
    for i, word in enumerate(words):
        if not _same_root(word.strip(",.;:“”\"()").lower(), noun):
            continue
        before = []
        for w in reversed(words[max(0, i - 3) : i]):
            if w.lower() in STOPWORDS or not w.isalpha() or w.endswith("ed") or _CLAUSE_VERB.fullmatch(w) or set(content_words(w)) & q_words:
                break
            before.insert(0, w)
        after = []
        rest = " ".join(words[i + 1 :])
        if word[-1].isalnum() and _POST_MODIFIER.match(rest):
            for w in words[i + 1 : i + MAX_NAME_WORDS]:
                after.append(w.rstrip(",.;:"))
                if w[-1] in ",.;:":
                    break
        phrase = clean_phrase(_trim_tail(" ".join([*before, word.strip(",.;:“”\"()"), *after])))
        if (before or after) and len(phrase.split()) <= MAX_NAME_WORDS and _adds_a_word(phrase, q_words):
            return phrase
    return None


def clause_span(question: str, sentence: str) -> str | None:
    """The part of a clause of `sentence` (at most `MAX_WORDS` words) that adds most words to the question.

    A clause counts whole, or from just after the last word it shares with the question (the answer
    usually follows the words that ask for it: "warned against discussing [a subject that ...]");
    attributions ("the paper said") are skipped. When none of these is short enough, what lies between
    two of the question's words does ("floods [may be more common in the future] because of warming").
    The last resort for questions whose answer is not a name, date or number; None when nothing short
    adds a word.
    """
    q_words = set(content_words(question))
    best, best_key = None, (0, 0)
    gaps: list[str] = []  # what lies between the question's words in a clause
    for clause in _CLAUSE_BREAK.split(sentence):
        clause = clean_phrase(clause)
        words = clause.split()
        if (len(words) <= 4 and _SPEECH.search(clause)) or _only_who_spoke(clause, q_words):
            continue
        shared = [i for i, w in enumerate(words) if set(content_words(w)) & q_words]
        options = [clause] + ([" ".join(words[shared[-1] + 1 :])] if shared else [])
        gaps += [_trim_opener(_trim_tail(" ".join(words[a + 1 : b]))) for a, b in zip(shared, shared[1:]) if b - a > 2]
        for option in options:
            option = _trim_opener(clean_phrase(option)) if option is not clause else option
            if _only_who_spoke(option, q_words):
                continue  # "[White House] spokesman Caroline Levit told reporters" says who spoke, not what
            found = set(content_words(option))
            new = len(found - q_words)
            if not option or len(option.split()) > MAX_WORDS or not (shared or new >= 2) or not new:
                continue
            key = (new, -len(option.split()))
            if key > best_key:
                best, best_key = option, key
    if best is None:  # "floods [may be more common in the future] because of global warming"
        fitting = [g for g in gaps if g and len(g.split()) <= MAX_WORDS and set(content_words(g)) - q_words]
        best = max(fitting, key=lambda g: len(set(content_words(g)) - q_words), default=None)
    return best


_HOW_MANY = re.compile(r"\bhow many ([^?]+)", re.IGNORECASE)
# Participles that hand the event on to the verb after "to": "are expected to attend", "were scheduled to fly".
# Only words ending in "-ed" are read as the verb (`counted_thing`), so only they are listed.
_LEADS_TO_A_VERB = re.compile(
    r"^(expected|scheduled|slated|planned|projected|estimated|believed|feared|reported|supposed|poised|"
    r"required|allowed|asked|forced)\s+to$",
    re.IGNORECASE,
)
_PLACE_OR_OWNER = re.compile(r"^(in|on|at|of|from|across|near|inside|outside)$", re.IGNORECASE)
# Words that follow the counted noun and say when or how, never what: "how many people currently sit".
_AFTER_THE_NOUN = frozenset("currently still now already ever also just together out altogether actually really".split())
_PLURAL_WITHOUT_S = frozenset("people children men women police staff cattle personnel feet teeth mice geese".split())
_NOT_THE_THING = re.compile(rf"^{_AUXILIARY}$|^(in|on|at|of|for|to|by|from|with|after|before|during|since|under|over)$", re.IGNORECASE)
# Counted nouns that say little on their own: the support need not repeat them ("killed 16").
_GENERIC_COUNTED = frozenset("people persons times members residents individuals ones".split())
# Verbs that tie the things counted to a cause without saying what happened to them: "deaths were tied to".
_TIED = frozenset("tied linked attributed blamed connected related associated traced".split())
# Words that count the same thing, as content-word stems: "deaths" are counted by "killed 33" or "33 died".
_COUNTED_ALIKE = (
    frozenset({"death", "kill", "died", "dead", "fataliti", "fatal", "live", "toll"}),
    frozenset({"injur", "injuri", "wound", "hurt"}),
)


def counted_thing(question: str) -> tuple[str, str]:
    """For "how many X ..." questions: the counted noun X and a passive verb after it ("injured"); "" for none.

    "How many Spirit Airlines employees will join?" counts "employees"; "How many people were
    injured?" counts "people" that were "injured".
    """
    match = _HOW_MANY.search(question)
    if not match:
        return "", ""
    words = re.findall(r"[\w’'-]+", match.group(1))
    phrase: list[str] = []
    for word in words[:4]:
        if _NOT_THE_THING.match(word) or (phrase and (word.lower().endswith("ed") or word.lower() in _AFTER_THE_NOUN)):
            break
        if phrase and _ends_the_noun(phrase[-1], word):  # "how many fires broke out": "fires", not "out"
            break
        phrase.append(word)
    if not phrase:
        return "", ""
    rest = words[len(phrase) :]
    if rest and _PLACE_OR_OWNER.match(rest[0]):  # "how many homes in Pelham were damaged": past "in Pelham"
        rest = rest[1:]
        while len(rest) > 1 and not re.fullmatch(_AUXILIARY, rest[0], re.IGNORECASE):
            rest = rest[1:]
    if rest and re.fullmatch(_AUXILIARY, rest[0], re.IGNORECASE):
        rest = rest[1:]
    # "are expected to attend" says nothing of what happened to them; "contributed to" does
    verb = rest[0] if rest and rest[0].lower().endswith("ed") and not _LEADS_TO_A_VERB.match(" ".join(rest[:2])) else ""
    return phrase[-1], "" if verb.lower() in _TIED else verb


def _plural(word: str) -> bool:
    """Does `word` look like a plural noun ("fires", "people")? Possessives, "-ss", "-us", "-is" and names
    such as "Texas" or "Los" do not."""
    low = word.lower()
    if low in _PLURAL_WITHOUT_S:
        return True
    if len(low) < 4 or not low.endswith("s") or low.endswith(("ss", "us", "is", "'s", "’s")):
        return False
    return not (word[0].isupper() and low.endswith(("as", "os")))


def _ends_the_noun(previous: str, word: str) -> bool:
    """After a plural noun, a lower-case word that is not plural itself starts the verb: "schools still
    exist", "Americans live abroad"; "news outlets" and "Los Angeles County" go on."""
    return _plural(previous) and word[:1].islower() and not _plural(word)


def counts_what_is_asked(question: str, support: str) -> bool:
    """Does `support` mention what a "how many" question counts? True for other questions.

    A number in a sentence about deaths does not answer how many homes were destroyed. When the
    question says what happened to the things counted ("how many people were injured"), that verb
    must occur in the support; otherwise the counted noun must (unless it is as plain as "people").
    """
    noun, verb = counted_thing(question)
    if not noun:
        return True
    found = set(content_words(support))
    if verb:  # what happened to them says what is counted; the noun may be put otherwise ("users" for "accounts")
        return bool(set(content_words(verb)) & found)
    if noun.lower() in _GENERIC_COUNTED or set(content_words(noun)) & found:
        return True
    if any(set(content_words(noun)) & alike and found & alike for alike in _COUNTED_ALIKE):
        return True  # "how many deaths": "killed 33"
    return any(_same_head(noun.lower(), w) for w in letter_runs(support.lower()))


def _same_head(word: str, other: str) -> bool:
    """A compound and its head, either way round: "wildfires" / "fires" (the same word is matched by its stem first)."""
    short, long = sorted((word, other), key=len)
    return len(short) >= 4 and len(long) - len(short) >= 3 and long.endswith(short)


# A run of two or more names joined by commas and "and"/"or": "Frank Gore, Mike Iupati and Chris Cox".
_NAME = r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3}"
_NAME_LIST = re.compile(rf"{_NAME}(?:\s*,\s*(?:and\s+|or\s+)?{_NAME})*(?:\s*,?\s+(?:and|or)\s+{_NAME})|{_NAME}(?:\s*,\s*{_NAME})+")
# Questions for which a name listed beside the question's own may well be the answer: "besides X",
# "who met X" and "with X" ask for companions.
_ALSO = re.compile(
    r"\b(besides|apart from|other than|except|along with|together with|alongside|as well as|else|another|other|"
    r"who|whom|whose|with)\b",
    re.IGNORECASE,
)


def listed_beside_the_question(phrase: str, sentence: str, question: str) -> bool:
    """Is `phrase` a name listed next to a name the question itself gives ("Gore, Iupati and Cox left")?

    Such a name is a sibling of what the question is about, not its answer: "which team did they
    lose Gore to?" is not answered by "Iupati". Questions asking for companions ("besides Gore",
    "who met Gore", "with Gore") are exempt.
    """
    if not phrase or _ALSO.search(question):
        return False
    q_words = set(content_words(question))
    mine = set(_list_items(phrase))
    for match in _NAME_LIST.finditer(sentence):
        items = set(_list_items(match.group(0)))
        if not mine <= items:
            continue
        if any(set(content_words(item)) and set(content_words(item)) <= q_words for item in items - mine):
            return True
    return False


# A noun written in capitals ("which Tory MP", "what CEO").
_ACRONYM = re.compile(r"[A-Z]{2,5}s?")
# Nouns after "which" / "what" that do not say what is asked ("what kind of", "which one").
_NO_THING_ASKED = frozenset("kind kinds type types sort sorts one ones way ways".split())
# "an actor" (or "another actor") with at most two words between: "a U.S. hospital".
_INDEFINITE_BEFORE = r"\b(?:a|an|another)\s+(?:[\w.’'-]+\s+){0,2}?"
# Words before "a" that make the mention describe something named ("X is an actor", "X, who works as a designer").
_DESCRIBING = re.compile(r"\b(?:is|are|was|were|be|been|being|becomes?|became|as|like|remains?|remained)\s*$", re.IGNORECASE)


def asked_noun(question: str) -> str | None:
    """The noun a "which / what <noun>" question asks for, in lower case: "actor" of "Which actor was she pushed
    onto?", "hospital" of "At which Dallas hospital ...?"; None when no noun ends the phrase in its first three
    words ("What did ...?", "What kind of ...?")."""
    match = _WHICH_WORDS.search(question)
    if not match:
        return None
    rest = question[match.start(1) :]
    for word in list(re.finditer(r"[\w’'.-]+", rest))[:3]:
        text = word.group(0)
        if _NOT_THE_THING.match(text) or text.lower() in ("the", "a", "an"):
            return None
        if (text[0].islower() or _ACRONYM.fullmatch(text)) and noun_ends_here(rest[word.end() :]):
            return None if text.lower() in _NO_THING_ASKED else text.lower()
    return None


def left_unnamed(phrase: str, sentence: str, question: str) -> bool:
    """Does `sentence` speak of what a "which <noun>" question asks for only as "a <noun>", leaving it unnamed,
    with `phrase` said before it and not of it, or inside it?

    "Rivers pushed her towards an actor" says that an actor was there, not which one: Rivers is someone else;
    "Pixar" in "a Pixar film" says what sort of film, not which. A phrase apposed to the mention ("Texas Health
    Presbyterian, a Dallas hospital"), said after it ("an actor named ..."), or described by it ("Southwest is
    a budget airline") is not ruled out, nor is a noun that qualifies another ("a state average").
    """
    noun = asked_noun(question)
    if noun is None or not phrase:
        return False
    one = noun[:-1] if _plural(noun) and not noun.endswith("ies") else noun
    said = re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")  # as a whole word: not "Ana" of "an analyst"
    for mention in re.finditer(rf"{_INDEFINITE_BEFORE}{re.escape(one)}s?\b(?!-)", sentence, re.IGNORECASE):
        if not noun_ends_here(sentence[mention.end() :]):
            continue
        if said.search(mention.group(0)):
            return True  # "a Pixar film" says what sort of film, not which one
        before = sentence[: mention.start()].rstrip()
        apposed_or_described = before.endswith(f"{phrase},") or _DESCRIBING.search(before)
        if said.search(before) and not said.search(sentence[mention.end() :]) and not apposed_or_described:
            return True
    return False


def only_inside_a_longer_name(phrase: str, sentence: str) -> bool:
    """Does a capitalised `phrase` occur in `sentence` only as the start of a longer name or compound?

    "Ottawa" in "Ottawa Senators' Bobby Ryan" or "UK" in "the UK-hosted summit" names a team or
    qualifies a thing; it does not say where something took place.
    """
    if not phrase or not phrase[0].isupper():
        return False
    spots = [m.end() for m in re.finditer(rf"(?<![\w-]){re.escape(phrase)}", sentence)]
    return bool(spots) and all(re.match(r"-[a-z]|\s+[A-Z][a-z]", sentence[end:]) for end in spots)


def _list_items(text: str) -> list[str]:
    return [clean_phrase(x).lower() for x in re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", text) if x.strip()]


_REPORTING = re.compile(
    r"\b(said|says|say|told|tell|tells|announc\w*|report\w*|disclos\w*|confirm\w*|stat(ed|es|ement)|revealed|posted|"
    r"published|wrote|declared|unveiled)\b",
    re.IGNORECASE,
)


_TIME_PREPOSITION = re.compile(r"until|till|by|before|after|since|from|through|during|in|within")


# What follows a place that describes a person: a role and a name ("physician David Dao"), or a title ("Gov. Greg Abbott").
_BEFORE_A_PERSON = re.compile(
    r"\s+(?:[a-z][\w-]*\s+[A-Z][\w’'-]+\s+(?:[A-Z]\.\s+)?[A-Z][\w’'-]+|"
    r"(?:Gov|Sen|Rep|Gen|Lt|Col|Sgt|Dr)\.\s+[A-Z]|(?:Governor|Senator|Mayor|President|Judge)\s+[A-Z])"
)
# ... and what comes before it: the start of a noun phrase, not a preposition ("in Maldives after fleeing Sri Lanka").
_AFTER_A_PERSONS_PLACE = re.compile(r"(?:^|[,;:(]|\b(?:a|an|the|by|says?|said))\s*$", re.IGNORECASE)
# Questions that ask where a person is from, which such a place does say.
_ORIGIN_Q = re.compile(r"\bfrom\W*$|\b(based|home|hometown|native|lives?|lived|living)\b", re.IGNORECASE)


def describes_a_person(phrase: str, sentence: str) -> bool:
    """Is every mention of the place `phrase` in `sentence` a description of a person: "Kentucky physician David
    Dao", "Texas Gov. Greg Abbott"? Such a place says where the person is from, not where anything happened."""
    spots = list(re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", sentence)) if phrase else []
    return bool(spots) and all(
        _BEFORE_A_PERSON.match(sentence, m.end()) and _AFTER_A_PERSONS_PLACE.search(sentence[: m.start()]) for m in spots
    )


def reported_on(phrase: str, sentence: str) -> bool:
    """Is the date `phrase` in `sentence` only the day something was said ("said in a statement Tuesday")?

    Such a date answers "when did they say it", not when the event they speak of happened.
    """
    low = sentence.lower()
    at = low.find(phrase.lower())
    if not phrase or at < 0:
        return False
    before = low[:at].split()[-4:]
    if before and _TIME_PREPOSITION.fullmatch(before[-1]):
        return False  # "said repairs last until October": the date is what was said
    after = low[at + len(phrase) :].split()[:2]
    return bool(_REPORTING.search(" ".join(before + after)))


# A dateline opening a news sentence: "(CNN) —", "London (Reuters) -", "WASHINGTON —", "New York CNN —".
_DATELINE = re.compile(
    r"^\s*(?:(?:[A-Z][\w.’'-]*[ ,]+){0,3}\((?:[A-Z][\w.&’'-]*\s?){1,3}\)\s*[-–—:]*"
    r"|[A-Z][A-Z.’' ,-]{2,40}?\s*[-–—]+"
    r"|(?:[A-Z][\w.’'-]*\s+){1,3}CNN\s+[-–—]+)\s*"
)


def without_dateline(sentence: str) -> str:
    """`sentence` without the dateline news puts before its first sentence: the outlet and the city are
    where the story was filed, not an answer ("(CNN) Rafael Nadal has withdrawn" names no winner)."""
    return _DATELINE.sub("", sentence, count=1)


def short_answer_for(question: str, kind: Kind, sentence: str, support: str, proposed: str | None = None) -> str | None:
    """The first of the model's phrase, a pattern's span and (for untyped kinds) a clause that passes.

    Passing means `grounded` in `support` and `fits_kind`; typed kinds (who, where, when, how many,
    yes/no) get no clause, so evidence without a phrase of the kind asked does not answer.
    """
    if kind is Kind.NUMBER and not counts_what_is_asked(question, support):
        return None
    body = without_dateline(sentence)
    dateline = sentence[: len(sentence) - len(body)].lower()
    if proposed and (phrase := clean_phrase(proposed).lower()) and phrase in dateline and phrase not in body.lower():
        proposed = None  # the model read the outlet or the city of the dateline as the answer
    sentence = body
    options = [proposed, _owner(proposed) if kind in (Kind.PERSON, Kind.PLACE) else None, rule_span(question, sentence, kind)]
    if not kind.typed:
        options.append(clause_span(question, sentence))
    if kind is Kind.THING:  # last, a name in the sentence: "Fox News" when no clause is a thing
        named = rule_span(question, sentence, Kind.PERSON)
        if named and not _opens_alone(named, sentence):
            options.append(named)
    if kind in (Kind.PERSON, Kind.PLACE):
        options = [o for o in options if o is None or not listed_beside_the_question(clean_phrase(o), sentence, question)]
    any_place = kind is Kind.PLACE and not place_asked(question)  # "where", not "which country"
    if any_place and not _ORIGIN_Q.search(question):
        options = [o for o in options if o is None or not describes_a_person(clean_phrase(o), sentence)]
    if any_place and proposed and only_inside_a_longer_name(clean_phrase(proposed), sentence):
        return None  # the model read a team's or a compound's first word as the place: the sentence says no where
    if kind is Kind.DATE and not _REPORTING.search(question):
        options = [o for o in options if o is None or not reported_on(clean_phrase(o), sentence)]
    counting = kind is Kind.NUMBER and _counts_items(question)
    for option in options:
        if option is None:
            continue
        phrase = clean_phrase(option)
        if counting and _as_a_share(phrase, sentence):
            continue  # "50" of "50% of the species" does not say how many species
        if counting and counts_another_thing(phrase, sentence, question):
            continue  # "43 goals" beside "110 points" does not say how many points
        if kind in (Kind.PERSON, Kind.PLACE, Kind.THING) and left_unnamed(phrase, sentence, question):
            continue  # "Which actor?": "Rivers" beside "towards an actor", whom the sentence does not name
        if _crosses_a_sentence(phrase):
            continue  # "observed in Politico. And Ankara warned": the end of one sentence and the start of the next
        if grounded(phrase, support, question) and fits_kind(phrase, kind, question):
            if _asks_for_names(kind, question):
                return whole_list(phrase, sentence, question)
            return with_its_bound(plain_measure(phrase), phrase, sentence) if kind is Kind.NUMBER else phrase
    return None


# The bound just before a number: an answer that drops it says more than the article does.
_BOUND = re.compile(rf"\b({_BOUND_WORDS})\s+$", re.IGNORECASE)


def with_its_bound(answer: str, phrase: str, sentence: str) -> str:
    """`answer` (a number read as `phrase`) with the word that bounds it where it first stands in `sentence`:
    "33" -> "at least 33" of "killed at least 33 people". A time span keeps "over" and "under" out of it
    ("over 10 years" says when, not how many), and the answer stays within `MAX_WORDS`."""
    if not _NUMBERS.match(phrase) and not re.match(r"[$£€¥]\d", phrase):
        return answer
    found = re.search(rf"(?<![\w.,]){re.escape(phrase)}(?![\w])", sentence)
    bound = _BOUND.search(sentence[: found.start()]) if found else None
    if bound is None:
        return answer
    word = bound.group(1).lower()
    if word in ("over", "under") and re.search(rf"\b({_TIME_UNITS})\b", answer, re.IGNORECASE):
        return answer
    bounded = f"{word} {answer}"
    return bounded if len(bounded.split()) <= MAX_WORDS else answer


# A name as a list item: capitalised words, "of" or "de" between them ("Bank of America"), an optional "the".
_ITEM = r"(?:the\s+)?[A-Z][\w’'.-]*(?:\s+(?:(?:of|de|del|da|van|von|al|bin)\s+)?[A-Z][\w’'.-]*){0,5}"
_NAMED_LIST = re.compile(rf"(?<![\w’'-]){_ITEM}(?:\s*,\s*{_ITEM})*,?\s+(?:and|or|&)\s+{_ITEM}(?![\w’'-])")
_HOW_MANY_LISTED = {"two": 2, "three": 3, "four": 4, "five": 5}
_LISTED_COUNT = re.compile(r"\b(?:which|what|name|list|the)\s+(two|three|four|five)\b", re.IGNORECASE)


def _from_the_first_name(listed: str) -> str:
    """`listed` without the items before its first name: "However, Greece and Cyprus" -> "Greece and Cyprus"."""
    starts = [0] + [m.end() for m in _LIST_SEPARATOR.finditer(listed)]
    for start in starts[:-1]:  # a list keeps two items at least
        if names_each(_LIST_SEPARATOR.split(listed[start:], maxsplit=1)[0]):
            return listed[start:]
    return listed


def whole_list(phrase: str, sentence: str, question: str) -> str:
    """The names listed in `sentence` that `phrase` is one of ("Woody Allen and Roman Polanski" for "Roman
    Polanski"), when the question asks for several names: a list question answered by one of its items
    answers only part of it. `phrase` as it is when it is already a list, is listed nowhere, or the list
    has not the number of names the question asks for ("which two") or is longer than a short answer may be."""
    mine = _list_items(phrase)
    if len(mine) != 1:
        return phrase
    return next((listed for listed in named_lists(sentence, question) if mine[0] in _list_items(listed)), phrase)


def named_lists(sentence: str, question: str) -> list[str]:
    """The lists of names in `sentence` ("Albania and Croatia"), each a short answer's length at most, and of
    as many names as the question asks for ("which two") when it says."""
    counted = _LISTED_COUNT.search(question)
    lists = []
    for match in _NAMED_LIST.finditer(sentence):
        listed = _from_the_first_name(_trim_opener(clean_phrase(match.group(0))))  # not "With Greece and Cyprus"
        if not names_each(listed) or len(listed.split()) > MAX_WORDS:
            continue
        items = _list_items(listed)
        if any(all(_of_a_people(w) or _of_a_people(w.removesuffix("s")) for w in item.split()) for item in items):
            continue  # "Ukrainians and European" says who, not which names
        if counted and len(items) != _HOW_MANY_LISTED[counted.group(1).lower()]:
            continue
        lists.append(listed)
    return lists


def _crosses_a_sentence(phrase: str) -> bool:
    """Does `phrase` run from one sentence into the next ("Politico. And Ankara"), where the sentence splitter
    would cut it, not at a title or an abbreviation ("Dr. Lee", "U.S. President")?"""
    return len(split_sentences(phrase)) > 1


_COUNT_IN_PHRASE = re.compile(rf"\d[\d,.]*\d|\d|\b{_NUMBER_WORD}\b", re.IGNORECASE)
_MAGNITUDE = frozenset("million millions billion billions trillion thousand thousands hundred hundreds dozen".split())


def counts_another_thing(phrase: str, sentence: str, question: str) -> bool:
    """Does the number of `phrase` count something else than the "how many" question asks for, in a sentence
    that names the thing asked apart from it? "three ten-year terms" does not say how many voting members
    there are in "Members will receive voting rights after three ten-year terms", nor "43 goals" how many
    points beside "110 points". False when the sentence never names the thing asked (a synonym may count
    it: "5,000 soldiers" for troops), or the number stands once for the thing asked or for no other plural
    noun ("all 12 felony counts" beside "the 12 jurors")."""
    asked = _asked_to_count(question)
    if not asked or not asked & set(content_words(sentence)):
        return False
    numbers = _COUNT_IN_PHRASE.findall(phrase)
    places = list(re.finditer(rf"(?<![\w.,]){re.escape(numbers[-1])}(?![\w])", sentence, re.IGNORECASE)) if numbers else []
    return bool(places) and all(_counts_other_than(sentence[found.end() :], asked) for found in places)


def _asked_to_count(question: str) -> set[str]:
    """The content words of what "how many" counts, up to its verb: "experts, students and staff" (all three),
    "voting members"; empty when the question does not count."""
    match = _HOW_MANY.search(question)
    if not match:
        return set()
    words: list[str] = []
    for word in re.findall(r"[\w’'-]+", match.group(1))[:6]:
        if _NOT_THE_THING.match(word) or (words and (word[0].isupper() or re.search(r"(?:ed|ing)$", word))):
            break  # the verb, a preposition or a name ends it: "people [attended]", "points [did]"
        words.append(word)
    return set(content_words(" ".join(words)))


def _counts_other_than(after: str, asked: set[str]) -> bool:
    """Does the number that `after` follows count a plural noun that is none of `asked` ("43 goals" for points)?"""
    joined = re.match(r"-([a-z]+)", after)
    if joined:  # "a five-layer sunshield" counts layers; "a 100-point season" describes a season, not the points
        return not (set(content_words(joined.group(1))) & asked)
    for word in after.split()[:3]:
        w = word.strip(",.;:!?()[]\"“”‘’'").lower()
        if w in _MAGNITUDE or "-" in w:  # "2 million", "three ten-year terms"
            continue
        if set(content_words(w)) & asked or any(_same_head(a, w) for a in asked) or w in _GENERIC_COUNTED or w in _PLURAL_WITHOUT_S:
            return False
        if re.fullmatch(r"[a-z]{3,}s", w) and w not in STOPWORDS:
            return True  # "43 goals" for points
        if word[-1:] in ",.;:!?)":
            break
    return False


def _as_a_share(phrase: str, sentence: str) -> bool:
    """Is the number `phrase` written as a share in `sentence` ("50" of "about 50% of the species")?"""
    return bool(re.search(rf"(?<![\w.]){re.escape(phrase)}\s?(?:%|per ?cent\b)", sentence, re.IGNORECASE))


def _opens_alone(name: str, sentence: str) -> bool:
    """Is `name` one word that opens `sentence`, so that its capital says nothing ("Wealthy nations ...",
    "Dangerous flooding ...")?"""
    return len(name.split()) == 1 and clean_phrase(sentence).startswith(name)


_MEASURE_ADJECTIVE = re.compile(
    rf"(\d[\d,.]*)-({_TIME_UNITS.replace('s?', '')}|mile|foot|metre|meter|kilometre|kilometer)(-old)?", re.IGNORECASE
)
_PLURAL = {"foot": "feet", "century": "centuries"}


def plain_measure(phrase: str) -> str:
    """A measure written as an adjective, as an answer reads it: "20-year" -> "20 years", "101-year-old" -> "101 years old"."""
    match = _MEASURE_ADJECTIVE.fullmatch(phrase)
    if match is None:
        return phrase
    number, unit, old = match.groups()
    unit = unit if number == "1" else _PLURAL.get(unit.lower(), unit + "s")
    return f"{number} {unit}" + (" old" if old else "")


_OWNER = re.compile(r"^\s*((?:[A-Z][\w.-]*\s+){0,3}[A-Z][\w.-]*?)(?:’s|'s)\s+\w")


def _owner(phrase: str | None) -> str | None:
    """The name a phrase opens with when it goes on about something of theirs ("Vladimir Putin’s
    invasion of Ukraine" -> "Vladimir Putin"): tried for who / where only after the whole phrase."""
    match = _OWNER.match(phrase or "")
    return match.group(1) if match else None


_QUOTE = re.compile(r"[“\"«]([^”\"»]+)[”\"»]")
_THIRD_PERSON = re.compile(r"\b(he|she)\b", re.IGNORECASE)
_SPEECH = re.compile(rf"\b({SPEECH_VERB})\b", re.IGNORECASE)
# An attribution says who said something: a speaker, a verb that reports and at most three words of where
# or to whom ("White House spokesman Caroline Levit told reporters", "the news site reported on Monday"), or
# the verb first ("said one EU diplomat"). The verbs are lower case ("Edward Said" is a name).
_REPORTING_VERBS = frozenset([*SPEECH_VERBS, "reported"])
_ATTRIBUTION_TAIL = frozenset(
    "reporters journalists in on at to a an the his her their its this last late early statement interview "
    "briefing conference press news release week weekend month year morning afternoon evening night".split()
)
_SPEAKER_OPENERS = frozenset("the a an one in on reporters journalists".split())  # "said in a statement"
# The words before the verb name a speaker: no clause ("the battles do not stop,” he said"), nor a passive.
_SPEAKER_WORD = re.compile(r"[\w’'.-]+")
_NOT_A_SPEAKER = frozenset(
    "is are was were be being been do does did not never will would can could has have had should may might must "
    "to that which who".split()
)


def attribution_speaker(phrase: str) -> str | None:
    """The speaker when `phrase` only says who said something ("spokesman Caroline Levit told reporters" ->
    "spokesman Caroline Levit"); None when it says more, or no one."""
    words = clean_phrase(phrase).split()
    verb = next((i for i, w in enumerate(words) if w in _REPORTING_VERBS), None)
    if verb is None or _crosses_a_sentence(phrase):
        return None
    before, after = words[:verb], words[verb + 1 :]
    if not before:  # "said one EU diplomat", not "warned of more strikes"
        speaks = 0 < len(after) <= MAX_NAME_WORDS and (after[0].lower() in _SPEAKER_OPENERS or after[0][0].isupper())
        return " ".join(after) if speaks else None
    speaks = (
        len(before) <= MAX_NAME_WORDS
        and all(_SPEAKER_WORD.fullmatch(w) and w.lower() not in _NOT_A_SPEAKER for w in before)
        and len(after) <= 3
        and all(w.lower() in _ATTRIBUTION_TAIL or w[0].isupper() for w in after)
    )
    return " ".join(before) if speaks else None


def is_attribution(phrase: str) -> bool:
    """Does `phrase` only say who said something ("spokesman Caroline Levit told reporters")?"""
    return attribution_speaker(phrase) is not None


def _only_who_spoke(phrase: str, q_words: set[str]) -> bool:
    """Is `phrase` an attribution whose speaker the question does not ask about? "What is Caroline Levit's
    job?" asks about the speaker of "White House spokesman Caroline Levit told reporters"; the speaker's
    last word says who it is ("Levit", not the "White House" a spokesman speaks for)."""
    speaker = attribution_speaker(phrase)
    if speaker is None:
        return False
    last = content_words(speaker.split()[-1])
    return not (last and last[0] in q_words)


_ROLE_MENTION = re.compile(
    r"\b(?:[Tt]he\s+)?(?:[A-Z][\w.’'-]*\s+){0,3}(?:[Pp]resident|[Pp]rime [Mm]inister|[Cc]hancellor|[Mm]inister|"
    r"[Ss]ecretary(?: of [A-Z]\w+)?|[Gg]overnor|[Mm]ayor|[Ll]eader|[Kk]ing|[Qq]ueen|[Pp]ope|CEO|[Cc]hief)"
    r"(?:\s+[A-Z][\w’'-]+){0,2}"
)


def quoted_referent(question: str, short: str, sentence: str, before: str, after: str) -> str | None:
    """For a "who" question answered by a quote about "he" or "she": the person meant, through the speaker.

    "'He has excluded soldiers on the ground,' spokeswoman X told reporters" answers "who ruled out
    soldiers?" with the person "he" stands for, not with X, unless the question asks who said it.
    The person is the last role mention ("the US president", "Prime Minister Y") in the sentence
    before, else the first in the sentence after; None when there is none or nothing applies.
    """
    if _SPEECH.search(question):
        return None
    quoted = " ".join(m.group(1) for m in _QUOTE.finditer(sentence))
    outside = _QUOTE.sub(" ", sentence)
    if not quoted or not _THIRD_PERSON.search(quoted) or short.lower() not in outside.lower():
        return None
    q_words = set(content_words(question))
    if len(q_words & set(content_words(quoted))) <= len(q_words & set(content_words(outside))):
        return None  # the question is about what the speaker did, not about the quote
    mentions = [m.group(0) for m in _ROLE_MENTION.finditer(before)]
    referent = mentions[-1] if mentions else next((m.group(0) for m in _ROLE_MENTION.finditer(after)), None)
    if referent is None:
        return None
    referent = clean_phrase(referent)
    joined = f"{referent}, through {short}"
    return joined if len(joined.split()) <= MAX_WORDS else referent


# "she said", "he told reporters", "said she": the speaker is a pronoun.
_PRONOUN_SPEAKER = re.compile(rf"\b(?:he|she)\s+{_SPEECH.pattern[2:-2]}\b|\b{_SPEECH.pattern[2:-2]}\s+(?:he|she)\b", re.IGNORECASE)


def pronoun_speaker(question: str, sentence: str, before: Sequence[str]) -> str | None:
    """For "who said ...?" answered by a sentence whose speaker is "he" or "she": the person named first
    (the subject, as a rule) in the nearest of the sentences `before` (nearest first) that names one,
    without the question's own words ("Seismologist Lucy Jones" -> "Lucy Jones" for "which seismologist
    said ...?"). None when the question does not ask who spoke, the speaker is named, or no sentence
    before names a person."""
    if not _SPEECH.search(question) or not _PRONOUN_SPEAKER.search(_QUOTE.sub(" ", sentence)):
        return None
    q_words = set(content_words(question))
    for earlier in before:
        for span in _NAME_SPAN.finditer(earlier):
            words = span.group(0).split()
            while words and (_opener(words[0]) or set(content_words(words[0])) & q_words):
                words = words[1:]
            name = " ".join(words)
            if len(words) >= 2 and _PERSONAL_NAME.fullmatch(name) and not _ORGANISATION_END.search(name):
                return name
    return None


# The speaker after a closing quote ("...,” said one EU diplomat.") or before its verb ("...,” Selim
# Genra, a former ambassador, observed"); a few words up to the next comma or stop.
_SPEAKER_AFTER = re.compile(rf"[”\"»]\s*,?\s*(?:{SPEECH_VERB})\s+([^,.;:“”\"()]{{2,60}}?)\s*(?=[,.;:]|$)")
_SPEAKER_BEFORE = re.compile(
    rf"[”\"»]\s*,?\s*([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){{0,3}})\s*(?:,[^,“”\"]{{3,80}},\s*)?(?:{SPEECH_VERB})\b"
)


def quoted_speaker(question: str, sentence: str) -> str | None:
    """For a "who" question about what a quote says ("who doubted the plan could work?" and "'... it is not
    easy to see how this plan will evolve,' said one EU diplomat"): the speaker the sentence names.

    Only when the question's words are more in the quote than outside it, the question does not name the
    speaker already ("what did the diplomat say ...?" asks about the quote), and the quote speaks of no
    "he" or "she" (then `quoted_referent` finds the person meant). None otherwise.
    """
    quoted = " ".join(m.group(1) for m in _QUOTE.finditer(sentence))
    outside = _QUOTE.sub(" ", sentence)
    if not quoted or _THIRD_PERSON.search(quoted):
        return None
    q_words = set(content_words(question))
    if len(q_words & set(content_words(quoted))) <= len(q_words & set(content_words(outside))):
        return None
    found = _SPEAKER_AFTER.search(sentence) or _SPEAKER_BEFORE.search(sentence)
    if found is None:
        return None
    speaker = clean_phrase(found.group(1))
    if not speaker or len(speaker.split()) > MAX_NAME_WORDS or set(content_words(speaker)) & q_words:
        return None
    return speaker


def _trim_tail(phrase: str) -> str:
    """`phrase` without the function words it ends on ("more common in the future because of" -> "... future")."""
    words = phrase.split()
    while words and (words[-1].lower() in STOPWORDS or _CLAUSE_OPENER.fullmatch(words[-1])):
        words = words[:-1]
    return " ".join(words)


def _trim_opener(name: str) -> str:
    words = name.split()
    while words and _opener(words[0]):
        words = words[1:]
    return " ".join(words)


def _nearest(spans: list[str], sentence: str, q_words: set[str], *, avoid_years: bool = False) -> str | None:
    """The span with a word the question lacks, closest to where the question's words occur."""
    fresh = []
    for span in spans:
        words = set(content_words(span))
        if not words or not (words - q_words):
            continue
        if avoid_years and re.fullmatch(r"(?:in |since )?(1[89]|20)\d\d", span.strip()):
            continue
        if len(span.split()) > MAX_WORDS:
            continue
        fresh.append(span)
    if not fresh:
        return None
    low = sentence.lower()
    anchors = [m.start() for w in q_words for m in re.finditer(re.escape(w[:5]), low)]
    if not anchors:
        return clean_phrase(fresh[0])

    def distance(span: str) -> int:
        at = sentence.find(span)
        return min(abs(at - a) for a in anchors)

    return clean_phrase(min(fresh, key=distance))


__all__ = [
    "Kind", "MAX_WORDS", "clause_span", "clean_phrase", "counted_thing", "counts_another_thing", "counts_what_is_asked", "fits_kind", "grounded", "is_attribution", "names_each", "listed_beside_the_question", "question_kind", "plain_measure", "reported_on", "restates_what_is_asked", "rule_span",
    "pronoun_speaker", "quoted_referent", "short_answer_for", "without_dateline",
]
