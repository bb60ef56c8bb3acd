"""Latency percentiles (milliseconds) from the Answer JSON `timings_ms`.

p50 and p95 (linear interpolation) of `total` (question to full answer), `first_token`
(question to first streamed token) and `retrieve` (retrieval alone), over the questions
that report the timing. Range: 0 upwards, lower is better; None when no question reports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.records import EvalRecord
from evals.metrics.metric import Metric, MetricModule

# timings_ms key -> metric prefix
TIMINGS = {"total": "latency", "first_token": "first_token", "retrieve": "retrieve"}
PERCENTILES = (50, 95)


def timings(records: Sequence[EvalRecord], key: str) -> list[float]:
    """The reported values of one timing, skipping errors and missing values."""
    values = []
    for record in records:
        value = (record.answer.get("timings_ms") or {}).get(key)
        if not record.error and isinstance(value, (int, float)):
            values.append(float(value))
    return values


def latency_metrics(records: Sequence[EvalRecord]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, prefix in TIMINGS.items():
        values = timings(records, key)
        for pct in PERCENTILES:
            out[f"{prefix}_p{pct}_ms"] = float(np.percentile(values, pct)) if values else None
    return out


MODULE = MetricModule(
    metrics=(
        Metric("latency_p50_ms", "question to full answer, median", better="lower", unit="ms", gated=True),
        Metric("latency_p95_ms", "question to full answer, 95th percentile", better="lower", unit="ms", gated=True),
        Metric("first_token_p50_ms", "question to first streamed token, median", better="lower", unit="ms", gated=True),
        Metric("first_token_p95_ms", "question to first streamed token, 95th percentile", better="lower", unit="ms"),
        Metric("retrieve_p50_ms", "retrieval alone, median", better="lower", unit="ms"),
        Metric("retrieve_p95_ms", "retrieval alone, 95th percentile", better="lower", unit="ms"),
    ),
    compute=latency_metrics,
)
