"""Extractive answering: pick the sentences of the passages that best answer the question.

Deterministic and fast; also the evidence the LLM back ends are given and fall back on.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from rag.citations import defuse_markers
from rag.sentences import SPEECH_VERB, Sentence, content_words, split_sentences
from rag.types import Passage

# How much meaning (cosine, about 0.1-0.8 for MiniLM) counts next to word coverage (0-1).
SEMANTIC_WEIGHT = 0.8


class SentenceEmbedder(Protocol):
    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


class CachedSentences:
    """Sentence vectors kept between questions (least recently used dropped first).

    The same passages come back for related questions, and embedding their sentences is most of
    the extractive back end's time.
    """

    def __init__(self, embedder: SentenceEmbedder, capacity: int = 50_000) -> None:
        self._embedder = embedder
        self._capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        fresh = self._embedder.encode_documents(missing) if missing else []
        with self._lock:
            self._vectors.update(zip(missing, fresh))
            for text in texts:
                self._vectors.move_to_end(text)
            while len(self._vectors) > self._capacity:
                self._vectors.popitem(last=False)
            return np.stack([self._vectors[t] for t in texts])


_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class Evidence:
    """One sentence of a passage, scored against the question (offsets in the passage text)."""

    passage: Passage
    text: str
    start: int
    end: int
    score: float
    coverage: float  # IDF-weighted share of the question's content words found in the sentence
    similarity: float = 0.0  # cosine similarity of question and sentence embeddings (0 when not computed)


def rank_sentences(
    question: str,
    passages: Sequence[Passage],
    context: str = "",
    embedder: SentenceEmbedder | None = None,
    top_passages: int = 4,
    join_back: bool = True,
) -> list[Evidence]:
    """Every sentence of `passages`, best first.

    `context` (e.g. the standalone rewrite of a follow-up) adds words that count for less than
    the question's own; coverage is measured on the question's own words only. With an
    `embedder`, the sentences of the first `top_passages` passages are also scored by meaning.
    With `join_back`, a sentence that points back may be read with the one before (`_candidates`).
    """
    q_words = set(content_words(question, drop_question_words=True))
    c_words = set(content_words(context, drop_question_words=True)) - q_words
    candidates = [c for p in passages for c in _candidates(p, q_words if join_back else set())]
    if not candidates or not q_words:
        return []
    df: dict[str, int] = {}
    for _, _, words in candidates:
        for w in words & q_words:
            df[w] = df.get(w, 0) + 1
    n = len(candidates)
    idf = {w: math.log(1.0 + n / (1 + df.get(w, 0))) for w in q_words}
    total = sum(idf.values())
    wants = _answer_type(question)
    meaning = _similarities(embedder, context or question, candidates, top_passages)
    ranked = []
    for rank, (passage, sentence, words) in enumerate(candidates):
        overlap = q_words & words
        coverage = sum(idf[w] for w in overlap) / total
        novelty = len(words - q_words)
        similarity = meaning[rank] if meaning is not None else 0.0
        score = coverage + SEMANTIC_WEIGHT * similarity + _type_bonus(wants, sentence.text, q_words) + 0.05 * passage.relevance
        if c_words:
            score += 0.3 * len(words & c_words) / len(c_words)
        score -= 0.02 * (passage.n - 1)
        if novelty == 0:
            score -= 0.3  # a sentence that only repeats the question answers nothing
        ranked.append(Evidence(passage, sentence.text, sentence.start, sentence.end, score, coverage, similarity))
    ranked.sort(key=lambda e: -e.score)
    return ranked


# A sentence that opens by pointing back ("This, the official said, ...", "But the United States have
# ruled this possibility.") names what it is about in the sentence before; alone it answers nothing.
_POINTS_BACK = re.compile(
    r"^[\"“‘'«(\s]*(this|that|these|those|it|he|she|they|such|both|but|because|and|so|however)\b", re.IGNORECASE
)


def _candidates(passage: Passage, q_words: set[str]) -> list[tuple[Passage, Sentence, set[str]]]:
    """The sentences of `passage` with their content words.

    A sentence that points back is joined with the sentence before it when that one holds question
    words it lacks: "But the United States have ruled this possibility." answers "who ruled out NATO
    membership?" only together with the sentence about joining NATO.
    """
    sentences = split_sentences(passage.text)
    words = [set(content_words(s.text)) for s in sentences]
    out = []
    for i, s in enumerate(sentences):
        if i and _POINTS_BACK.match(s.text) and (words[i - 1] - words[i]) & q_words:
            start = sentences[i - 1].start
            out.append((passage, Sentence(passage.text[start : s.end], start, s.end), words[i - 1] | words[i]))
        else:
            out.append((passage, s, words[i]))
    return out


def _similarities(embedder, question: str, candidates, top_passages: int) -> list[float] | None:
    """Cosine similarity of the question to each candidate sentence of the top passages."""
    if embedder is None:
        return None
    wanted = {p.n for p in sorted({c[0].n: c[0] for c in candidates}.values(), key=lambda p: p.n)[:top_passages]}
    index = [i for i, c in enumerate(candidates) if c[0].n in wanted]
    if not index:
        return None
    vectors = embedder.encode_documents([question] + [candidates[i][1].text for i in index])
    sims = [0.0] * len(candidates)
    for i, value in zip(index, (vectors[1:] @ vectors[0]).tolist()):
        sims[i] = float(value)
    return sims


def _answer_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\bhow (many|much|long|old|big|large)\b|\bnumber of\b|\bpercent", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month)\b", q):
        return "date"
    if re.search(r"\bwho(m|se)?\b|\bwhich (person|official|leader|minister|president|spokes)", q):
        return "person"
    if re.search(r"\bwhere\b|\bwhich (country|city|countries|place)\b", q):
        return "place"
    return "other"


def _type_bonus(wants: str, sentence: str, q_words: set[str]) -> float:
    if wants in ("number", "date") and _DIGITS.search(sentence):
        return 0.15
    if wants in ("person", "place"):
        names = {w for w in (m.lower() for m in _CAPITALISED.findall(sentence)) if w not in q_words}
        return 0.1 if names else 0.0
    return 0.0


_COUNT_QUESTION = re.compile(r"\bhow (many|much)\b", re.IGNORECASE)
_DATE_QUESTION = re.compile(r"\bwhat (exact )?(year|date|day|month)\b|\b(on|in) which (year|date|day|month)\b", re.IGNORECASE)
_CALENDAR_QUESTION = re.compile(r"\b(what|which) (exact )?(year|date|month)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d[\d,.]*")
_YEAR = re.compile(r"(1[89]|20)\d\d")
_NUMBER_WORDS = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|"
    r"thousands?|millions?|billions?|dozens?|half|double|twice)\b",
    re.IGNORECASE,
)
_MONTHS = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b", re.IGNORECASE)
_DAY_WORDS = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow)\b", re.IGNORECASE)


def fits_answer_type(question: str, sentence: str) -> bool:
    """False when the question asks for a count or a date and the sentence holds none.

    "How many" and "how much" need a number that is not a year; "what date / which year / which
    month" need a digit or a month name (a weekday is not a date); "on which day" also takes a
    weekday. Other questions always fit.
    """
    if _COUNT_QUESTION.search(question):
        return any(not _YEAR.fullmatch(n) for n in _NUMBER.findall(sentence)) or bool(_NUMBER_WORDS.search(sentence))
    if _CALENDAR_QUESTION.search(question):
        return bool(_DIGITS.search(sentence) or _MONTHS.search(sentence))
    if _DATE_QUESTION.search(question):
        return bool(_DIGITS.search(sentence) or _MONTHS.search(sentence) or _DAY_WORDS.search(sentence))
    return True


_SPAN_NOISE = re.compile(r"[^\w\s]+")
# A model that copies a whole clause is quoting the topic, not pointing at an answer.
MAX_COPIED_WORDS = 6


def copied_answer(reply: str, sentence: str, question: str) -> bool:
    """True when `reply` is words copied from `sentence` that the question does not already hold.

    A model's short answer counts as evidence only when it can be found in the sentence as it is
    (on word boundaries, ignoring case and punctuation), is at most `MAX_COPIED_WORDS` long and
    adds at least one content word.
    """
    def words(text: str) -> str:
        return " ".join(_SPAN_NOISE.sub(" ", text.replace("’", "'").lower()).split())

    span = words(reply)
    if not span or span == "none" or len(span.split()) > MAX_COPIED_WORDS or f" {span} " not in f" {words(sentence)} ":
        return False
    return bool(set(content_words(reply)) - set(content_words(question)))


_OPENS_QUOTE = re.compile(r"^\s*[\"“‘'«]")
# In a sentence beside a quote, these name its speaker; the nouns "notes", "states" and "claims" are
# taken as verbs here, as a sentence next to a quote rarely uses them otherwise.
_ATTRIBUTION = re.compile(rf"\b({SPEECH_VERB}|notes|states|claims|according to|pointed out)\b", re.IGNORECASE)


# A quote that runs on: at most this many sentences after its first are read to find who said it.
QUOTE_RUNS_ON = 3
# A closing quotation mark; "’" before a letter is an apostrophe ("Kiev’s").
_CLOSES_QUOTE = re.compile(r"[”»]|’(?![A-Za-z])|(?<=\S)\"")


def with_attribution(e: Evidence) -> Evidence:
    """A quoted sentence that names no speaker, joined with the next or previous sentence that does.

    News splits quotes across sentences ("'...,' said the diplomat. 'It is not an easy time.'"), so
    the sentence that matches a question can hold the words but not who said them. A quote that
    does not close in its first sentence runs on (“... Because if we react, NATO should act. ...’
    warned Meloni.”): it is read up to the sentence that names its speaker, at most `QUOTE_RUNS_ON`
    sentences on, unless it closes or another opens before one does.
    """
    if not _OPENS_QUOTE.match(e.text) or _ATTRIBUTION.search(e.text):
        return e
    sentences = split_sentences(e.passage.text)
    index = next((i for i, s in enumerate(sentences) if s.start <= e.start < s.end), None)
    if index is None:
        return e
    if not _CLOSES_QUOTE.search(e.text.lstrip()[1:]):
        for later in sentences[index + 1 : index + 1 + QUOTE_RUNS_ON]:
            if _ATTRIBUTION.search(later.text):
                return _joined(e, later)
            if _CLOSES_QUOTE.search(later.text) or _OPENS_QUOTE.match(later.text):
                break
    for j in (index + 1, index - 1):
        if 0 <= j < len(sentences) and _ATTRIBUTION.search(sentences[j].text):
            return _joined(e, sentences[j])
    return e


def sentence_after(e: Evidence) -> Sentence | None:
    """The sentence of the passage right after the evidence; None when it ends the passage."""
    return next((s for s in split_sentences(e.passage.text) if s.start >= e.end), None)


def with_next(e: Evidence) -> Evidence | None:
    """`e` read through the next sentence of its passage; None when it ends the passage.

    News often says first what happened to someone unnamed ("Two brothers who owned the farm pleaded
    not guilty") and names them in the next sentence ("Eric and Ryan Jensen, ages 37 and 33, ...").
    """
    later = sentence_after(e)
    return _joined(e, later) if later is not None else None


def _joined(e: Evidence, other: Sentence) -> Evidence:
    """`e` read through `other`, a sentence of the same passage before or after it."""
    start, end = min(e.start, other.start), max(e.end, other.end)
    return replace(e, text=e.passage.text[start:end], start=start, end=end)


def extractive_answer(evidence: Sequence[Evidence], *, max_sentences: int = 2) -> str:
    """The best sentence (and a close second from elsewhere), each ending with its [n]."""
    if not evidence:
        return ""
    best = evidence[0]
    chosen = [best]
    for other in evidence[1:6]:
        if len(chosen) >= max_sentences:
            break
        if other.score >= 0.85 * best.score and other.coverage >= 0.5 and _different(other, chosen):
            chosen.append(other)
    return " ".join(_cite(with_attribution(e)) for e in chosen)


def _different(candidate: Evidence, chosen: Sequence[Evidence]) -> bool:
    words = set(content_words(candidate.text))
    for e in chosen:
        other = set(content_words(e.text))
        if words and len(words & other) / len(words) > 0.6:
            return False
    return True


def _cite(e: Evidence) -> str:
    text = defuse_markers(" ".join(e.text.split()))  # a "[7]" in the article must not read as a citation
    if text and text[-1] in ".!?":
        return f"{text[:-1]} [{e.passage.n}]{text[-1]}"
    return f"{text} [{e.passage.n}]"


def compact_context(evidence: Sequence[Evidence], *, sentences: int = 5, max_chars: int = 1100) -> list[tuple[int, str, str, str]]:
    """The few best sentences grouped by passage, in document order: what an LLM gets to read."""
    picked: dict[int, list[Evidence]] = {}
    used = 0
    for e in evidence:
        if sum(len(v) for v in picked.values()) >= sentences or used + len(e.text) > max_chars:
            break
        picked.setdefault(e.passage.n, []).append(e)
        used += len(e.text)
    rows = []
    for n in sorted(picked):
        items = sorted(picked[n], key=lambda e: e.start)
        p = items[0].passage
        rows.append((n, p.title, p.published, " ".join(e.text for e in items)))
    return rows
