"""Static int8 (NNCF post-training quantisation, computed by OpenVINO): faster than fp32, and how far from it?

A candidate for the performance issue's target 1 on CPUs without bf16 instructions, measured and
rejected (benchmarks/results/history.md, "Static int8 (NNCF), tried and rejected"). Everything runs in this process
over the realtimeqa-dev chunk texts: plain fp32 `SentenceTransformer.encode` (the baseline), then
this repository's encoder computed by OpenVINO in fp32, in static int8, and, where the CPU has bf16
instructions, in bf16 and in int8 with bf16 between the quantised layers. The int8 network is
calibrated on the first `--calibration` chunks and measured on the last `--eval` ones. Each result
gives chunks/s, its ratio to the baseline and the cosine of its vectors to the baseline's.

It also prints the arithmetic the encoder does per chunk and the rate the baseline reaches in
GFLOP/s: against the CPU's peak it shows how much room fp32 leaves.

NNCF is not a dependency of this project: `pip install nncf` first. To see what a CPU with AVX2
only would do, limit the kernels before the start (an upper bound: OpenVINO's fp32 MLAS kernels
ignore the limit):

    python benchmarks/quantize_static.py
    ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2 \\
        python benchmarks/quantize_static.py --out benchmarks/results/quantize_static_avx2.json
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest import BATCH_SIZE, CORPUS, ROOT, PlainEncoder, chunk_texts, machine, versions, write_sample  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "quantize_static.json"
ISA_LIMITS = ("ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY")


def encoder_flops(length: int, config: dict) -> int:
    """Multiply-adds x 2 of one sequence through the encoder (its config.json): projections,
    feed-forward, attention scores and their weighted sum. all-MiniLM-L6-v2: 6 layers, 384 wide, 1536."""
    hidden, feed_forward = config["hidden_size"], config["intermediate_size"]
    dense = 2 * length * (4 * hidden * hidden + 2 * hidden * feed_forward)
    attention = 2 * 2 * length * length * hidden
    return config["num_hidden_layers"] * (dense + attention)


class Compiled:
    """A compiled OpenVINO network behind the encoder's (tokens, mask) -> hidden states call."""

    def __init__(self, core, network, precision: str) -> None:
        config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"}
        self._request = core.compile_model(network, "CPU", config).create_infer_request()

    def __call__(self, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.array(self._request.infer([tokens, mask])[0], dtype=np.float32)


def padded_batches(embedder, texts: list[str], size: int = 8) -> list[list[np.ndarray]]:
    """Calibration inputs shaped as the encoder feeds them: length-sorted, padded to the batch's longest."""
    from index.embedding import padded

    ids = sorted((embedder._ids(t) for t in texts), key=len)
    return [list(padded(ids[lo : lo + size])) for lo in range(0, len(ids), size)]


def timed(embedder, texts: list[str], reference: np.ndarray, baseline_rate: float) -> dict:
    embedder.encode_documents(texts[:BATCH_SIZE])  # warm-up
    started = time.perf_counter()
    vectors = embedder.encode_documents(texts)
    seconds = time.perf_counter() - started
    cosine = (vectors * reference).sum(axis=1)
    rate = len(texts) / seconds
    return {
        "seconds": round(seconds, 2),
        "chunks_per_s": round(rate, 2),
        "ratio": round(rate / baseline_rate, 3),
        "cos_min": round(float(cosine.min()), 4),
        "cos_mean": round(float(cosine.mean()), 5),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=300, help="articles to chunk (default 300, about 3,400 chunks)")
    parser.add_argument("--calibration", type=int, default=512, help="chunks to calibrate on (default 512)")
    parser.add_argument("--eval", type=int, default=1200, help="chunks to measure on, from the end (default 1200)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    try:
        import nncf
    except ImportError:
        print("this benchmark needs NNCF: pip install nncf", file=sys.stderr)
        return 2
    import openvino as ov

    from index.embedding import SentenceTransformerEmbedder, minilm_path
    from index.openvino_runtime import OpenVinoBert, openvino_bf16

    with tempfile.TemporaryDirectory() as scratch:
        source, _ = write_sample(args.corpus, args.limit, Path(scratch))
        texts = chunk_texts(source, Path(scratch) / "index")
    if len(texts) < args.calibration + args.eval:
        parser.error(f"{len(texts)} chunks: fewer than --calibration plus --eval")
    calibration, evaluation = texts[: args.calibration], texts[-args.eval :]

    plain_figures, reference = PlainEncoder().timed(evaluation)
    baseline = plain_figures["chunks_per_s"]

    embedder = SentenceTransformerEmbedder(batch_size=BATCH_SIZE, runtime="openvino", variant="fp32")
    core = ov.Core()
    network = OpenVinoBert._network(ov, core, minilm_path(), embedder._load_torch_fp32, None)
    started = time.perf_counter()
    quantised = nncf.quantize(
        network,
        nncf.Dataset(padded_batches(embedder, calibration)),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=args.calibration,
    )
    quantise_seconds = time.perf_counter() - started

    candidates = {"ov-fp32": (network, "f32"), "ov-int8": (quantised, "f32")}
    if openvino_bf16() and not os.environ.get("ONEDNN_MAX_CPU_ISA"):
        candidates |= {"ov-bf16": (network, "bf16"), "ov-int8-bf16": (quantised, "bf16")}
    results = {}
    for name, (net, precision) in candidates.items():
        embedder._model = Compiled(core, net, precision)  # the encoder's own tokenising, batching and pooling
        results[name] = timed(embedder, evaluation, reference, baseline)

    lengths = [len(embedder._ids(t)) for t in evaluation]
    config = json.loads((minilm_path() / "config.json").read_text(encoding="utf-8"))
    gflop_per_chunk = sum(encoder_flops(n, config) for n in lengths) / len(lengths) / 1e9
    report = {
        "machine": machine(),
        "versions": versions() | {"openvino": ov.get_version(), "nncf": nncf.__version__},
        "isa_limits": {k: os.environ[k] for k in ISA_LIMITS if k in os.environ},
        "articles": args.limit,
        "calibration_chunks": len(calibration),
        "eval_chunks": len(evaluation),
        "mean_word_pieces": round(float(np.mean(lengths)), 1),
        "gflop_per_chunk": round(gflop_per_chunk, 3),
        "quantise_seconds": round(quantise_seconds, 1),
        "plain_fp32": {"chunks_per_s": round(baseline, 2), "gflop_per_s": round(baseline * gflop_per_chunk, 1)},
        "candidates": results,
    }
    print(f"{len(evaluation)} chunks, {report['mean_word_pieces']} word pieces on average, "
          f"{gflop_per_chunk:.2f} GFLOP each; limits: {report['isa_limits'] or 'none'}")
    print(f"{'':14}{'chunks/s':>10}{'ratio':>8}{'min cos':>9}{'mean cos':>10}")
    print(f"{'plain fp32':14}{baseline:>10.1f}{1.0:>8.2f}{1.0:>9.4f}{1.0:>10.5f}   {baseline * gflop_per_chunk:.0f} GFLOP/s")
    for name, r in results.items():
        print(f"{name:14}{r['chunks_per_s']:>10.1f}{r['ratio']:>8.2f}{r['cos_min']:>9.4f}{r['cos_mean']:>10.5f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
