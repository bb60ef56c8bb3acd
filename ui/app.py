"""The web app: a Gradio chat over the index, with the JSON API, served by one FastAPI server."""

from __future__ import annotations

import asyncio
import atexit
import ipaddress
import logging
import os
import secrets
import shutil
import sys
import threading
import tempfile
import weakref
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from rag.backends import REGISTRY
from rag.config import Config
from rag.errors import ConfigError
from ui.answer_slots import AnswerSlots, answer_concurrency
from ui.api import MAX_QUESTION_CHARS, Answerer, api_router
from ui.auth import ApiAccess, Credentials, Login
from ui.chat import ChatHandlers
from ui.documents import DocumentHandlers, choice_label
from ui.mcp_server import mount_mcp
from ui.model_notice import add_model_notice, watch_until_ready
from ui.openai_api import mount_openai_api
from ui.sources_panel import build_sources_panel
from ui.render import conversation_html, documents_html, sources_html
from ui.security import Limits, RequestGuard, SecurityHeaders, TrustedHosts, parse_allowed_hosts

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf", ".json", ".jsonl", ".gz"]
BACKEND_LABELS = [(f"{b.name} ({b.description})", b.name) for b in REGISTRY.values()]
HEADER = "<h1>newsrag</h1><p>Answers from your news articles, every claim cited.</p>"
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
# Events waiting in Gradio's queue, all clients together; beyond it a request is told to try again.
QUEUE_MAX_SIZE = 64
# Gradio's public share links end in this domain.
SHARE_DOMAIN = ".gradio.live"
# Ctrl+C waits this long for open requests, then closes them: an open browser tab keeps Gradio's
# heartbeat stream open for ever, so without a bound the server would not stop.
STOP_GRACE_S = 3


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


@dataclass
class ChatTab:
    """The chat tab's components."""

    conversation: gr.HTML
    status: gr.HTML
    question: gr.Textbox
    send: gr.Button
    stop: gr.Button
    new_chat: gr.Button
    download: gr.DownloadButton
    settings: list[gr.components.Component]
    doc_filter: gr.Dropdown
    outlet_filter: gr.Dropdown
    sources: gr.HTML


@dataclass
class DocumentsTab:
    """The documents tab's components."""

    files: gr.File
    add: gr.Button
    report_view: gr.HTML
    report: gr.JSON
    remove_choice: gr.Dropdown
    remove: gr.Button
    remove_confirmed: gr.Checkbox
    documents: gr.HTML


def _chat_tab(config: Config, choices: list[tuple[str, str]], outlets: list[str]) -> ChatTab:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320, elem_id="chat-column"):
            conversation = gr.HTML(conversation_html([]), elem_id="conversation", js_on_load=None)
            # Gradio's progress display lands here: the queue position while a question waits.
            status = gr.HTML("", elem_id="answer-status", js_on_load=None, min_height=20)
            with gr.Row(elem_id="composer"):
                question = gr.Textbox(
                    placeholder="Ask about your articles… (Enter sends)",
                    show_label=False,
                    lines=1,
                    max_lines=6,
                    scale=8,
                    autofocus=True,
                    max_length=MAX_QUESTION_CHARS,
                    elem_id="question",
                    container=False,
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="send")
                stop = gr.Button("Stop", variant="stop", scale=1, min_width=80, visible=False, elem_id="stop")
            with gr.Row(elem_id="chat-actions"):
                new_chat = gr.Button("New chat", size="sm", variant="secondary", min_width=0, elem_id="new-chat")
                download = gr.DownloadButton("Download", size="sm", variant="secondary", min_width=0, elem_id="download")
            with gr.Accordion("Settings and filters", open=False, elem_id="settings"):
                backend = gr.Dropdown(BACKEND_LABELS, value=config.backend, label="Back end")
                k = gr.Slider(1, 20, value=min(config.k, 20), step=1, label="Passages to retrieve")
                doc_filter = _pick_some(choices, "Only these documents", "Leave empty to search all documents.", "doc-filter")
                with gr.Row():
                    date_from = gr.DateTime(include_time=False, type="string", label="Published from", min_width=200)
                    date_to = gr.DateTime(include_time=False, type="string", label="Published to", min_width=200)
                outlet_filter = _pick_some(
                    outlets, "Only these outlets", "Sites of fetched pages and feeds; leave empty for all.", "outlet-filter"
                )
        with gr.Column(scale=2, min_width=300, elem_id="sources-column"):
            sources = gr.HTML(sources_html([]), elem_id="sources", js_on_load=None)
    settings = [backend, k, doc_filter, date_from, date_to, outlet_filter]
    return ChatTab(conversation, status, question, send, stop, new_chat, download, settings, doc_filter, outlet_filter, sources)


def _pick_some(choices: list, label: str, info: str, elem_id: str) -> gr.Dropdown:
    """A multi-select filter of the chat's settings: none chosen means all."""
    return gr.Dropdown(choices=choices, value=[], multiselect=True, label=label, info=info, elem_id=elem_id)


def _documents_tab(choices: list[tuple[str, str]], table: str) -> DocumentsTab:
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
            remove_choice = gr.Dropdown(choices=choices, value=None, label="Remove a document")
            remove = gr.Button("Remove", variant="stop", elem_id="remove-document")
            remove_confirmed = gr.Checkbox(False, visible=False)
    documents = gr.HTML(table, elem_id="documents", js_on_load=None)
    return DocumentsTab(files, add, report_view, report, remove_choice, remove, remove_confirmed, documents)


def _wire_chat(tab: ChatTab, chat: ChatHandlers, stored: gr.BrowserState, answer_limit: int) -> None:
    """Send (Enter or button) shows the question at once, then streams the answer from the queue."""
    pending = gr.State("")
    take = dict(
        fn=chat.take_question,
        inputs=[tab.question, stored],
        outputs=[tab.question, pending, tab.conversation, tab.sources, stored, tab.send, tab.stop],
        queue=False,
        show_progress="hidden",
        api_visibility="private",
    )
    answer = dict(
        fn=chat.answer,
        inputs=[pending, stored, *tab.settings],
        outputs=[tab.conversation, tab.sources, stored, tab.download],
        concurrency_limit=answer_limit,
        concurrency_id="answer",
        show_progress="full",
        show_progress_on=[tab.status],
        api_visibility="private",
    )
    done = dict(fn=chat.finish, outputs=[tab.send, tab.stop], queue=False, api_visibility="private")
    answering = [tab.question.submit(**take).then(**answer), tab.send.click(**take).then(**answer)]
    for event in answering:
        event.then(**done)
    tab.stop.click(
        chat.stop,
        inputs=[stored],
        outputs=[tab.conversation, tab.sources, stored, tab.download, tab.send, tab.stop],
        cancels=answering,
        queue=False,
        api_visibility="private",
    )
    tab.new_chat.click(
        chat.new_chat, outputs=[tab.conversation, tab.sources, stored, tab.download], queue=False, api_visibility="private"
    )


def _wire_documents(tab: DocumentsTab, docs: DocumentHandlers, doc_filter: gr.Dropdown, outlet_filter: gr.Dropdown) -> None:
    """Add (with a progress bar) and remove (after a confirmation), then refresh lists and pickers."""
    after_change = [tab.report_view, tab.documents, tab.remove_choice, doc_filter, tab.files, outlet_filter]
    tab.add.click(
        docs.ingest,
        inputs=[tab.files],
        outputs=[tab.report],
        api_name="ingest",
        concurrency_id="ingest",
        show_progress="full",
        show_progress_on=[tab.report_view],
    ).then(docs.refresh, inputs=[tab.report], outputs=after_change, api_visibility="private")
    tab.remove.click(
        docs.remove_selected,
        inputs=[tab.remove_choice, tab.remove_confirmed],
        outputs=after_change,
        js=CONFIRM_REMOVE,
        api_visibility="private",
    )


def build_blocks(pipeline, config: Config) -> tuple[gr.Blocks, Answerer]:
    """The Gradio interface (chat, documents, settings) and its named API endpoints."""
    paths = Paths(config.index.data_dir)
    paths.uploads.mkdir(parents=True, exist_ok=True)
    # Exports go to a private temporary folder: Gradio serves them from its cache, and the data
    # directory stays out of reach of its file route.
    exports = Path(tempfile.mkdtemp(prefix="newsrag-exports-"))
    chat = ChatHandlers(pipeline, config, exports)
    weakref.finalize(chat, shutil.rmtree, exports, True)
    docs = DocumentHandlers(pipeline.library, paths.uploads, int(config.index.max_file_mb * 1e6))
    answerer = Answerer(pipeline, config)
    answer_limit = answer_concurrency(config)
    records = pipeline.library.documents()
    choices = [(choice_label(r), r.doc_id) for r in records]

    with gr.Blocks(title="newsrag — ask your news", delete_cache=CACHE_CLEANUP) as demo:
        stored = gr.BrowserState([], storage_key=STORAGE_KEY, secret=_browser_secret(paths.secret))
        gr.HTML(HEADER, elem_id="app-header", js_on_load=None)
        if config.backend == "embedded":
            add_model_notice(demo, config)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat_tab = _chat_tab(config, choices, pipeline.library.outlets())
            with gr.Tab("Documents", id="documents"):
                documents_tab = _documents_tab(choices, documents_html(records))
                build_sources_panel(pipeline.library, config.index.allow_private_urls)
        _wire_chat(chat_tab, chat, stored, answer_limit)
        _wire_documents(documents_tab, docs, chat_tab.doc_filter, chat_tab.outlet_filter)
        demo.load(
            chat.restore,
            inputs=[stored],
            outputs=[chat_tab.conversation, chat_tab.sources, chat_tab.download],
            api_visibility="private",
        )
        demo.load(
            docs.listing,
            outputs=[documents_tab.documents, documents_tab.remove_choice, chat_tab.doc_filter, chat_tab.outlet_filter],
            api_visibility="private",
        )
        gr.api(answerer.ask, api_name="ask", concurrency_limit=answer_limit, concurrency_id="answer")
        gr.api(docs.list_documents, api_name="documents", concurrency_limit=None)
        gr.api(docs.remove, api_name="remove", concurrency_id="ingest")
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE)
    return demo, answerer


def login_for(config: Config) -> Login | None:
    """The server's login (one for the page and the API), or None without credentials."""
    return Login(Credentials.parse(config.auth)) if config.auth else None


def _launch_options(config: Config, login: Login | None) -> dict[str, Any]:
    paths = Paths(config.index.data_dir)
    return dict(
        auth=login.gradio_auth() if login else None,
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


def check_exposure(config: Config, share: bool = False) -> None:
    """Refuse set-ups that publish the library without a login; check the credentials' form."""
    if config.auth is not None:
        Credentials.parse(config.auth)
    parse_allowed_hosts(config.allowed_hosts)
    if share and not config.auth:
        raise ConfigError(
            "--share publishes your library (with upload and remove) on the internet; "
            "add --auth USER:PASSWORD (or set RAG_AUTH) to use it"
        )


def perimeter(config: Config, extra_hosts: tuple[str, ...] = ()) -> list[Middleware]:
    """The middleware every route of the server sits behind, outermost first.

    The request guard (trusted hosts, same-site state changes, JSON bodies, body and rate
    limits), then a CORS policy that names no other origin (Gradio defers to the parent app's
    policy when there is one, instead of echoing origins), then the security headers.
    """
    hosts = TrustedHosts.for_server(config.host, [*parse_allowed_hosts(config.allowed_hosts), *extra_hosts])
    limits = Limits(
        upload_bytes=int(4 * config.index.max_file_mb * 1e6) + 1_000_000,
        burst=config.client_burst,
        per_second=config.client_per_s,
    )
    return [
        Middleware(RequestGuard, hosts=hosts, limits=limits, login=bool(config.auth)),
        Middleware(CORSMiddleware, allow_origins=[]),
        Middleware(SecurityHeaders),
    ]


def build_app(pipeline, config: Config) -> FastAPI:
    """The FastAPI app: POST /api/ask, /v1 and /mcp, and the Gradio chat mounted at /, behind the perimeter."""
    check_exposure(config)
    demo, answerer = build_blocks(pipeline, config)
    app = FastAPI(title="newsrag", docs_url=None, redoc_url=None, openapi_url=None, middleware=perimeter(config))
    login = login_for(config)
    app.include_router(api_router(answerer, login))
    # The routes programs call: OpenAI's chat API under /v1 and MCP at /mcp (docs/api.md).
    access, slots = ApiAccess(config.api_key, login), AnswerSlots.for_config(config)
    mount_openai_api(app, pipeline, config, access, slots)
    mount_mcp(app, pipeline, config, access, slots)
    return gr.mount_gradio_app(
        app, demo, path="/", server_name=config.host, server_port=config.port, **_launch_options(config, login)
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


def use_private_upload_cache(environ: MutableMapping[str, str]) -> Path | None:
    """Point Gradio's upload cache at a new folder only this user can open; None when one is set.

    Gradio's default, <tmp>/gradio, is shared by every Gradio app on the machine, under names
    others can guess, and readable by other users. Gradio reads GRADIO_TEMP_DIR when the app is
    built, so this runs first; the folder is removed when the server exits.
    """
    if environ.get("GRADIO_TEMP_DIR"):
        return None
    folder = Path(tempfile.mkdtemp(prefix="newsrag-uploads-"))  # mode 0700
    environ["GRADIO_TEMP_DIR"] = str(folder)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def serve(config: Config, share: bool = False, seed_dir: Path | None = None) -> None:
    """Open the index (seeding it when empty), start the server, print its URL and block."""
    import uvicorn

    from rag.pipeline import Pipeline

    check_exposure(config, share)
    use_private_upload_cache(os.environ)
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
    # Load the models while the web app is built: the GGUF load and the prefix run in C and
    # overlap with Gradio's imports; questions that come before the model is ready are answered
    # extractively, with a notice.
    threading.Thread(target=pipeline.warm_up, name="warm-up", daemon=True).start()
    if config.backend == "embedded":  # prepared in the background (`make run`): load it once it is there
        watch_until_ready(config, pipeline.warm_up)
    app = build_app(pipeline, config)
    shown = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    print(f"newsrag chat running at http://{shown}:{config.port}/  (JSON API: POST /api/ask; Ctrl+C stops)", flush=True)
    logging.getLogger("uvicorn.error").addFilter(_not_a_stream_closed_on_stop)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", timeout_graceful_shutdown=STOP_GRACE_S)


def _not_a_stream_closed_on_stop(record: logging.LogRecord) -> bool:
    """False for what uvicorn logs as errors when Ctrl+C closes streams still open (a browser tab's):
    the count of cancelled tasks and each one's traceback."""
    cancelled = bool(record.exc_info) and record.exc_info[0] is asyncio.CancelledError
    return not (cancelled or "graceful shutdown exceeded" in record.getMessage())


def _serve_shared(pipeline, config: Config) -> None:
    """Gradio's own server, for its public share link; /api/ask is added to it."""
    demo, answerer = build_blocks(pipeline, config)
    login = login_for(config)
    options = _launch_options(config, login)
    demo.launch(
        server_name=config.host,
        server_port=config.port,
        share=True,
        prevent_thread_lock=True,
        app_kwargs={"middleware": perimeter(config, extra_hosts=(SHARE_DOMAIN,))},
        **options,
    )
    demo.app.include_router(api_router(answerer, login))
    # /v1 too; not /mcp, whose sessions must start with the server, which Gradio has started already.
    mount_openai_api(demo.app, pipeline, config, ApiAccess(config.api_key, login), AnswerSlots.for_config(config))
    print(f"newsrag chat running at {demo.local_url} (public link: {demo.share_url})", flush=True)
    demo.block_thread()
