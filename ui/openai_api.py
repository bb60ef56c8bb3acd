"""An OpenAI-compatible chat API: `GET /v1/models` and `POST /v1/chat/completions`, streaming or not.

Chat front ends (Open WebUI, LibreChat) and programs written for OpenAI's client talk to the
library through it. The last user message is the question; the user and assistant turns before
it are the history (a follow-up is rewritten as in the chat); system messages are ignored. The
reply's content is the verified answer with its `[n]` markers, then the sources in Markdown; the
full Answer JSON travels in the extra `newsrag` field (of the response, or of the last chunk).

A stream sends the role at once, keep-alive comments while the answer is computed, then the
verified answer (with `stream_options.include_usage`, then a chunk holding `usage`) and
`data: [DONE]`: an answer is only sent once its citations are checked (the
check may drop a sentence the model wrote, and the answer leads with its short answer), so what
a client shows is never taken back.

`usage` counts the tokens the model read and wrote for the answer over all its calls (judging
sentences, copying the short answer, rewriting a follow-up), as its back end reports them.

Errors have OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from rag.backends import REGISTRY
from rag.config import Config
from rag.errors import ConfigError, RagError
from rag.types import Answer
from ui.answer_slots import AnswerSlots, Answering, Busy
from ui.api import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, AskRequest
from ui.auth import ApiAccess
from ui.chat_reply import answer_text, reply_markdown
from ui.front_end_tasks import task_reply

log = logging.getLogger(__name__)

MODEL = "newsrag"
OWNER = "newsrag"
KEEPALIVE_S = 5.0  # a comment line this often while an answer is computed, so proxies keep the stream
IGNORED_ROLES = frozenset({"system", "developer", "tool", "function"})
ROLES = frozenset({"user", "assistant", *IGNORED_ROLES})


class ApiError(Exception):
    """A refusal in OpenAI's shape: HTTP status, one sentence, and its type, param and code."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}

    def response(self, headers: Mapping[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=dict(headers or {}))


def model_ids(config: Config) -> list[str]:
    """`newsrag` (the configured back end) first, then `newsrag-extractive`, then the other back ends."""
    names = sorted(REGISTRY, key=lambda name: (REGISTRY[name].factory is not None, list(REGISTRY).index(name)))
    return [MODEL, *(f"{MODEL}-{name}" for name in names)]


def backend_for(model: str, config: Config) -> str:
    """The back end a model id names; `ApiError` 404 for an unknown one."""
    if model == MODEL:
        return config.backend
    name = model.removeprefix(f"{MODEL}-")
    if model.startswith(f"{MODEL}-") and name in REGISTRY:
        return name
    raise ApiError(
        404, f"The model '{model}' does not exist; use one of {', '.join(model_ids(config))} (GET /v1/models).",
        code="model_not_found", param="model",
    )


@dataclass(frozen=True)
class ChatRequest:
    """A chat completion request, validated: the model, the question and its history, or a front end's side task."""

    model: str
    backend: str
    stream: bool
    ask: AskRequest
    task_reply: str | None = None  # set for a title/tags/follow-up request: the reply, without retrieval
    include_usage: bool = False  # a stream ends with a chunk holding `usage` (`stream_options.include_usage`)


def message_text(message: Mapping[str, Any], index: int) -> str:
    """The text of a message: a string, or the text parts of a list of parts (images are skipped)."""
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                break
            if part["type"] == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
        else:
            return "\n".join(parts)
    raise ApiError(400, f"messages[{index}].content must be a string or a list of text parts.", param=f"messages[{index}].content")


def _messages(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list of {role, content} objects.", param="messages")
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ApiError(
                400, f"messages[{i}] must be an object whose role is user, assistant or system.", param=f"messages[{i}].role"
            )
        if message["role"] not in IGNORED_ROLES:
            turns.append((message["role"], message_text(message, i)))
    return turns


def history_of(turns: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """(question, answer) pairs: each user turn with the assistant turn that follows it, sources removed."""
    pairs: list[tuple[str, str]] = []
    for (role, text), (next_role, reply) in zip(turns, turns[1:]):
        if role == "user" and next_role == "assistant" and text.strip() and reply.strip():
            pairs.append((text, answer_text(reply)))
    return tuple(pairs[-MAX_HISTORY_TURNS:])


def parse_chat(body: object, config: Config) -> ChatRequest:
    """Validate a decoded chat completion body; `ApiError` 400 (or 404 for the model) says what is wrong."""
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object with 'model' and 'messages'.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ApiError(400, f"'model' must be a model id such as '{MODEL}' (GET /v1/models lists them).", param="model")
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise ApiError(400, "'stream' must be true or false.", param="stream")
    options = body.get("stream_options")
    if options is not None and (not isinstance(options, dict) or not isinstance(options.get("include_usage", False), bool)):
        raise ApiError(400, "'stream_options' must be an object such as {\"include_usage\": true}.", param="stream_options")
    if body.get("n") not in (None, 1):
        raise ApiError(400, "Only one choice per request is supported ('n' must be 1).", param="n")
    backend = backend_for(model, config)
    turns = _messages(body)
    if not turns or turns[-1][0] != "user":
        raise ApiError(400, "The last message must be the user's question.", param="messages")
    question = turns[-1][1]
    if not question.strip():
        raise ApiError(400, "The question (the last user message) is empty.", param="messages")
    if len(question) > MAX_QUESTION_CHARS:
        raise ApiError(400, f"The question is longer than {MAX_QUESTION_CHARS} characters.", param="messages")
    ask = AskRequest(question, history_of(turns[:-1]), backend=backend)
    include_usage = bool(stream) and bool((options or {}).get("include_usage"))
    return ChatRequest(model, backend, bool(stream), ask, task_reply(question), include_usage)


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion_body(request: ChatRequest, content: str, answer: Answer | None, created: int, cid: str) -> dict[str, Any]:
    """A `chat.completion` object; the Answer JSON in `newsrag` (absent for a side task's reply)."""
    body: dict[str, Any] = {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": request.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": usage_body(answer),
    }
    if answer is not None:
        body["newsrag"] = answer.to_json()
    return body


def usage_body(answer: Answer | None) -> dict[str, int]:
    """OpenAI's `usage`: the tokens the model read and wrote for the answer, over all its calls
    (zeros for a side task's reply, which asks no model)."""
    counted = answer.usage.to_json() if answer is not None else {}
    return {key: counted.get(key, 0) for key in ("prompt_tokens", "completion_tokens", "total_tokens")}


def chunk_body(request: ChatRequest, cid: str, created: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": request.model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _sse(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def content_pieces(text: str, size: int = 64) -> list[str]:
    """The reply cut into pieces of about `size` characters at spaces, for a stream."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind(" ", 0, size) + 1 or size
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text] if text else pieces


def _failure(exc: BaseException, where: str) -> ApiError:
    """The OpenAI-shaped error for an exception raised while answering."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Busy):
        return ApiError(429, str(exc), kind="rate_limit_error", code="server_busy")
    if isinstance(exc, ConfigError):
        return ApiError(400, f"{exc}.", code="invalid_value")
    if isinstance(exc, RagError):
        return ApiError(503, f"{exc}.", kind="server_error", code="unavailable")
    log.error("%s failed", where, exc_info=exc)
    return ApiError(500, "Internal error; see the server log.", kind="server_error", code="internal_error")


def openai_router(pipeline, config: Config, access: ApiAccess, slots: AnswerSlots) -> APIRouter:
    """The routes under /v1, each behind `access`."""
    router = APIRouter()
    answering = Answering(pipeline, slots)
    started = int(time.time())

    async def refused(request: Request) -> JSONResponse | None:
        client = request.client.host if request.client else "unknown"
        if await access.allows(request.headers.get("authorization"), client):
            return None
        error = ApiError(401, f"{access.refusal()[:1].upper()}{access.refusal()[1:]}.", code="invalid_api_key")
        return error.response({"WWW-Authenticate": 'Bearer realm="newsrag"'})

    @router.get("/v1/models")
    async def models(request: Request) -> JSONResponse:
        if (refusal := await refused(request)) is not None:
            return refusal
        data = [{"id": m, "object": "model", "created": started, "owned_by": OWNER} for m in model_ids(config)]
        return JSONResponse({"object": "list", "data": data})

    @router.get("/v1/models/{model}")
    async def model(model: str, request: Request) -> JSONResponse:
        if (refusal := await refused(request)) is not None:
            return refusal
        try:
            backend_for(model, config)
        except ApiError as exc:
            return exc.response()
        return JSONResponse({"id": model, "object": "model", "created": started, "owned_by": OWNER})

    @router.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        if (refusal := await refused(request)) is not None:
            return refusal
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return ApiError(400, "The body is not valid JSON.").response()
        try:
            chat = parse_chat(body, config)
            if chat.task_reply is None:
                slots.check()
        except (ApiError, Busy) as exc:
            return _failure(exc, "POST /v1/chat/completions").response()
        if chat.stream:
            return StreamingResponse(
                _stream(chat, answering), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
            )
        created, cid = int(time.time()), _completion_id()
        if chat.task_reply is not None:
            return JSONResponse(completion_body(chat, chat.task_reply, None, created, cid))
        try:
            answer = await answering.answer(chat.ask)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an OpenAI-shaped error
            return _failure(exc, "POST /v1/chat/completions").response()
        return JSONResponse(completion_body(chat, reply_markdown(answer), answer, created, cid))

    @router.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def elsewhere(rest: str, request: Request) -> JSONResponse:
        """Any other method or route under /v1: OpenAI's error shape, not the chat page's 404."""
        served = "GET /v1/models and POST /v1/chat/completions"
        return ApiError(404, f"There is no {request.method} /v1/{rest} here; this server has {served}.", code="unknown_url").response()

    return router


async def _stream(chat: ChatRequest, answering: Answering) -> AsyncIterator[bytes]:
    """The SSE events of a streamed reply: role, keep-alives, the content, the last chunk with `newsrag`, [DONE]."""
    created, cid = int(time.time()), _completion_id()
    yield _sse(chunk_body(chat, cid, created, {"role": "assistant", "content": ""}))
    answer: Answer | None = None
    content = chat.task_reply
    if content is None:
        cancelled = threading.Event()
        task = asyncio.ensure_future(answering.answer(chat.ask, cancelled))
        try:
            while not task.done():
                done, _ = await asyncio.wait({task}, timeout=KEEPALIVE_S)
                if not done:
                    yield b": keep-alive\n\n"
            answer = task.result()
        except Exception as exc:  # noqa: BLE001 - sent as an error event: the status line is gone
            yield _sse(_failure(exc, "streaming /v1/chat/completions").body())
            yield _sse("[DONE]")
            return
        finally:
            cancelled.set()  # the client left (or the answer is done): stop the pipeline at its next step
            if not task.done():
                task.add_done_callback(lambda t: t.cancelled() or t.exception())  # nobody waits for it
        content = reply_markdown(answer)
    for piece in content_pieces(content):
        yield _sse(chunk_body(chat, cid, created, {"content": piece}))
    last = chunk_body(chat, cid, created, {}, finish="stop")
    if answer is not None:
        last["newsrag"] = answer.to_json()
    yield _sse(last)
    if chat.include_usage:
        usage = chunk_body(chat, cid, created, {})
        usage.update(choices=[], usage=usage_body(answer))
        yield _sse(usage)
    yield _sse("[DONE]")


def mount_openai_api(app: FastAPI, pipeline, config: Config, access: ApiAccess, slots: AnswerSlots) -> None:
    """Serve /v1/models and /v1/chat/completions from `app`."""
    app.include_router(openai_router(pipeline, config, access, slots))
