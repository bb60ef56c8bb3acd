"""How far a run's figures can be trusted: 95% intervals over the questions, and paired intervals of B - A.

A gold set of 30 to 200 questions measures a figure only roughly: 0.766 of 111 answerable
questions is anywhere from about 0.68 to 0.84 at 95%, and two runs that differ by three answers
may differ by chance. These intervals say how roughly.

- `intervals(records)`: for each averaged fraction metric (`Metric.averaged`), a 95% interval.
  A yes/no figure (each question scores 0 or 1: answered right, refused ...) gets the Wilson score
  interval, which stays sensible at 0 and 1 (8 of 8 refused is 0.68-1.00, not 1.00-1.00); a
  graded one (token F1, MRR) gets a percentile bootstrap over the questions.
- `difference_intervals(a, b)`: for two runs on the same gold set, the 95% interval of B - A over
  the questions both asked, paired (Newcombe's interval for 0/1 figures, a paired bootstrap
  otherwise). Where it holds 0, the change may be noise.
- `sign_test(better, worse)`: the two-sided exact sign test (McNemar's) on the questions whose
  outcome got better or worse.

The resampling is seeded, so the same records always give the same intervals.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.metrics import REGISTRY
from evals.records import EvalRecord
from evals.scoring import compute_metrics

INTERVALS_JSON = "intervals.json"  # beside metrics.json: each figure's interval, as `intervals_json` writes it
LEVEL = 0.95
RESAMPLES = 2000
SEED = 0
_Z = 1.959963984540054  # the normal quantile of (1 + LEVEL) / 2

# Fractions that are the mean of a per-question value: the figures intervals are given for.
AVERAGED = tuple(name for name, m in REGISTRY.items() if m.unit == "fraction" and m.averaged)


@dataclass(frozen=True)
class Interval:
    """A 95% interval for a figure, and the number of questions it rests on."""

    low: float
    high: float
    questions: int

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.low:.3f}-{self.high:.3f}"


def question_values(records: Sequence[EvalRecord]) -> dict[str, list[float | None]]:
    """Each averaged metric's value for each question on its own (None where it does not apply)."""
    singles = [compute_metrics([record]) for record in records]
    return {name: [_number(single.get(name)) for single in singles] for name in AVERAGED}


def intervals(records: Sequence[EvalRecord]) -> dict[str, Interval]:
    """A 95% interval for each averaged metric that applies to at least one question."""
    out: dict[str, Interval] = {}
    rng = np.random.default_rng(SEED)
    for name, values in question_values(records).items():
        scores = np.array([v for v in values if v is not None], dtype=float)
        if not scores.size:
            continue
        if _zero_or_one(scores):
            out[name] = wilson(int(scores.sum()), scores.size)
        else:
            means = scores[rng.integers(0, scores.size, (RESAMPLES, scores.size))].mean(axis=1)
            out[name] = _percentiles(means, scores.size)
    return out


def intervals_json(spans: dict[str, Interval]) -> dict[str, object]:
    """The intervals as intervals.json holds them: how they were computed, then low, high and questions per metric."""
    return {
        "level": LEVEL,
        "method": "Wilson score for 0/1 figures, percentile bootstrap over the questions otherwise",
        "resamples": RESAMPLES,
        "seed": SEED,
        "metrics": {name: {"low": i.low, "high": i.high, "questions": i.questions} for name, i in spans.items()},
    }


def read_intervals(path: Path) -> dict[str, Interval]:
    """The intervals an intervals.json holds; none when the run predates it."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: Interval(v["low"], v["high"], v["questions"]) for name, v in data.get("metrics", {}).items()}


def wilson(successes: int, n: int) -> Interval:
    """The Wilson score interval of `successes` out of `n` (n > 0)."""
    p = successes / n
    centre = (p + _Z**2 / (2 * n)) / (1 + _Z**2 / n)
    half = _Z * math.sqrt(p * (1 - p) / n + _Z**2 / (4 * n * n)) / (1 + _Z**2 / n)
    return Interval(max(0.0, centre - half), min(1.0, centre + half), n)


def difference_intervals(records_a: Sequence[EvalRecord], records_b: Sequence[EvalRecord]) -> dict[str, Interval]:
    """The 95% interval of B - A for each averaged metric, over the questions both runs asked.

    Pairing the questions cancels what they have in common (an easy set, a hard one), leaving only
    the runs' difference. A 0/1 figure taken over the same questions in both runs gets Newcombe's
    interval for paired proportions (built from the two Wilson intervals, so a single changed
    question is not taken as proof); any other gets a paired bootstrap: each resample draws the same
    questions for both runs.
    """
    b_by_id = {r.item.id: r for r in records_b}
    pairs = [(a, b_by_id[a.item.id]) for a in records_a if a.item.id in b_by_id]
    if not pairs:
        return {}
    values_a = question_values([a for a, _ in pairs])
    values_b = question_values([b for _, b in pairs])
    draws = np.random.default_rng(SEED).integers(0, len(pairs), (RESAMPLES, len(pairs)))
    out: dict[str, Interval] = {}
    for name in AVERAGED:
        a, b = _array(values_a[name]), _array(values_b[name])
        if np.isnan(a).all() or np.isnan(b).all():
            continue
        same = np.array_equal(np.isnan(a), np.isnan(b))
        if same and _zero_or_one(a) and _zero_or_one(b):
            kept = ~np.isnan(a)
            out[name] = newcombe_paired(a[kept], b[kept])
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a resample with no eligible question: NaN, dropped
            diffs = np.nanmean(b[draws], axis=1) - np.nanmean(a[draws], axis=1)
        diffs = diffs[~np.isnan(diffs)]
        if diffs.size:
            out[name] = _percentiles(diffs, int(np.sum(~np.isnan(a) & ~np.isnan(b))))
    return out


def newcombe_paired(a: np.ndarray, b: np.ndarray) -> Interval:
    """Newcombe's hybrid score interval (his method 10) for B's rate minus A's over the same questions, each 0 or 1."""
    n = a.size
    both, only_b, only_a = int(np.sum((a == 1) & (b == 1))), int(np.sum((a == 0) & (b == 1))), int(np.sum((a == 1) & (b == 0)))
    neither = n - both - only_b - only_a
    rate_b, rate_a = (both + only_b) / n, (both + only_a) / n
    span_b, span_a = wilson(both + only_b, n), wilson(both + only_a, n)
    product = (both + only_b) * (only_a + neither) * (both + only_a) * (only_b + neither)
    phi = (both * neither - only_b * only_a) / math.sqrt(product) if product else 0.0
    down_b, up_b = rate_b - span_b.low, span_b.high - rate_b
    down_a, up_a = rate_a - span_a.low, span_a.high - rate_a
    diff = rate_b - rate_a
    low = diff - math.sqrt(max(0.0, down_b**2 - 2 * phi * down_b * up_a + up_a**2))
    high = diff + math.sqrt(max(0.0, up_b**2 - 2 * phi * up_b * down_a + down_a**2))
    return Interval(max(-1.0, low), min(1.0, high), n)


def sign_test(better: int, worse: int) -> float:
    """Two-sided exact sign test: how likely a split at least this uneven is when either way is as likely."""
    n = better + worse
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(better, worse) + 1)) / 2**n
    return min(1.0, 2 * tail)


def _percentiles(samples: np.ndarray, questions: int) -> Interval:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return Interval(float(low), float(high), questions)


def _zero_or_one(values: np.ndarray) -> bool:
    known = values[~np.isnan(values)]
    return bool(np.all((known == 0) | (known == 1)))


def _array(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

