"""`rag embed-serve`: this machine's embedding model behind the OpenAI-compatible `/v1/embeddings` API.

Any client of that API can use it, `embed_url` among them: a bigger machine embeds for others.
Requests: `POST /v1/embeddings {"model", "input": str | [str], "encoding_format"?: "float" | "base64"}`;
`GET /v1/models` lists the one model served. Bad requests get HTTP 400 (404 for another model,
401 without the key when `embed_api_key` is set) and an OpenAI-style JSON error, never a traceback.
"""

from __future__ import annotations

import base64
import hmac
import logging
import threading
from typing import Literal

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.embedding import MAX_WORD_PIECES, Embedder

log = logging.getLogger(__name__)

MAX_INPUTS = 2048  # per request, as OpenAI allows
MAX_INPUT_CHARS = 100_000  # the model reads 256 word pieces; more is a mistake or an attack


class EmbeddingRequest(BaseModel):
    """The body of `POST /v1/embeddings`; unknown fields such as `user` are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None


class BadRequest(Exception):
    """A request the server understood and refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def _error(status: int, message: str, param: str | None = None, code: str | None = None) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}}, status_code=status)


def served_names(embedder: Embedder) -> set[str]:
    """The model names a request may use: the model's own, and with the sentence-transformers prefix."""
    return {embedder.name, f"sentence-transformers/{embedder.name}"}


def _texts(request: EmbeddingRequest, embedder: Embedder) -> list[str]:
    if request.model not in served_names(embedder):
        raise BadRequest(404, f"the model '{request.model}' is not served here; use '{embedder.name}'", "model", "model_not_found")
    if request.dimensions is not None and request.dimensions != embedder.dim:
        raise BadRequest(400, f"{embedder.name} makes {embedder.dim}-dimensional vectors, not {request.dimensions}", "dimensions")
    texts = [request.input] if isinstance(request.input, str) else request.input
    if not texts:
        raise BadRequest(400, "input is empty; send a string or a list of strings", "input")
    if len(texts) > MAX_INPUTS:
        raise BadRequest(400, f"at most {MAX_INPUTS} inputs per request, not {len(texts)}", "input")
    if any(len(t) > MAX_INPUT_CHARS for t in texts):
        raise BadRequest(400, f"an input is longer than {MAX_INPUT_CHARS} characters", "input")
    return texts


def _encoded(vector: np.ndarray, encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":  # little-endian float32, as OpenAI clients decode it
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return vector.tolist()


def build_app(embedder: Embedder, *, api_key: str = "") -> FastAPI:
    """The API over `embedder`; with `api_key`, every request must carry `Authorization: Bearer <key>`."""
    app = FastAPI(title="newsrag embeddings", docs_url=None, redoc_url=None, openapi_url=None)
    lock = threading.Lock()  # one encode at a time: the model already uses every core it is given

    @app.middleware("http")
    async def require_key(request: Request, call_next):
        given = request.headers.get("authorization", "")
        if api_key and not hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
            return _error(401, "a valid API key is required (Authorization: Bearer <key>)", code="invalid_api_key")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return _error(400, "the body is not valid JSON")
        loc = [str(part) for part in first.get("loc", ()) if part != "body"]
        where = loc[0] if loc else None  # the field, not pydantic's path through the union
        return _error(400, f"{where or 'body'}: {first.get('msg', 'invalid request')}", where)

    @app.exception_handler(BadRequest)
    async def refused(_request: Request, exc: BadRequest) -> JSONResponse:
        return _error(exc.status, exc.message, exc.param, exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def failed(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("embedding request failed")
        return _error(500, f"the server failed to embed the input ({type(exc).__name__})")

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": embedder.name, "object": "model", "created": 0, "owned_by": "newsrag"}]}

    @app.post("/v1/embeddings")
    def embeddings(request: EmbeddingRequest) -> dict:
        texts = _texts(request, embedder)
        with lock:
            vectors = embedder.encode_documents(texts)
        tokens = sum(min(len(embedder.tokenize(t)) + 2, MAX_WORD_PIECES) for t in texts)
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": _encoded(v, request.encoding_format)}
                for i, v in enumerate(vectors)
            ],
            "model": embedder.name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    return app


def serve(embedder: Embedder, host: str, port: int, *, api_key: str = "", verbose: bool = False) -> None:
    """Load the model, then serve it until interrupted."""
    import uvicorn

    if not api_key and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving embeddings on %s without embed_api_key: anyone who reaches the port may use it", host)
    embedder.encode_documents(["warm up"])  # loads the model before the port opens: ready means ready
    log.info("serving %s (%s) at http://%s:%d/v1", embedder.name, embedder.variant, host, port)
    uvicorn.run(build_app(embedder, api_key=api_key), host=host, port=port, log_level="info" if verbose else "warning")
