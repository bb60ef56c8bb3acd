"""What the command line writes: exit codes, JSON on stdout, one-sentence errors, progress and answers."""

from __future__ import annotations

import json
import sys

from ui.render import caution, read_as, short_answer_date

EXIT_OK, EXIT_FAILED_INPUT, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def print_json(obj: object) -> None:
    """`obj` as indented JSON on stdout, flushed (other programs read it)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def print_error(message: str) -> None:
    """One sentence on stderr, prefixed like argparse's own errors."""
    print(f"rag: error: {message}", file=sys.stderr)


class IngestBar:
    """A tqdm bar on stderr fed by ingest progress events (files, chunks, chunks/s)."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._bar = None

    def __call__(self, event) -> None:
        if self._bar is None:
            self._bar = self._tqdm(total=event.files_total, unit="file", file=sys.stderr, dynamic_ncols=True)
        rate = event.chunks / event.elapsed if event.elapsed > 0 else 0.0
        self._bar.set_postfix_str(f"{event.chunks} chunks, {rate:.1f} chunks/s", refresh=False)
        self._bar.update(event.files_done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def render_answer_text(answer, *, include_answer: bool = True) -> str:
    """The answer with its [n] markers, then the sources list (for the terminal)."""
    lines = [f"Verified answer: {answer.answer}" if include_answer else "", ""]
    if answer.short_answer:
        date = short_answer_date(answer)
        lines.insert(0, f"Answer: {answer.short_answer}" + (f" (as of {date})" if date else ""))
        if note := caution(answer):
            lines.insert(1, note)
    if standalone := read_as(answer):
        lines.insert(0, f"Read as: {standalone}")
    for notice in answer.notices:
        lines.insert(0, f"note: {notice}")
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            updated = f"updated {c.updated}" if c.updated else ""
            head = ", ".join(x for x in (c.title or c.doc_id, c.outlet, c.published, updated, c.url) if x)
            lines.append(f"  [{c.n}] {head}\n      “{' '.join(c.quote.split())}” (chars {c.start}-{c.end})")
            if c.also_in:
                lines.append("      also in: " + ", ".join(f"{o.outlet} ({o.url})" for o in c.also_in))
    elif answer.passages:
        lines.append("Closest passages:")
        for p in answer.passages[:3]:
            lines.append(f"  [{p.n}] {p.title or p.doc_id} ({p.published or 'undated'}): {' '.join(p.text.split())[:160]}…")
    t = answer.timings_ms
    work = f"; {answer.usage}" if answer.usage.model_calls else ""
    lines.append(
        f"({answer.backend}; retrieve {t.get('retrieve', 0):.0f} ms, first token {t.get('first_token', 0):.0f} ms, "
        f"total {t.get('total', 0):.0f} ms{work})"
    )
    return "\n".join(lines)
