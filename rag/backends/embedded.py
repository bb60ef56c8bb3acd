"""The embedded default generator: a GGUF model run in-process on the CPU by llama-cpp-python.

The model is loaded lazily on first use and then reused. One model instance serves one request
at a time: concurrent requests queue on a first-come-first-served lock (`queue_depth` says how
many are running or waiting). The prompt is ChatML (the default model is Qwen2.5), tokenized by us so that text
inside messages can never turn into control tokens.

Time to first token is dominated by prompt processing. llama-cpp-python keeps the previous
prompt's tokens in the KV cache and evaluates only what follows the longest common token prefix,
so prompts that start with the same fixed instructions skip most of the work. `warm_up` seeds that
cache before the first question. Its `LlamaRAMCache` is not used: with Qwen's 152k-token vocabulary
each saved state also copies up to 300 MB of logits that its capacity limit does not count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rag.backends.base import ChatMessage
from rag.backends.fifo_lock import FifoLock
from rag.backends.model_files import resolve_model_path
from rag.backends.usage import record
from rag.errors import BackendUnavailable, ConfigError
from rag.prompts import DEFAULT_SYSTEM

if TYPE_CHECKING:
    from rag.config import Config  # the back ends read their settings from it; it validates their names

log = logging.getLogger(__name__)

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
STOP = (IM_END, "<|endoftext|>")
ROLES = ("system", "user", "assistant")

Segment = tuple[str, bool]  # (text, is a control marker)
Loader = Callable[["Config"], Any]


def chatml_segments(messages: Sequence[ChatMessage], *, default_system: str = DEFAULT_SYSTEM) -> list[Segment]:
    """ChatML as pieces: control markers are flagged, message text never is; ends with an open assistant turn."""
    if messages and messages[0].role == "system":
        turns = list(messages)
    else:
        turns = [ChatMessage("system", default_system), *messages]
    segments: list[Segment] = []
    for message in turns:
        if message.role not in ROLES:
            raise ValueError(f"unknown chat role {message.role!r}; use one of {', '.join(ROLES)}")
        segments += [(IM_START, True), (f"{message.role}\n{message.content}", False), (IM_END, True), ("\n", False)]
    segments += [(IM_START, True), ("assistant\n", False)]
    return segments


def chatml_prompt(messages: Sequence[ChatMessage], *, default_system: str = DEFAULT_SYSTEM) -> str:
    """The ChatML prompt as one string (for logs and tests; generation uses the token form)."""
    return "".join(text for text, _ in chatml_segments(messages, default_system=default_system))


def encode_segments(llm: Any, segments: Sequence[Segment]) -> list[int]:
    """Tokenize segment by segment: only control markers may become special tokens."""
    tokens: list[int] = []
    for text, special in segments:
        tokens += llm.tokenize(text.encode("utf-8"), add_bos=False, special=special)
    return tokens


def load_llama(config: Config) -> Any:
    """Open the configured GGUF file with llama-cpp-python; raise `BackendUnavailable` if impossible."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise BackendUnavailable("the local generator (llama-cpp-python) is not installed; run `make llm`.") from exc
    path = resolve_model_path(config)
    started = time.perf_counter()
    try:
        llm = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=config.llm_context,
            n_threads=config.llm_threads,
            n_threads_batch=config.llm_threads,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise BackendUnavailable(
            f"could not load the model file {path} ({exc}); check that it is a GGUF file or run `rag model prepare`."
        ) from exc
    log.info("loaded %s in %.1f s", path.name, time.perf_counter() - started)
    if IM_START not in llm.metadata.get("tokenizer.chat_template", IM_START):
        log.warning("%s does not use ChatML; answers may be poor with the ChatML prompt used here", path.name)
    return llm


def _prompt_tokens(llm: Any, segments: Sequence[Segment]) -> list[int]:
    """The prompt's tokens, leaving room for at least one more in the model's context."""
    tokens = encode_segments(llm, segments)
    if len(tokens) >= llm.n_ctx():
        raise BackendUnavailable(
            f"the prompt ({len(tokens)} tokens) does not fit the model context ({llm.n_ctx()}); "
            "send fewer or shorter passages or raise `llm_context`."
        )
    return tokens


def _last_logits(llm: Any, tokens: Sequence[int]) -> Any:
    """Logits after `tokens`, evaluating only what follows the prefix already in the KV cache."""
    import numpy as np

    cached = list(llm.input_ids[: llm.n_tokens])
    prefix = 0
    for a, b in zip(cached, tokens):
        if a != b:
            break
        prefix += 1
    prefix = min(prefix, len(tokens) - 1)  # at least one token is evaluated, so the logits are fresh
    if prefix <= 0 or not llm._ctx.kv_cache_seq_rm(-1, prefix, -1):
        llm.reset()
        prefix = 0
    llm.n_tokens = prefix
    llm.eval(list(tokens[prefix:]))
    pointer = llm._ctx.get_logits_ith(-1)
    return np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).copy()


class EmbeddedGenerator:
    """Generates with a local GGUF model in this process; requests share one model, one at a time."""

    name = "embedded"

    def __init__(self, config: Config, *, loader: Loader = load_llama) -> None:
        if config.llm_threads < 1 or config.llm_context < 256:
            raise ConfigError("llm_threads must be >= 1 and llm_context >= 256")
        self._config = config
        self._loader = loader
        self._llm: Any = None
        self._lock = FifoLock()  # answers come in the order the questions arrived
        self._counter = threading.Lock()
        self._pending = 0

    @property
    def queue_depth(self) -> int:
        """Requests running or waiting for the model (0 when idle)."""
        return self._pending

    @property
    def busy(self) -> bool:
        """True while a request is using the model."""
        return self._lock.locked()

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._llm is not None

    def load(self) -> None:
        """Load the model now (e.g. at server start) instead of on the first question."""
        with self._lock:
            self._model()

    def warm_up(self, messages: Sequence[ChatMessage]) -> None:
        """Load the model and pre-compute the prompt of `messages` so prompts starting the same way skip it.

        Pass the fixed instructions (e.g. a user message holding only them): the next prompt reuses the
        KV cache for the longest token prefix it shares with this one.
        """
        with self._lock:
            llm = self._model()
            started = time.perf_counter()
            tokens = encode_segments(llm, chatml_segments(messages))[: llm.n_ctx() - 1]
            llm.reset()
            llm.eval(tokens)
            log.info("warmed up %d prompt tokens in %.1f s", len(tokens), time.perf_counter() - started)

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> Iterator[str]:
        """Yield the reply piece by piece; consume or close the iterator so the model is released."""
        segments = chatml_segments(messages)
        return self._stream(segments, max_tokens)

    def _stream(self, segments: list[Segment], max_tokens: int) -> Iterator[str]:
        with self._turn() as llm:
            yield from self._generate(llm, segments, max_tokens)

    def choice_probabilities(self, messages: Sequence[ChatMessage], options: Sequence[str]) -> dict[str, float]:
        """The model's probability that its reply starts with each option (by the option's first token).

        One forward pass over the prompt, no sampling: the cached prefix is reused as in `stream`.
        The values are shares of the whole vocabulary, so they need not sum to 1.
        """
        import numpy as np

        with self._turn() as llm:
            tokens = _prompt_tokens(llm, chatml_segments(messages))
            try:
                logits = _last_logits(llm, tokens)
            except (RuntimeError, ValueError) as exc:
                llm.reset()
                raise BackendUnavailable(f"the local model failed while reading the prompt ({exc}).") from exc
            shifted = np.exp(logits - logits.max())
            total = float(shifted.sum())
            firsts = {o: llm.tokenize(o.encode("utf-8"), add_bos=False, special=False)[:1] for o in options}
            record(prompt_tokens=len(tokens))  # read, nothing written
            return {o: float(shifted[t[0]]) / total if t else 0.0 for o, t in firsts.items()}

    @contextmanager
    def _turn(self) -> Iterator[Any]:
        """Wait for the model (first come, first served; counted in `queue_depth`) and hold it."""
        self._change_pending(+1)
        try:
            if not self._lock.acquire(timeout=self._config.llm_timeout_s):
                raise BackendUnavailable("the local model is busy with other questions; try again in a moment.")
            try:
                yield self._model()
            finally:
                self._lock.release()
        finally:
            self._change_pending(-1)

    def _generate(self, llm: Any, segments: list[Segment], max_tokens: int) -> Iterator[str]:
        tokens = _prompt_tokens(llm, segments)
        record(prompt_tokens=len(tokens))
        room = llm.n_ctx() - len(tokens)
        chunks = llm.create_completion(
            tokens, stream=True, max_tokens=min(max_tokens, room), temperature=0.0, stop=list(STOP)
        )
        written = ""
        try:
            for chunk in chunks:
                text = chunk["choices"][0]["text"]
                if text:
                    written += text
                    yield text
        except (RuntimeError, ValueError) as exc:
            llm.reset()  # do not let the next prompt reuse a half-written KV cache
            raise BackendUnavailable(f"the local model failed while generating ({exc}); try again.") from exc
        finally:
            chunks.close()
            if written:
                record(completion_tokens=len(llm.tokenize(written.encode("utf-8"), add_bos=False, special=False)))

    def _model(self) -> Any:
        """The loaded model; the caller holds the lock."""
        if self._llm is None:
            self._llm = self._loader(self._config)
        return self._llm

    def _change_pending(self, delta: int) -> None:
        with self._counter:
            self._pending += delta
