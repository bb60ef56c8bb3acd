"""The realtimeqa-dev articles in ../shared, read at run time (never copied into the repository)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "realtimeqa-dev" / "corpus.jsonl.gz"


def rtqa_articles(limit: int) -> list[dict]:
    """The first `limit` articles of the corpus, as its JSON objects."""
    out: list[dict] = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line))
            if len(out) >= limit:
                break
    return out
