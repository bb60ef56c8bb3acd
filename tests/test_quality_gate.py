"""The seed gold set and the held-out sets through the real pipeline (real MiniLM, real Chroma, real back ends).

The minimums (and the maximum of wrong answers) are set just under what was measured (docs/evals.md),
so a regression fails CI. The seed set is a tuning set; the held-out sets (evals/gold/heldout.jsonl, over
articles of ../shared/benchmarks/realtimeqa-dev read where they lie, and evals/gold/seed-heldout.jsonl,
new questions about the seed article) were never used to pick a rule.

The default back end's model runs are what CI spends most of its time on, so they go where a regression
tells most: the two held-out sets. The seed set runs with the extractive back end (retrieval, citations
and the extractive answer); its figures with the default back end are measured with `rag eval` and
reported in docs/evals.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.uncertainty import INTERVALS_JSON, read_intervals
from rag.config import Config

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold" / "seed.jsonl"
HELDOUT = ROOT / "evals" / "gold" / "heldout.jsonl"
REALTIMEQA_CORPUS = ROOT.parent / "shared" / "benchmarks" / "realtimeqa-dev" / "corpus.jsonl.gz"
# The default back end on the held-out set (measured figures in docs/evals.md).
# Measured 2026-12-07 (twenty-eighth session, commit 361d26e): 0.766 (85 of 111), 0.794 (27 of 34), 0.996,
# answered_wrong 0.117 (17 of 145) and answered_wrong_sure (not marked tentative) 0.041 (6); the margins allow
# for two flips or more.
HELDOUT_MIN = {"answered_with_verified_citation": 0.72, "refusal_recall": 0.73, "citation_precision": 0.95}
HELDOUT_MAX = {"answered_wrong": 0.135, "answered_wrong_sure": 0.06}
# New questions about the seed article (evals/gold/seed-heldout.jsonl, 23 + 8), split at random from the
# draft that gave the seed-b tuning set. Measured 2026-12-06 (fifteenth session, commit 8afb145): 0.478
# (11 of 23), 1.000, 1.000, answered_wrong 0.129 (4 of 31) and answered_wrong_sure 0.032; one question is
# 0.04 of the answerable ones, so the margins allow for two flips.
SEED_HELDOUT = ROOT / "evals" / "gold" / "seed-heldout.jsonl"
SEED_HELDOUT_MIN = {"answered_with_verified_citation": 0.39, "refusal_recall": 0.87, "citation_precision": 0.95}
SEED_HELDOUT_MAX = {"answered_wrong": 0.20, "answered_wrong_sure": 0.10}

TENTATIVE_BELOW = Config().tentative_below

GATES = {
    "extractive": {
        "answered_with_verified_citation": 0.82,
        "refusal_recall": 0.42,
        "citation_precision": 0.95,
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


def assert_quotes_are_their_passages_text(result: dict) -> None:
    """The supporting text an answer shows for each citation is its passage's own."""
    for c in result["citations"]:
        assert c["quote"] in next(p["text"] for p in result["passages"] if p["n"] == c["n"])


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(GATES))
def test_seed_gold_set_meets_the_quality_gate(tmp_path, backend):
    proc, metrics = run_eval(tmp_path, backend)
    assert proc.returncode == 0, f"quality gate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    assert metrics["n_questions"] == sum(1 for line in GOLD.read_text().splitlines() if line.strip())
    assert metrics["n_errors"] == 0
    results = [json.loads(line) for line in (tmp_path / f"run-{backend}" / "results.jsonl").read_text().splitlines()]
    for r in results:
        assert r["backend"].startswith(backend) or "extractive" in r["backend"]
        assert_quotes_are_their_passages_text(r)
    assert "Traceback" not in proc.stderr


def test_quality_gate_fails_on_an_impossible_minimum(tmp_path):
    """The gate itself works: a minimum nobody reaches makes `rag eval` exit non-zero."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(GOLD.read_text().splitlines()[0] + "\n")
    cmd = [sys.executable, "-m", "cli", "eval", str(gold), "--corpus", str(ROOT / "seeds"), "--backend", "extractive",
           "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "run"), "--min", "answer_f1=0.999"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0


HELD_OUT_SETS = {
    "heldout": (HELDOUT, ["--corpus", str(REALTIMEQA_CORPUS), "--gold-docs-only"], HELDOUT_MIN, HELDOUT_MAX),
    "seed-heldout": (SEED_HELDOUT, ["--corpus", str(ROOT / "seeds")], SEED_HELDOUT_MIN, SEED_HELDOUT_MAX),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HELD_OUT_SETS))
def test_held_out_sets_meet_the_quality_gate_with_the_default_back_end(tmp_path, name):
    gold, corpus_args, minimums, maximums = HELD_OUT_SETS[name]
    if name == "heldout" and not REALTIMEQA_CORPUS.exists():
        pytest.fail(f"the held-out set reads its articles from {REALTIMEQA_CORPUS}, which is missing")
    out = tmp_path / f"run-{name}"
    cmd = [sys.executable, "-m", "cli", "eval", str(gold), *corpus_args, "--data-dir", str(tmp_path / "data"), "--out", str(out)]
    cmd += [f"--min={metric}={value}" for metric, value in minimums.items()]
    cmd += [f"--max={metric}={value}" for metric, value in maximums.items()]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, f"quality gate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_questions"] == sum(1 for line in gold.read_text().splitlines() if line.strip())
    assert metrics["n_errors"] == 0
    spans = read_intervals(out / INTERVALS_JSON)  # how far each figure could move on questions like these
    for metric in ("answered_with_verified_citation", "answered_wrong"):
        assert spans[metric].holds(metrics[metric]) and spans[metric].high > spans[metric].low
    for line in (out / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        assert r["refused"] == (r.get("short_answer") is None)  # every answer leads with its short answer
        assert r["tentative"] == (r["confidence"] is not None and r["confidence"] < TENTATIVE_BELOW)
        if not r["refused"]:
            assert r["answer"].startswith(r["short_answer"])
        assert_quotes_are_their_passages_text(r)
