"""All metrics of a run, computed from its records into the flat mapping written to metrics.json."""

from __future__ import annotations

from collections.abc import Sequence

from evals.metrics import MODULES, REGISTRY
from evals.records import EvalRecord

Metrics = dict[str, float | int | None]

# Fractions in [0, 1], higher is better: the metrics a `--min` quality gate may name.
QUALITY_METRICS = tuple(name for name, m in REGISTRY.items() if m.better == "higher")
# Fractions in [0, 1], lower is better (answered_wrong): gated with `--max`.
FAILURE_RATES = tuple(name for name, m in REGISTRY.items() if m.better == "lower" and m.unit == "fraction")
# Milliseconds, lower is better.
LATENCY_METRICS = tuple(name for name, m in REGISTRY.items() if m.unit == "ms")
# Means per question of the model's work (calls, tokens), lower is better.
COST_METRICS = tuple(name for name, m in REGISTRY.items() if m.unit == "per_question")
COUNTS = tuple(name for name, m in REGISTRY.items() if m.unit == "count")
# Shown in `rag eval`'s summary.
GATED = tuple(name for name, m in REGISTRY.items() if m.gated)


def compute_metrics(records: Sequence[EvalRecord]) -> Metrics:
    """Every metric, keyed as in metrics.json; None where no question was eligible."""
    metrics: Metrics = {}
    for module in MODULES:
        metrics.update(module.compute(records))
    order = QUALITY_METRICS + FAILURE_RATES + LATENCY_METRICS + COST_METRICS + COUNTS
    return {key: metrics.get(key) for key in order}
