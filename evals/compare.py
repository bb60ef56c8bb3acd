"""`rag eval --compare RUN_A RUN_B`: metric deltas, how sure each is, and the questions whose outcome changed."""

from __future__ import annotations

import json
from pathlib import Path

from evals.outcome import Outcome, choice_correct, outcome
from evals.records import EvalRecord, by_id, read_records
from evals.metrics import REGISTRY
from evals.scoring import COST_METRICS, FAILURE_RATES, GATED, LATENCY_METRICS, QUALITY_METRICS, Metrics, compute_metrics
from evals.uncertainty import RESAMPLES, Interval, difference_intervals, sign_test
from rag.errors import RagError
from rag.short_answer import question_kind


class RunNotFoundError(RagError):
    """A run directory lacks the metrics.json / results.jsonl the runner writes."""


def load_run(run_dir: Path) -> tuple[Metrics, list[EvalRecord]]:
    """The metrics and records of a finished run directory.

    A metric added after the run was made (missing from its metrics.json) is computed from its results.jsonl.
    """
    metrics_path, results_path = run_dir / "metrics.json", run_dir / "results.jsonl"
    for path in (metrics_path, results_path):
        if not path.is_file():
            raise RunNotFoundError(f"{run_dir} is not an evaluation run: {path.name} is missing")
    stored = json.loads(metrics_path.read_text(encoding="utf-8"))
    records = read_records(results_path)
    missing = REGISTRY.keys() - stored.keys()
    return ({**compute_metrics(records), **stored} if missing else stored), records


def compare_runs(run_a: Path, run_b: Path) -> str:
    """A Markdown report: one row per metric (A, B, B - A, its 95% interval) and the questions that changed."""
    metrics_a, records_a = load_run(Path(run_a))
    metrics_b, records_b = load_run(Path(run_b))
    lines = [f"# Comparison: A = `{run_a}`, B = `{run_b}`", ""]
    lines += _metric_table(metrics_a, metrics_b, difference_intervals(records_a, records_b))
    lines += ["", _INTERVAL_NOTE]
    lines += ["", "## Questions that changed", ""]
    lines += _changed_questions(by_id(records_a), by_id(records_b))
    return "\n".join(lines) + "\n"


_INTERVAL_NOTE = (
    "The 95% interval of B - A is taken over the questions both runs asked, paired: Newcombe's interval for figures "
    f"where each question scores 0 or 1, a paired bootstrap ({RESAMPLES} resamples) for graded ones. Where it holds 0 "
    "the change may be chance, and the verdict says \"may be noise\"."
)


def _metric_table(a: Metrics, b: Metrics, spans: dict[str, Interval]) -> list[str]:
    rows = ["| metric | better | A | B | B - A | 95% interval of B - A | |", "|---|---|---:|---:|---:|---:|---|"]
    counts = [name for name in GATED if REGISTRY[name].unit == "count"]
    for name in (*QUALITY_METRICS, *FAILURE_RATES, *LATENCY_METRICS, *COST_METRICS, *counts):
        va, vb = a.get(name), b.get(name)
        if va is None and vb is None:
            continue
        better = REGISTRY[name].better
        span = spans.get(name)
        verdict = _verdict(va, vb, better == "lower") if better else ""
        if verdict and span is not None and span.holds(0.0):
            verdict += ", may be noise"
        interval = f"{span.low:+.3f} to {span.high:+.3f}" if span is not None else "–"
        rows.append(
            f"| {name} | {better or ''} | {_fmt(name, va)} | {_fmt(name, vb)} | {_delta(name, va, vb)} | {interval} | {verdict} |"
        )
    return rows


def _changed_questions(a: dict[str, EvalRecord], b: dict[str, EvalRecord]) -> list[str]:
    rows = ["| id | kind | question | A | B |", "|---|---|---|---|---|"]
    moved: dict[str, list[int]] = {}  # kind -> [better in B, worse in B]
    for qid in sorted(a.keys() & b.keys()):
        outcome_a, outcome_b = outcome(a[qid]), outcome(b[qid])
        state_a, state_b = _state(a[qid], outcome_a), _state(b[qid], outcome_b)
        if state_a != state_b:
            kind = question_kind(a[qid].item.question).value
            rows.append(f"| {qid} | {kind} | {_cell(a[qid].item.question)} | {state_a} | {state_b} |")
            if outcome_a.rank != outcome_b.rank:
                moved.setdefault(kind, [0, 0])[0 if outcome_b.rank > outcome_a.rank else 1] += 1
    lines = rows if len(rows) > 2 else ["No question changed outcome."]
    better, worse = (sum(counts[i] for counts in moved.values()) for i in (0, 1))
    if better or worse:
        lines += [
            "",
            f"{better} questions got a better outcome in B and {worse} a worse one. If neither run were better, a split "
            f"at least this uneven would happen with a chance of {sign_test(better, worse):.3f} (two-sided exact sign test).",
        ]
    if moved:
        lines += ["", "By the kind of answer asked for (as the pipeline reads the question; better and worse by outcome):", ""]
        lines += ["| kind | better in B | worse in B |", "|---|---:|---:|"]
        lines += [f"| {kind} | {up} | {down} |" for kind, (up, down) in sorted(moved.items(), key=lambda kv: (-sum(kv[1]), kv[0]))]
    for label, only in (("A", a.keys() - b.keys()), ("B", b.keys() - a.keys())):
        if only:
            lines += ["", f"Only in run {label}: " + ", ".join(sorted(only))]
    return lines


def _state(record: EvalRecord, result: Outcome) -> str:
    state = result.value
    picked = choice_correct(record)
    if picked is not None:
        state += f", choice {'right' if picked else 'wrong'}"
    return state


def _fmt(name: str, value: float | int | None) -> str:
    if value is None:
        return "–"
    if name in LATENCY_METRICS:
        return f"{value:.0f} ms"
    if name in COST_METRICS:
        return f"{value:.1f}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _delta(name: str, a: float | int | None, b: float | int | None) -> str:
    if a is None or b is None:
        return "–"
    if name in LATENCY_METRICS:
        return f"{b - a:+.0f} ms"
    if name in COST_METRICS:
        return f"{b - a:+.1f}"
    return f"{b - a:+.3f}" if isinstance(a, float) or isinstance(b, float) else f"{b - a:+d}"


def _verdict(a: float | int | None, b: float | int | None, lower_is_better: bool) -> str:
    if a is None or b is None or a == b:
        return ""
    return "better" if (b < a) == lower_is_better else "worse"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
