"""Does an article name what a question names? A sentence from an article about another subject does not answer.

"Who is the CEO of JetBlue?" is not answered by "The company, then run by CEO Marissa Mayer, ..."
from an article that never names JetBlue, however well the sentence fits the question's other
words. The names a question gives (capitalised words that do not open one of its sentences) must
each occur in the article the evidence comes from, as they are or, for a longer name, by their
first four letters ("Britain" / "British", "Japanese" / "Japan").
"""

from __future__ import annotations

import re

# Capitalised words that are not names: question and function words, months and weekdays.
_NOT_NAMES = frozenset(
    "who whom whose what which when where why how is are was were do does did has have had can could will would "
    "should may might must shall the a an and or but in on at to for of from by with about according besides apart "
    "after before since during january february march april june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
_WORD = re.compile(r"[\w’'-]+")
_POSSESSIVE = re.compile(r"(’s|'s|’|')$")
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")
SHORT_NAME = 5  # names this long or shorter must occur whole; longer ones may differ after four letters


def question_names(question: str) -> list[str]:
    """The names `question` gives: capitalised words of three letters or more that do not open a sentence."""
    names = []
    for sentence in _SENTENCE_END.split(question.strip()):
        for i, word in enumerate(_WORD.findall(sentence)):
            word = _POSSESSIVE.sub("", word)
            if i == 0 or len(word) < 3 or not word[0].isupper() or word.lower() in _NOT_NAMES:
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
    for name in (n.lower() for n in names):
        if name in text:
            continue
        if len(name) <= SHORT_NAME:
            return False
        if words is None:
            words = set(_WORD.findall(text))
        if not any(w.startswith(name[:4]) for w in words):
            return False
    return True


__all__ = ["SHORT_NAME", "names_what_is_asked", "question_names"]
