"""Text normalisation shared by the metrics: SQuAD-style answers, content words, squashed quotes."""

from __future__ import annotations

import re
import unicodedata

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_WORD = re.compile(r"\w+")

# Function words that carry no claim; overlap on them says nothing about support.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    said says say according one ones yet still may might must shall also however although though
    """.split()
)


def squash(text: str) -> str:
    """Case-fold and collapse whitespace: how quotes are matched against passage texts."""
    return " ".join(text.casefold().split())


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case; drop punctuation (any script), articles, extra spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def answer_tokens(text: str) -> list[str]:
    """Tokens of the SQuAD-normalised text."""
    return normalize_answer(text).split()


def contains_phrase(haystack: str, needle: str) -> bool:
    """True when the normalised `needle` occurs in the normalised `haystack` on token boundaries."""
    norm_needle = normalize_answer(needle)
    if not norm_needle:
        return False
    return f" {norm_needle} " in f" {normalize_answer(haystack)} "


def stem(word: str) -> str:
    """A deliberately crude suffix stripper: 'soldiers'/'soldier' and 'warned'/'warn' meet."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def content_words(text: str) -> set[str]:
    """Stemmed, case-folded words of `text` without stop words (numbers kept, digits joined)."""
    folded = normalize_answer(text)
    return {stem(w) for w in _WORD.findall(folded) if w not in STOPWORDS}
