"""A generator behind any OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio, ...).

Speaks `POST {base_url}/chat/completions` with `stream: true` and reads the server-sent events:
`data: {json}` lines carrying `choices[0].delta.content`, ended by `data: [DONE]`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from rag.backends.base import ChatMessage
from rag.backends.http_stream import http_client, post_stream
from rag.backends.usage import record, reported_count
from rag.errors import BackendUnavailable, ConfigError

if TYPE_CHECKING:
    from rag.config import Config  # the back ends read their settings from it; it validates their names

log = logging.getLogger(__name__)

_DONE = "[DONE]"


class OpenAICompatGenerator:
    """Streams replies from an OpenAI-compatible chat completions endpoint."""

    name = "openai"

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout_s: float = 60.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"`openai_base_url` must start with http:// or https:// (e.g. http://127.0.0.1:8000/v1), not {base_url!r}."
            )
        if not model:
            raise ConfigError("`openai_model` is empty; set it to the model name the endpoint serves.")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self._http = http_client(timeout_s)
        self._api_key = api_key

    @classmethod
    def from_config(cls, config: Config) -> OpenAICompatGenerator:
        """Build from `openai_base_url`, `openai_model`, `openai_api_key` and `llm_timeout_s`."""
        return cls(
            config.openai_base_url,
            config.openai_model,
            api_key=config.openai_api_key,
            timeout_s=config.llm_timeout_s,
        )

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> Iterator[str]:
        """Yield the reply's text pieces as the server produces them."""
        body = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},  # token counts in a last chunk
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        return self._stream(body)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _stream(self, body: dict[str, Any]) -> Iterator[str]:
        return post_stream(
            self._http,
            f"{self.base_url}/chat/completions",
            body,
            timeout_s=self.timeout_s,
            server=f"the OpenAI-compatible endpoint {self.base_url}",
            start_hint="start the server or set `openai_base_url`",
            check_status=self._check_status,
            pieces=_pieces,
            headers=self._headers(),
        )

    def _check_status(self, response: httpx.Response) -> None:
        if response.status_code == 200:
            return
        detail = _error_text(response.read())
        if response.status_code in (401, 403):
            raise BackendUnavailable(
                f"{self.base_url} refused the request (HTTP {response.status_code}: {detail}); "
                "set a valid key in OPENAI_API_KEY."
            )
        if response.status_code == 404:
            raise BackendUnavailable(
                f"{self.base_url} has no chat completions endpoint or model '{self.model}' (HTTP 404: {detail}); "
                "check `openai_base_url` (usually ends in /v1) and `openai_model`."
            )
        raise BackendUnavailable(
            f"{self.base_url} answered HTTP {response.status_code} ({detail or 'no detail'}); check the server log."
        )


def _pieces(lines: Iterator[str]) -> Iterator[str]:
    """Parse the server-sent events into text pieces; stop at `[DONE]`, raise on anything malformed."""
    finished = False
    for line in lines:
        data = _data(line)
        if data is None:
            continue
        if data == _DONE:
            return
        event = _parse(data)
        _record_usage(event.get("usage"))
        text, finish_reason = _delta(event)
        if text:
            yield text
        finished = finished or finish_reason is not None
    if not finished:
        raise BackendUnavailable("the endpoint's reply ended before it was complete; retry or check the server log.")


def _data(line: str) -> str | None:
    """The payload of a `data:` line; None for blank lines, comments and other SSE fields."""
    if not line.startswith("data:"):
        return None
    return line[5:].strip()


def _parse(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except json.JSONDecodeError as exc:
        raise BackendUnavailable(
            f"the endpoint sent a malformed event ({data[:80]!r}); is `openai_base_url` OpenAI-compatible?"
        ) from exc
    if not isinstance(event, dict):
        raise BackendUnavailable(f"the endpoint sent an unexpected event ({data[:80]!r}); is it OpenAI-compatible?")
    if "error" in event:
        raise BackendUnavailable(f"the endpoint reported an error: {_message(event['error'])}.")
    return event


def _delta(event: dict[str, Any]) -> tuple[str, str | None]:
    """Text and finish reason of one chunk; chunks without choices (usage reports) carry neither."""
    choices = event.get("choices")
    if choices == []:
        return "", None
    try:
        choice = choices[0]
        text = (choice.get("delta") or {}).get("content") or ""
    except (TypeError, KeyError, IndexError, AttributeError) as exc:
        raise BackendUnavailable("the endpoint sent a chunk without `choices[0].delta`; is it OpenAI-compatible?") from exc
    if not isinstance(text, str):
        raise BackendUnavailable("the endpoint sent non-text content in `choices[0].delta.content`.")
    return text, choice.get("finish_reason")


def _record_usage(usage: Any) -> None:
    """Count the tokens a chunk reports (servers send them in the last chunk, or not at all)."""
    if not isinstance(usage, dict):
        return
    record(reported_count(usage.get("prompt_tokens")), reported_count(usage.get("completion_tokens")))


def _message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


def _error_text(raw: bytes) -> str:
    """The error message of an OpenAI-style error body, else the start of the body."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        return text[:200]
    if isinstance(payload, dict) and "error" in payload:
        return _message(payload["error"])
    return text[:200]
