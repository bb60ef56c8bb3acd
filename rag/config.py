"""One typed configuration object: defaults < rag.toml < environment (RAG_*) < CLI flags."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import ConfigError
from index.offline import apply_offline_defaults  # noqa: F401  (re-exported)
from index.settings import IndexSettings
from rag.backends import BACKENDS, REGISTRY  # noqa: F401  (BACKENDS re-exported)

ANSWER_MODES = ("auto", "generate", "select", "verify")
MAX_K = 50  # passages per answer


@dataclass(frozen=True)
class RetrievalSettings:
    """Knobs of the fusion; defaults measured on realtimeqa-dev (docs/evals.md). Set in `[retrieval]` of rag.toml."""

    candidates: int = 40  # dense and BM25 hits read per question, each side
    rrf_k: int = 30
    dense_weight: float = 1.0
    bm25_weight: float = 1.5
    recency_weight: float = 2.0
    recency_half_life_days: float = 7.0
    duplicate_jaccard: float = 0.6
    per_document: int = 0  # at most this many passages of one article before other articles' (0: no limit)


@dataclass(frozen=True)
class Config:
    """Every setting of the application; built once at the edge and passed in."""

    index: IndexSettings = field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    backend: str = "embedded"
    k: int = 6
    model_path: Path | None = None
    llm_threads: int = 2
    llm_context: int = 2048
    llm_timeout_s: float = 60.0
    max_answer_tokens: int = 160
    # The status file of the local model's background set-up (`make run`); default:
    # <cache>/llm-setup/status.json. The embedded back end waits for it to say ready.
    llm_setup_status: Path | None = None
    answer_mode: str = "auto"  # generate | select | verify | auto (verify for the embedded model, generate for servers)
    # verify mode: the model's probability that the best evidence sentence answers the question must
    # reach this, else the answer is a refusal (set on the seed gold set; higher values measured on all
    # three tuning sets gained about as much as two runs of the same code differ by, docs/evals.md).
    verify_threshold: float = 0.385
    # ... or reach this floor and the model copy a short answer out of the sentence (EXTRACT prompt).
    verify_floor: float = 0.25
    # verify mode: the model's probability that the short answer is what the sentence says answers the
    # question (CONFIRM prompt) must reach this; 0 skips the check (calibration in docs/evals.md).
    confirm_threshold: float = 0.0
    # verify mode: for who / where / which-thing questions, the model's probability that the short answer
    # is the kind of thing asked for (KIND prompt: "Chinese" is not a country) must reach this; 0 skips it.
    kind_threshold: float = 0.0
    # verify mode: how many of the best evidence sentences the model is asked about, one at a time
    # (each costs a forward pass). The second rescued 4 seed questions; the third gives reasons and
    # lists a second verified sentence, and a typed question a second chance at a phrase.
    verify_candidates: int = 3
    # verify mode: a best-ranked sentence believed at least this much is taken (if it gives a short
    # answer of the kind asked) without asking about the next one; 0 asks about every candidate first.
    # Picked on the tuning sets' beliefs: of 204 questions it would have turned one right answer wrong
    # and one wrong answer right (docs/evals.md); it saves a forward pass for about half the questions.
    verify_sure: float = 0.6
    # verify mode: an answer whose sentence the model believes less than this is marked tentative
    # (`Answer.tentative`: the chat and the CLI say to read the passage before relying on it); 0 marks none.
    # The default marks the answers the model does not say yes to more than no. On the tuning sets
    # (seed, tuning.jsonl, tuning-b, realtimeqa-dev) answers believed under 0.5 were wrong 1 time in
    # 2.2, at 0.6 or more 1 time in 4.6: it marks 37 of 201 right answers and 31 of 84 wrong ones (docs/evals.md).
    tentative_below: float = 0.5
    # verify mode: how often the model's yes/no read of a believed sentence was right when its two reads
    # (YES_NO, YES_NO_PLAIN) agree, measured for the default model on the 49 believed yes/no sentences of
    # the tuning sets (tuning-b, -c, -d, -yn, seed-b, seed-c; twenty-fifth session): "Yes" 16 of 17, "No"
    # 14 of 19 (13 more reads differed: no answer from that sentence). A yes/no answer's confidence is its
    # sentence's belief times its read's rate, so a "No" from a sentence believed under 0.68 is marked
    # tentative. Set both to 1 to take the reads at their word (another model, other rates).
    yes_read_precision: float = 0.94
    no_read_precision: float = 0.74
    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str = "qwen2.5:1.5b-instruct"
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "default"
    openai_api_key: str = field(default="", repr=False)
    refusal_threshold: float = 0.13
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = field(default=None, repr=False)  # USER:PASSWORD; RAG_AUTH keeps it out of `ps`
    # Host names the server answers to besides loopback and --host (comma-separated; ".example.org"
    # for its subdomains): the name a proxy forwards. Any other Host header is refused.
    allowed_hosts: str = ""
    # Costly requests (answers, uploads) one client address may send at once, then per second;
    # per_s 0 turns the limit off (load benchmarks from one address).
    client_burst: int = 30
    client_per_s: float = 2.0
    # The key programs send as `Authorization: Bearer <key>` to /v1 and /mcp (env RAG_API_KEY). Without
    # one (and without `auth`), those routes answer loopback clients only, whatever token they send.
    api_key: str = field(default="", repr=False)
    # The MCP server's `ingest` tool (file paths on the server's machine); off unless set.
    mcp_ingest: bool = False

    @property
    def cache_dir(self) -> Path:
        return self.index.model_cache_dir

    def answer_mode_for(self, backend: str) -> str:
        """How an LLM back end answers: writes the answer, selects or verifies the evidence sentence."""
        if self.answer_mode != "auto":
            return self.answer_mode
        return REGISTRY[backend].answer_mode or "generate"

    def with_overrides(self, **values: Any) -> Config:
        """Return a copy with some top-level, index or retrieval settings replaced (None values ignored)."""
        return _apply(self, {k: v for k, v in values.items() if v is not None})


_INDEX_FIELDS = {f.name for f in dataclasses.fields(IndexSettings)}
_RETRIEVAL_FIELDS = {f.name for f in dataclasses.fields(RetrievalSettings)}
_TOP_FIELDS = {f.name for f in dataclasses.fields(Config)} - {"index", "retrieval"}
# Environment variables that are not RAG_<FIELD>.
_ENV_ALIASES = {"OPENAI_API_KEY": "openai_api_key", "OLLAMA_HOST": "ollama_url"}


def _coerce(name: str, value: Any, target: type | str) -> Any:
    kind = str(target)
    try:
        if value is None:
            return None
        if "Path" in kind:
            return Path(value).expanduser()
        if "bool" in kind:
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in {"1", "true", "yes", "on"}
        if "int" in kind and "float" not in kind:
            return int(value)
        if "float" in kind:
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting '{name}' has an invalid value {value!r} ({exc})") from exc


def _apply(config: Config, values: Mapping[str, Any]) -> Config:
    top: dict[str, Any] = {}
    idx: dict[str, Any] = {}
    ret: dict[str, Any] = {}
    types = {f.name: f.type for f in dataclasses.fields(Config)}
    itypes = {f.name: f.type for f in dataclasses.fields(IndexSettings)}
    rtypes = {f.name: f.type for f in dataclasses.fields(RetrievalSettings)}
    for name, value in values.items():
        if name in _INDEX_FIELDS:
            idx[name] = _coerce(name, value, itypes[name])
        elif name in _RETRIEVAL_FIELDS:
            ret[name] = _coerce(name, value, rtypes[name])
        elif name in _TOP_FIELDS:
            top[name] = _coerce(name, value, types[name])
        else:
            raise ConfigError(f"unknown setting '{name}'")
    if "backend" in top and top["backend"] not in BACKENDS:
        raise ConfigError(f"unknown backend '{top['backend']}'; choose one of {', '.join(BACKENDS)}")
    if "answer_mode" in top and top["answer_mode"] not in ANSWER_MODES:
        raise ConfigError(f"unknown answer_mode '{top['answer_mode']}'; choose one of {', '.join(ANSWER_MODES)}")
    if "k" in top and not 1 <= top["k"] <= MAX_K:
        raise ConfigError(f"k (the number of passages) must be between 1 and {MAX_K}")
    if "hnsw_ef_search" in idx and not 1 <= idx["hnsw_ef_search"] <= 10_000:
        raise ConfigError("hnsw_ef_search must be between 1 and 10000")
    if "verify_candidates" in top and not 1 <= top["verify_candidates"] <= 12:
        raise ConfigError("verify_candidates must be between 1 and 12")
    if "client_burst" in top and top["client_burst"] < 1:
        raise ConfigError("client_burst must be at least 1")
    if "client_per_s" in top and top["client_per_s"] < 0:
        raise ConfigError("client_per_s must be 0 (no limit) or more")
    for name in (
        "verify_threshold", "verify_floor", "verify_sure", "tentative_below", "confirm_threshold", "kind_threshold",
        "yes_read_precision", "no_read_precision",
    ):
        if name in top and not 0.0 <= top[name] <= 1.0:
            raise ConfigError(f"{name} must be between 0 and 1")
    _check_retrieval(ret)
    index = dataclasses.replace(config.index, **idx) if idx else config.index
    retrieval = dataclasses.replace(config.retrieval, **ret) if ret else config.retrieval
    return dataclasses.replace(config, index=index, retrieval=retrieval, **top)


def _check_retrieval(values: Mapping[str, Any]) -> None:
    bounds = {
        "candidates": (1, 1000), "rrf_k": (0, 1000), "per_document": (0, 50), "duplicate_jaccard": (0.0, 1.0),
        "dense_weight": (0.0, 100.0), "bm25_weight": (0.0, 100.0), "recency_weight": (0.0, 100.0),
    }
    for name, (lo, hi) in bounds.items():
        if name in values and not lo <= values[name] <= hi:
            raise ConfigError(f"{name} must be between {lo} and {hi}")
    if "recency_half_life_days" in values and values["recency_half_life_days"] <= 0:
        raise ConfigError("recency_half_life_days must be above 0")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):  # [index], [retrieval], [llm] ... sections are flattened
            flat.update(value)
        else:
            flat[key] = value
    return flat


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in environ.items():
        if key in _ENV_ALIASES:
            values[_ENV_ALIASES[key]] = value
    for key, value in environ.items():
        if key.startswith("RAG_"):
            name = key[4:].lower()
            if name in _INDEX_FIELDS or name in _RETRIEVAL_FIELDS or name in _TOP_FIELDS:
                values[name] = value
    return values


def load_config(
    cli: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Config:
    """Build the configuration: defaults < rag.toml < RAG_* environment < CLI flags."""
    env = os.environ if environ is None else environ
    path = config_file or Path(env.get("RAG_CONFIG", "rag.toml"))
    config = Config()
    if path.is_file():
        config = _apply(config, _read_toml(path))
    elif config_file is not None:
        raise ConfigError(f"config file {path} does not exist")
    config = _apply(config, _from_env(env))
    return _apply(config, {k: v for k, v in (cli or {}).items() if v is not None})
