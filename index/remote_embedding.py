"""An embedder behind a server speaking the OpenAI-compatible `/v1/embeddings` API.

text-embeddings-inference, vLLM, Ollama, llama.cpp server and `rag embed-serve` all speak it.
What the index records does not depend on where the vectors were computed:

- `name` is the model (`embed_model`, default all-MiniLM-L6-v2), not the server, so an index
  built with the local model can be searched through a server serving the same model and the
  other way round. The name sent in requests (`embed_api_model`) may differ, e.g. Ollama's
  `all-minilm`.
- `variant` is the precision the operator says the server computes in: "fp32" (what
  `rag embed-serve` serves), or "int8" when `embed_variant = "int8"` is set because the server
  runs a quantised model. It cannot be checked from here; an "auto" variant means "fp32" for a
  server, never the variant an existing index happens to record.
- `tokenize` (which sizes the chunks) is MiniLM's own tokenizer when the model is MiniLM, so the
  chunks are the same as local ones; for other models it is `approximate_word_pieces`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from index.minilm import MINILM, minilm_path
from index.errors import ConfigError, EmbedderUnavailable

if TYPE_CHECKING:
    from index.settings import IndexSettings

log = logging.getLogger(__name__)

KNOWN_DIMS = {MINILM: 384}
_MINILM_ALIASES = (MINILM, f"sentence-transformers/{MINILM}")
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_DETAIL_CHARS = 200
_PIECE = re.compile(r"\w{1,4}|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class EmbeddingServer:
    """Where embeddings come from when not from the local model, and how hard to try."""

    url: str  # the API base, e.g. http://gpu-box:8089/v1; requests go to {url}/embeddings
    api_model: str | None = None  # the name the server knows the model by; None: the model's own name
    api_key: str = field(default="", repr=False)
    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 0.5

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"embed_url must start with http:// or https:// (e.g. http://127.0.0.1:8089/v1), not {self.url!r}")
        if self.timeout_s <= 0 or self.retries < 0 or self.backoff_s < 0:
            raise ConfigError("embed_timeout_s must be positive, and retries and back-off not negative")

    @classmethod
    def from_settings(cls, settings: IndexSettings) -> EmbeddingServer | None:
        """The server `embed_url` names, or None to embed locally."""
        if not settings.embed_url:
            return None
        return cls(
            url=settings.embed_url.rstrip("/").removesuffix("/embeddings"),  # the base, even if given the route
            api_model=settings.embed_api_model or None,
            api_key=settings.embed_api_key,
            timeout_s=settings.embed_timeout_s,
        )


def approximate_word_pieces(text: str) -> list[str]:
    """Pieces of at most four letters, and punctuation marks: for models whose tokenizer is not here.

    On 300 realtimeqa-dev articles it counts 1.19 to 1.55 times as many pieces as MiniLM's word-piece
    tokenizer (1.38 on average): chunks come out smaller than `chunk_size` rather than overrunning
    the model's window. Codes and numbers split finer by word pieces can still be undercounted.
    """
    return _PIECE.findall(text)


def _minilm_tokenize() -> Callable[[str], list[str]]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda text: tokenizer.encode(text, add_special_tokens=False).tokens


class RemoteEmbedder:
    """The `Embedder` protocol over HTTP: batched requests, retries with back-off, unit vectors."""

    def __init__(
        self,
        server: EmbeddingServer,
        model: str = MINILM,
        *,
        variant: str = "fp32",
        batch_size: int = 32,
    ) -> None:
        if batch_size < 1:
            raise ConfigError("embed_batch_size must be at least 1")
        is_minilm = model in _MINILM_ALIASES
        self.name = MINILM if is_minilm else model
        self.variant = variant
        self.server = server
        self._api_model = server.api_model or model
        self._batch_size = batch_size
        self._endpoint = f"{server.url}/embeddings"
        self._http = httpx.Client(timeout=server.timeout_s, headers=self._headers())
        self._tokenize = _minilm_tokenize() if is_minilm else approximate_word_pieces
        self.dim = KNOWN_DIMS.get(self.name, 0)
        if not self.dim:  # a model this module does not know: ask the server (0 skips the dimension check)
            self.dim = int(self._embed(["dimension"]).shape[1])

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.server.api_key:
            headers["Authorization"] = f"Bearer {self.server.api_key}"
        return headers

    def __repr__(self) -> str:
        return f"RemoteEmbedder(url={self.server.url!r}, model={self.name!r}, variant={self.variant!r})"

    def tokenize(self, text: str) -> list[str]:
        return self._tokenize(text)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Similar lengths in one request keep the server's padding waste low, as the local embedder does.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for lo in range(0, len(order), self._batch_size):
            part = order[lo : lo + self._batch_size]
            out[part] = self._embed([texts[i] for i in part])
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]

    def close(self) -> None:
        self._http.close()

    # ---- one request ---------------------------------------------------------------------------
    def _embed(self, texts: list[str]) -> np.ndarray:
        payload = self._post({"model": self._api_model, "input": texts, "encoding_format": "float"})
        return self._unit_vectors(payload, len(texts))

    def _post(self, body: dict[str, Any]) -> Any:
        attempts = self.server.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.post(self._endpoint, json=body)
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
                    raise EmbedderUnavailable(  # not retried: a slow server would only get slower
                        f"the embedding server at {self.server.url} did not answer within {self.server.timeout_s:g} s; "
                        "raise embed_timeout_s or lower embed_batch_size"
                    ) from exc
                failure, hint = f"is unreachable ({type(exc).__name__})", "start it or fix embed_url"
            else:
                if response.status_code < 300:
                    return self._json(response)
                if response.status_code not in _RETRY_STATUSES:
                    raise EmbedderUnavailable(self._refusal(response))
                failure, hint = f"failed with HTTP {response.status_code} ({_detail(response)})", "see the server's log"
            if attempt < attempts:
                delay = self.server.backoff_s * 2 ** (attempt - 1)
                log.warning("embedding server at %s %s; retrying in %.1f s", self.server.url, failure, delay)
                time.sleep(delay)
        raise EmbedderUnavailable(
            f"the embedding server at {self.server.url} {failure} after {attempts} attempts; {hint}"
        )

    def _refusal(self, response: httpx.Response) -> str:
        status = response.status_code
        hint = {
            401: "; set RAG_EMBED_API_KEY to the key it expects",
            403: "; set RAG_EMBED_API_KEY to the key it expects",
            404: f"; check that embed_url ends in /v1 and that the server serves the model '{self._api_model}'",
        }.get(status, "")
        return f"the embedding server at {self.server.url} refused the request with HTTP {status} ({_detail(response)}){hint}"

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise self._malformed("the body is not JSON") from exc

    def _malformed(self, why: str) -> EmbedderUnavailable:
        return EmbedderUnavailable(f"the embedding server at {self.server.url} answered with something other than embeddings ({why})")

    def _unit_vectors(self, payload: Any, expected: int) -> np.ndarray:
        try:
            items = sorted(payload["data"], key=lambda item: item.get("index", 0))
            vectors = np.array([item["embedding"] for item in items], dtype=np.float32)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._malformed("no list of equally long embeddings under 'data'") from exc
        if vectors.ndim != 2 or len(vectors) != expected:
            raise self._malformed(f"{len(vectors)} vectors of shape {vectors.shape[1:]} for {expected} texts")
        if self.dim and vectors.shape[1] != self.dim:
            raise ConfigError(
                f"the embedding server at {self.server.url} returned {vectors.shape[1]}-dimensional vectors but "
                f"{self.name} makes {self.dim}; set embed_model (or embed_api_model) to the model the server serves"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise self._malformed("a vector is zero or not finite")
        return vectors / norms


def _detail(response: httpx.Response) -> str:
    """The server's own error message, short and on one line (OpenAI, TEI and FastAPI shapes)."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        body = error.get("message", error) if isinstance(error, dict) else error
    text = " ".join(str(body).split()) or response.reason_phrase
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"
