"""Sentences with character offsets, and the content words used to compare them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import STOPWORDS

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace,
# or at a blank line; a lower-case word after a period ("U.S. officials") never starts a sentence.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘'(\[A-Z0-9À-Ý])|\n\s*\n")
_WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)?", re.UNICODE)
# Verbs that report speech ("said", "warned", "told reporters"), past and present: the one list for who
# said a quote, whether a clause is only an attribution and whether a question asks who said something.
# Forms that are often nouns ("notes", "states", "claims") are left out.
SPEECH_VERBS = (
    "said says say told tell tells added adds warned warns stressed stresses observed argued argues explained "
    "insisted wrote cautioned replied announced declared declares stated commented claimed admitted recalled "
    "emphasised emphasized underlined concluded asked noted"
).split()
SPEECH_VERB = "|".join(SPEECH_VERBS)  # for regular expressions
QUESTION_WORDS = frozenset("what which who whom whose when where why how many much does did do is are was were".split())


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets in the string that was split
    end: int


# A period after an initial ("John F. Kennedy"), a title ("Dr. Lee", "Sens. Amy Klobuchar"), a short
# month ("Sept. 19") or "v." ("Roe v. Wade") ends no sentence; nor does "No." before a number ("No. 1").
_NOT_AN_END = re.compile(
    r"(?:^|[\s(“\"])(?:[A-Z]|Mr|Mrs|Ms|Dr|Prof|Gov|Sens?|Reps?|Gen|Lt|Col|Sgt|Capt|Rev|Hon|Mt|"
    r"Jan|Feb|Aug|Sept|Oct|Nov|Dec|vs?)\.$"
)
_NUMBER_SIGN = re.compile(r"(?:^|[\s(“\"])No\.$")
# An abbreviation that may also end a sentence ("U.S.", "p.m.", "Jr.", "St.", "Inc.") ends none when a
# name or a noun follows it ("U.S. President", "George H.W. Bush", "7 p.m. Tuesday", "St. Louis"); it
# does when the next word is one a sentence starts with ("in the U.S. The talks").
_ABBREVIATION = re.compile(r"(?:^|[\s(“\"])(?:(?:[A-Za-z]\.){2,}|(?:Jr|Sr|Inc|Co|Corp|Ltd|St|Ave|Blvd|Ft)\.)$")
_NEXT_WORD = re.compile(r"[A-Z][^\W_]*")


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences; `text[s.start:s.end] == s.text` for each."""
    out: list[Sentence] = []
    for start, end in pieces_between(text, _BOUNDARY):
        _append(out, text, start, end)
    return out


def pieces_between(text: str, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    """(start, end) of the stretches of `text` between the matches of `boundary` that end a sentence:
    a match with a line break always does, one after an abbreviation inside a sentence does not."""
    pieces: list[tuple[int, int]] = []
    cursor = 0
    for match in boundary.finditer(text):
        if "\n" not in match.group(0) and continues_sentence(text, match.start(), match.end()):
            continue
        pieces.append((cursor, match.start()))
        cursor = match.end()
    pieces.append((cursor, len(text)))
    return pieces


def continues_sentence(text: str, end: int, next_start: int) -> bool:
    """Whether the period before `end` belongs to an initial, a title or an abbreviation inside a sentence
    that goes on at `next_start`."""
    if _NOT_AN_END.search(text, max(0, end - 6), end):
        return True
    if _NUMBER_SIGN.search(text, max(0, end - 4), end):
        return text[next_start : next_start + 1].isdigit()
    if not _ABBREVIATION.search(text, max(0, end - 12), end):
        return False
    following = _NEXT_WORD.match(text, next_start)
    return following is not None and following.group(0).lower() not in STOPWORDS


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(text[start:end], start, end))


def stem(word: str) -> str:
    """A deliberately light stemmer: enough to match 'troops'/'troop', 'warned'/'warns'."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str, *, drop_question_words: bool = False) -> list[str]:
    """Stemmed words that carry meaning (no stop words), in order."""
    words = []
    for raw in _WORD.findall(text):
        low = raw.lower()
        if low in STOPWORDS or (drop_question_words and low in QUESTION_WORDS):
            continue
        words.append(stem(low))
    return words


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def letter_runs(text: str) -> list[str]:
    """The runs of letters of `text`, in any alphabet, without digits or apostrophes ("Estévez’s" -> "Estévez", "s")."""
    return _LETTER_RUN.findall(text)


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
