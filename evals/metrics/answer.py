"""Answer correctness against the gold `answers`, SQuAD-style.

Texts are normalised (lower case, punctuation and articles removed, whitespace collapsed).
For each answerable item, with the maximum taken over its acceptable answers:
- exact match: 1 when the normalised answer equals a gold answer, else 0;
- token F1: harmonic mean of token precision and recall between answer and gold answer;
- answer-contained: 1 when a gold answer occurs in the answer (on token boundaries).
Each is averaged over answerable items (range 0-1). A refusal or an error scores 0.
Unanswerable items are scored by the refusal metrics instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from evals.metrics.textnorm import answer_tokens, contains_phrase, normalize_answer
from evals.metrics.metric import Metric, MetricModule
from evals.records import EvalRecord


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    norm = normalize_answer(prediction)
    return float(bool(norm) and any(norm == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    return max((_f1(answer_tokens(prediction), answer_tokens(g)) for g in golds), default=0.0)


def answer_contained(prediction: str, golds: Sequence[str]) -> float:
    return float(any(contains_phrase(prediction, g) for g in golds))


def answer_metrics(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    """answer_em, answer_f1 and answer_contained averaged over answerable items."""
    scored = [r for r in records if r.item.answerable]
    if not scored:
        return {"answer_em": None, "answer_f1": None, "answer_contained": None, "n_answerable": 0}
    n = len(scored)
    return {
        "answer_em": sum(exact_match(r.text, r.item.answers) for r in scored) / n,
        "answer_f1": sum(token_f1(r.text, r.item.answers) for r in scored) / n,
        "answer_contained": sum(answer_contained(r.text, r.item.answers) for r in scored) / n,
        "n_answerable": n,
    }


def _f1(predicted: list[str], gold: list[str]) -> float:
    common = sum((Counter(predicted) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(gold)
    return 2 * precision * recall / (precision + recall)


MODULE = MetricModule(
    metrics=(
        Metric("answer_em", "normalised answer equals a gold answer"),
        Metric("answer_f1", "token F1 against the best gold answer", gated=True),
        Metric("answer_contained", "a gold answer occurs in the answer", gated=True),
        Metric("n_answerable", "answerable questions", better=None, unit="count"),
    ),
    compute=answer_metrics,
)
