"""Citation verification: every [n] must name a shown passage whose text supports the sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.lexical import STOPWORDS
from rag.sentences import Sentence, content_words, letter_runs, numbers_in, split_sentences
from rag.types import Citation, Passage

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# Placeholders a model copies from a template or an article ("[n]", "[x]", "[?]"): never a citation.
PLACEHOLDER = re.compile(r"\s*\[[A-Za-z?]\]")
_BRACKETED = re.compile(r"\[(\d+(?:\s*,\s*\d+)*|[A-Za-z?])\]")
# Share of a claim's content words that the supporting span must contain.
MIN_SUPPORT = 0.6
# Claims without any [n] are attached to a passage only on stronger evidence.
MIN_SUPPORT_UNCITED = 0.75


@dataclass(frozen=True)
class Support:
    """The best supporting span for a claim in one passage (offsets in the passage text)."""

    score: float
    start: int
    end: int


@dataclass(frozen=True)
class VerifiedSentence:
    text: str  # the claim with only verified markers
    citations: list[Citation]
    dropped: list[int]  # markers that named no passage or an unsupporting one


def strip_markers(text: str) -> str:
    """The text without citation markers and placeholders like "[n]"."""
    return PLACEHOLDER.sub("", MARKER.sub("", text)).strip()


def defuse_markers(text: str) -> str:
    """Quoted document text with "[7]" and "[n]" as "(7)" and "(n)": only the system's own [n] name passages."""
    return _BRACKETED.sub(r"(\1)", text)


def markers_in(text: str) -> list[int]:
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"\s*,\s*", group)]


def answer_sentences(answer: str) -> list[str]:
    """Split an answer into sentences; markers that trail a period stay with their sentence."""
    sentences: list[str] = []
    for s in split_sentences(answer):
        text = s.text.strip()
        leading = re.match(r"(\s*\[\d+(?:\s*,\s*\d+)*\])+", text)
        if leading and sentences:
            sentences[-1] = f"{sentences[-1]} {leading.group(0).strip()}"
            text = text[leading.end():].strip()
        if text:
            sentences.append(text)
    return sentences


def best_support(claim: str, passage: Passage) -> Support:
    """Find the sentence (or pair of adjacent sentences) of `passage` that best supports `claim`."""
    words = set(content_words(claim))
    if not words:
        return Support(0.0, 0, 0)
    needed_numbers = numbers_in(claim)
    needed_names = names_in(claim)
    sentences = split_sentences(passage.text)
    best = Support(0.0, 0, 0)
    # Single sentences first; a pair of adjacent sentences must do clearly better to win.
    for size, margin in ((1, 0.0), (2, 0.05)):
        for i in range(len(sentences) - size + 1):
            start, end = sentences[i].start, sentences[i + size - 1].end
            score = _coverage(words, needed_numbers, passage.text[start:end], needed_names)
            if score > best.score + margin:
                best = Support(score, start, end)
    return best


def _coverage(words: set[str], numbers: set[str], span: str, names: set[str] = frozenset()) -> float:
    if numbers and not numbers <= numbers_in(span):
        return 0.0
    if names and not names <= _name_keys(span):
        return 0.0  # a name the passage never mentions is not supported by it
    found = set(content_words(span))
    return len(words & found) / len(words)


# Capitalised only because they start a sentence or clause; never required in the passage.
_NOT_NAMES = STOPWORDS | frozenset(
    "according although answer article articles because both despite however passage passages "
    "yes no also according while since after before yet still even".split()
)


def _name_key(word: str) -> str:
    return word.lower()[:5]


def names_in(text: str) -> set[str]:
    """Keys of the capitalised words inside sentences (names), matched by their first letters."""
    return {
        _name_key(w) for w in letter_runs(text.strip()) if len(w) > 1 and w[0].isupper() and w.lower() not in _NOT_NAMES
    }


def _name_keys(span: str) -> set[str]:
    return {_name_key(w) for w in letter_runs(span)}


def citation_for(passage: Passage, support: Support) -> Citation:
    return Citation(
        n=passage.n,
        doc_id=passage.doc_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        url=passage.url,
        published=passage.published,
        quote=passage.text[support.start : support.end],
        start=passage.start + support.start,
        end=passage.start + support.end,
        outlet=passage.outlet,
        updated=passage.updated,
        also_in=passage.also_in,
    )


def verify_sentence(sentence: str, passages: Sequence[Passage]) -> VerifiedSentence:
    """Keep the markers of `sentence` whose passage supports it; attach one when it has none."""
    by_n = {p.n: p for p in passages}
    claim = strip_markers(sentence)
    cited = markers_in(sentence)
    citations: list[Citation] = []
    dropped: list[int] = []
    for n in dict.fromkeys(cited):
        passage = by_n.get(n)
        support = best_support(claim, passage) if passage else Support(0.0, 0, 0)
        if passage and support.score >= MIN_SUPPORT:
            citations.append(citation_for(passage, support))
        else:
            dropped.append(n)
    if not citations and not cited:
        scored = [(best_support(claim, p), p) for p in passages]
        scored = [(s, p) for s, p in scored if s.score >= MIN_SUPPORT_UNCITED]
        if scored:
            support, passage = max(scored, key=lambda sp: sp[0].score)
            citations.append(citation_for(passage, support))
    marks = "".join(f"[{c.n}]" for c in citations)
    text = claim if not marks else _place_markers(claim, marks)
    return VerifiedSentence(text=text, citations=citations, dropped=dropped)


def _place_markers(claim: str, marks: str) -> str:
    if claim and claim[-1] in ".!?":
        return f"{claim[:-1]} {marks}{claim[-1]}"
    return f"{claim} {marks}"


def is_refusal(text: str) -> bool:
    """Does the generated text say that the passages do not hold the answer?"""
    low = " ".join(strip_markers(text).lower().split())
    patterns = (
        "do not answer", "does not answer", "don't know", "do not know", "not contain", "does not contain",
        "no information", "not enough information", "cannot answer", "can't answer", "not mentioned",
        "not provided", "not specified", "not stated", "no mention", "unable to answer", "not say",
        "doesn't say", "not clear from", "does not mention", "do not mention", "doesn't mention",
    )
    return any(p in low for p in patterns)


__all__ = [
    "Sentence", "Support", "VerifiedSentence", "answer_sentences", "best_support", "citation_for", "defuse_markers",
    "is_refusal", "markers_in", "strip_markers", "verify_sentence",
]
