"""The web app: a Gradio chat over the index, with the JSON API, served by one FastAPI server."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from rag.config import Config
from rag.errors import ConfigError, RagError
from ui.api import Answerer, BadRequest, api_router, parse_backend, parse_history, parse_k
from ui.chat import ChatHandlers
from ui.documents import DocumentHandlers, document_choices
from ui.render import conversation_html, documents_html, sources_html
from ui.security import SecurityHeaders

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf", ".json", ".jsonl", ".gz"]
BACKEND_LABELS = [
    ("embedded (local model)", "embedded"),
    ("extractive (quotes only, no model)", "extractive"),
    ("ollama", "ollama"),
    ("openai-compatible server", "openai"),
]
STORAGE_KEY = "newsrag-conversation"
# Runs in the browser before removing: asks the user, and sends the answer along with the id.
CONFIRM_REMOVE = (
    "(docId, confirmed) => [docId, Boolean(docId) && "
    "window.confirm('Remove this document and its passages from the library?')]"
)
# Gradio scopes custom CSS inside its container; the page margin around it is set here instead.
HEAD = (
    "<style>@media (max-width: 760px) { .gradio-container > .main "
    "{ padding-left: 0.5rem !important; padding-right: 0.5rem !important; } }</style>"
)
# Uploaded and exported files in Gradio's cache are deleted after a day.
CACHE_CLEANUP = (3600, 86400)


@dataclass(frozen=True)
class Paths:
    """Where the app keeps files, all under the index's data directory."""

    data: Path

    @property
    def uploads(self) -> Path:
        return self.data / "uploads"

    @property
    def secret(self) -> Path:
        return self.data / "ui-secret"


def _browser_secret(path: Path) -> str:
    """A per-installation key for the conversation kept in the browser, so it survives restarts."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(value, encoding="utf-8")
    except OSError as exc:
        log.warning("cannot save %s (%s): conversations will not survive a server restart", path, exc)
    return value


def build_blocks(pipeline, config: Config) -> tuple[gr.Blocks, Answerer]:
    """The Gradio interface: chat, documents and settings, and the named API endpoints."""
    paths = Paths(config.index.data_dir)
    paths.uploads.mkdir(parents=True, exist_ok=True)
    # Exports go to a private temporary folder: Gradio serves them from its cache, and the data
    # directory stays out of reach of its file route.
    chat = ChatHandlers(pipeline, config, Path(tempfile.mkdtemp(prefix="newsrag-exports-")))
    docs = DocumentHandlers(pipeline.library, paths.uploads, int(config.index.max_file_mb * 1e6))
    answerer = Answerer(pipeline, config)
    answer_limit = 1 if config.backend == "embedded" else 4

    with gr.Blocks(title="newsrag — ask your news", delete_cache=CACHE_CLEANUP) as demo:
        stored = gr.BrowserState([], storage_key=STORAGE_KEY, secret=_browser_secret(paths.secret))
        pending = gr.State("")
        with gr.Row(elem_id="app-header"):
            gr.HTML(
                "<h1>newsrag</h1><p>Answers from your news articles, every claim cited.</p>",
                js_on_load=None,
            )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320, elem_id="chat-column"):
                        conversation = gr.HTML(
                            conversation_html([]), elem_id="conversation", js_on_load=None, autoscroll=True
                        )
                        # Gradio's progress display lands here: the queue position while waiting.
                        status = gr.HTML("", elem_id="answer-status", js_on_load=None, min_height=20)
                        with gr.Row(elem_id="composer"):
                            question = gr.Textbox(
                                placeholder="Ask about your articles… (Enter sends)",
                                show_label=False,
                                lines=1,
                                max_lines=6,
                                scale=8,
                                autofocus=True,
                                elem_id="question",
                                container=False,
                            )
                            send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="send")
                            stop = gr.Button(
                                "Stop", variant="stop", scale=1, min_width=80, visible=False, elem_id="stop"
                            )
                        with gr.Row(elem_id="chat-actions"):
                            new_chat = gr.Button(
                                "New chat", size="sm", variant="secondary", min_width=0, elem_id="new-chat"
                            )
                            download = gr.DownloadButton(
                                "Download", size="sm", variant="secondary", min_width=0, elem_id="download"
                            )
                        with gr.Accordion("Settings and filters", open=False, elem_id="settings"):
                            backend = gr.Dropdown(BACKEND_LABELS, value=config.backend, label="Back end")
                            k = gr.Slider(1, 20, value=min(config.k, 20), step=1, label="Passages to retrieve")
                            doc_filter = gr.Dropdown(
                                choices=document_choices(pipeline.library),
                                value=[],
                                multiselect=True,
                                label="Only these documents",
                                info="Leave empty to search all documents.",
                            )
                            with gr.Row():
                                date_from = gr.DateTime(
                                    include_time=False, type="string", label="Published from", min_width=200
                                )
                                date_to = gr.DateTime(
                                    include_time=False, type="string", label="Published to", min_width=200
                                )
                    with gr.Column(scale=2, min_width=300, elem_id="sources-column"):
                        sources = gr.HTML(sources_html([]), elem_id="sources", js_on_load=None)
            with gr.Tab("Documents", id="documents"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        files = gr.File(
                            file_count="multiple",
                            file_types=UPLOAD_TYPES,
                            type="filepath",
                            label="Add articles (.txt .md .html .htm .pdf .json .jsonl .jsonl.gz)",
                            elem_id="upload",
                        )
                        add = gr.Button("Add to library", variant="primary", elem_id="add-documents")
                        report_view = gr.HTML(elem_id="ingest-report", js_on_load=None, min_height=60)
                        report = gr.JSON(visible=False)
                    with gr.Column(scale=2):
                        remove_choice = gr.Dropdown(
                            choices=document_choices(pipeline.library), value=None, label="Remove a document"
                        )
                        remove = gr.Button("Remove", variant="stop", elem_id="remove-document")
                        remove_confirmed = gr.Checkbox(False, visible=False)
                documents = gr.HTML(documents_html(pipeline.library.documents()), elem_id="documents", js_on_load=None)

        # ---- chat events ---------------------------------------------------------------------
        settings = [backend, k, doc_filter, date_from, date_to]
        taken = dict(
            fn=chat.take_question,
            inputs=[question, stored],
            outputs=[question, pending, conversation, sources, stored, send, stop],
            queue=False,
            show_progress="hidden",
            api_visibility="private",
        )
        answering = dict(
            fn=chat.answer,
            inputs=[pending, stored, *settings],
            outputs=[conversation, sources, stored, download],
            concurrency_limit=answer_limit,
            concurrency_id="answer",
            show_progress="full",
            show_progress_on=[status],
            api_visibility="private",
        )
        done = dict(fn=chat.finish, outputs=[send, stop], queue=False, api_visibility="private")
        on_submit = question.submit(**taken).then(**answering)
        on_submit.then(**done)
        on_click = send.click(**taken).then(**answering)
        on_click.then(**done)
        stop.click(
            chat.stop,
            inputs=[stored],
            outputs=[conversation, sources, stored, download, send, stop],
            cancels=[on_submit, on_click],
            queue=False,
            api_visibility="private",
        )
        new_chat.click(
            chat.new_chat, outputs=[conversation, sources, stored, download], queue=False, api_visibility="private"
        )
        demo.load(chat.restore, inputs=[stored], outputs=[conversation, sources, download], api_visibility="private")

        # ---- document events -----------------------------------------------------------------
        after_change = [report_view, documents, remove_choice, doc_filter, files]
        add.click(
            docs.ingest,
            inputs=[files],
            outputs=[report],
            api_name="ingest",
            concurrency_id="ingest",
            show_progress="full",
            show_progress_on=[report_view],
        ).then(
            docs.refresh, inputs=[report], outputs=after_change, api_visibility="private"
        )
        remove.click(
            docs.remove_selected,
            inputs=[remove_choice, remove_confirmed],
            outputs=after_change,
            js=CONFIRM_REMOVE,
            api_visibility="private",
        )
        demo.load(docs.listing, outputs=[documents, remove_choice, doc_filter], api_visibility="private")

        # ---- named API endpoints -------------------------------------------------------------
        def ask(question: str, history: list[list[str]] | None = None, k: int | None = None, backend: str | None = None) -> dict:
            """Answer a question from the articles; returns the Answer JSON with verified citations."""
            from ui.api import AskRequest

            if not isinstance(question, str) or not question.strip():
                raise gr.Error("Please send a non-empty question.")
            try:
                request = AskRequest(question, parse_history(history), parse_k(k), parse_backend(backend))
                return answerer.answer(request)
            except (BadRequest, ConfigError) as exc:
                raise gr.Error(str(exc)) from None
            except RagError as exc:
                raise gr.Error(str(exc)) from None

        def list_documents() -> list[dict]:
            """Every document in the library: doc_id, title, published, url, chunks."""
            try:
                records = pipeline.library.documents()
            except RagError as exc:
                raise gr.Error(str(exc)) from None
            return [
                {"doc_id": r.doc_id, "title": r.title, "published": r.published, "url": r.url, "chunks": r.n_chunks}
                for r in records
            ]

        def remove_document(doc_id: str) -> dict:
            """Remove one document by id; returns {"doc_id", "removed", "title"}."""
            try:
                return docs.remove_document(doc_id)
            except RagError as exc:
                raise gr.Error(str(exc)) from None

        gr.api(ask, api_name="ask", concurrency_limit=answer_limit, concurrency_id="answer")
        gr.api(list_documents, api_name="documents", concurrency_limit=None)
        gr.api(remove_document, api_name="remove", concurrency_id="ingest")
    demo.queue(default_concurrency_limit=1)
    return demo, answerer


def _launch_options(config: Config) -> dict[str, Any]:
    paths = Paths(config.index.data_dir)
    return dict(
        auth=tuple(config.auth.split(":", 1)) if config.auth else None,
        # Nothing under the data directory is served: uploads are read by the indexer, never
        # sent back (an uploaded .html would otherwise open in the app's origin).
        allowed_paths=[],
        blocked_paths=[str(paths.data.resolve())],
        max_file_size=f"{max(1, int(config.index.max_file_mb))}mb",
        css_paths=[STATIC / "app.css"],
        js=(STATIC / "app.js").read_text(encoding="utf-8"),
        head=HEAD,
        footer_links=["api"],
    )


def check_auth(config: Config) -> None:
    if config.auth is not None and (":" not in config.auth or not config.auth.split(":", 1)[0]):
        raise ConfigError("--auth must look like USER:PASSWORD")


def build_app(pipeline, config: Config) -> FastAPI:
    """The FastAPI app: POST /api/ask, and the Gradio chat mounted at /."""
    check_auth(config)
    demo, answerer = build_blocks(pipeline, config)
    app = FastAPI(title="newsrag", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders)
    app.include_router(api_router(answerer, config.auth))
    return gr.mount_gradio_app(
        app, demo, path="/", server_name=config.host, server_port=config.port, **_launch_options(config)
    )


def is_loopback(host: str) -> bool:
    """Is `host` an address only this machine can reach?"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _SeedProgress:
    """Ingest progress on stderr, one tqdm bar (files, chunks)."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, event) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=event.files_total, unit="file", desc="indexing seeds", file=sys.stderr)
        self.bar.set_postfix_str(f"{event.chunks} chunks", refresh=False)
        self.bar.update(event.files_done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def seed_if_empty(library, seed_dir: Path) -> None:
    """Index `seed_dir` when the library holds no document yet, showing progress."""
    if library.documents():
        return
    print(f"The index is empty: indexing {seed_dir} (first start only)…", file=sys.stderr, flush=True)
    bar = _SeedProgress()
    try:
        report = library.ingest([seed_dir], progress=bar)
    finally:
        bar.close()
    print(
        f"indexed {len(report.added)} document(s), {report.chunks_written} chunks in {report.seconds:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    for path, reason in report.failed:
        print(f"  failed: {path}: {reason}", file=sys.stderr)


def serve(config: Config, share: bool = False, seed_dir: Path | None = None) -> None:
    """Open the index (seeding it when empty), start the server, print its URL and block."""
    import uvicorn

    from rag.pipeline import Pipeline

    check_auth(config)
    pipeline = Pipeline(config)
    if seed_dir is not None:
        seed_if_empty(pipeline.library, seed_dir)
    if not is_loopback(config.host) and not config.auth:
        print(
            f"warning: serving on {config.host} without --auth: anyone who can reach this address can read "
            "your articles and use the chat. Add --auth USER:PASSWORD.",
            file=sys.stderr,
            flush=True,
        )
    if share:
        _serve_shared(pipeline, config)
        return
    app = build_app(pipeline, config)
    shown = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    print(f"newsrag chat running at http://{shown}:{config.port}/  (JSON API: POST /api/ask; Ctrl+C stops)", flush=True)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning")


def _serve_shared(pipeline, config: Config) -> None:
    """Gradio's own server, for its public share link; /api/ask is added to it."""
    demo, answerer = build_blocks(pipeline, config)
    options = _launch_options(config)
    demo.launch(
        server_name=config.host,
        server_port=config.port,
        share=True,
        prevent_thread_lock=True,
        **options,
    )
    demo.app.include_router(api_router(answerer, config.auth))
    demo.app.add_middleware(SecurityHeaders)
    print(f"newsrag chat running at {demo.local_url} (public link: {demo.share_url})", flush=True)
    demo.block_thread()
