"""What near-duplicate detection costs at ingest time, and what it finds, on realtimeqa-dev articles.

For a sample of the corpus (../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz, never copied here)
it times `NearDuplicates.signature` (word 5-shingles, 128-permutation MinHash) and the LSH match and
insert per article, and counts the articles that become aliases of an earlier one. It also counts,
for the same articles cut into 192-word windows, the window pairs of different articles whose word
trigram Jaccard reaches 0.6: what the query-time filter in rag/retrieve.py would drop.

    python benchmarks/dedup_cost.py --limit 300 --windows
    python benchmarks/dedup_cost.py --limit 2000       # the whole corpus, without the quadratic count
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.dedup import NearDuplicates  # noqa: E402
from index.lexical import query_terms  # noqa: E402
from tests.support.rtqa import rtqa_articles  # noqa: E402


def windows(text: str, size: int = 192) -> list[set[str]]:
    words = query_terms(text, limit=100_000)
    out = []
    for start in range(0, max(1, len(words)), size):
        part = words[start : start + size]
        out.append({" ".join(part[i : i + 3]) for i in range(max(1, len(part) - 2))})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--windows", action="store_true", help="also count similar 192-word windows (quadratic)")
    args = parser.parse_args()
    articles = rtqa_articles(args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        dedup = NearDuplicates(Path(tmp) / "d.sqlite", args.threshold)
        sign = match = 0.0
        aliases = []
        for art in articles:
            t0 = time.perf_counter()
            minhash = dedup.signature(art["text"])
            t1 = time.perf_counter()
            original = dedup.match(art["id"], minhash)
            if original is None:
                dedup.stage(art["id"], "v", minhash)
            else:
                aliases.append((art["id"], original))
            t2 = time.perf_counter()
            sign, match = sign + (t1 - t0), match + (t2 - t1)
        dedup.close()
    n = len(articles)
    words = sum(len(a["text"].split()) for a in articles) / n
    print(f"machine: {platform.processor() or platform.machine()}, {n} articles, {words:.0f} words on average")
    print(f"signature: {1000 * sign / n:.2f} ms per article; LSH match + insert: {1000 * match / n:.3f} ms per article")
    print(f"aliases at Jaccard >= {args.threshold}: {len(aliases)} {aliases[:5]}")
    if not args.windows:
        return
    t0 = time.perf_counter()
    cut = [(a["id"], w) for a in articles for w in windows(a["text"])]
    pairs = sum(
        1
        for i, (doc_a, a) in enumerate(cut)
        for doc_b, b in cut[i + 1 :]
        if doc_a != doc_b and a and b and len(a & b) / len(a | b) >= 0.6
    )
    print(f"window pairs of different articles with trigram Jaccard >= 0.6: {pairs} ({time.perf_counter() - t0:.1f} s to count)")


if __name__ == "__main__":
    main()
