"""One metric family per module; each documents what it measures and its range, and declares its
metrics (name, description, which way is better, gated by default) in a `MODULE`.

The registry below is the one list: metrics.json, the report, `--compare` and the quality gates
(`--min`, `--max`) read it. A new metric in an existing module touches that module only; a new
module also gets its line in `MODULES`.
"""

from __future__ import annotations

from evals.metrics import answer, choice, citations, cost, latency, refusal, retrieval, run, short_answer, tentative, verified
from evals.metrics.metric import Metric, MetricModule

# In the order of metrics.json within each kind (scores, then times, then counts).
MODULES: tuple[MetricModule, ...] = (
    retrieval.MODULE,
    answer.MODULE,
    short_answer.MODULE,
    verified.MODULE,
    tentative.MODULE,
    choice.MODULE,
    citations.MODULE,
    refusal.MODULE,
    latency.MODULE,
    cost.MODULE,
    run.MODULE,
)
REGISTRY: dict[str, Metric] = {metric.name: metric for module in MODULES for metric in module.metrics}

__all__ = ["MODULES", "REGISTRY", "Metric", "MetricModule"]
