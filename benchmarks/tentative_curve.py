"""What marking answers tentative below a belief would do, read from finished `rag eval` runs.

Each run's results.jsonl holds every answer's `confidence` (the model's VERIFY belief in the
sentence it answers from), so the effect of any `tentative_below` can be read without asking the
model again: for each threshold, the right and wrong answers that would still be shown plainly and
the ones that would carry the caution. Pick the threshold on tuning sets' runs only.

    python benchmarks/tentative_curve.py runs/seed runs/tuning [--thresholds 0.4,0.5,0.6]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.metrics.short_answer import is_answered_wrong  # noqa: E402
from evals.metrics.verified import is_answered_right  # noqa: E402
from evals.records import EvalRecord, read_records  # noqa: E402

THRESHOLDS = (0.0, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)


def tally(records: list[EvalRecord], below: float) -> dict[str, int]:
    """Right and wrong answers shown plainly and marked tentative at `below`; answers without a belief stay plain."""
    counts = {"right_plain": 0, "right_tentative": 0, "wrong_plain": 0, "wrong_tentative": 0}
    for r in records:
        confidence = r.answer.get("confidence")
        tentative = confidence is not None and confidence < below
        side = "tentative" if tentative else "plain"
        if r.item.answerable and is_answered_right(r):
            counts[f"right_{side}"] += 1
        elif is_answered_wrong(r):
            counts[f"wrong_{side}"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="rag eval --out folders")
    parser.add_argument("--thresholds", default=",".join(str(t) for t in THRESHOLDS))
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    runs = {run.name: read_records(run / "results.jsonl") for run in args.runs}
    if len(runs) > 1:
        runs["all"] = [r for records in list(runs.values()) for r in records]
    for name, records in runs.items():
        n, answerable = len(records), sum(r.item.answerable for r in records)
        print(f"\n{name}: {n} questions, {answerable} answerable")
        print("tentative_below | right plain | right tentative | wrong plain | wrong tentative | right plain / answerable | wrong plain / all")
        for t in thresholds:
            c = tally(records, t)
            print(
                f"{t:15.2f} | {c['right_plain']:11d} | {c['right_tentative']:15d} | {c['wrong_plain']:11d} | "
                f"{c['wrong_tentative']:15d} | {c['right_plain'] / max(answerable, 1):24.3f} | {c['wrong_plain'] / max(n, 1):.3f}"
            )


if __name__ == "__main__":
    main()
