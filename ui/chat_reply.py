"""An answer as a chat front end shows it: Markdown text with its [n] markers, then the sources.

`reply_markdown` writes it; `answer_text` reads an earlier reply back into the answer alone, for
the history of a follow-up. Article text is untrusted: titles, quotes and the answer's own
sentences are escaped, so nothing in an article becomes a link, an image or formatting in the
front end (a Markdown image would make it fetch another server's URL). Only `[n]` markers and
plain http(s) links to the articles stay active.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from rag.types import Answer, Citation, Passage
from ui.render import TENTATIVE_NOTE, caution, safe_url

SOURCES_HEADING = "**Sources**"
CLOSEST_HEADING = "**Closest passages**"
MAX_QUOTE_CHARS = 300
# A citation marker the pipeline writes: [3] or [1, 2].
_MARKER = re.compile(r"\[\d{1,3}(?:\s*,\s*\d{1,3})*\]")
# Enough to keep article text inert: no link or image without "[", no HTML or autolink without "<",
# no emphasis or code. Parentheses and full stops stay as they are, so the raw text stays readable.
_ACTIVE = re.compile(r"([\\`*_<>\[\]~])")
_ESCAPED = re.compile(r"\\([\\`*_<>\[\]~(])")
_SOURCES_BLOCK = re.compile(r"\n\s*(?:\*\*Sources\*\*|\*\*Closest passages\*\*)\s*\n")


def md_text(text: str) -> str:
    """`text` with Markdown's active characters escaped, except the `[n]` citation markers."""
    out: list[str] = []
    last = 0
    for marker in _MARKER.finditer(text):
        out.append(_ACTIVE.sub(r"\\\1", text[last : marker.start()]))
        out.append(marker.group())
        last = marker.end()
        if text.startswith("(", last):  # "[1](url)" would be a link
            out.append("\\(")
            last += 1
    out.append(_ACTIVE.sub(r"\\\1", text[last:]))
    return "".join(out)


def plain_text(markdown: str) -> str:
    """The inverse of `md_text`."""
    return _ESCAPED.sub(r"\1", markdown)


def site_of(url: str) -> str:
    """The outlet's web site as a reader knows it ("bbc.co.uk"), or "" without a URL."""
    safe = safe_url(url)
    host = (urlsplit(safe).hostname or "") if safe else ""
    return host[4:] if host.startswith("www.") else host


def _source_line(n: int, title: str, published: str, url: str) -> str:
    safe = safe_url(url)
    name = md_text(" ".join(title.split()))
    head = f"[{name}](<{safe}>)" if safe else name
    about = ", ".join(x for x in (site_of(url), published) if x)
    return f"- [{n}] {head}" + (f" ({md_text(about)})" if about else "")


def _quote(citation: Citation) -> str:
    text = " ".join(citation.quote.split())
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"“{md_text(text)}”"


def sources_markdown(citations: Sequence[Citation]) -> str:
    """One line per cited passage (title linked to its article, site, date), then its quotes."""
    by_n: dict[int, list[Citation]] = {}
    for c in citations:
        by_n.setdefault(c.n, []).append(c)
    lines = [SOURCES_HEADING, ""]
    for n in sorted(by_n):
        first = by_n[n][0]
        quotes = "; ".join(_quote(c) for c in by_n[n])
        lines.append(f"{_source_line(n, first.title or first.doc_id, first.published, first.url)}: {quotes}")
    return "\n".join(lines)


def closest_markdown(passages: Sequence[Passage]) -> str:
    """The passages a refusal was closest to, one line each."""
    lines = [CLOSEST_HEADING, ""]
    lines += [_source_line(p.n, p.title or p.doc_id, p.published, p.url) for p in passages]
    return "\n".join(lines)


def reply_markdown(answer: Answer) -> str:
    """The reply's content: the answer (refusals included) with its markers, then its sources."""
    text = md_text(answer.answer.strip())
    if note := caution(answer):
        text += f"\n\n_{note}_"
    if answer.citations:
        return f"{text}\n\n{sources_markdown(answer.citations)}"
    if answer.passages:
        return f"{text}\n\n{closest_markdown(answer.passages)}"
    return text


def answer_text(reply: str) -> str:
    """An earlier reply without its sources block and escapes: the answer as the pipeline wrote it."""
    found = list(_SOURCES_BLOCK.finditer(reply))
    if found:
        reply = reply[: found[-1].start()]
    reply = reply.strip().removesuffix(f"_{TENTATIVE_NOTE}_")
    return plain_text(reply.strip())
