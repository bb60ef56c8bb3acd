"""Turn a follow-up question into a standalone one, using the conversation."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence

from rag.anchors import NOT_NAMES
from rag.backends.base import Generator
from rag.citations import strip_markers
from rag.prompts import CONDENSE, format_history
from rag.sentences import content_words, split_sentences

log = logging.getLogger(__name__)

# Words that point back into the conversation: a rewrite must replace them with something it said.
_POINTING = r"he|she|they|him|her|them|his|hers|their|theirs|it|its|this|that|these|those|there|then"
_POINTS_BACK = re.compile(rf"\b({_POINTING})\b", re.IGNORECASE)
_FOLLOW_UP = re.compile(rf"\b({_POINTING}|the same|also|too|what about|how about|and why|why not)\b", re.IGNORECASE)
_PERSONAL = re.compile(r"\b(he|she|him|they|them|his|her|their)\b", re.IGNORECASE)
_POSSESSIVE = ("his", "their")
# What follows "her" when it is not "her job" but "pushed her onto", "told her that", "asked her?".
_OBJECT_AFTER = re.compile(
    r"\s*(?:[^\w\s]|$|(?:to|at|in|on|onto|into|for|with|about|from|that|and|or|as|by|out|up|off|over|again|now)\b)",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"(?:[A-Z][\w.'’-]*|and|of|de|van|von|al|bin)$")
MAX_NAME_WORDS = 5
_WORD = re.compile(r"[^\W_][\w’'-]*")
HEURISTIC_EXTRA_WORDS = 12  # at most this many words of the conversation are added to a follow-up


def needs_condensing(question: str, history: Sequence[tuple[str, str]]) -> bool:
    if not history:
        return False
    q = question.strip()
    return bool(_FOLLOW_UP.search(q)) or len(content_words(q, drop_question_words=True)) <= 2


def condense_heuristic(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The follow-up made standalone without a model.

    When the previous answer is a name, the follow-up's first "he", "she", "they" (or "his", "her",
    "their") stands for it: "Who got him out?" after "King Tupou VI" -> "Who got King Tupou VI out?".
    Otherwise the key words of the previous question and of its answer's first sentence that the
    follow-up does not repeat are added in brackets ("How much was that house worth? (Maxwell arrested
    secluded Bradford New Hampshire)").
    """
    previous, answer = history[-1]
    name = _name_answered(answer)
    pronoun = _PERSONAL.search(question)
    if name and pronoun:
        owner = pronoun.group(1).lower() in _POSSESSIVE or (
            pronoun.group(1).lower() == "her" and not _OBJECT_AFTER.match(question[pronoun.end() :])
        )
        said = f"{name}'s" if owner else name
        return f"{question[: pronoun.start()]}{said}{question[pronoun.end() :]}".strip()
    have = set(content_words(question))
    extra = []
    for word in dict.fromkeys(re.findall(r"[^\W_]+", f"{previous} {_first_sentence(answer)}")):
        stems = content_words(word, drop_question_words=True)
        if stems and stems[0] not in have:
            have.add(stems[0])
            extra.append(word)
    extra = extra[:HEURISTIC_EXTRA_WORDS]
    return f"{question.strip()} ({' '.join(extra)})" if extra else question.strip()


def condense(question: str, history: Sequence[tuple[str, str]], generator: Generator | None) -> str:
    """A standalone question: rewritten by the generator when there is one and its rewrite is usable
    (`usable_rewrite`), else by heuristic."""
    if not needs_condensing(question, history):
        return question.strip()
    if generator is None:
        return condense_heuristic(question, history)
    messages = CONDENSE.render(history=format_history(history), question=question.strip())
    rewritten = "".join(generator.stream(messages, max_tokens=60)).strip().splitlines()
    text = rewritten[0].strip().strip('"“”') if rewritten else ""
    if not usable_rewrite(question, text, history):
        log.debug("rewrite %r of %r not used", text, question)
        return condense_heuristic(question, history)
    return text


def usable_rewrite(question: str, rewrite: str, history: Sequence[tuple[str, str]]) -> bool:
    """Is `rewrite` a standalone form of the follow-up `question`?

    It must still be a question when the follow-up was one: a small model sometimes answers instead
    ("Who got him out?" -> "King Tupou VI got him out."). And when the follow-up points back ("he",
    "that figure"), the rewrite must bring in at least one word the conversation said and the follow-up
    did not: "How much was the house worth?" still does not say which house.
    """
    if not 5 <= len(rewrite) <= 400:
        return False
    if question.rstrip().endswith("?") and not rewrite.rstrip().endswith("?"):
        return False
    if _POINTS_BACK.search(question):
        said = {w for turn in history for text in turn for w in content_words(text)}
        new = set(content_words(rewrite)) - set(content_words(question))
        return bool(new & said)
    return True


def referents(question: str, standalone: str) -> list[str]:
    """The words the standalone form of a follow-up put in place of its pronouns: "Heather Heyer" for "she" in
    "How old was she?" -> "How old was Heather Heyer?", "Harvey Weinstein's bail" for "it" in "What has it
    been raised to?". Words added elsewhere (the heuristic's bracket, a rephrasing) are not among them."""
    asked, rewritten = _WORD.findall(question), _WORD.findall(standalone)
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in asked], b=[w.lower() for w in rewritten], autojunk=False)
    found: list[str] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "replace" and any(_POINTS_BACK.fullmatch(w) for w in asked[a0:a1]):
            found += [w for w in rewritten[b0:b1] if content_words(w) and w.lower() not in NOT_NAMES]
    return found


def _first_sentence(answer: str) -> str:
    """The answer's first sentence without its citation marks or bold: the short answer when it leads."""
    sentences = split_sentences(" ".join(strip_markers(answer.replace("**", "")).split()))
    return sentences[0].text if sentences else ""


def _name_answered(answer: str) -> str | None:
    """The answer's first sentence when it is only a name ("King Tupou VI", "Richard Durbin"), else None."""
    first = _first_sentence(answer).rstrip(".!?")
    words = first.split()
    if not 1 <= len(words) <= MAX_NAME_WORDS or not words[0][0].isupper() or words[0].lower() in NOT_NAMES | {"yes", "no"}:
        return None  # not "Yes", "Monday" or "The city ..."
    return first if all(_NAME_WORD.match(w) for w in words) else None
