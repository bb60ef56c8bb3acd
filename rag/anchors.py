"""Does an article name what a question names? A sentence from an article about another subject does not answer.

"Who is the CEO of JetBlue?" is not answered by "The company, then run by CEO Marissa Mayer, ..."
from an article that never names JetBlue, however well the sentence fits the question's other
words. The names a question gives (capitalised words that do not open one of its sentences) must
each occur in the article the evidence comes from, as they are or, for a longer name, by their
first four letters ("Britain" / "British", "Japanese" / "Japan"). An acronym also occurs when the
article spells it out: "the NWS" is "the National Weather Service", "the BoE" "the Bank of England",
"the DOJ" "the Justice Department" (news writes "the Department of X" as "the X Department"). A
capital standing for its government is named by its country: "Washington" by "the US" or "American".
"""

from __future__ import annotations

import re

from rag.places import names_the_country_of

# Capitalised words that are not names: question and function words, months and weekdays.
NOT_NAMES = frozenset(
    "who whom whose what which when where why how is are was were do does did has have had can could will would "
    "should may might must shall the a an and or but in on at to for of from by with about according besides apart "
    "after before since during january february march april june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
_WORD = re.compile(r"[\w’'-]+")
_POSSESSIVE = re.compile(r"(’s|'s|’|')$")
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")
SHORT_NAME = 5  # names this long or shorter must occur whole; longer ones may differ after four letters
# Short words inside a spelled-out name, which an acronym may or may not count ("Bank of England": BoE).
_JOINERS = frozenset({"of", "for", "and", "the", "on", "de", "&"})
_NAME_WORD = re.compile(r"[\w&’'.-]+")


def question_names(question: str) -> list[str]:
    """The names `question` gives: capitalised words of three letters or more that do not open a sentence."""
    names = []
    for sentence in _SENTENCE_END.split(question.strip()):
        for i, word in enumerate(_WORD.findall(sentence)):
            word = _POSSESSIVE.sub("", word)
            if i == 0 or len(word) < 3 or not word[0].isupper() or word.lower() in NOT_NAMES:
                continue
            names.append(word)
    return names


def names_what_is_asked(question: str, article: str) -> bool:
    """Does `article` (its title and text) name every name `question` gives? True when it gives none."""
    names = question_names(question)
    if not names:
        return True
    text = article.lower()
    words: set[str] | None = None
    original = {n.lower(): n for n in names}
    for name in original:
        if name in text or _spelled_out(original[name], article) or names_the_country_of(name, article):
            continue
        if len(name) <= SHORT_NAME:
            return False
        if words is None:
            words = set(_WORD.findall(text))
        if not any(w.startswith(name[:4]) for w in words):
            return False
    return True


def is_acronym(word: str) -> bool:
    """Two or more capitals making up most of its letters: "NWS", "BoE", "NHLPA", not "JetBlue"."""
    letters = [c for c in word if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return capitals >= 2 and capitals * 2 > len(letters)


def _spelled_out(name: str, article: str) -> bool:
    """Does `article` write acronym `name` as the capitalised words it stands for?"""
    if not is_acronym(name):
        return False
    letters = "".join(c for c in name.lower() if c.isalpha())
    for words in _capitalised_runs(article):
        for start in range(len(words)):
            if _spells(letters, words[start:]):
                return True
        for end in range(2, len(words) + 1):  # "Justice Department" is the Department of Justice
            for start in range(end - 1):
                if words[end - 1].lower() not in _JOINERS and _spells(letters, [words[end - 1], "of", *words[start : end - 1]]):
                    return True
    return False


def _capitalised_runs(article: str) -> list[list[str]]:
    """Runs of capitalised words, joined by short words ("Bank of England", "NHL Players’ Association")."""
    runs: list[list[str]] = []
    current: list[str] = []
    for word in _NAME_WORD.findall(article):
        if word[0].isupper():
            current.append(word)
        elif word.lower() in _JOINERS and current:
            current.append(word.lower())
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [run for run in runs if sum(w[0].isupper() for w in run) >= 2]


def _spells(letters: str, words: list[str]) -> bool:
    """Do the words, from the first, give `letters` in order? A capitalised word gives its initial (an
    acronym all its capitals); a short joining word may give its initial or nothing."""
    if not letters:
        return True
    if not words:
        return False
    word, rest = words[0], words[1:]
    if word.lower() in _JOINERS and not word[0].isupper():
        return (letters[0] == word[0] and _spells(letters[1:], rest)) or _spells(letters, rest)
    given = "".join(c for c in word if c.isupper()).lower() if is_acronym(word) else word[0].lower()
    return letters.startswith(given) and _spells(letters[len(given):], rest)


__all__ = ["SHORT_NAME", "is_acronym", "names_what_is_asked", "question_names"]
