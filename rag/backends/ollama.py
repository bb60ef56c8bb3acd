"""A generator served by Ollama over its HTTP API (`POST /api/chat`, streamed as NDJSON)."""

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


class OllamaGenerator:
    """Streams replies from an Ollama server; the model name is configurable."""

    name = "ollama"

    def __init__(self, url: str, model: str, *, timeout_s: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"`ollama_url` must start with http:// or https:// (e.g. http://127.0.0.1:11434), not {url!r}.")
        if not model:
            raise ConfigError("`ollama_model` is empty; set it to a model you pulled, e.g. qwen2.5:1.5b-instruct.")
        self.url = url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self._http = http_client(timeout_s)

    @classmethod
    def from_config(cls, config: Config) -> OllamaGenerator:
        """Build from `ollama_url`, `ollama_model` and `llm_timeout_s`."""
        return cls(config.ollama_url, config.ollama_model, timeout_s=config.llm_timeout_s)

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> Iterator[str]:
        """Yield the reply's text pieces as Ollama produces them."""
        body = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "options": {"num_predict": max_tokens, "temperature": 0},
        }
        return self._stream(body)

    def _stream(self, body: dict[str, Any]) -> Iterator[str]:
        return post_stream(
            self._http,
            f"{self.url}/api/chat",
            body,
            timeout_s=self.timeout_s,
            server=f"Ollama at {self.url}",
            start_hint="start it with `ollama serve` or set `ollama_url`",
            check_status=self._check_status,
            pieces=_pieces,
        )

    def _check_status(self, response: httpx.Response) -> None:
        if response.status_code == 200:
            return
        detail = _error_text(response.read())
        if response.status_code == 404 and "not found" in detail:
            raise BackendUnavailable(f"Ollama has no model '{self.model}'; run `ollama pull {self.model}`.")
        raise BackendUnavailable(
            f"Ollama answered HTTP {response.status_code} ({detail or 'no detail'}); check the server log."
        )


def _pieces(lines: Iterator[str]) -> Iterator[str]:
    """Parse Ollama's NDJSON stream into text pieces; stop at `done`, raise on anything malformed."""
    for line in lines:
        if not line.strip():
            continue
        event = _parse(line)
        if "error" in event:
            raise BackendUnavailable(f"Ollama reported an error: {event['error']}.")
        text = _content(event)
        if text:
            yield text
        if event.get("done") is True:
            record(reported_count(event.get("prompt_eval_count")), reported_count(event.get("eval_count")))
            return
    raise BackendUnavailable("Ollama's reply ended before it was done; check the server log and retry.")


def _parse(line: str) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BackendUnavailable(f"Ollama sent a malformed line ({line[:80]!r}); is `ollama_url` an Ollama server?") from exc
    if not isinstance(event, dict):
        raise BackendUnavailable(f"Ollama sent an unexpected line ({line[:80]!r}); is `ollama_url` an Ollama server?")
    return event


def _content(event: dict[str, Any]) -> str:
    message = event.get("message")
    if message is None and event.get("done") is True:
        return ""
    if not isinstance(message, dict) or not isinstance(message.get("content", ""), str):
        raise BackendUnavailable("Ollama sent a reply without `message.content`; is `ollama_url` an Ollama server?")
    return message.get("content", "")


def _error_text(raw: bytes) -> str:
    """The `error` field of an Ollama error body, else the start of the body."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        return text[:200]
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        return payload["error"]
    return text[:200]
