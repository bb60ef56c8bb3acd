"""The metric registry: one declaration per metric, read by metrics.json, the report and the gates."""

from __future__ import annotations

import ast
from pathlib import Path

from evals.metrics import MODULES, REGISTRY
from evals.runner import run_eval
from evals.scoring import GATED, LATENCY_METRICS, QUALITY_METRICS

METRICS_DIR = Path(__file__).resolve().parents[2] / "evals" / "metrics"


def test_every_figure_in_metrics_json_is_declared_once_with_a_description(tmp_path: Path, make_item, make_answer):
    metrics = run_eval([make_item("q1", "Who?", ["Levit"])], lambda item: make_answer("Levit"), tmp_path, progress=False)
    declared = [m.name for module in MODULES for m in module.metrics]
    assert len(declared) == len(set(declared))
    assert set(metrics) == set(REGISTRY)
    assert all(m.description for m in REGISTRY.values())


def test_scores_go_up_and_times_go_down():
    assert all(REGISTRY[n].better == "higher" and REGISTRY[n].unit == "fraction" for n in QUALITY_METRICS)
    assert all(REGISTRY[n].better == "lower" for n in LATENCY_METRICS)
    assert REGISTRY["n_errors"].better == "lower" and REGISTRY["n_questions"].better is None
    assert {"hit@5", "answered_with_verified_citation", "latency_p50_ms", "n_errors"} <= set(GATED)


def test_each_metric_module_declares_the_metrics_it_computes():
    for path in sorted(METRICS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigns = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        if path.stem in ("__init__", "metric", "textnorm"):
            continue
        assert "MODULE" in assigns, path.name
