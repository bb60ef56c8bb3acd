"""Retrieval quality on realtimeqa-dev: hit@1/5/10 and MRR@10 for dense, BM25 and hybrid.

hit@k counts articles: the gold one among the first k distinct articles of the 10 passages
retrieved. `passage_hit@k` counts passages, as `rag eval` does: a gold article's passage among
the first k, which is lower when one article fills several of the first places.

Reads the benchmark from ../shared/benchmarks/realtimeqa-dev (never copied into the repo) and an
index built from its corpus, e.g.:
    rag ingest ../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz --data-dir /tmp/rtqa --collection rtqa
    python benchmarks/retrieval_quality.py --data-dir /tmp/rtqa --collection rtqa
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from evals.gold import load_gold
from index.library import Library
from index.settings import IndexSettings
from rag.retrieve import MODES, RetrievalSettings, Retriever
from rag.types import Filters

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT.parent / "shared" / "benchmarks" / "realtimeqa-dev" / "gold.jsonl.gz"


def score(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"hit@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in (1, 5, 10)}
    out["mrr@10"] = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return out


def evaluate(retriever: Retriever, items, *, use_date: bool) -> tuple[dict[str, float], float]:
    """Scores by document (the first k distinct articles among 10 passages) and, prefixed
    `passage_`, by passage (the first k passages, as `rag eval` counts them)."""
    ranks: list[int | None] = []
    passage_ranks: list[int | None] = []
    started = time.perf_counter()
    for item in items:
        filters = Filters(as_of=item.date) if use_date and item.date else None
        passages = retriever.retrieve(item.question, 10, filters)
        docs = list(dict.fromkeys(p.doc_id for p in passages))
        ranks.append(next((i for i, d in enumerate(docs, start=1) if d in item.doc_ids), None))
        passage_ranks.append(next((i for i, p in enumerate(passages, start=1) if p.doc_id in item.doc_ids), None))
    elapsed = (time.perf_counter() - started) / max(1, len(items)) * 1000
    return score(ranks) | {f"passage_{k}": v for k, v in score(passage_ranks).items()}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", default="rtqa")
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval_quality.json")
    args = parser.parse_args()

    items = [i for i in load_gold(args.gold) if i.doc_ids]
    library = Library(IndexSettings(data_dir=args.data_dir, collection=args.collection))
    base = RetrievalSettings()
    rows = []
    # The shipped settings per mode, then hybrid with one passage per article before any second one.
    variants = [(mode, 0) for mode in MODES] + [("hybrid", 1)]
    for use_date in (False, True):
        for mode, per_document in variants:
            settings = replace(base, per_document=per_document, recency_weight=base.recency_weight if use_date else 0.0)
            metrics, ms = evaluate(Retriever(library, mode, settings), items, use_date=use_date)
            rows.append({"mode": mode, "per_document": per_document, "question_date": use_date, **metrics, "ms_per_query": ms})
    print(f"{len(items)} questions with doc_ids; {library.status()['chunks']} chunks")
    print(f"{'mode':<8} {'/doc':>4} {'date':<5} {'hit@1':>6} {'hit@5':>6} {'hit@10':>6} {'mrr@10':>6} {'p.hit@5':>7} {'p.mrr':>6} {'ms/q':>6}")
    for r in rows:
        print(
            f"{r['mode']:<8} {r['per_document'] or '-':>4} {str(r['question_date']):<5} {r['hit@1']:>6.3f} {r['hit@5']:>6.3f} {r['hit@10']:>6.3f}"
            f" {r['mrr@10']:>6.3f} {r['passage_hit@5']:>7.3f} {r['passage_mrr@10']:>6.3f} {r['ms_per_query']:>6.1f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"n_questions": len(items), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
