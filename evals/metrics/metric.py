"""What a metric declares about itself: its name, what it measures, which way is better, and whether it is gated."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from evals.records import EvalRecord

Value = float | int | None
Direction = Literal["higher", "lower"]
Unit = Literal["fraction", "ms", "per_question", "count"]


@dataclass(frozen=True)
class Metric:
    """One figure of metrics.json.

    `better` is "higher" for scores (gated with `--min`), "lower" for costs such as times and
    errors (gated with `--max`), None for tallies that are neither. `gated`: shown in `rag eval`'s
    summary, the figures a quality gate is set on by default. `averaged`: for a fraction, the run's
    value is the mean of each question's own value over the questions it applies to (a ratio over
    citations, or a harmonic mean, is not); such figures get intervals (`evals/uncertainty.py`).
    """

    name: str
    description: str
    better: Direction | None = "higher"
    unit: Unit = "fraction"  # a fraction is in [0, 1]
    gated: bool = False
    averaged: bool = True


@dataclass(frozen=True)
class MetricModule:
    """The metrics one module declares and the function that computes them all from a run's records."""

    metrics: tuple[Metric, ...]
    compute: Callable[[Sequence[EvalRecord]], Mapping[str, Value]]
