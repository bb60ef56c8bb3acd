"""The library as an MCP server: tools `search`, `ask`, `list_documents` and (when enabled) `ingest`.

The same server runs two ways: `rag mcp` speaks MCP over stdin/stdout (`serve_stdio`; only MCP
messages go to stdout, logs to stderr), and `rag serve` mounts it at `/mcp` over streamable HTTP
(`mount_mcp`), behind the same perimeter and key as `/v1`. Over stdio the library opens when the
client has connected, in the background, so the handshake does not wait for it.

`ingest` takes absolute paths of files on the server's machine; it is listed only when the
configuration sets `mcp_ingest = true`. URLs are refused until fetching them arrives with the
live-news feature.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.config import Config
from rag.errors import ConfigError, RagError
from ui.answer_slots import AnswerSlots, Answering, Busy
from ui.api import MAX_K, AskFilters, BadRequest, parse_ask
from ui.auth import ApiAccess
from ui.security import error_body

log = logging.getLogger(__name__)

SERVER_NAME = "newsrag"
INSTRUCTIONS = (
    "Answers questions from the user's own collection of news articles, every claim cited. Use `ask` for a "
    "verified answer with citations (quotes with their offsets in the article), `search` for the passages "
    "alone, and `list_documents` to see what the collection holds."
)
MOUNT_PATH = "/mcp"
URL_REFUSAL = (
    "{item}: ingest takes file paths for now; fetching URLs arrives with the live-news feature"
)
MAX_INGEST_ITEMS = 1000


class PipelineSource:
    """The pipeline the tools use: given, or opened once on first use (in a worker thread)."""

    def __init__(self, open_pipeline: Callable[[], Any]) -> None:
        self._open = open_pipeline
        self._pipeline: Any = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, pipeline) -> PipelineSource:
        source = cls(lambda: pipeline)
        source._pipeline = pipeline
        return source

    def get_blocking(self):
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self._open()
            return self._pipeline

    async def get(self):
        if self._pipeline is not None:
            return self._pipeline
        return await anyio.to_thread.run_sync(self.get_blocking)


def _tool_error(exc: BaseException) -> ToolError:
    """One sentence for the client; unexpected errors are logged here and named only vaguely there."""
    if isinstance(exc, (BadRequest, ConfigError, RagError, Busy)):
        return ToolError(str(exc))
    log.error("MCP tool failed", exc_info=exc)
    return ToolError("internal error; see the server log")


def _tool(server: MCPServer, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a tool whose description is its docstring without the code's indentation."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        server.add_tool(fn, description=inspect.cleandoc(fn.__doc__ or ""), **options)
        return fn

    return register


def build_mcp_server(source: PipelineSource, config: Config, slots: AnswerSlots, lifespan=None) -> MCPServer:
    """The MCP server and its tools, over the pipeline `source` gives."""
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING", lifespan=lifespan)

    @_tool(server)
    async def search(
        query: Annotated[str, Field(description="what to look for, in words")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="passages to return")] = config.k,
        filters: Annotated[AskFilters | None, Field(description="only these documents, dates or outlets")] = None,
    ) -> dict[str, Any]:
        """The passages of the articles that best match `query` (no answer): each with its document id,
        title, date, URL, character offsets into the article (start, end) and text."""
        try:
            request = parse_ask({"question": query, "k": k, "filters": filters.model_dump() if filters else None})
            pipeline = await source.get()
            filters = await anyio.to_thread.run_sync(request.narrowed, pipeline.library)
            passages = await anyio.to_thread.run_sync(lambda: pipeline.retriever.retrieve(query, request.k, filters))
        except Exception as exc:  # noqa: BLE001 - each failure is one sentence for the client
            raise _tool_error(exc) from None
        return {"query": query, "passages": [p.to_json() for p in passages]}

    @_tool(server, structured_output=False)
    async def ask(
        question: Annotated[str, Field(description="the question")],
        history: Annotated[
            list[list[str]] | None, Field(description="earlier [question, answer] pairs, oldest first, for a follow-up")
        ] = None,
        k: Annotated[int | None, Field(ge=1, le=MAX_K, description="passages to retrieve")] = None,
        backend: Annotated[str | None, Field(description="answer back end; default: the server's")] = None,
    ) -> str:
        """A cited answer from the articles, as the Answer JSON: `answer` (with [n] markers), `short_answer`,
        `refused`, `citations` (quote, document id and offsets of each [n]), `passages`, `notices`, `timings_ms`,
        `confidence` (the local model's belief that the cited sentence answers), `tentative` (true: read the
        cited passage before relying on the answer) and `usage` (the model's calls and tokens for it)."""
        try:
            request = parse_ask({"question": question, "history": history, "k": k, "backend": backend})
            answer = await Answering(await source.get(), slots).answer(request)
        except Exception as exc:  # noqa: BLE001 - each failure is one sentence for the client
            raise _tool_error(exc) from None
        return json.dumps(answer.to_json(), ensure_ascii=False)

    @_tool(server)
    async def list_documents() -> list[dict[str, Any]]:
        """Every article in the collection: doc_id, title, published date, URL and number of chunks."""
        try:
            pipeline = await source.get()
            records = await anyio.to_thread.run_sync(pipeline.library.documents)
        except Exception as exc:  # noqa: BLE001
            raise _tool_error(exc) from None
        return [{"doc_id": r.doc_id, "title": r.title, "published": r.published, "url": r.url, "chunks": r.n_chunks} for r in records]

    if config.mcp_ingest:

        @_tool(server)
        async def ingest(
            paths_or_urls: Annotated[list[str], Field(description="absolute paths of files or folders on this machine")],
        ) -> dict[str, Any]:
            """Add articles to the collection (.txt .md .html .pdf .json .jsonl .jsonl.gz files, or folders of them).
            Returns how many were added, updated or unchanged, and each file that failed with its reason."""
            paths, refused = ingest_paths(paths_or_urls)
            report: dict[str, Any] = {"added": 0, "updated": 0, "unchanged": 0, "failed": [], "chunks_written": 0}
            if paths:
                try:
                    pipeline = await source.get()
                    report = (await anyio.to_thread.run_sync(lambda: pipeline.library.ingest(paths))).to_json()
                except Exception as exc:  # noqa: BLE001
                    raise _tool_error(exc) from None
            report["failed"] = [*refused, *report["failed"]]
            return report

    return server


def ingest_paths(items: list[str]) -> tuple[list[Path], list[dict[str, str]]]:
    """The items `ingest` takes (absolute paths that exist), and a reason for each of the others."""
    if len(items) > MAX_INGEST_ITEMS:
        raise ToolError(f"at most {MAX_INGEST_ITEMS} paths per call; name a folder instead")
    paths: list[Path] = []
    refused: list[dict[str, str]] = []
    for item in items:
        text = item.strip()
        if "://" in text or text.lower().startswith("www."):
            refused.append({"path": text, "reason": URL_REFUSAL.format(item="this is a URL")})
            continue
        path = Path(text).expanduser()
        if not path.is_absolute():
            refused.append({"path": text, "reason": "give an absolute path (the server does not know your working folder)"})
        elif not path.exists():
            refused.append({"path": text, "reason": "no such file or folder on the server"})
        else:
            paths.append(path)
    return paths, refused


# ---- stdio: `rag mcp` ------------------------------------------------------------------------------


def serve_stdio(config: Config, open_pipeline: Callable[[], Any]) -> None:
    """Serve MCP on stdin/stdout until the client closes stdin; the pipeline opens in the background."""
    source = PipelineSource(open_pipeline)

    def warm() -> None:
        try:
            source.get_blocking().warm_up()
        except Exception as exc:  # noqa: BLE001 - the first tool call reports it to the client
            log.warning("could not open the library: %s", exc)

    # Started after the SDK has pointed fd 1 at stderr, so nothing the library prints reaches the wire.
    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        threading.Thread(target=warm, name="mcp-warm-up", daemon=True).start()
        yield

    build_mcp_server(source, config, AnswerSlots.for_config(config), lifespan).run("stdio")


# ---- streamable HTTP: /mcp under `rag serve` --------------------------------------------------------


class _Protected:
    """ASGI wrapper: the request must pass `access` (the key, the login, or loopback) before MCP sees it."""

    def __init__(self, app: ASGIApp, access: ApiAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = scope.get("client")
        if await self.access.allows(headers.get("authorization"), client[0] if client else "unknown"):
            await self.app(scope, receive, send)
            return
        body = json.dumps(error_body(401, self.access.refusal())).encode()
        await send({
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="newsrag"'),
            ],
        })
        await send({"type": "http.response.body", "body": body})


def mount_mcp(app: FastAPI, pipeline, config: Config, access: ApiAccess, slots: AnswerSlots) -> None:
    """Serve the MCP server at /mcp (streamable HTTP, stateless) from `app`, and run its sessions with the app."""
    server = build_mcp_server(PipelineSource.of(pipeline), config, slots)
    # The app's RequestGuard already checks Host and Origin against the configured names; the SDK's
    # own check knows only loopback and would refuse a name a proxy forwards.
    sub_app = server.streamable_http_app(
        streamable_http_path=MOUNT_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=config.host,
    )
    endpoint = next(r for r in sub_app.routes if isinstance(r, Route) and r.path == MOUNT_PATH).endpoint
    app.router.routes.append(Route(MOUNT_PATH, endpoint=_Protected(endpoint, access), methods=["GET", "POST", "DELETE"]))
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application):
        async with server.session_manager.run():
            async with previous(application) as state:
                yield state

    app.router.lifespan_context = lifespan
