"""Citation honesty: do the quoted passages support the sentences that cite them?

The answer is split into sentences; each `[n]` marker attaches passage n (and the citations
numbered n) to its sentence. A citation whose number appears nowhere in the text is attached
to the whole answer. An attachment is supported when some citation numbered n
(1) has a quote that occurs in passage n (case and whitespace folded, or its span lies inside
    the passage's span of the same document), and
(2) its quote contains at least `SUPPORT_THRESHOLD` of the sentence's content words
    (stemmed, stop words dropped, a hyphenated compound read as its words). A yes/no lead
  ("Yes [1].") claims no words and passes (2), as "No" always did.
A marker with no citation behind it is unsupported. This is a lexical check: it rewards
quotes that state what the sentence claims, and cannot see negations or paraphrase.

- citation_precision: supported attachments / all attachments (range 0-1);
- citation_recall: answer sentences with at least one supported citation / all answer
  sentences (range 0-1).
Both are pooled over the non-refused answers of all items (None when there is nothing to score).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.metrics.textnorm import content_words, squash
from evals.metrics.metric import Metric, MetricModule
from evals.records import EvalRecord
from rag.sentences import pieces_between

SUPPORT_THRESHOLD = 0.4
# A yes/no answer's lead ("Yes [1].") has no words a quote could hold: like "No", a stop word, it is not
# checked by words (the sentence after it is). Before, "Yes" counted as unsupported and "No" did not.
_YES_NO = frozenset({"yes", "no"})

_HYPHEN = re.compile(r"(?<=\w)[-‐‑–](?=\w)")
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+(?=[^a-z])|\n+")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")


@dataclass(frozen=True)
class CitationCheck:
    """Counts for one answer: attachments (sentence, n) and answer sentences, supported or not."""

    attachments: int = 0
    supported_attachments: int = 0
    sentences: int = 0
    supported_sentences: int = 0


def split_sentences(answer: str) -> list[str]:
    """Sentences of the answer; markers written after the full stop stay with their sentence, and an
    initial or an abbreviation inside a sentence ("the U.S. Department of Agriculture") ends none."""
    sentences: list[str] = []
    for start, end in pieces_between(answer, _SENTENCE_BREAK):
        piece = answer[start:end]
        lead = _LEADING_MARKERS.match(piece)
        if lead and sentences:
            sentences[-1] += " " + lead.group(0).strip()
            piece = piece[lead.end() :]
        if re.search(r"\w", _MARKER.sub("", piece)):
            sentences.append(piece.strip())
    return sentences


def markers(sentence: str) -> set[int]:
    return {int(n) for group in _MARKER.findall(sentence) for n in re.split(r"[,;]", group)}


def supports(claim: str, quote: str, threshold: float = SUPPORT_THRESHOLD) -> bool:
    """True when `quote` holds at least `threshold` of the claim's content words."""
    claim_words = _words(_MARKER.sub(" ", claim)) - _YES_NO
    if not claim_words:
        return True  # nothing is claimed, so nothing can be contradicted
    return len(claim_words & _words(quote)) / len(claim_words) >= threshold


def _words(text: str) -> set[str]:
    """Content words, a hyphenated compound read as its words: "a 20-year sentence" holds "20" and "year"."""
    return content_words(_HYPHEN.sub(" ", text))


def quote_in_passage(citation: Mapping[str, Any], passage: Mapping[str, Any] | None) -> bool:
    """The cited quote really is part of the passage numbered like the citation."""
    if passage is None:
        return False
    quote = squash(str(citation.get("quote", "")))
    if quote and quote in squash(str(passage.get("text", ""))):
        return True
    same_doc = citation.get("doc_id") == passage.get("doc_id")
    start, end = citation.get("start"), citation.get("end")
    p_start, p_end = passage.get("start"), passage.get("end")
    if not same_doc or None in (start, end, p_start, p_end):
        return False
    return p_start <= start < end <= p_end


def check_answer(answer: Mapping[str, Any], threshold: float = SUPPORT_THRESHOLD) -> CitationCheck:
    """Citation counts for one Answer JSON; refusals have nothing to check."""
    text = str(answer.get("answer", ""))
    if answer.get("refused") or not text.strip():
        return CitationCheck()
    passages = {p.get("n"): p for p in answer.get("passages") or []}
    by_n: dict[int, list[Mapping[str, Any]]] = {}
    for citation in answer.get("citations") or []:
        by_n.setdefault(citation.get("n"), []).append(citation)

    def attached_ok(claim: str, n: int) -> bool:
        passage = passages.get(n)
        return any(
            quote_in_passage(c, passage) and supports(claim, str(c.get("quote", "")), threshold)
            for c in by_n.get(n, [])
        )

    sentences = split_sentences(text)
    attachments = supported = supported_sentences = 0
    for sentence in sentences:
        results = [attached_ok(sentence, n) for n in sorted(markers(sentence))]
        attachments += len(results)
        supported += sum(results)
        supported_sentences += any(results)
    unmarked = set(by_n) - markers(text)
    for n in sorted(unmarked, key=str):
        attachments += 1
        supported += attached_ok(text, n)
    return CitationCheck(attachments, supported, len(sentences), supported_sentences)


def citation_metrics(
    records: Sequence[EvalRecord], threshold: float = SUPPORT_THRESHOLD
) -> dict[str, float | int | None]:
    """citation_precision and citation_recall pooled over non-refused answers."""
    checks = [check_answer(r.answer, threshold) for r in records if not r.error]
    attachments = sum(c.attachments for c in checks)
    sentences = sum(c.sentences for c in checks)
    return {
        "citation_precision": (
            sum(c.supported_attachments for c in checks) / attachments if attachments else None
        ),
        "citation_recall": (
            sum(c.supported_sentences for c in checks) / sentences if sentences else None
        ),
        "n_citations": attachments,
    }


MODULE = MetricModule(
    metrics=(
        Metric("citation_precision", "citations whose quote supports their sentence", gated=True, averaged=False),
        Metric("citation_recall", "answer sentences with a supporting citation", gated=True, averaged=False),
        Metric("n_citations", "citation attachments scored", better=None, unit="count"),
    ),
    compute=citation_metrics,
)
