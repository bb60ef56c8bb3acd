"""Run a gold set through an `ask` callable and write results, metrics and the report."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals.compare import compare_runs
from evals.gold import GoldItem
from evals.metrics.choice import pick_choice
from evals.records import EvalRecord, append_record
from evals.report import write_report
from evals.scoring import Metrics, compute_metrics
from evals.thresholds import check_thresholds, parse_thresholds

log = logging.getLogger(__name__)

# Returns the Answer JSON (a dict, or an object with `to_json()`) for one gold question.
AskFn = Callable[[GoldItem], Any]
# Picks one of the item's `choices` (exactly as given) from the Answer JSON, or None.
PickFn = Callable[[GoldItem, Mapping[str, Any]], "str | None"]


def pick_by_words(item: GoldItem, answer: Mapping[str, Any]) -> str | None:
    """The default pick: the option best supported by the answer's words and passages."""
    return pick_choice(item.question, item.choices, answer)


__all__ = ["AskFn", "PickFn", "check_thresholds", "pick_by_words", "compare_runs", "parse_thresholds", "run_eval"]


def run_eval(
    items: Iterable[GoldItem],
    ask: AskFn,
    out_dir: Path,
    *,
    progress: bool = True,
    settings: Mapping[str, Any] | None = None,
    pick: PickFn = pick_by_words,
) -> Metrics:
    """Ask every question, then write results.jsonl, metrics.json, run.json and the reports.

    A question whose `ask` raises is written as an error line and counted in `n_errors`.
    `settings` (backend, k, corpus, ...) is recorded in run.json and shown in the report.
    `pick` chooses the option of items with `choices` (word overlap unless told otherwise).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    results_path.write_text("", encoding="utf-8")
    items = list(items)
    started = time.time()
    records: list[EvalRecord] = []
    bar = tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress)
    for item in bar:
        record = _ask_one(item, ask, pick)
        append_record(results_path, record)
        records.append(record)
        if record.error:
            bar.set_postfix(errors=sum(bool(r.error) for r in records))
    metrics = compute_metrics(records)
    _write_json(out_dir / "metrics.json", metrics)
    run_info = {
        **dict(settings or {}),
        "n_questions": len(records),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "wall_time_s": round(time.time() - started, 1),
    }
    _write_json(out_dir / "run.json", run_info)
    write_report(out_dir, metrics, records, run_info)
    n_errors = metrics["n_errors"]
    log.info("evaluated %d questions (%s errors) into %s", len(records), n_errors, out_dir)
    return metrics


def _ask_one(item: GoldItem, ask: AskFn, pick: PickFn) -> EvalRecord:
    try:
        raw = ask(item)
    except Exception as exc:  # one failing question must not end a long run
        log.warning("question %s failed: %s: %s", item.id, type(exc).__name__, exc)
        return EvalRecord(item, error=f"{type(exc).__name__}: {exc}")
    answer = raw.to_json() if hasattr(raw, "to_json") else raw
    if not isinstance(answer, Mapping) or "answer" not in answer:
        message = f"ask returned {type(raw).__name__}, not an Answer JSON"
        log.warning("question %s failed: %s", item.id, message)
        return EvalRecord(item, error=message)
    try:
        choice = pick(item, answer) if item.choices else None
    except Exception as exc:  # a failing pick is that question's error, not the run's end
        log.warning("question %s: picking a choice failed: %s: %s", item.id, type(exc).__name__, exc)
        return EvalRecord(item, dict(answer), error=f"{type(exc).__name__}: {exc}")
    return EvalRecord(item, dict(answer), choice=choice)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    path.write_text(text + "\n", encoding="utf-8")
