"""What happened to one question, in one word: the basis of the report and of run comparisons."""

from __future__ import annotations

from enum import Enum

from evals.metrics.answer import answer_contained, token_f1
from evals.records import EvalRecord


class Outcome(str, Enum):
    """Per-question verdict; the first four are failures, listed from worst to least bad."""

    ANSWERED_UNANSWERABLE = "answered-unanswerable"
    WRONG = "wrong"
    REFUSED = "refused-answerable"
    ERROR = "error"
    CORRECT = "correct"
    DECLINED = "declined-unanswerable"

    @property
    def failed(self) -> bool:
        return self not in (Outcome.CORRECT, Outcome.DECLINED)

    @property
    def rank(self) -> int:
        """0 for the worst outcome, upwards in the order above: for one question, a higher rank is better."""
        return list(Outcome).index(self)


def outcome(record: EvalRecord) -> Outcome:
    """Correct means: not refused and a gold answer occurs in the answer (answer-contained)."""
    if record.error:
        return Outcome.ERROR
    if not record.item.answerable:
        return Outcome.DECLINED if record.refused else Outcome.ANSWERED_UNANSWERABLE
    if record.refused:
        return Outcome.REFUSED
    if answer_contained(record.text, record.item.answers):
        return Outcome.CORRECT
    return Outcome.WRONG


def choice_correct(record: EvalRecord) -> bool | None:
    """Whether the picked option is a gold answer; None for items without choices."""
    if not record.item.choices:
        return None
    return record.choice is not None and record.choice in record.item.answers


def worst_first(records: list[EvalRecord]) -> list[EvalRecord]:
    """Failed questions, the most harmful failures first, then the lowest token F1."""
    failed = [r for r in records if outcome(r).failed]
    return sorted(
        failed,
        key=lambda r: (outcome(r).rank, token_f1(r.text, r.item.answers or ("",)), r.item.id),
    )
