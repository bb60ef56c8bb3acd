"""Retrieval latency and memory as the index grows: 10k, 100k and 1M chunks.

Embedding a million chunks takes a day on 2 cores, so the large collections are made from an
existing realtimeqa-dev index (`--base-dir`): its real chunks go in first, unchanged, then
synthetic documents derived from them until each size is reached. A synthetic chunk is a real
chunk with 30% of its words replaced by words drawn from the corpus, and a vector that is the
real one plus Gaussian noise (cosine about 0.9 to it), so the HNSW graph and the BM25 posting
lists grow the way a bigger news archive would. Writes go through `Library.store_batch`, the
same path as `rag ingest` after embedding.

At each size the realtimeqa-dev questions run through the real retriever (MiniLM query
embedding, Chroma HNSW, Tantivy BM25, fusion, merging), timed alone in a loop and then per stage; the baseline in the same
process is an exact numpy search over the same vectors, which also gives the ANN recall@10.
hit@5 on the questions with gold documents shows what the distractors cost in quality.

    rag ingest ../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz --data-dir /tmp/rtqa --collection rtqa
    python benchmarks/scale.py --base-dir /tmp/rtqa --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import machine  # noqa: E402
from evals.gold import load_gold  # noqa: E402
from index.chunking import Chunk  # noqa: E402
from index.documents import Document  # noqa: E402
from index.library import IngestReport, Library  # noqa: E402
from index.settings import IndexSettings  # noqa: E402
from index.store import connect  # noqa: E402
from rag.retrieve import Retriever  # noqa: E402
from rag.types import Filters  # noqa: E402

GOLD = ROOT.parent / "shared" / "benchmarks" / "realtimeqa-dev" / "gold.jsonl.gz"
OUT = ROOT / "benchmarks" / "results" / "scale.json"
PLOT = ROOT / "docs" / "latency_vs_size.png"
WORD_SWAP = 0.3
NOISE = 0.48  # |noise| relative to the unit vector: cosine 1/sqrt(1 + 0.48^2) = 0.90
BATCH_CHUNKS = 2000
K = 6
RECALLS = ("ann_recall@10", "ann_recall@10_base", "ann_recall@10_by_score")  # the readings of `ann_recall`


@dataclass
class BaseDoc:
    record: dict
    texts: list[str]
    vectors: np.ndarray


def read_base(library: Library) -> list[BaseDoc]:
    """Every chunk of the base index with its vector, grouped by document in chunk order."""
    by_doc: dict[str, list[tuple[int, str, np.ndarray, dict]]] = defaultdict(list)
    offset, page = 0, 2000
    while True:
        got = library.store.chunks.get(include=["embeddings", "documents", "metadatas"], limit=page, offset=offset)
        for text, vec, meta in zip(got["documents"], got["embeddings"], got["metadatas"]):
            by_doc[meta["doc_id"]].append((int(meta["index"]), text, np.asarray(vec, np.float32), meta))
        if len(got["ids"]) < page:
            break
        offset += page
    docs = []
    for doc_id, rows in sorted(by_doc.items()):
        rows.sort(key=lambda r: r[0])
        meta = rows[0][3]
        record = {"doc_id": doc_id, "title": meta["title"], "url": meta["url"], "published": meta["published"]}
        docs.append(BaseDoc(record, [r[1] for r in rows], np.stack([r[2] for r in rows])))
    return docs


def as_document(doc_id: str, record: dict, texts: list[str]) -> tuple[Document, list[Chunk]]:
    """A document whose text is its chunks joined by blank lines, with exact offsets."""
    text = "\n\n".join(texts)
    doc = Document(doc_id=doc_id, text=text, title=record["title"], url=record["url"], published=record["published"])
    chunks, start = [], 0
    version = doc.version
    for i, t in enumerate(texts):
        chunks.append(Chunk(f"{doc_id}:{version}:{i}", doc_id, i, t, start, start + len(t)))
        start += len(t) + 2
    return doc, chunks


def synthetic(base: BaseDoc, copy: int, vocab: list[str], rng: random.Random, nrng: np.random.Generator):
    texts = []
    for t in base.texts:
        words = t.split()
        for i in range(len(words)):
            if rng.random() < WORD_SWAP:
                words[i] = rng.choice(vocab)
        texts.append(" ".join(words))
    record = dict(base.record, title=f"{base.record['title']} ({copy})", url=f"{base.record['url']}#{copy}")
    noise = nrng.standard_normal(base.vectors.shape).astype(np.float32) / np.sqrt(base.vectors.shape[1])
    vectors = base.vectors + NOISE * noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return as_document(f"{base.record['doc_id']}~{copy}", record, texts), vectors


def grow(library: Library, base: list[BaseDoc], target: int, state: dict) -> float:
    """Add documents until the index holds `target` chunks; returns the write rate in chunks/s."""
    rng, nrng, vocab = state["rng"], state["nrng"], state["vocab"]
    known: dict[str, str] = {}
    written, started = 0, time.perf_counter()
    batch, vectors = [], []
    with library._write_lock(), library.store.guarded():
        while state["count"] < target:
            i = state["next"]
            base_doc = base[i % len(base)]
            copy = i // len(base)
            if copy == 0:
                entry, vecs = as_document(base_doc.record["doc_id"], base_doc.record, base_doc.texts), base_doc.vectors
            else:
                entry, vecs = synthetic(base_doc, copy, vocab, rng, nrng)
            state["next"] += 1
            batch.append(entry)
            vectors.append(vecs)
            state["count"] += len(entry[1])
            state["matrix"].append(vecs)
            state["ids"].extend(c.chunk_id for c in entry[1])
            if sum(len(c) for _, c in batch) >= BATCH_CHUNKS or state["count"] >= target:
                library.store_batch(batch, np.concatenate(vectors), known, IngestReport())
                written += sum(len(c) for _, c in batch)
                batch, vectors = [], []
    return written / max(time.perf_counter() - started, 1e-9)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def base_chunk(chunk_id: str) -> str:
    """The real chunk a synthetic one was made from: 'doc~3:version:7' -> 'doc:7'."""
    doc, _, index = chunk_id.rsplit(":", 2)
    return f"{doc.split('~')[0]}:{index}"


def ann_recall(matrix: np.ndarray, vector: np.ndarray, ids: list[str], exact: np.ndarray, found: list[tuple[str, float]]):
    """Three readings of how many of the exact 10 nearest the HNSW search found.

    By chunk id (the usual one); by the real chunk behind each hit (every synthetic copy of a
    chunk lies at a cosine of about 0.81 to the others, so at 1M, with ~55 copies per chunk, the
    exact 10 are a near-random draw among copies); and by score: the share of the HNSW hits that
    are at least as close as the exact 10th nearest, which ties cannot move.
    """
    exact_ids = {ids[i] for i in exact}
    got_ids = {cid for cid, _ in found}
    by_id = len(exact_ids & got_ids) / 10
    exact_base = {base_chunk(c) for c in exact_ids}
    by_base = len(exact_base & {base_chunk(c) for c in got_ids}) / len(exact_base)
    tenth = float(np.min(matrix[exact] @ vector))
    by_score = sum(1 for _, cosine in found if cosine >= tenth - 1e-3) / 10
    return by_id, by_base, by_score


def mean_recalls(recalls: list[tuple[float, float, float]]) -> dict[str, float]:
    return {name: round(statistics.mean(r[i] for r in recalls), 3) for i, name in enumerate(RECALLS)}


def measure(library: Library, questions, doc_questions, matrix: np.ndarray, ids: list[str]) -> dict:
    retriever = Retriever(library, "hybrid")
    embedder = library.embedder
    vectors = [embedder.encode_query(q.question) for q in questions]
    # One untimed pass: first reads of the HNSW segment and SQLite pages.
    for q in questions[:20]:
        retriever.retrieve(q.question, K)
    stages: dict[str, list[float]] = defaultdict(list)
    # What a user waits for: questions one after another, nothing else in between.
    for q in questions:
        t0 = time.perf_counter()
        retriever.retrieve(q.question, K)
        stages["retrieve_loop"].append((time.perf_counter() - t0) * 1000)
    recalls = []
    for q, vec in zip(questions, vectors):
        t0 = time.perf_counter()
        retriever.retrieve(q.question, K)
        stages["retrieve_total"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        embedder.encode_query(q.question)
        stages["embed_query"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        dense = library.store.nearest(vec, 40, None)
        stages["dense_chroma"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        library.lexical_search(q.question, 40)
        stages["bm25"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        exact = np.argpartition(-(matrix @ vec), 10)[:10]
        stages["baseline_numpy_exact"].append((time.perf_counter() - t0) * 1000)
        recalls.append(ann_recall(matrix, vec, ids, exact, dense[:10]))
    out = {f"{name}_p50_ms": round(percentile(v, 50), 2) for name, v in stages.items()}
    out |= {f"{name}_p95_ms": round(percentile(v, 95), 2) for name, v in stages.items()}
    out |= mean_recalls(recalls)
    out["hit@5"] = hit_at_5(retriever, doc_questions)
    return out


def hit_at_5(retriever: Retriever, doc_questions) -> float:
    """Share of the questions with gold articles that find one among the first 5 articles, dated as asked."""
    hits = 0
    for q in doc_questions:
        filters = Filters(as_of=q.date) if q.date else None
        docs = list(dict.fromkeys(p.doc_id for p in retriever.retrieve(q.question, 10, filters)))
        hits += any(d in q.doc_ids for d in docs[:5])
    return round(hits / max(1, len(doc_questions)), 3)


def set_ef_search(library: Library, ef: int) -> None:
    """Change the collection's `ef_search` and reopen it: an index already loaded keeps the old value.

    Chroma records the new value at once but goes on searching its cached index with the one it was
    loaded with, so the client's shared system is dropped and the collection opened again.
    """
    from chromadb.api.client import SharedSystemClient

    store = library.store
    store.chunks.modify(configuration={"hnsw": {"ef_search": ef}})
    SharedSystemClient.clear_system_cache()
    store._client = connect(store.settings)
    store.chunks = store._client.get_collection(store.settings.collection, embedding_function=None)


def sweep_ef(library: Library, questions, doc_questions, matrix: np.ndarray, ids: list[str], values: list[int]) -> list[dict]:
    """Dense search alone, and the whole retriever in a plain loop, at other HNSW `ef_search` values.

    Same index, same process; give a value twice (`100 400 100`) to see the drift between passes.
    """
    vectors = [library.embedder.encode_query(q.question) for q in questions]
    exact = [np.argpartition(-(matrix @ v), 10)[:10] for v in vectors]
    rows = []
    for ef in values:
        set_ef_search(library, ef)
        times, recalls = [], []
        for vec, top in zip(vectors, exact):
            t0 = time.perf_counter()
            found = library.store.nearest(vec, 40, None)
            times.append((time.perf_counter() - t0) * 1000)
            recalls.append(ann_recall(matrix, vec, ids, top, found[:10]))
        retriever = Retriever(library, "hybrid")
        loop = []
        for q in questions:
            t0 = time.perf_counter()
            retriever.retrieve(q.question, K)
            loop.append((time.perf_counter() - t0) * 1000)
        row = {
            "ef_search": ef,
            "dense_chroma_p50_ms": round(percentile(times, 50), 2),
            "dense_chroma_p95_ms": round(percentile(times, 95), 2),
            "retrieve_loop_p50_ms": round(percentile(loop, 50), 2),
            "retrieve_loop_p95_ms": round(percentile(loop, 95), 2),
            "hit@5": hit_at_5(retriever, doc_questions),
        }
        row |= mean_recalls(recalls)
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-dir", type=Path, required=True, help="data dir of a realtimeqa-dev index")
    parser.add_argument("--collection", default="rtqa")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--data-dir", type=Path, help="where to build the large index (default: a temporary dir)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--plot", type=Path, default=PLOT)
    parser.add_argument("--ef-search", type=int, nargs="*", default=[], help="after the largest size, dense recall at these ef_search values")
    args = parser.parse_args()

    base_library = Library(IndexSettings(data_dir=args.base_dir, collection=args.collection), create=False)
    base = read_base(base_library)
    print(f"base: {len(base)} documents, {sum(len(d.texts) for d in base)} chunks", file=sys.stderr)
    questions = load_gold(GOLD)
    doc_questions = [q for q in questions if q.doc_ids]
    vocab_rng = random.Random(7)
    vocab = [w for d in vocab_rng.sample(base, min(200, len(base))) for t in d.texts for w in t.split()]

    tmp = tempfile.TemporaryDirectory(prefix="rag-scale-")
    data_dir = args.data_dir or Path(tmp.name)
    library = Library(IndexSettings(data_dir=data_dir, collection="scale"), base_library.embedder, rebuild=True)
    state = {"rng": random.Random(1), "nrng": np.random.default_rng(1), "vocab": vocab, "next": 0, "count": 0, "matrix": [], "ids": []}
    rows = []
    for size in sorted(args.sizes):
        started = time.perf_counter()
        before = state["count"]
        rate = grow(library, base, size, state)
        build_s = time.perf_counter() - started
        matrix = np.concatenate(state["matrix"])
        state["matrix"] = [matrix]
        row = {"chunks": state["count"], "build_s": round(build_s, 1), "write_chunks_per_s": round(rate, 1)}
        row |= measure(library, questions, doc_questions, matrix, state["ids"])
        row["rss_mb"] = round(rss_mb(), 1)
        row["bm25_mb"] = round(sum(f.stat().st_size for f in _bm25_files(library)) / 1e6, 1)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
        print(f"grew {before} -> {state['count']} chunks in {build_s:.0f} s", file=sys.stderr)
        _write(args, rows)
    if args.ef_search:
        matrix = np.concatenate(state["matrix"])
        rows[-1]["ef_search_sweep"] = sweep_ef(library, questions, doc_questions, matrix, state["ids"], args.ef_search)
        _write(args, rows)
    _print(rows)
    _plot(rows, args.plot)


def _bm25_files(library: Library) -> list[Path]:
    ranking = library.lexical.ranking_path
    return [library.lexical.path, *(f for f in ranking.rglob("*") if f.is_file())]


def _write(args, rows) -> None:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine(), "load_average": os.getloadavg(), "k": K, "noise": NOISE, "word_swap": WORD_SWAP, "rows": rows}
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def _print(rows) -> None:
    cols = ["chunks", "retrieve_loop_p50_ms", "retrieve_loop_p95_ms", "retrieve_total_p50_ms", "embed_query_p50_ms",
            "dense_chroma_p50_ms", "bm25_p50_ms", "baseline_numpy_exact_p50_ms", *RECALLS, "hit@5", "rss_mb", "bm25_mb", "write_chunks_per_s"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r.get(c)) for c in cols) + " |")


def _plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for key, label in [("retrieve_loop", "hybrid retrieve"), ("dense_chroma", "Chroma HNSW"), ("bm25", "Tantivy BM25"),
                       ("embed_query", "query embedding"), ("baseline_numpy_exact", "numpy exact (baseline)")]:
        ax.plot(sizes, [r[f"{key}_p50_ms"] for r in rows], marker="o", label=f"{label} p50")
    ax.plot(sizes, [r["retrieve_loop_p95_ms"] for r in rows], "k--", marker="x", label="hybrid retrieve p95")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("ms per query")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
