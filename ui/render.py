"""Everything the browser shows, as HTML built here from escaped text; and the Markdown export.

Every string that comes from an article or from a model passes through `html.escape` before it
is placed in markup; the little formatting we allow (paragraphs, lists, bold, code, citation
markers) is applied to the escaped text, so no tag, attribute or URL from a document can reach
the page. Links are made only from http(s) URLs and open with rel="noopener noreferrer".
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from rag.citations import markers_in
from rag.types import Answer, Citation, Passage
from ui.conversation import Turn

MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")
QUESTION_PREVIEW = 90
CONTEXT_CHARS = 320  # shown either side of a cited quote

TIMING_LABELS = (("retrieve", "retrieval"), ("first_token", "first token"), ("total", "total"))


def esc(text: object) -> str:
    """Escape text for an element's content or a quoted attribute value."""
    return html.escape(str(text), quote=True)


def toast(message: object) -> str:
    """A message for a Gradio toast, which renders HTML: a title like "<img src=x>" stays text."""
    return html.escape(str(message), quote=False)


def safe_url(url: str) -> str:
    """`url` when it is a plain http(s) address, else "" (no javascript:, data:, relative links)."""
    url = (url or "").strip()
    if not url or _UNSAFE_URL_CHARS.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url


def external_link(url: str, label: str | None = None) -> str:
    """A link that opens in a new tab without giving the target page access to this one."""
    safe = safe_url(url)
    if not safe:
        return ""
    shown = label if label is not None else (urlsplit(safe).hostname or safe)
    return (
        f'<a class="source-link" href="{esc(safe)}" target="_blank" rel="noopener noreferrer nofollow" '
        f'referrerpolicy="no-referrer">{esc(shown)}</a>'
    )


# ---- answer text ---------------------------------------------------------------------------


def source_anchor(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def _markers(escaped: str, turn: int, targets: Mapping[int, str]) -> str:
    """Turn `[1, 2]` into links to the sources panel; numbers without a target stay plain text."""

    def replace(match: re.Match[str]) -> str:
        parts = []
        for raw in re.split(r"\s*,\s*", match[1]):
            n = int(raw)
            if n in targets:
                parts.append(
                    f'<a class="cite" href="#{source_anchor(turn, n)}" data-turn="{turn}" data-n="{n}" '
                    f'title="{targets[n]}" aria-label="Source {n}: {targets[n]}">{n}</a>'
                )
            else:
                parts.append(f'<span class="cite cite-plain">{n}</span>')
        return '<span class="cites">' + "".join(parts) + "</span>"

    return MARKER.sub(replace, escaped)


def bold(text: str) -> str:
    r"""`**words**` -> `<strong>words</strong>`, in time linear in the text (up to a log factor).

    The rule is the regex `\*\*(?=\S)(.+?)(?<=\S)\*\*`: an opening `**` before a non-space,
    the nearest closing `**` after a non-space on the same line. The regex itself takes quadratic
    time on text with many `**` that never close (40 KB of "**a " took 4.5 s); here each opening
    looks its closing up in a sorted list.
    """
    closers = [j for j in _occurrences(text, "**") if j > 0 and not text[j - 1].isspace()]
    newlines = list(_occurrences(text, "\n"))
    out: list[str] = []
    start = done = 0
    while (start := text.find("**", start)) >= 0:
        if start + 2 < len(text) and not text[start + 2].isspace():
            k = bisect_left(closers, start + 3)
            if k == len(closers):
                break  # no closing after this opening, so none after any later one either
            end = closers[k]
            line_end = newlines[n] if (n := bisect_left(newlines, start + 2)) < len(newlines) else len(text)
            if end < line_end:
                out += [text[done:start], "<strong>", text[start + 2 : end], "</strong>"]
                start = done = end + 2
                continue
        start += 1
    out.append(text[done:])
    return "".join(out)


def _occurrences(text: str, needle: str) -> Iterator[int]:
    """Every index where `needle` starts, overlapping ones included."""
    i = text.find(needle)
    while i >= 0:
        yield i
        i = text.find(needle, i + 1)


def _inline(escaped: str, turn: int, targets: Mapping[int, str]) -> str:
    text = _CODE.sub(r"<code>\1</code>", escaped)
    text = bold(text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    return _markers(text, turn, targets)


def text_html(text: str, turn: int = 0, targets: Mapping[int, str] | None = None) -> str:
    """Model text -> HTML: paragraphs, line breaks, lists, bold, italics, code and citation links.

    The text is escaped first; formatting is recognised in the escaped text only.
    """
    targets = targets or {}
    blocks = re.split(r"\n\s*\n", text.strip())
    out: list[str] = []
    for block in blocks:
        lines = [esc(line) for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        bullets = [_BULLET.match(line) for line in lines]
        numbered = [_NUMBERED.match(line) for line in lines]
        if all(bullets):
            items = "".join(f"<li>{_inline(m[1], turn, targets)}</li>" for m in bullets if m)
            out.append(f"<ul>{items}</ul>")
        elif all(numbered):
            items = "".join(f"<li>{_inline(m[1], turn, targets)}</li>" for m in numbered if m)
            out.append(f"<ol>{items}</ol>")
        else:
            out.append("<p>" + "<br>".join(_inline(line, turn, targets) for line in lines) + "</p>")
    return "".join(out)


_LEAD_END = re.compile(r"^(?P<markers>(?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])*)\s*\.?\s*")


def split_lead(answer: Answer) -> tuple[str, str]:
    """The answer's first sentence when it is the short answer (with its markers), and the rest."""
    short = answer.short_answer or ""
    text = answer.answer or ""
    if answer.refused or not short or not text.startswith(short):
        return "", text
    tail = _LEAD_END.match(text[len(short) :])
    end = len(short) + (tail.end() if tail else 0)
    return text[:end].strip(), text[end:].strip()


def short_answer_date(answer: Answer, lead: str | None = None) -> str:
    """The date the short answer holds for: the newest (update, else publication) of the sources its line cites.

    News figures change from one report to the next ("the death toll rose to 259"), so the short
    answer says as of when; "" when its sources are undated. `lead` is `split_lead`'s, when the caller has it.
    """
    if lead is None:
        lead, _ = split_lead(answer)
    cited = set(markers_in(lead[len(answer.short_answer or "") :]))
    dates = [(c.updated or c.published)[:10] for c in answer.citations if c.n in cited and (c.updated or c.published)]
    return max(dates, default="")


# Shown with an answer marked tentative (`Answer.tentative`), in the chat, the CLI and chat replies.
TENTATIVE_NOTE = "Unsure: the model is not confident that this passage answers the question; read it before relying on the answer."


def caution(answer) -> str:
    """`TENTATIVE_NOTE` for an answer given but marked tentative; "" otherwise (a refusal needs none)."""
    return TENTATIVE_NOTE if answer.tentative and not answer.refused else ""


def read_as(answer) -> str:
    """The standalone question a follow-up was answered as, when it differs from what was asked; "" otherwise.

    Shown with the answer so a user can see what "she" or "that figure" was taken to mean, and ask again
    if the rewrite took the wrong person.
    """
    standalone = " ".join((answer.standalone_question or "").split())
    return standalone if standalone and standalone != " ".join((answer.question or "").split()) else ""


def _lead_html(lead: str, short: str, date: str, turn: int, targets: Mapping[int, str]) -> str:
    """The short answer, bold, with its citation markers and its date, as the answer's first line."""
    markers = _markers(esc(lead[len(short) :].strip().rstrip(".")), turn, targets)
    as_of = f' <span class="as-of">as of {esc(date)}</span>' if date else ""
    return f'<p class="short-answer"><strong>{esc(short)}</strong> {markers}{as_of}</p>'


def _titles(passages: Iterable[Passage]) -> dict[int, str]:
    return {p.n: esc(p.title or p.doc_id) for p in passages}


def format_ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def timings_text(timings: Mapping[str, float]) -> str:
    """'retrieval 120 ms · first token 1.3 s · total 3.4 s' (only the timings present)."""
    return " · ".join(f"{label} {format_ms(timings[key])}" for key, label in TIMING_LABELS if key in timings)


def _answer_meta(answer: Answer) -> str:
    parts = [esc(timings_text(answer.timings_ms))] if answer.timings_ms else []
    if answer.backend:
        parts.append(esc(answer.backend))
    if answer.usage.model_calls:
        parts.append(esc(answer.usage))
    meta = f'<div class="answer-meta">{" · ".join(parts)}</div>' if parts else ""
    notices = "".join(f'<li>{esc(n)}</li>' for n in answer.notices)
    return meta + (f'<ul class="notices">{notices}</ul>' if notices else "")


def _assistant_html(turn: Turn, index: int, streaming: bool) -> str:
    if turn.answer is not None:
        answer = turn.answer
        cited = {c.n for c in answer.citations}
        targets = {n: t for n, t in _titles(answer.passages).items() if n in cited}
        for c in answer.citations:
            targets.setdefault(c.n, esc(c.title or c.doc_id))
        lead, rest = split_lead(answer)
        lead_html = _lead_html(lead, answer.short_answer or "", short_answer_date(answer, lead), index, targets) if lead else ""
        body = lead_html + text_html(rest, index, targets)
        kind = "refused" if answer.refused else "answered"
        label = '<p class="refusal-label">Not answered from the articles</p>' if answer.refused else ""
        if note := caution(answer):
            label = f'<p class="tentative-label">{esc(note)}</p>'
        if standalone := read_as(answer):
            label = f'<p class="read-as">Read as: “{esc(standalone)}”</p>{label}'
        return f'<div class="msg assistant {kind}"><div class="bubble">{label}{body}</div>{_answer_meta(answer)}</div>'
    targets = _titles(turn.passages)
    body = text_html(turn.partial, index, targets) if turn.partial else ""
    if turn.error:
        body += f'<p class="error-text">{esc(turn.error)}</p>'
        return f'<div class="msg assistant failed"><div class="bubble">{body}</div></div>'
    if turn.stopped:
        body += '<p class="stopped-text">Stopped.</p>'
        return f'<div class="msg assistant stopped"><div class="bubble">{body}</div></div>'
    if not streaming:  # left unfinished by a closed page or a restarted server
        return '<div class="msg assistant stopped"><div class="bubble"><p class="stopped-text">No answer (interrupted).</p></div></div>'
    status = "Reading the sources…" if turn.passages else "Searching the articles…"
    waiting = "" if turn.partial else f'<p class="working">{status}</p>'
    return f'<div class="msg assistant streaming"><div class="bubble">{body}{waiting}</div></div>'


WELCOME = (
    '<div class="welcome"><h2>Ask your news articles</h2>'
    "<p>Answers come only from the articles in your library. Every claim carries a numbered "
    'citation such as <span class="cites"><span class="cite cite-plain">1</span></span>: click it to '
    "see the passage, with the supporting words highlighted, beside the chat.</p>"
    "<p>Add articles in the <b>Documents</b> tab; choose the back end and filters under "
    "<b>Settings</b>.</p></div>"
)


def conversation_html(turns: Sequence[Turn], streaming: bool = False) -> str:
    """The chat: one user bubble and one assistant bubble per turn (the last one maybe streaming)."""
    if not turns:
        return f'<div class="conversation empty">{WELCOME}</div>'
    parts = []
    last = len(turns) - 1
    for i, turn in enumerate(turns):
        question = text_html(turn.question) or "<p></p>"
        parts.append(
            f'<div class="turn" data-turn="{i}">'
            f'<div class="msg user"><div class="bubble">{question}</div></div>'
            f"{_assistant_html(turn, i, streaming and i == last)}</div>"
        )
    return '<div class="conversation">' + "".join(parts) + "</div>"


# ---- sources panel -------------------------------------------------------------------------


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Escape `text`, wrapping each (start, end) span in <mark>; overlapping spans are merged."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def quote_spans(passage: Passage, citations: Iterable[Citation]) -> tuple[list[tuple[int, int]], list[str]]:
    """Where each citation's quote lies in the passage text; quotes not found there are returned apart."""
    spans: list[tuple[int, int]] = []
    missing: list[str] = []
    for c in citations:
        start, end = c.start - passage.start, c.end - passage.start
        if c.doc_id == passage.doc_id and 0 <= start < end <= len(passage.text) and passage.text[start:end] == c.quote:
            spans.append((start, end))
            continue
        found = passage.text.find(c.quote) if c.quote else -1
        if found >= 0:
            spans.append((found, found + len(c.quote)))
        elif c.quote:
            missing.append(c.quote)
    return spans, missing


def _meta_line(published: str, url: str, doc_id: str) -> str:
    parts = [f'<time>{esc(published)}</time>' if published else '<span class="undated">undated</span>']
    link = external_link(url)
    if link:
        parts.append(link)
    parts.append(f'<span class="doc-id" title="document id">{esc(doc_id)}</span>')
    return '<div class="source-meta">' + " · ".join(parts) + "</div>"


def context_window(text: str, spans: Sequence[tuple[int, int]], around: int = CONTEXT_CHARS) -> tuple[int, int]:
    """The part of `text` to show: the marked spans and about `around` characters either side."""
    if not spans:
        return 0, len(text)
    start = max(0, min(s for s, _ in spans) - around)
    end = min(len(text), max(e for _, e in spans) + around)
    if start > 0:  # begin and end at word boundaries
        space = text.find(" ", start, min(s for s, _ in spans))
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", max(e for _, e in spans), end)
        end = space if space >= 0 else end
    return start, end


def source_card(turn: int, passage: Passage, citations: Sequence[Citation] = (), *, cited: bool = False) -> str:
    """One source: number, title, date, link, and the passage around the cited words, marked."""
    spans, missing = quote_spans(passage, citations)
    start, end = context_window(passage.text, spans)
    shown = [(s - start, e - start) for s, e in spans]
    body = ("… " if start > 0 else "") + highlight(passage.text[start:end], shown) + (" …" if end < len(passage.text) else "")
    extra = "".join(f'<blockquote class="quote"><mark>{esc(q)}</mark></blockquote>' for q in missing)
    classes = "source cited" if cited else "source"
    return (
        f'<article class="{classes}" id="{source_anchor(turn, passage.n)}" data-turn="{turn}" data-n="{passage.n}" tabindex="-1">'
        f'<header><span class="source-n">{passage.n}</span><h4 class="source-title">{esc(passage.title or passage.doc_id)}</h4></header>'
        f"{_meta_line(passage.published, passage.url, passage.doc_id)}{_outlet_line(passage)}"
        f'<div class="passage">{body}</div>{extra}</article>'
    )


def _outlet_line(passage: Passage) -> str:
    """The outlet, the update date and the other outlets carrying the same text (fetched pages only)."""
    parts = []
    if passage.outlet:
        parts.append(f'<span class="outlet">{esc(passage.outlet)}</span>')
    if passage.updated:
        parts.append(f"updated <time>{esc(passage.updated)}</time>")
    if passage.also_in:
        links = ", ".join(external_link(o.url, o.outlet or o.url) or esc(o.outlet or o.url) for o in passage.also_in)
        parts.append(f'<span class="also-in">also in {links}</span>')
    return f'<div class="source-outlets">{" · ".join(parts)}</div>' if parts else ""


def _citation_only_card(turn: int, n: int, citations: Sequence[Citation]) -> str:
    first = citations[0]
    quotes = "".join(f'<blockquote class="quote"><mark>{esc(c.quote)}</mark></blockquote>' for c in citations)
    return (
        f'<article class="source cited" id="{source_anchor(turn, n)}" data-turn="{turn}" data-n="{n}" tabindex="-1">'
        f'<header><span class="source-n">{n}</span><h4 class="source-title">{esc(first.title or first.doc_id)}</h4></header>'
        f"{_meta_line(first.published, first.url, first.doc_id)}{quotes}</article>"
    )


def _cards(turn: int, passages: Sequence[Passage]) -> str:
    return "".join(source_card(turn, p) for p in passages)


def turn_sources_html(turn: Turn, index: int, current: bool) -> str:
    """The sources of one turn: cited passages highlighted, then the others read."""
    preview = turn.question if len(turn.question) <= QUESTION_PREVIEW else turn.question[:QUESTION_PREVIEW] + "…"
    head = f'<p class="sources-for">For: <q>{esc(preview)}</q></p>'
    answer = turn.answer
    if answer is None:
        if not turn.passages:
            status = "Searching the articles…" if not turn.done else "No passages were retrieved."
            body = f'<p class="sources-status">{status}</p>'
        else:
            status = "Passages read for this answer" if turn.done else f"Reading {len(turn.passages)} passages…"
            body = f'<p class="sources-status">{status}</p>' + _cards(index, turn.passages)
    elif answer.refused:
        note = (
            "The articles do not support an answer. Closest passages found:"
            if answer.passages
            else "No passages matched the question, or the filters under Settings exclude them all."
        )
        body = f'<p class="sources-status refused">{note}</p>' + _cards(index, answer.passages)
    else:
        body = _answer_sources(answer, index)
    state = " current" if current else ""
    return f'<section class="turn-sources{state}" data-turn="{index}" aria-label="Sources for question {index + 1}">{head}{body}</section>'


def _answer_sources(answer: Answer, index: int) -> str:
    by_n: dict[int, list[Citation]] = {}
    for c in answer.citations:
        by_n.setdefault(c.n, []).append(c)
    passages = {p.n: p for p in answer.passages}
    cited = []
    for n in sorted(by_n):
        if n in passages:
            cited.append(source_card(index, passages[n], by_n[n], cited=True))
        else:
            cited.append(_citation_only_card(index, n, by_n[n]))
    others = [p for p in answer.passages if p.n not in by_n]
    body = f'<p class="sources-status">Cited sources ({len(by_n)})</p>' + "".join(cited)
    if others:
        body += f'<details class="other-passages"><summary>Also read ({len(others)})</summary>{_cards(index, others)}</details>'
    return body


SOURCES_EMPTY = '<p class="sources-empty">The passages behind each answer appear here.</p>'
SOURCES_HEADING = '<h3 class="sources-heading">Sources</h3>'


def sources_html(turns: Sequence[Turn], current: int | None = None) -> str:
    """The panel beside the chat: every turn's sources, the `current` one (default: last) visible."""
    if not turns:
        return f'<div class="sources-panel">{SOURCES_HEADING}{SOURCES_EMPTY}</div>'
    current = len(turns) - 1 if current is None else current
    sections = "".join(turn_sources_html(t, i, i == current) for i, t in enumerate(turns))
    return f'<div class="sources-panel">{SOURCES_HEADING}{sections}</div>'


# ---- documents tab -------------------------------------------------------------------------


def documents_html(records: Sequence[Any], error: str = "") -> str:
    """The document list as a table: title (linked when it has an http(s) URL), date, chunks, id."""
    if error:
        return f'<p class="documents-error">The document list is unavailable: {esc(error)}</p>'
    if not records:
        return '<p class="documents-empty">No documents yet: add some above.</p>'
    rows = []
    for r in records:
        title = esc(r.title or r.doc_id)
        safe = safe_url(r.url)
        if safe:
            title = f'<a href="{esc(safe)}" target="_blank" rel="noopener noreferrer nofollow" referrerpolicy="no-referrer">{title}</a>'
        rows.append(
            f"<tr><td>{title}</td><td>{esc(r.published or '—')}</td>"
            f'<td class="num">{int(r.n_chunks)}</td><td class="doc-id">{esc(r.doc_id)}</td></tr>'
        )
    chunks = sum(int(r.n_chunks) for r in records)
    caption = f"{len(records)} document{'s' if len(records) != 1 else ''}, {chunks} chunks"
    return (
        f'<table class="documents"><caption>{caption}</caption>'
        "<thead><tr><th>Title</th><th>Published</th><th>Chunks</th><th>Id</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def ingest_report_html(report: Mapping[str, Any]) -> str:
    """What an upload did, with every failed file named and its reason."""
    if not report:
        return ""
    if report.get("error"):
        return f'<div class="ingest-report failed"><p>{esc(report["error"])}</p></div>'
    if report.get("message"):
        return f'<div class="ingest-report ok"><p>{esc(report["message"])}</p></div>'
    counts = f"Added {report.get('added', 0)}, updated {report.get('updated', 0)}, unchanged {report.get('unchanged', 0)}"
    failed = report.get("failed") or []
    seconds = report.get("seconds")
    summary = counts + (f" in {float(seconds):.1f} s" if seconds is not None else "") + "."
    items = "".join(f"<li><b>{esc(f['path'])}</b>: {esc(f['reason'])}</li>" for f in failed)
    failures = f'<p>{len(failed)} failed:</p><ul class="failures">{items}</ul>' if failed else ""
    kind = "partial" if failed else "ok"
    return f'<div class="ingest-report {kind}"><p>{esc(summary)}</p>{failures}</div>'


# ---- export --------------------------------------------------------------------------------


def _md_quote(text: str) -> str:
    return "\n".join("   > " + line if line.strip() else "   >" for line in text.strip().splitlines())


def conversation_markdown(turns: Sequence[Turn], now: datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer, and the cited sources with quotes."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Conversation", "", f"Exported from newsrag on {stamp}.", ""]
    for i, turn in enumerate(turns, start=1):
        out += [f"## {i}. {' '.join(turn.question.split())}", ""]
        answer = turn.answer
        if answer is None:
            text = turn.error or ("(stopped) " + turn.partial if turn.partial else "(no answer)")
            out += [text, ""]
            continue
        if standalone := read_as(answer):
            out += [f"_Read as: {standalone}_", ""]
        lead, rest = split_lead(answer)
        if lead:
            date = short_answer_date(answer, lead)
            as_of = f" (as of {date})" if date else ""
            out += [f"**{answer.short_answer}**{lead[len(answer.short_answer or ''):]}{as_of}", ""]
        out += [rest.strip(), ""]
        if note := caution(answer):
            out += [f"_{note}_", ""]
        if answer.refused:
            out += ["_Not answered from the articles. Closest passages:_", ""]
            for p in answer.passages:
                out.append(f"- [{p.n}] {_md_source(p.title or p.doc_id, p.published, p.url)}")
            out.append("")
            continue
        by_n: dict[int, list[Citation]] = {}
        for c in answer.citations:
            by_n.setdefault(c.n, []).append(c)
        out += ["**Sources**", ""]
        for n in sorted(by_n):
            first = by_n[n][0]
            out.append(f"{n}. {_md_source(first.title or first.doc_id, first.published, first.url)}")
            for c in by_n[n]:
                out.append(_md_quote(c.quote))
        out.append("")
        if answer.timings_ms:
            out += [f"_{timings_text(answer.timings_ms)} · {answer.backend}_", ""]
    return "\n".join(out).rstrip() + "\n"


def _md_source(title: str, published: str, url: str) -> str:
    text = f"**{' '.join(title.split())}**" + (f" ({published})" if published else "")
    safe = safe_url(url)
    return text + (f" — <{safe}>" if safe else "")
