"""`POST /api/ask`: JSON in, the Answer JSON out; HTTP Basic auth when the server has credentials.

The body is a pydantic model (strict types, unknown fields refused); a body that does not fit
gets 400 and one sentence naming the field, never FastAPI's 422 list of errors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import gradio as gr
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBasic
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rag.config import BACKENDS, Config
from rag.errors import ConfigError, NoSuchOutlet, RagError
from rag.retrieve import as_filters
from rag.types import Filters
from ui.auth import Login

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 100_000
MAX_HISTORY_TURNS = 50
MAX_K = 50
ASK_FIELDS = ("question", "history", "k", "backend", "filters")
FILTER_FIELDS = ("doc_ids", "published_from", "published_to", "as_of")


class BadRequest(ValueError):
    """The request cannot be answered as sent; the message says what to fix."""


class AskFilters(BaseModel):
    """Which documents a question may be answered from."""

    model_config = ConfigDict(extra="forbid", strict=True)

    doc_ids: list[str] = Field(default_factory=list, description="only these documents (ids from /documents)")
    published_from: str | None = Field(None, description="published on or after this date, e.g. 2024-05-31")
    published_to: str | None = Field(None, description="published on or before this date")
    as_of: str | None = Field(None, description="answer as of this date: later articles are left out")
    outlets: list[str] = Field(default_factory=list, description="only articles of these outlets (site names, as /documents lists them)")


class AskBody(BaseModel):
    """The body of `POST /api/ask`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(description=f"the question, up to {MAX_QUESTION_CHARS:,} characters")
    history: list[Annotated[list[str], Field(min_length=2, max_length=2)]] | None = Field(
        None, description=f"earlier [question, answer] pairs, oldest first; the last {MAX_HISTORY_TURNS} are used"
    )
    k: int | None = Field(None, ge=1, le=MAX_K, description="passages to retrieve")
    backend: str | None = Field(None, description=f"one of {', '.join(BACKENDS)}; default: the server's")
    filters: AskFilters | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty")
        if len(value) > MAX_QUESTION_CHARS:
            raise ValueError("too long")
        return value

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str | None) -> str | None:
        if value not in (None, "", *BACKENDS):
            raise ValueError("unknown")
        return value or None


@dataclass(frozen=True)
class AskRequest:
    """A validated question for the pipeline."""

    question: str
    history: tuple[tuple[str, str], ...] = ()
    k: int | None = None
    backend: str | None = None
    filters: Filters | None = None
    outlets: tuple[str, ...] = ()

    def narrowed(self, library) -> Filters | None:
        """The filters with the outlets turned into their documents; raises NoSuchOutlet when none is left."""
        if not self.outlets:
            return self.filters
        return library.restrict_to_outlets(self.filters or Filters(), self.outlets)


def parse_ask(body: object) -> AskRequest:
    """Validate a decoded JSON body: {"question", "history"?, "k"?, "backend"?, "filters"?}."""
    try:
        return to_request(AskBody.model_validate(body))
    except ValidationError as exc:
        raise BadRequest(explain(exc.errors(), body)) from None


def to_request(body: AskBody) -> AskRequest:
    """The model as the pipeline takes it; dates are checked here (they need the date parser)."""
    filters = None
    if body.filters is not None:
        dates = {key: getattr(body.filters, key) for key in FILTER_FIELDS[1:]}
        filters = as_filters(body.filters.doc_ids, **dates)
        for key, given in dates.items():
            if given not in (None, "") and getattr(filters, key) is None:
                raise BadRequest(f"'filters.{key}' must be a date like 2024-05-31")
    history = tuple((q, a) for q, a in (body.history or [])[-MAX_HISTORY_TURNS:])
    outlets = tuple(o for o in body.filters.outlets if o.strip()) if body.filters is not None else ()
    return AskRequest(body.question, history, body.k, body.backend, filters, outlets)


def explain(errors: list[dict[str, Any]], body: object = None, within: tuple[str, ...] = ()) -> str:
    """One sentence for pydantic's errors: the first field that is wrong, and what it must be.

    `within` is the prefix of every error's location (FastAPI puts the body under "body").
    """

    def field_path(error: dict[str, Any]) -> list:
        loc = list(error["loc"])
        return loc[len(within) :] if tuple(loc[: len(within)]) == within else loc

    unknown = [str(field_path(e)[0]) for e in errors if e["type"] == "extra_forbidden" and len(field_path(e)) == 1]
    if unknown:
        return f"unknown field(s): {', '.join(sorted(unknown))}"
    error = errors[0]
    loc = field_path(error)
    if error["type"] == "json_invalid":
        return "the body is not valid JSON"
    if not loc:
        return "the body must be a JSON object with a 'question'"
    field = loc[0]
    if field == "question":
        too_long = "too long" in str(error.get("msg", ""))
        return f"'question' is longer than {MAX_QUESTION_CHARS} characters" if too_long else "'question' must be a non-empty string"
    if field == "history":
        return "'history' must be a list of [question, answer] pairs of strings"
    if field == "k":
        return f"'k' must be a whole number from 1 to {MAX_K}"
    if field == "backend":
        given = body.get("backend") if isinstance(body, dict) else error.get("input")
        return f"unknown backend {given!r}; choose one of {', '.join(BACKENDS)}"
    if field == "filters" and len(loc) > 1 and loc[1] == "doc_ids":
        return "'filters.doc_ids' must be a list of document ids"
    if field == "filters" and len(loc) > 1 and loc[1] in FILTER_FIELDS:
        return f"'filters.{loc[1]}' must be a date like 2024-05-31"
    if field == "filters" and len(loc) > 1 and loc[1] == "outlets":
        return "'filters.outlets' must be a list of outlet names"
    return "'filters' may hold doc_ids, published_from, published_to, as_of and outlets"


class Answerer:
    """Answers validated requests with the pipeline (the in-process model queues its callers itself)."""

    def __init__(self, pipeline, config: Config) -> None:
        self.pipeline = pipeline
        self.config = config

    def answer(self, request: AskRequest) -> dict[str, Any]:
        filters = request.narrowed(self.pipeline.library)
        answer = self.pipeline.ask(request.question, history=request.history, filters=filters, k=request.k, backend=request.backend)
        return answer.to_json()

    def ask(
        self, question: str, history: list[list[str]] | None = None, k: int | None = None, backend: str | None = None
    ) -> dict:
        """Answer a question from the articles; returns the Answer JSON with its verified citations."""
        try:
            return self.answer(parse_ask({"question": question, "history": history, "k": k, "backend": backend}))
        except (BadRequest, RagError) as exc:
            raise gr.Error(str(exc)) from None


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class ApiError(Exception):
    """A refusal with its status and sentence, raised anywhere in a route or its dependencies."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


class JsonErrorRoute(APIRoute):
    """Routes whose refusals are `{"error": sentence}`: 400 for a body that does not fit, not 422."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                body = exc.body if hasattr(exc, "body") else None
                return _error(400, explain(list(exc.errors()), body, within=("body",)))
            except ApiError as exc:
                return _error(exc.status, exc.message, exc.headers)

        return handle


def login_required(login: Login | None) -> Callable[[Request], Awaitable[None]]:
    """A dependency: HTTP Basic credentials when the server has a login, else nothing."""
    basic = HTTPBasic(auto_error=False, realm="newsrag")

    async def require(request: Request) -> None:
        if login is None:
            return
        try:
            given = await basic(request)
        except HTTPException:  # a malformed header is no credentials
            given = None
        source = request.client.host if request.client else "unknown"
        if given is None or not await login.check(source, given.username, given.password):
            raise ApiError(401, "authentication required", {"WWW-Authenticate": 'Basic realm="newsrag"'})

    return require


def api_router(answerer: Answerer, login: Login | None) -> APIRouter:
    """The JSON API: POST /api/ask."""
    router = APIRouter(route_class=JsonErrorRoute)

    @router.post("/api/ask", dependencies=[Depends(login_required(login))])
    async def ask(body: AskBody) -> JSONResponse:
        try:
            request = to_request(body)
        except BadRequest as exc:
            return _error(400, str(exc))
        try:
            return JSONResponse(await run_in_threadpool(answerer.answer, request))
        except (ConfigError, NoSuchOutlet) as exc:
            return _error(400, str(exc))
        except RagError as exc:
            return _error(503, str(exc))
        except Exception:  # noqa: BLE001 - a server error, never a traceback to the client
            log.exception("POST /api/ask failed")
            return _error(500, "internal error; see the server log")

    return router
