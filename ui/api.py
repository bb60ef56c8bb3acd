"""`POST /api/ask`: JSON in, the Answer JSON out; HTTP Basic auth when the server has credentials."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rag.config import BACKENDS, Config
from rag.errors import ConfigError, RagError
from rag.retrieve import as_filters
from rag.types import Filters

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 100_000
MAX_HISTORY_TURNS = 50
MAX_K = 50


class BadRequest(ValueError):
    """The request cannot be answered as sent; the message says what to fix."""


@dataclass(frozen=True)
class AskRequest:
    """A validated question for the pipeline."""

    question: str
    history: tuple[tuple[str, str], ...] = ()
    k: int | None = None
    backend: str | None = None
    filters: Filters | None = None


def parse_ask(body: object) -> AskRequest:
    """Validate a JSON body: {"question", "history"?, "k"?, "backend"?, "filters"?}."""
    if not isinstance(body, Mapping):
        raise BadRequest("the body must be a JSON object with a 'question'")
    unknown = set(body) - {"question", "history", "k", "backend", "filters"}
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise BadRequest("'question' must be a non-empty string")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadRequest(f"'question' is longer than {MAX_QUESTION_CHARS} characters")
    return AskRequest(
        question=question,
        history=parse_history(body.get("history")),
        k=parse_k(body.get("k")),
        backend=parse_backend(body.get("backend")),
        filters=_filters(body.get("filters")),
    )


def parse_history(value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in value
    ):
        raise BadRequest("'history' must be a list of [question, answer] pairs of strings")
    return tuple((q, a) for q, a in value[-MAX_HISTORY_TURNS:])


def parse_k(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise BadRequest(f"'k' must be a whole number from 1 to {MAX_K}")
    return value


def parse_backend(value: object) -> str | None:
    if value is None or value == "":
        return None
    if value not in BACKENDS:
        raise BadRequest(f"unknown backend {value!r}; choose one of {', '.join(BACKENDS)}")
    return str(value)


def _filters(value: object) -> Filters | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - {"doc_ids", "published_from", "published_to", "as_of"}:
        raise BadRequest("'filters' may hold doc_ids, published_from, published_to and as_of")
    doc_ids = value.get("doc_ids") or []
    if not isinstance(doc_ids, list) or not all(isinstance(d, str) for d in doc_ids):
        raise BadRequest("'filters.doc_ids' must be a list of document ids")
    dates = {k: value.get(k) for k in ("published_from", "published_to", "as_of")}
    filters = as_filters(doc_ids, **dates)
    for key, given in dates.items():
        if given not in (None, "") and getattr(filters, key) is None:
            raise BadRequest(f"'filters.{key}' must be a date like 2024-05-31")
    return filters


def basic_auth_ok(header: str | None, expected: str) -> bool:
    """Does an `Authorization: Basic ...` header carry the `user:password` in `expected`?"""
    if not header or not header[:6].lower() == "basic ":
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    user, sep, password = given.partition(":")
    want_user, _, want_password = expected.partition(":")
    user_ok = secrets.compare_digest(user.encode(), want_user.encode())
    password_ok = secrets.compare_digest(password.encode(), want_password.encode())
    return bool(sep) and user_ok and password_ok


class Answerer:
    """Answers validated requests with the pipeline (the in-process model queues its callers itself)."""

    def __init__(self, pipeline, config: Config) -> None:
        self.pipeline = pipeline
        self.config = config

    def answer(self, request: AskRequest) -> dict[str, Any]:
        answer = self.pipeline.ask(
            request.question, history=request.history, filters=request.filters, k=request.k, backend=request.backend
        )
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


def api_router(answerer: Answerer, auth: str | None) -> APIRouter:
    """The JSON API: POST /api/ask."""
    router = APIRouter()

    @router.post("/api/ask")
    async def ask(request: Request) -> JSONResponse:
        if auth and not basic_auth_ok(request.headers.get("authorization"), auth):
            return _error(401, "authentication required", {"WWW-Authenticate": 'Basic realm="newsrag"'})
        try:
            body = json.loads(await request.body() or b"null")
            parsed = parse_ask(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the body is not valid JSON")
        except BadRequest as exc:
            return _error(400, str(exc))
        try:
            return JSONResponse(await run_in_threadpool(answerer.answer, parsed))
        except ConfigError as exc:
            return _error(400, str(exc))
        except RagError as exc:
            return _error(503, str(exc))
        except Exception:  # noqa: BLE001 - a server error, never a traceback to the client
            log.exception("POST /api/ask failed")
            return _error(500, "internal error; see the server log")

    return router
