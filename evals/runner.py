"""Run a gold set through an `ask` callable and write results, metrics and the report."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping
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
from evals.uncertainty import INTERVALS_JSON, intervals, intervals_json
from rag.errors import ConfigError

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
    resume: bool = False,
    redo: Collection[str] = (),
) -> Metrics:
    """Ask every question, then write results.jsonl, metrics.json, intervals.json, run.json and the reports.

    A question whose `ask` raises is written as an error line and counted in `n_errors`.
    `settings` (backend, k, corpus, ...) is recorded in run.json and shown in the report.
    `pick` chooses the option of items with `choices` (word overlap unless told otherwise).
    With `resume`, the answers an earlier run with the same settings wrote to `out_dir` are kept
    (an interrupted run goes on where it stopped); its failed questions are asked again.
    `redo` names questions (by id) to ask again and implies `resume`: after a change, only the
    questions it can move are asked, and the run stays whole. `ConfigError` when that run had other
    settings, when `redo` names a question the gold set lacks, or when there is no run to keep.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    settings = dict(settings or {})
    items = list(items)
    kept = _resumable(out_dir, settings, items) if resume or redo else {}
    if redo:
        kept = _without(kept, redo, items, out_dir)
    # run.json first says the run is under way, so an interrupted one can be told apart and resumed.
    _write_json(out_dir / "run.json", {**settings, "complete": False})
    _write_records(results_path, kept.values())
    started = time.time()
    records: dict[str, EvalRecord] = dict(kept)
    todo = [item for item in items if item.id not in kept]
    if kept:
        log.info("resuming: %d of %d questions already answered in %s", len(kept), len(items), out_dir)
    bar = tqdm(todo, desc="eval", unit="q", file=sys.stderr, disable=not progress)
    for item in bar:
        record = _ask_one(item, ask, pick)
        append_record(results_path, record)
        records[item.id] = record
        if record.error:
            bar.set_postfix(errors=sum(bool(r.error) for r in records.values()))
    ordered = [records[item.id] for item in items]
    _write_records(results_path, ordered)  # the gold set's order, whatever was resumed
    metrics = compute_metrics(ordered)
    _write_json(out_dir / "metrics.json", metrics)
    spans = intervals(ordered)
    _write_json(out_dir / INTERVALS_JSON, intervals_json(spans))
    run_info = {
        **settings,
        "complete": True,
        "n_questions": len(ordered),
        "resumed": len(kept),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "wall_time_s": round(time.time() - started, 1),
    }
    _write_json(out_dir / "run.json", run_info)
    write_report(out_dir, metrics, ordered, run_info, spans)
    n_errors = metrics["n_errors"]
    log.info("evaluated %d questions (%s errors) into %s", len(ordered), n_errors, out_dir)
    return metrics


def _resumable(out_dir: Path, settings: Mapping[str, Any], items: list[GoldItem]) -> dict[str, EvalRecord]:
    """The answered questions of the earlier run in `out_dir` that this run can keep, by id.

    Kept: lines without an error whose gold item is the same as now. A last line cut short by the
    interruption is dropped. `ConfigError` when the earlier run's settings differ from `settings`.
    """
    results, meta = out_dir / "results.jsonl", out_dir / "run.json"
    if not results.is_file():
        return {}
    try:
        earlier = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else None
    except ValueError:
        earlier = None
    if not isinstance(earlier, dict):
        raise ConfigError(f"{out_dir} holds results without a readable run.json, so its settings are unknown; use another --out")
    changed = sorted(k for k in set(settings) | set(earlier) if k in settings and earlier.get(k) != settings[k])
    if changed:
        raise ConfigError(
            f"the run in {out_dir} was made with other settings ({', '.join(changed)}); "
            "run without --resume to start over, or use another --out"
        )
    wanted = {item.id: item for item in items}
    kept: dict[str, EvalRecord] = {}
    for line in results.read_text(encoding="utf-8").splitlines():
        try:
            record = EvalRecord.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError):
            continue  # the line being written when the run stopped
        if not record.error and wanted.get(record.item.id) == record.item:
            kept[record.item.id] = record
    return kept


def _without(kept: dict[str, EvalRecord], redo: Collection[str], items: list[GoldItem], out_dir: Path) -> dict[str, EvalRecord]:
    """`kept` without the questions `redo` names, after checking that the gold set has them and that
    an earlier run is there to keep the rest of."""
    again = set(redo)
    unknown = sorted(again - {item.id for item in items})
    if unknown:
        raise ConfigError(f"the gold set has no question with id {', '.join(unknown[:5])}")
    if not kept:
        raise ConfigError(f"there is no earlier run in {out_dir} to ask questions again in; run the whole set first")
    return {qid: record for qid, record in kept.items() if qid not in again}


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


def _write_records(path: Path, records: Iterable[EvalRecord]) -> None:
    """Replace results.jsonl with `records` in one step (never a file half rewritten)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    os.replace(partial, path)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    path.write_text(text + "\n", encoding="utf-8")
