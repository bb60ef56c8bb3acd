"""The seed gold set and the held-out set through the real pipeline (real MiniLM, real Chroma, real back ends).

The minimums (and the maximum of wrong answers) are set just under what was measured (docs/evals.md),
so a regression fails CI. The seed set is the tuning set; the held-out set (evals/gold/heldout.jsonl,
articles of ../shared/benchmarks/realtimeqa-dev read where they lie) was never used to pick a rule.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import Config

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold" / "seed.jsonl"
HELDOUT = ROOT / "evals" / "gold" / "heldout.jsonl"
REALTIMEQA_CORPUS = ROOT.parent / "shared" / "benchmarks" / "realtimeqa-dev" / "corpus.jsonl.gz"
# The default back end on the held-out set (measured figures in docs/evals.md).
# Measured 2026-12-06 (fourteenth session, commit 282d253): 0.757, 0.794, 0.996, answered_wrong 0.117 and
# answered_wrong_sure (not marked tentative) 0.028; the margins allow for three or four flips.
HELDOUT_MIN = {"answered_with_verified_citation": 0.73, "refusal_recall": 0.70, "citation_precision": 0.95}
HELDOUT_MAX = {"answered_wrong": 0.15, "answered_wrong_sure": 0.05}

TENTATIVE_BELOW = Config().tentative_below

GATES = {
    "extractive": {
        "answered_with_verified_citation": 0.82,
        "refusal_recall": 0.42,
        "citation_precision": 0.95,
        "evidence_hit@5": 0.95,
    },
    "embedded": {
        "answered_with_verified_citation": 0.89,
        "citation_precision": 0.95,
        "refusal_recall": 0.85,
        "evidence_hit@5": 0.95,
    },
}


def run_eval(tmp_path: Path, backend: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / f"run-{backend}"
    cmd = [
        sys.executable, "-m", "cli", "eval", str(GOLD), "--corpus", str(ROOT / "seeds"),
        "--backend", backend, "--data-dir", str(tmp_path / "data"), "--out", str(out),
    ]
    for metric, minimum in GATES[backend].items():
        cmd += ["--min", f"{metric}={minimum}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3000)
    metrics = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").exists() else {}
    return proc, metrics


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["extractive", "embedded"])
def test_seed_gold_set_meets_the_quality_gate(tmp_path, backend):
    proc, metrics = run_eval(tmp_path, backend)
    assert proc.returncode == 0, f"quality gate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    assert metrics["n_questions"] == sum(1 for line in GOLD.read_text().splitlines() if line.strip())
    assert metrics["n_errors"] == 0
    results = [json.loads(line) for line in (tmp_path / f"run-{backend}" / "results.jsonl").read_text().splitlines()]
    for r in results:
        assert r["backend"].startswith(backend) or "extractive" in r["backend"]
        for c in r["citations"]:
            assert c["quote"] in next(p["text"] for p in r["passages"] if p["n"] == c["n"])
    assert "Traceback" not in proc.stderr


def test_quality_gate_fails_on_an_impossible_minimum(tmp_path):
    """The gate itself works: a minimum nobody reaches makes `rag eval` exit non-zero."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(GOLD.read_text().splitlines()[0] + "\n")
    cmd = [sys.executable, "-m", "cli", "eval", str(gold), "--corpus", str(ROOT / "seeds"), "--backend", "extractive",
           "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "run"), "--min", "answer_f1=0.999"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0


@pytest.mark.slow
def test_held_out_set_meets_the_quality_gate_with_the_default_back_end(tmp_path):
    if not REALTIMEQA_CORPUS.exists():
        pytest.fail(f"the held-out set reads its articles from {REALTIMEQA_CORPUS}, which is missing")
    out = tmp_path / "run-heldout"
    cmd = [
        sys.executable, "-m", "cli", "eval", str(HELDOUT), "--corpus", str(REALTIMEQA_CORPUS), "--gold-docs-only",
        "--data-dir", str(tmp_path / "data"), "--out", str(out),
    ]
    cmd += [f"--min={metric}={value}" for metric, value in HELDOUT_MIN.items()]
    cmd += [f"--max={metric}={value}" for metric, value in HELDOUT_MAX.items()]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, f"quality gate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_questions"] == sum(1 for line in HELDOUT.read_text().splitlines() if line.strip())
    assert metrics["n_errors"] == 0
    for line in (out / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        assert r["refused"] == (r.get("short_answer") is None)  # every answer leads with its short answer
        assert r["tentative"] == (r["confidence"] is not None and r["confidence"] < TENTATIVE_BELOW)
        if not r["refused"]:
            assert r["answer"].startswith(r["short_answer"])
