"""The run report: report.md and a self-contained report.html, with matplotlib plots as PNGs."""

from __future__ import annotations

import base64
import html
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evals.metrics import REGISTRY
from evals.metrics.latency import timings
from evals.outcome import Outcome, outcome, worst_first
from evals.records import EvalRecord
from evals.scoring import COST_METRICS, FAILURE_RATES, LATENCY_METRICS, QUALITY_METRICS, Metrics
from evals.uncertainty import Interval, intervals
from rag.short_answer import question_kind

log = logging.getLogger(__name__)

METRICS_PNG = "metrics.png"
LATENCY_PNG = "latency.png"
WORST_N = 15
TOP_PASSAGES = 3
PASSAGE_CHARS = 600

@dataclass(frozen=True)
class _Report:
    """Everything both renderings show, computed once."""

    metrics: Metrics
    spans: Mapping[str, Interval]
    run_info: Mapping[str, Any]
    outcomes: Counter[str]
    by_kind: dict[str, Counter[str]]
    worst: list[EvalRecord]
    plots: dict[str, Path]


def write_report(
    out_dir: Path,
    metrics: Metrics,
    records: Sequence[EvalRecord],
    run_info: Mapping[str, Any] | None = None,
    spans: Mapping[str, Interval] | None = None,
) -> dict[str, Path]:
    """Write the plots, report.md and report.html into `out_dir`; return their paths by name.

    `spans` are the figures' 95% intervals (`evals.uncertainty.intervals`), computed here when not given.
    """
    out_dir = Path(out_dir)
    plots = {}
    if _plot_metrics(metrics, out_dir / METRICS_PNG):
        plots["Metrics"] = out_dir / METRICS_PNG
    if _plot_latency(records, out_dir / LATENCY_PNG):
        plots["Latency"] = out_dir / LATENCY_PNG
    report = _Report(
        metrics=metrics,
        spans=intervals(records) if spans is None else spans,
        run_info=run_info or {},
        outcomes=Counter(outcome(r).value for r in records),
        by_kind=outcomes_by_kind(records),
        worst=worst_first(list(records))[:WORST_N],
        plots=plots,
    )
    paths = {"report.md": out_dir / "report.md", "report.html": out_dir / "report.html"}
    paths["report.md"].write_text(_markdown(report), encoding="utf-8")
    paths["report.html"].write_text(_html(report), encoding="utf-8")
    log.info("wrote the report to %s", paths["report.html"])
    return {**paths, **{p.name: p for p in plots.values()}}


def outcomes_by_kind(records: Sequence[EvalRecord]) -> dict[str, Counter[str]]:
    """The outcomes counted by the kind of answer each question asks for, as the answering pipeline
    reads it (`rag.short_answer.question_kind`: person, place, number, yes_no ...), most questions first."""
    counts: dict[str, Counter[str]] = {}
    for record in records:
        counts.setdefault(question_kind(record.item.question).value, Counter())[outcome(record).value] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))


_BY_KIND_NOTE = "The kind is the answer the question asks for, as the answering pipeline reads the question."
_SCORES_NOTE = (
    "Scores range from 0 to 1; the first table's are higher-is-better, the second's (wrong answers) lower-is-better. "
    "The 95% interval is how far the figure could move on another set of questions like these "
    "(Wilson score for figures where each question scores 0 or 1, a bootstrap over the questions otherwise); "
    "questions is how many the figure is taken over. Times are in milliseconds, lower is better."
)
_SCORE_TABLES = (("metric", QUALITY_METRICS), ("wrong answers (lower is better)", FAILURE_RATES))


# ---- plots -------------------------------------------------------------------------------


def _plot_metrics(metrics: Metrics, path: Path) -> bool:
    names = [m for m in QUALITY_METRICS if metrics.get(m) is not None]
    if not names:
        return False
    values = [float(metrics[m]) for m in names]  # type: ignore[arg-type]
    fig = Figure(figsize=(7, 0.32 * len(names) + 1.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.barh(names[::-1], values[::-1], color="#4472c4")
    for y, value in enumerate(values[::-1]):
        inside = value > 0.85  # no room to the right of the bar: label it inside, in white
        x, color = (value - 0.01, "white") if inside else (value + 0.01, "black")
        ax.text(x, y, f"{value:.2f}", va="center", ha="right" if inside else "left",
                fontsize=8, color=color)
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (0-1, higher is better)")
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def _plot_latency(records: Sequence[EvalRecord], path: Path) -> bool:
    series = {
        "total": [t / 1000 for t in timings(records, "total")],
        "first token": [t / 1000 for t in timings(records, "first_token")],
    }
    if not series["total"]:
        return False
    everything = series["total"] + series["first token"]
    bins = np.histogram_bin_edges(everything, bins=min(30, max(5, len(everything) // 3)))
    fig = Figure(figsize=(7, 3.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for (label, values), color in zip(series.items(), ("#4472c4", "#ed7d31")):
        if values:
            ax.hist(values, bins=bins, alpha=0.7, label=label, color=color)
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


# ---- Markdown ----------------------------------------------------------------------------


def _markdown(report: _Report) -> str:
    m = report.metrics
    lines = ["# Evaluation report", ""]
    lines += [f"- {_md(str(k))}: {_md(str(v))}" for k, v in report.run_info.items()]
    lines += ["", "## Metrics", "", _SCORES_NOTE]
    for heading, names in _SCORE_TABLES:
        lines += ["", f"| {heading} | value | 95% interval | questions | what it measures |", "|---|---:|---:|---:|---|"]
        lines += [f"| {n} | {' | '.join(_score_cells(m, report.spans, n))} | {REGISTRY[n].description} |" for n in names]
    lines += ["", "| latency (lower is better) | ms | what it measures |", "|---|---:|---|"]
    lines += [f"| {n} | {_fmt(m.get(n), 0)} | {REGISTRY[n].description} |" for n in LATENCY_METRICS]
    lines += ["", "| model work (lower is better) | per question | what it measures |", "|---|---:|---|"]
    lines += [f"| {n} | {_fmt(m.get(n), 1)} | {REGISTRY[n].description} |" for n in COST_METRICS]
    lines += ["", "## Outcomes", "", "| outcome | questions |", "|---|---:|"]
    lines += [f"| {o.value} | {report.outcomes.get(o.value, 0)} |" for o in Outcome]
    lines += ["", "## Outcomes by kind of question", "", _BY_KIND_NOTE, ""]
    lines += ["| kind | questions | " + " | ".join(o.value for o in Outcome) + " |", "|---|---:|" + "---:|" * len(Outcome)]
    lines += [
        f"| {kind} | {sum(c.values())} | " + " | ".join(str(c.get(o.value, 0)) for o in Outcome) + " |"
        for kind, c in report.by_kind.items()
    ]
    for title, path in report.plots.items():
        lines += ["", f"![{title}]({path.name})"]
    lines += ["", f"## Worst questions ({len(report.worst)})", ""]
    if not report.worst:
        lines.append("No question failed.")
    for record in report.worst:
        lines += _md_question(record)
    return "\n".join(lines) + "\n"


def _md_question(record: EvalRecord) -> list[str]:
    item = record.item
    lines = [f"### {_md(item.id)}: {outcome(record).value}", ""]
    lines += [f"**Question:** {_md(item.question)}", ""]
    lines.append(f"**Gold answers:** {_md(' / '.join(item.answers)) or '(unanswerable)'}")
    if item.choices:
        choices = _md(" / ".join(item.choices))
        lines += ["", f"**Choices:** {choices}; **picked:** {_md(str(record.choice))}"]
    lines.append("")
    if record.error:
        return lines + [f"**Error:** {_md(record.error)}", ""]
    refused = " (refused)" if record.refused else ""
    answer = str(record.answer.get("answer", ""))
    lines += [f"**System answer{refused}:**", "", _md_quote(answer), ""]
    for p in record.passages[:TOP_PASSAGES]:
        head = _passage_heading(p)
        lines += [f"- {_md(head)}", "", _md_quote(_clip(str(p.get("text", ""))), indent="  "), ""]
    return lines


def _md(text: str) -> str:
    """Escape article/model text so Markdown renderers show it literally."""
    text = html.escape(" ".join(text.split()), quote=False)
    for ch in "\\`*_|[]#":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_quote(text: str, indent: str = "") -> str:
    return f"{indent}> {_md(text) or '(empty)'}"


# ---- HTML --------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem}
td.num{text-align:right}.q{border-left:4px solid #c00;padding-left:1rem;margin:1.5rem 0}
blockquote{background:#f6f6f6;margin:.4rem 0;padding:.4rem .8rem}img{max-width:100%}
"""


def _html(report: _Report) -> str:
    m = report.metrics
    e = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Evaluation report</title>"]
    parts += [f"<style>{_CSS}</style></head><body><h1>Evaluation report</h1><ul>"]
    parts += [f"<li>{e(str(k))}: {e(str(v))}</li>" for k, v in report.run_info.items()]
    parts.append("</ul><h2>Metrics</h2>")
    parts.append(f"<p>{e(_SCORES_NOTE)}</p>")
    for heading, names in _SCORE_TABLES:
        parts.append(f"<table><tr><th>{e(heading)}</th><th>value</th><th>95% interval</th><th>questions</th><th>what it measures</th></tr>")
        parts += [
            f"<tr><td>{e(n)}</td>" + "".join(f"<td class=num>{c}</td>" for c in _score_cells(m, report.spans, n))
            + f"<td>{e(REGISTRY[n].description)}</td></tr>"
            for n in names
        ]
        parts.append("</table>")
    parts += ["<table><tr><th>latency (lower is better)</th><th>ms</th><th>what it measures</th></tr>"]
    parts += [
        f"<tr><td>{e(n)}</td><td class=num>{_fmt(m.get(n), 0)}</td><td>{e(REGISTRY[n].description)}</td></tr>"
        for n in LATENCY_METRICS
    ]
    parts += ["</table><table><tr><th>model work (lower is better)</th><th>per question</th><th>what it measures</th></tr>"]
    parts += [
        f"<tr><td>{e(n)}</td><td class=num>{_fmt(m.get(n), 1)}</td><td>{e(REGISTRY[n].description)}</td></tr>"
        for n in COST_METRICS
    ]
    parts += ["</table><h2>Outcomes</h2><table><tr><th>outcome</th><th>questions</th></tr>"]
    parts += [
        f"<tr><td>{e(o.value)}</td><td class=num>{report.outcomes.get(o.value, 0)}</td></tr>"
        for o in Outcome
    ]
    parts.append(f"</table><h2>Outcomes by kind of question</h2><p>{e(_BY_KIND_NOTE)}</p><table><tr><th>kind</th><th>questions</th>")
    parts += [f"<th>{e(o.value)}</th>" for o in Outcome]
    parts.append("</tr>")
    parts += [
        f"<tr><td>{e(kind)}</td><td class=num>{sum(c.values())}</td>"
        + "".join(f"<td class=num>{c.get(o.value, 0)}</td>" for o in Outcome)
        + "</tr>"
        for kind, c in report.by_kind.items()
    ]
    parts.append("</table>")
    for title, path in report.plots.items():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        img = f"<img alt='{e(title)}' src='data:image/png;base64,{data}'>"
        parts.append(f"<h2>{e(title)}</h2>{img}")
    parts.append(f"<h2>Worst questions ({len(report.worst)})</h2>")
    if not report.worst:
        parts.append("<p>No question failed.</p>")
    parts += [_html_question(r) for r in report.worst]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_question(record: EvalRecord) -> str:
    e = html.escape
    item = record.item
    parts = [f"<div class=q><h3>{e(item.id)}: {e(outcome(record).value)}</h3>"]
    parts.append(f"<p><b>Question:</b> {e(item.question)}</p>")
    parts.append(f"<p><b>Gold answers:</b> {e(' / '.join(item.answers)) or '(unanswerable)'}</p>")
    if item.choices:
        choices = e(" / ".join(item.choices))
        parts.append(f"<p><b>Choices:</b> {choices}; <b>picked:</b> {e(str(record.choice))}</p>")
    if record.error:
        parts.append(f"<p><b>Error:</b> <code>{e(record.error)}</code></p></div>")
        return "\n".join(parts)
    refused = " (refused)" if record.refused else ""
    answer = e(str(record.answer.get("answer", "")))
    parts.append(f"<p><b>System answer{refused}:</b></p><blockquote>{answer}</blockquote>")
    for p in record.passages[:TOP_PASSAGES]:
        head = _passage_heading(p)
        parts.append(f"<p>{e(head)}</p><blockquote>{e(_clip(str(p.get('text', ''))))}</blockquote>")
    parts.append("</div>")
    return "\n".join(parts)


# ---- shared ------------------------------------------------------------------------------


def _score_cells(metrics: Metrics, spans: Mapping[str, Interval], name: str) -> tuple[str, str, str]:
    """A score's value, its 95% interval and the questions it is taken over ("–" where there is none)."""
    span = spans.get(name)
    if span is None or metrics.get(name) is None:
        return _fmt(metrics.get(name)), "–", "–"
    return _fmt(metrics.get(name)), str(span), str(span.questions)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _passage_heading(p: Mapping[str, Any]) -> str:
    title = p.get("title") or ""
    return f"[{p.get('n')}] {p.get('doc_id')} {title} (score {_fmt(p.get('score'))})"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PASSAGE_CHARS else text[:PASSAGE_CHARS].rstrip() + " …"
