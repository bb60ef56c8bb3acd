"""Answer latency over the seed gold questions: time to first token and total, per back end.

Every back end runs in this process over the same index of `seeds/` and the same questions, one
after the other (never at the same time: two model runs on 2 cores slow each other tenfold). The
extractive back end is the floor (no model); `after_retrieval` is what answering adds to
retrieval. The embedded default runs in its default mode (verify) and, for comparison, in
select and generate mode (generate's longer prompt is what the compact evidence prompt saves).

    python benchmarks/answer_latency.py                      # extractive, embedded (verify, select, generate)
    python benchmarks/answer_latency.py --backends extractive
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import machine  # noqa: E402
from evals.gold import load_gold  # noqa: E402
from index.library import Library  # noqa: E402
from rag.config import load_config  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402

GOLD = ROOT / "evals" / "gold" / "seed.jsonl"
OUT = ROOT / "benchmarks" / "results" / "answer_latency.json"
GOALS = {"embedded first_token p50 ms": 3000, "embedded total p50 ms": 8000, "extractive after_retrieval p50 ms": 50}
RUNS = {
    "extractive": ("extractive", "auto"),
    "embedded": ("embedded", "auto"),
    "embedded-select": ("embedded", "select"),
    "embedded-generate": ("embedded", "generate"),
}


def stats(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    items = load_gold(GOLD)[: args.limit]
    rows = {}
    with tempfile.TemporaryDirectory(prefix="rag-bench-answer-") as tmp:
        config = load_config({"data_dir": Path(tmp)})
        library = Library(config.index)
        library.ingest([ROOT / "seeds"])
        for name in args.backends:
            backend, mode = RUNS[name]
            pipeline = Pipeline(config.with_overrides(backend=backend, answer_mode=mode), library=library)
            started = time.perf_counter()
            pipeline.warm_up()
            warm_up_s = time.perf_counter() - started
            timings: dict[str, list[float]] = {"retrieve": [], "first_token": [], "total": [], "after_retrieval": []}
            used = set()
            for item in items:
                answer = pipeline.ask(item.question)
                used.add(answer.backend)
                t = answer.timings_ms
                for key in ("retrieve", "first_token", "total"):
                    timings[key].append(t[key])
                timings["after_retrieval"].append(t["total"] - t["retrieve"])
            rows[name] = {key: stats(v) for key, v in timings.items()} | {
                "questions": len(items),
                "warm_up_s": round(warm_up_s, 2),
                "backends_used": sorted(used),
            }
            print(json.dumps({name: rows[name]}), file=sys.stderr)

    payload = {"goals": GOALS, "runs": rows, "machine": machine(), "load_average": os.getloadavg(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"{'back end':20}{'retrieve p50':>14}{'first token p50':>17}{'total p50':>11}{'total p95':>11}{'after retrieval p50':>21}")
    for name, r in rows.items():
        print(f"{name:20}{r['retrieve']['p50']:>14}{r['first_token']['p50']:>17}{r['total']['p50']:>11}"
              f"{r['total']['p95']:>11}{r['after_retrieval']['p50']:>21}")
    print(f"goals: {GOALS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
