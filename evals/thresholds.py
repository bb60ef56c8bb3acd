"""Quality gates: `--min METRIC=VALUE` for higher-is-better scores, `--max METRIC=VALUE` for
lower-is-better times and error counts, checked against a run's metrics. Which way a metric goes is its own
declaration (`evals/metrics`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from evals.metrics import REGISTRY
from rag.errors import RagError

Bound = Literal["min", "max"]
# A bound limits the metrics that go this way.
_DIRECTION = {"min": "higher", "max": "lower"}


class ThresholdError(RagError, ValueError):
    """A `--min`/`--max` specification is malformed or names a metric that cannot be bounded that way."""


@dataclass(frozen=True)
class Threshold:
    metric: str
    limit: float
    bound: Bound = "min"

    @property
    def minimum(self) -> float:
        """The limit of a `--min` gate (kept for callers that only know minimums)."""
        return self.limit

    def fails(self, value: float) -> bool:
        return value < self.limit if self.bound == "min" else value > self.limit


def parse_threshold(spec: str, bound: Bound = "min") -> Threshold:
    """Parse `METRIC=VALUE`: a fraction between 0 and 1 for a score (`--min hit@5=0.9`), milliseconds
    or a count for a cost (`--max latency_p95_ms=3000`, `--max n_errors=0`)."""
    flag = f"--{bound}"
    name, sep, raw = spec.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        example = "hit@5=0.9" if bound == "min" else "latency_p95_ms=3000"
        raise ThresholdError(f"{flag} {spec!r}: expected METRIC=VALUE, e.g. {example}")
    wanted = _DIRECTION[bound]
    metric = REGISTRY.get(name)
    if metric is None or metric.better != wanted:
        if metric is not None:
            other = {"higher": "--min", "lower": "--max"}.get(metric.better)
            hint = f"; use {other}" if other else ""
            raise ThresholdError(f"{flag} {spec!r}: {name} is not a {wanted}-is-better figure{hint}")
        known = ", ".join(n for n, m in REGISTRY.items() if m.better == wanted)
        raise ThresholdError(f"{flag} {spec!r}: unknown metric {name!r}; known: {known}")
    try:
        value = float(raw)
    except ValueError:
        raise ThresholdError(f"{flag} {spec!r}: {raw!r} is not a number") from None
    if metric.unit == "fraction" and not 0.0 <= value <= 1.0:
        raise ThresholdError(f"{flag} {spec!r}: give a fraction between 0 and 1 (0.9, not 90)")
    if value < 0:
        raise ThresholdError(f"{flag} {spec!r}: give a number of at least 0")
    return Threshold(name, value, bound)


def parse_thresholds(minimums: Sequence[str], maximums: Sequence[str] = ()) -> list[Threshold]:
    """Validate every spec up front, so a typo fails before a long run rather than after it."""
    return [parse_threshold(s, "min") for s in minimums] + [parse_threshold(s, "max") for s in maximums]


def check_thresholds(metrics: Mapping[str, float | int | None], specs: Sequence[str | Threshold]) -> list[str]:
    """One sentence per unmet bound (a plain string spec is a minimum); an empty list means the gate passes."""
    failures = []
    for spec in specs:
        threshold = spec if isinstance(spec, Threshold) else parse_threshold(spec)
        value = metrics.get(threshold.metric)
        if value is None:
            failures.append(f"{threshold.metric} was not measured in this run (no eligible questions)")
        elif threshold.fails(value):
            side = "below the minimum" if threshold.bound == "min" else "above the maximum"
            failures.append(f"{threshold.metric} = {value:.3f} is {side} {threshold.limit:.3f}")
    return failures
