"""Closed sets of place names: what "which country", "which state" and "which continent" take.

A "which country" question is not answered by "Chinese", "European", "Luzon" or "White House",
though each is a capitalised name near the question's words. Countries and their states or
provinces come from ISO 3166 (the `pycountry` package, which ships the data), with the short
names news writes ("Russia", "Turkey", "the US", "Britain"); continents are listed here.
"""

from __future__ import annotations

import re
from functools import cache

# The nouns a place question asks by, each with its closed set of names (`names_place`).
PLACE_NOUNS = ("country", "state", "continent")
# Up to two words between which/what and the noun ("which European country", "what US state"), none of
# them a verb or a determiner: "what did the state say" asks for no state.
_FILLER = r"(?:(?!(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|the|a|an|of|in|to|for|on|by)\b)[\w.-]+\s+)"
_ASKS = re.compile(
    rf"\b(?:which|what)\s+{_FILLER}{{0,2}}(country|nation|state|continent)\b(['’]s\b)?",
    re.IGNORECASE,
)
# The noun is the one asked for only when what follows it is not the rest of a longer noun ("which
# Russian state energy company", "which country music star"): the question's verb, a preposition or
# a relative word comes next, or nothing does.
_FOLLOWS_THE_NOUN = frozenset(
    "is are was were be been has have had do does did will would can could should may might must shall "
    "in on at to from with by for into that which where whose who whom as after before since during "
    "saw won led took made became hit sent lost began chose gave met left fled held told said spoke shut "
    "set cut put ran went got beat broke brought built bought fought kept sold paid struck drew grew "
    "threw rose fell felt found stood wrote "
    "this last next now first yesterday today tonight also still just ever never already not the a an his her "
    "their its our my your he she it they we".split()
)
_PLURAL_NOUNS = frozenset(
    "officials lawmakers leaders workers forces troops residents citizens authorities employees regulators "
    "media news legislators governors senators prosecutors police parks universities schools".split()
)


def noun_ends_here(after: str) -> bool:
    """Does the text `after` a noun show that the noun ended its noun phrase ("which city hosted", not "which
    city council")? Nothing more, a verb, a preposition, a determiner or a name does; another noun does not."""
    following = re.match(r"\s+([\w’'-]+)", after)
    return not following or _follows_the_noun(following.group(1))


def _follows_the_noun(word: str) -> bool:
    low = word.lower()
    if not word or word[0].isupper() or low in _FOLLOWS_THE_NOUN:
        return True
    if low in _PLURAL_NOUNS or low.endswith(("ss", "us", "is")):
        return False
    return low.endswith(("ed", "s", "ly"))


CONTINENTS = frozenset(
    {"africa", "antarctica", "asia", "australia", "europe", "oceania", "north america", "south america",
     "latin america", "central america"}
)

# Names news uses for countries that ISO 3166 writes otherwise; lower case.
_COUNTRY_ALIASES = frozenset(
    {
        "us", "u.s.", "usa", "u.s.a.", "america", "united states of america",
        "uk", "u.k.", "britain", "great britain", "england", "scotland", "wales", "northern ireland",
        "russia", "turkey", "czech republic", "ivory coast", "vatican", "vatican city", "brunei", "congo",
        "democratic republic of congo", "democratic republic of the congo", "drc", "cape verde", "swaziland",
        "burma", "holland", "netherlands", "palestine", "kosovo", "macedonia", "micronesia", "south korea",
        "north korea", "korea", "east timor", "uae", "emirates", "gambia", "bahamas", "philippines", "bosnia",
    }
)


def place_asked(question: str) -> str | None:
    """One of `PLACE_NOUNS` when the question asks for one by that noun; None otherwise.

    "Which nation" asks for a country; "the state of emergency" or "state-owned" ask for no state.
    """
    noun = _noun_asked(_ASKS, question)
    return "country" if noun == "nation" else noun


# Places inside a state: a country, a state or a continent is no answer to "which city" or "which national park".
_ASKS_SMALLER = re.compile(
    rf"\b(?:which|what)\s+{_FILLER}{{0,2}}(city|town|village|county|district|neighbou?rhood|suburb|borough|park|"
    r"airport|stadium|arena)\b(['’]s\b)?",
    re.IGNORECASE,
)
# Countries that are cities too.
_CITY_STATES = frozenset({"singapore", "monaco", "vatican city", "vatican", "hong kong", "macau", "macao"})


def smaller_place_asked(question: str) -> str | None:
    """The noun when the question asks for a place inside a state ("which city", "what national park"); None otherwise."""
    return _noun_asked(_ASKS_SMALLER, question)


def too_big_for(phrase: str, noun: str) -> bool:
    """Is `phrase` a country or continent, or for anything but a city a state, so not the `noun` asked for?

    "Montana" does not say which national park, nor "Ukraine" which city; "New York" may be a city.
    """
    key = _key(phrase)
    if noun.lower() == "city":
        return key not in _CITY_STATES and (names_place(phrase, "country") or names_place(phrase, "continent"))
    return names_a_region(phrase)


def names_a_region(phrase: str) -> bool:
    """Is `phrase` the name of a country, a state or a continent?"""
    return any(names_place(phrase, asked) for asked in PLACE_NOUNS)


def _noun_asked(pattern: re.Pattern[str], question: str) -> str | None:
    """The noun `pattern` finds after which/what, lower case, when it ends its noun phrase; None otherwise."""
    match = pattern.search(question)
    if not match:
        return None
    after = question[match.end(1) :]
    if not match.group(2) and (after.startswith("-") or not noun_ends_here(after)):
        return None  # "state-owned", "the state of emergency", "which state broadcaster"
    return match.group(1).lower()


def names_place(phrase: str, asked: str) -> bool:
    """Is `phrase` the name of a `asked` (one of `PLACE_NOUNS`), "the" and case aside?"""
    key = _key(phrase)
    return bool(key) and key in _names(asked)


def places_in(text: str, asked: str) -> list[str]:
    """The names of `asked` places that occur in `text`, as written there, in order, longest first at a spot."""
    names = _names(asked)
    found: list[tuple[int, str]] = []
    for match in re.finditer(r"[A-Z][\w.’'-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w.’'-]*){0,4}", text):
        words = match.group(0).split()
        for length in range(len(words), 0, -1):  # the longest run of capitalised words that is a name
            candidate = " ".join(words[:length]).rstrip(".,’'")
            if _key(candidate) in names:
                found.append((match.start(), candidate))
                break
    return [name for _, name in sorted(found)]


# Demonyms that do not start like their country's name ("French" / "France"); the others are found by it.
_IRREGULAR_DEMONYMS = frozenset(
    "french dutch swiss welsh scots scottish greek thai danish dane danes spanish spaniard finnish finn polish pole "
    "irish filipino czech kiwi aussie brit brits saudi emirati somali".split()
)
_DEMONYM_ENDINGS = ("ish", "ese", "an")  # "-an" covers "-ian" and "-ean"


def is_demonym(word: str) -> bool:
    """Is `word` a people's or a country's adjective ("British", "Chinese", "Israeli", "French"), not a place?

    A word ending in "-ish", "-ese", "-ian", "-ean" or "-an" that starts like a one-word country or a
    continent and is not itself one; a country's name with an "-i" ("Iraqi", "Qatari"); and a short
    list of the irregular ones. "Polanski" and "Jordan" are not.
    """
    low = word.strip(" .,;:'\"“”’").lower()
    if low in _IRREGULAR_DEMONYMS or (low.endswith("i") and low[:-1] in _countries()):
        return True
    if len(low) < 5 or not low.endswith(_DEMONYM_ENDINGS) or low in _countries() or low in CONTINENTS:
        return False
    return low[:4] in _country_stems()


@cache
def _country_stems() -> frozenset[str]:
    """The first four letters of the one-word country names and of the continents."""
    return frozenset(name[:4] for name in _countries() | CONTINENTS if " " not in name and len(name) >= 4)


def _names(asked: str) -> frozenset[str]:
    """The lower-case names of the kind `asked`; none for a kind this module does not know."""
    if asked == "continent":
        return CONTINENTS
    return _countries() if asked == "country" else _states() if asked == "state" else frozenset()


def _key(phrase: str) -> str:
    text = " ".join(phrase.replace("’", "'").split()).strip(" .,;:'\"“”")
    text = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)
    return text.lower()


def _short_forms(name: str) -> set[str]:
    """"Korea, Republic of" -> "korea"; "Holy See (Vatican City State)" -> "holy see"; "Wales [Cymru GB-CYM]" -> "wales"."""
    plain = re.sub(r"\s*[\[(].*?[\])]", "", name).strip()
    forms = {name.lower(), plain.lower(), plain.split(",")[0].strip().lower()}
    return {f for f in forms if f}


@cache
def _countries() -> frozenset[str]:
    import pycountry

    names: set[str] = set(_COUNTRY_ALIASES)
    for country in pycountry.countries:
        for field in ("name", "common_name", "official_name"):
            value = getattr(country, field, None)
            if value:
                names |= _short_forms(value)
    return frozenset(_key(n) for n in names)


_STATE_TYPES = re.compile(r"state|province|land|territory|federal district|^district$", re.IGNORECASE)


@cache
def _states() -> frozenset[str]:
    import pycountry

    names: set[str] = set()
    for division in pycountry.subdivisions:
        if _STATE_TYPES.search(division.type or "") and division.parent_code is None:
            names |= _short_forms(division.name)
    return frozenset(_key(n) for n in names)


# Capitals news uses for their governments ("Washington said", "talks between London and Paris"), with
# the names and adjectives an article may use for the country instead; case matters ("US", not "us").
_CAPITALS: dict[str, tuple[str, ...]] = {
    "washington": ("United States", "US", "U.S.", "USA", "America", "American", "Americans"),
    "london": ("United Kingdom", "UK", "U.K.", "Britain", "British", "England"),
    "moscow": ("Russia", "Russian", "Russians", "Kremlin"),
    "kremlin": ("Russia", "Russian", "Moscow"),
    "kiev": ("Ukraine", "Ukrainian", "Ukrainians", "Kyiv"),
    "kyiv": ("Ukraine", "Ukrainian", "Ukrainians", "Kiev"),
    "beijing": ("China", "Chinese"),
    "paris": ("France", "French"),
    "berlin": ("Germany", "German", "Germans"),
    "brussels": ("European Union", "EU", "E.U."),
    "ankara": ("Turkey", "Turkish", "Türkiye"),
    "tokyo": ("Japan", "Japanese"),
    "seoul": ("South Korea", "South Korean"),
    "pyongyang": ("North Korea", "North Korean"),
    "tehran": ("Iran", "Iranian"),
    "rome": ("Italy", "Italian"),
    "madrid": ("Spain", "Spanish"),
    "warsaw": ("Poland", "Polish"),
    "ottawa": ("Canada", "Canadian"),
    "canberra": ("Australia", "Australian"),
    "delhi": ("India", "Indian"),
    "minsk": ("Belarus", "Belarusian"),
    "damascus": ("Syria", "Syrian"),
    "riyadh": ("Saudi Arabia", "Saudi"),
    "cairo": ("Egypt", "Egyptian"),
    "taipei": ("Taiwan", "Taiwanese"),
    "havana": ("Cuba", "Cuban"),
    "caracas": ("Venezuela", "Venezuelan"),
    "kabul": ("Afghanistan", "Afghan"),
    "baghdad": ("Iraq", "Iraqi"),
    "jerusalem": ("Israel", "Israeli"),
}


def names_the_country_of(capital: str, text: str) -> bool:
    """Does `text` name the country whose capital `capital` stands for ("London" / "the UK", "British")?"""
    forms = _CAPITALS.get(capital.lower().replace("’", "'").removesuffix("'s"), ())
    return any(re.search(rf"(?<![\w.]){re.escape(form)}(?![\w])", text) for form in forms)
