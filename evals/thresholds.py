"""Quality gate: `--min METRIC=VALUE` minimums checked against a run's metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evals.scoring import COUNTS, LATENCY_METRICS, QUALITY_METRICS
from rag.errors import RagError


class ThresholdError(RagError, ValueError):
    """A `--min` specification is malformed or names a metric that cannot be a minimum."""


@dataclass(frozen=True)
class Threshold:
    metric: str
    minimum: float


def parse_threshold(spec: str) -> Threshold:
    """Parse `METRIC=VALUE` (VALUE a fraction between 0 and 1), e.g. `hit@5=0.9`."""
    name, sep, raw = spec.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise ThresholdError(f"--min {spec!r}: expected METRIC=VALUE, e.g. hit@5=0.9")
    if name not in QUALITY_METRICS:
        if name in LATENCY_METRICS or name in COUNTS:
            raise ThresholdError(f"--min {spec!r}: {name} is not a higher-is-better score")
        known = ", ".join(QUALITY_METRICS)
        raise ThresholdError(f"--min {spec!r}: unknown metric {name!r}; known: {known}")
    try:
        value = float(raw)
    except ValueError:
        raise ThresholdError(f"--min {spec!r}: {raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ThresholdError(f"--min {spec!r}: give a fraction between 0 and 1 (0.9, not 90)")
    return Threshold(name, value)


def parse_thresholds(specs: Sequence[str]) -> list[Threshold]:
    """Validate every spec up front, so a typo fails before a long run rather than after it."""
    return [parse_threshold(spec) for spec in specs]


def check_thresholds(
    metrics: Mapping[str, float | int | None], specs: Sequence[str | Threshold]
) -> list[str]:
    """One sentence per unmet minimum; an empty list means the gate passes."""
    failures = []
    for spec in specs:
        threshold = spec if isinstance(spec, Threshold) else parse_threshold(spec)
        value = metrics.get(threshold.metric)
        if value is None:
            failures.append(
                f"{threshold.metric} was not measured in this run (no eligible questions)"
            )
        elif value < threshold.minimum:
            failures.append(
                f"{threshold.metric} = {value:.3f} is below the minimum {threshold.minimum:.3f}"
            )
    return failures
