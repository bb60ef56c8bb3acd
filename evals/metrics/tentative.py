"""How many answers the reader is told to check, and what is left shown without that caution.

An answer whose sentence the model believed less than `tentative_below` is marked `tentative`
(the chat and the CLI say to read the passage before relying on it). A wrong answer so marked
costs the reader less than one shown plainly: these figures count what each kind holds.

- `answered_right_sure`: share of answerable questions answered correctly with a verified citation
  (as `answered_with_verified_citation` judges it) and not marked tentative. Range 0-1, higher is
  better.
- `answered_wrong_sure`: share of all questions answered wrongly (as `answered_wrong` judges it)
  and not marked tentative. Range 0-1, lower is better.
- `tentative_answers`: how many answers (refusals and errors left out) were marked tentative; a
  tally, neither way better on its own: it is the coverage traded.
"""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics.metric import Metric, MetricModule
from evals.metrics.short_answer import is_answered_wrong
from evals.metrics.verified import is_answered_right
from evals.records import EvalRecord


def is_tentative(record: EvalRecord) -> bool:
    return bool(record.answer.get("tentative", False))


def compute(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    """Every figure this module declares; None where no question was eligible."""
    answerable = [r for r in records if r.item.answerable]
    return {
        "answered_right_sure": (
            sum(is_answered_right(r) and not is_tentative(r) for r in answerable) / len(answerable) if answerable else None
        ),
        "answered_wrong_sure": (
            sum(is_answered_wrong(r) and not is_tentative(r) for r in records) / len(records) if records else None
        ),
        "tentative_answers": sum(bool(r.text) and is_tentative(r) for r in records),
    }


MODULE = MetricModule(
    metrics=(
        Metric("answered_right_sure", "answered correctly, cited and not marked tentative, over answerable questions"),
        Metric("answered_wrong_sure", "answered wrongly and not marked tentative, over all questions", better="lower"),
        Metric("tentative_answers", "answers marked tentative", better=None, unit="count"),
    ),
    compute=compute,
)
