"""The Documents tab's Sources panel: follow a feed or page, fetch a URL now, see each source's state.

URLs typed here come from whoever can reach the chat, so they are fetched with
`allow_private_urls` (off by default): loopback, private and link-local addresses are refused,
directly or through a redirect (index/urls.py). Following a source only records it; `rag watch`
or `rag serve --watch` polls it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import gradio as gr

from index.library import Library
from index.sources import Source, Sources, format_duration, parse_duration
from rag.errors import RagError
from ui.render import esc, external_link, ingest_report_html, toast

log = logging.getLogger(__name__)

EVERY_CHOICES = ("15m", "30m", "1h", "6h", "1d")


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M") if stamp else ""


def sources_table_html(sources: list[Source]) -> str:
    """Each source: link, schedule, last poll, items, next poll and its last error (all escaped)."""
    if not sources:
        return '<p class="sources-empty">No sources yet: follow a feed, a sitemap or a page above.</p>'
    rows = []
    for s in sources:
        state = f'<span class="source-error">{esc(s.error)}</span>' if s.error else "ok" if s.last_ok else "not polled yet"
        rows.append(
            f"<tr><td>{external_link(s.url, s.title or s.url) or esc(s.url)}</td><td>{esc(format_duration(s.every_s))}</td>"
            f"<td>{esc(_when(s.last_poll) or 'never')}</td><td class=\"num\">{int(s.items)}</td>"
            f"<td>{esc(_when(s.next_poll) or 'now')}</td><td>{state}</td></tr>"
        )
    return (
        '<table class="sources-table"><thead><tr><th>Source</th><th>Every</th><th>Last fetch</th><th>Items</th>'
        f"<th>Next poll</th><th>Last error</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


class SourcesHandlers:
    """Follow, fetch and list sources of the `library`'s data directory."""

    def __init__(self, library: Library, allow_private: bool) -> None:
        self.library = library
        self.sources = Sources(library.settings.data_dir)
        self.allow_private = allow_private

    def table(self) -> str:
        try:
            return sources_table_html(self.sources.all())
        except RagError as exc:
            return f'<p class="sources-error">The sources are unavailable: {esc(exc)}</p>'

    def follow(self, url: str, every: str) -> tuple[str, str]:
        """Record `url` as a source polled every `every`; (message, table)."""
        url = (url or "").strip()
        try:
            source, new = self.sources.add(url, parse_duration(every or "30m"))
        except RagError as exc:
            gr.Warning(toast(exc))
            return ingest_report_html({"error": str(exc)}), self.table()
        verb = "Following" if new else "Now polling"
        message = f"{verb} {source.url} every {format_duration(source.every_s)}; the watcher (rag serve --watch) polls it."
        return ingest_report_html({"message": message}), self.table()

    def fetch_now(self, url: str) -> dict[str, Any]:
        """Fetch one URL (page, PDF, feed or sitemap) now and index what it holds; the ingest report."""
        url = (url or "").strip()
        if not url:
            return {"error": "Type a URL first."}
        try:
            report = self.library.ingest_urls([url], allow_private=self.allow_private)
        except RagError as exc:
            gr.Warning(toast(exc))
            return {"error": str(exc)}
        result = report.to_json()
        if result["failed"]:
            gr.Warning(f"{len(result['failed'])} item(s) could not be added; see the list below.")
        return result


def build_sources_panel(library: Library, allow_private: bool) -> SourcesHandlers:
    """The panel's components and events, inside the current Blocks context (the Documents tab)."""
    handlers = SourcesHandlers(library, allow_private)
    with gr.Accordion("Sources: web pages, feeds and sitemaps", open=False, elem_id="sources-panel"):
        with gr.Row(equal_height=True):
            url = gr.Textbox(label="URL of a feed, sitemap or page", placeholder="https://example.org/rss.xml", scale=4, elem_id="source-url")
            every = gr.Dropdown(choices=list(EVERY_CHOICES), value="30m", label="Poll every", scale=1)
        with gr.Row():
            follow = gr.Button("Follow", elem_id="follow-source")
            fetch = gr.Button("Fetch now", variant="primary", elem_id="fetch-url")
        report_view = gr.HTML(elem_id="source-report", js_on_load=None)
        report = gr.JSON(visible=False)
        table = gr.HTML(handlers.table(), elem_id="sources-table", js_on_load=None)
    follow.click(handlers.follow, inputs=[url, every], outputs=[report_view, table], api_visibility="private")
    fetch.click(
        handlers.fetch_now, inputs=[url], outputs=[report], concurrency_id="ingest", show_progress_on=[report_view],
        api_visibility="private",
    ).then(lambda r: (ingest_report_html(r), handlers.table()), inputs=[report], outputs=[report_view, table],
           api_visibility="private")
    return handlers
