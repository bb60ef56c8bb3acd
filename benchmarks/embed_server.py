"""Ingest throughput through an embedding server (`rag embed-serve` on loopback) against the local model.

In one process, over the same realtimeqa-dev articles, each run into a fresh index:
`Library.ingest` with the local all-MiniLM-L6-v2 (fp32, batch 32), then with `embed_url` pointing at
a `rag embed-serve` child process on 127.0.0.1, then locally again (A-B-A: the baseline is the mean
of the two local runs, so drift in the load of a shared machine cancels). Plain encoding of the same
chunk texts both ways (no chunking, no Chroma) shows the HTTP hop alone, and the stored vectors of
the two indexes are compared.

Client and server share this machine's cores, so the ratio is the cost of the hop (JSON, copies,
request latency), not what a bigger second machine would add. The corpus is read from
../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz (never copied into the repository); the
indexes are built in a temporary directory that is deleted afterwards.

    python benchmarks/embed_server.py --limit 20   # a quick run (about 200 chunks)
    python benchmarks/embed_server.py              # all 1342 articles: several hours on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import RecordingEmbedder, machine, versions, write_sample  # noqa: E402
from index.embedding import MINILM, SentenceTransformerEmbedder, make_embedder  # noqa: E402
from index.library import Library  # noqa: E402
from index.remote_embedding import EmbeddingServer  # noqa: E402
from index.settings import IndexSettings  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

CORPUS = ROOT.parent / "shared" / "benchmarks" / "realtimeqa-dev" / "corpus.jsonl.gz"
OUT = ROOT / "benchmarks" / "results" / "embed_server.json"
BATCH_SIZE = 32
SERVER_START_TIMEOUT_S = 300.0
WARM_UP = ["warm up the model with a long enough passage " * 24] * BATCH_SIZE


@contextmanager
def embed_serve(workdir: Path) -> Iterator[tuple[str, float]]:
    """A `rag embed-serve` child process on a free loopback port: (its /v1 URL, seconds until ready)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", RAG_EMBED_MODEL=MINILM)
    log = (workdir / "embed-serve.log").open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "embed-serve", "--port", str(port)],
        cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        while process.poll() is None and time.perf_counter() - started < SERVER_START_TIMEOUT_S:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"`rag embed-serve` did not start; see {workdir / 'embed-serve.log'}")
        yield url, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def timed_ingest(source: Path, settings: IndexSettings, embedder: RecordingEmbedder) -> tuple[dict, Library]:
    library = Library(settings, embedder)
    cpu_before = time.process_time()
    report = library.ingest([source])
    if report.failed:
        print(f"{len(report.failed)} input(s) failed, e.g. {report.failed[0]}", file=sys.stderr)
    figures = {
        "documents": len(report.added),
        "chunks": report.chunks_written,
        "seconds": round(report.seconds, 2),
        "chunks_per_s": round(report.chunks_written / report.seconds, 2),
        "embedding_seconds": round(embedder.seconds, 2),
        "client_cpu_seconds": round(time.process_time() - cpu_before, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    return figures, library


def timed_encode(embedder, texts: list[str]) -> dict:
    started = time.perf_counter()
    embedder.encode_documents(texts)
    seconds = time.perf_counter() - started
    return {"chunks": len(texts), "seconds": round(seconds, 2), "chunks_per_s": round(len(texts) / seconds, 2)}


def stored_vectors(library: Library) -> dict[str, np.ndarray]:
    return library.store.embeddings(sorted(library.store.chunk_ids()))


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict:
    shared = sorted(a.keys() & b.keys())
    if not shared:
        return {"chunks_compared": 0}
    x, y = np.stack([a[i] for i in shared]), np.stack([b[i] for i in shared])
    return {
        "chunks_compared": len(shared),
        "same_chunk_ids": a.keys() == b.keys(),
        "max_abs_difference": float(np.abs(x - y).max()),
        "min_cosine": round(float((x * y).sum(axis=1).min()), 7),
    }


def mean_local(runs: list[dict]) -> dict:
    seconds = sum(r["seconds"] for r in runs) / len(runs)
    return {"chunks": runs[0]["chunks"], "seconds": round(seconds, 2), "chunks_per_s": round(runs[0]["chunks"] / seconds, 2), "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles (default: all)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-encode", action="store_true", help="skip the plain-encoding comparison")
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")

    local_model = SentenceTransformerEmbedder(batch_size=BATCH_SIZE)
    local_model.encode_documents(WARM_UP)  # loads the model: not part of the timing
    with tempfile.TemporaryDirectory(prefix="rag-bench-embed-server-") as tmp_name:
        tmp = Path(tmp_name)
        source, n_docs = write_sample(args.corpus, args.limit, tmp)
        first = RecordingEmbedder(local_model)
        local_before, local_library = timed_ingest(source, IndexSettings(data_dir=tmp / "local-1"), first)
        with embed_serve(tmp) as (url, startup_seconds):
            settings = IndexSettings(data_dir=tmp / "served", embed_url=url, embed_batch_size=BATCH_SIZE)
            client = make_embedder(MINILM, BATCH_SIZE, server=EmbeddingServer.from_settings(settings))
            client.encode_documents(WARM_UP)  # the server's first batches of this shape
            served, served_library = timed_ingest(source, settings, RecordingEmbedder(client))
            encode = {} if args.no_encode else {"server": timed_encode(client, first.texts)}
        local_after, _ = timed_ingest(source, IndexSettings(data_dir=tmp / "local-2"), RecordingEmbedder(local_model))
        if not args.no_encode:
            encode["local"] = timed_encode(local_model, first.texts)
        vectors = compare(stored_vectors(local_library), stored_vectors(served_library))

    local = mean_local([local_before, local_after])
    served["ratio_to_local"] = round(served["chunks_per_s"] / local["chunks_per_s"], 3)
    if encode:
        encode["server"]["ratio_to_local"] = round(encode["server"]["chunks_per_s"] / encode["local"]["chunks_per_s"], 3)
    result = {
        "benchmark": "embed_server",
        "corpus": {"path": str(args.corpus.resolve()), "articles": n_docs, "limit": args.limit},
        "settings": {"model": MINILM, "variant": "fp32", "batch_size": BATCH_SIZE, "server": "rag embed-serve on 127.0.0.1"},
        "ingest": {"local": local, "server": served},
        "encode_only": encode,
        "server_startup_seconds": round(startup_seconds, 2),
        "vectors": vectors,
        "machine": machine(),
        "versions": versions(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"articles {n_docs}, chunks {local['chunks']}; server ready in {startup_seconds:.1f} s (model load included)")
    print(f"{'':26}{'seconds':>10}{'chunks/s':>10}{'ratio':>8}")
    print(f"{'ingest, local (mean A-A)':26}{local['seconds']:>10.2f}{local['chunks_per_s']:>10.2f}{1.0:>8.3f}")
    print(f"{'ingest, embed-serve':26}{served['seconds']:>10.2f}{served['chunks_per_s']:>10.2f}{served['ratio_to_local']:>8.3f}")
    if encode:
        print(f"{'encode only, local':26}{encode['local']['seconds']:>10.2f}{encode['local']['chunks_per_s']:>10.2f}{1.0:>8.3f}")
        row = encode["server"]
        print(f"{'encode only, embed-serve':26}{row['seconds']:>10.2f}{row['chunks_per_s']:>10.2f}{row['ratio_to_local']:>8.3f}")
    print("local ingest runs (before, after): " + ", ".join(f"{r['chunks_per_s']} chunks/s" for r in local["runs"]))
    if vectors.get("chunks_compared"):
        print(f"stored vectors: {vectors['chunks_compared']} chunks, max |difference| {vectors['max_abs_difference']:.2e}, "
              f"min cosine {vectors['min_cosine']}, same chunk ids: {vectors['same_chunk_ids']}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
