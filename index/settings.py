"""Settings of the index layer: where chunks live and how they are made."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# "auto": what an existing collection was built with; for a new one bf16 on CPUs with bf16
# instructions, else DEFAULT_VARIANT (`index.embedding.default_variant`).
EMBED_VARIANTS = ("auto", "fp32", "int8", "bf16")
DEFAULT_VARIANT = "fp32"
# What computes the local model's vectors; both give the same ones. "auto": OpenVINO where it is
# installed and the variant is fp32 or bf16 (2.2x torch's fp32 batches on AMD EPYC, a query in half
# the time on a Xeon, benchmarks/results/history.md), torch for int8 or where OpenVINO fails to load.
EMBED_RUNTIMES = ("auto", "torch", "openvino")


def default_cache_dir() -> Path:
    """Where derived model files live (the assembled LLM, the converted embedder): ~/.cache/newsrag."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsrag"


@dataclass(frozen=True)
class IndexSettings:
    """Everything `index/` needs to know; built once by `rag.config`."""

    data_dir: Path = Path(".rag")
    chroma_url: str | None = None
    collection: str = "news"
    embed_model: str = DEFAULT_MODEL
    embed_batch_size: int = 32
    embed_variant: str = "auto"
    embed_runtime: str = "auto"
    # An OpenAI-compatible embedding server (".../v1") instead of the local model; see docs/scale.md.
    embed_url: str | None = None
    embed_api_model: str | None = None  # the name the server knows the model by; default: embed_model
    embed_api_key: str = field(default="", repr=False)  # sent as a Bearer token; RAG_EMBED_API_KEY
    embed_timeout_s: float = 60.0
    # HNSW candidates Chroma explores per query (its default: 100). At 1M chunks recall@10 against
    # an exact search rose from 0.41 to 0.63 for 0.7 ms more per query (benchmarks/results/history.md).
    hnsw_ef_search: int = 400
    ingest_batch_chunks: int = 256  # chunks embedded and committed together: memory bound and crash granularity
    chunk_size: int = 192
    chunk_overlap: int = 32
    max_file_mb: float = 50.0
    cache_dir: Path | None = None
    # Fetching web pages, feeds and sitemaps (index/fetch.py); see docs/sources.md.
    fetch_timeout_s: float = 20.0  # per request: connecting, each read, and the whole body
    fetch_max_page_mb: float = 10.0  # a body over this is cut off and the URL named
    fetch_max_redirects: int = 5
    fetch_delay_s: float = 1.0  # between two requests to one host (robots.txt's Crawl-delay when longer)
    fetch_retries: int = 2  # after a 429, a 5xx, a timeout or a refused connection
    fetch_backoff_s: float = 1.0  # the first retry's wait; doubled each time (or the server's Retry-After)
    fetch_user_agent: str = "newsrag/0.1 (local news question answering; polite fetcher)"
    feed_max_items: int = 500  # items read from one feed or sitemap
    # URLs from the chat, the HTTP API or MCP may reach loopback or private addresses only when true;
    # the command line's and rag.toml's own URLs always may.
    allow_private_urls: bool = False
    # `rag watch`: folders to watch (comma-separated), and articles older than this many days are
    # pruned after each round (0 keeps everything).
    watch_folders: str = ""
    # An article whose text overlaps an indexed one this much (Jaccard of word 5-shingles, MinHash/LSH)
    # becomes an alias of it instead of a second copy (index/dedup.py); 0 turns this off.
    near_duplicate_jaccard: float = 0.7
    retention_days: float = 0.0

    @property
    def model_cache_dir(self) -> Path:
        """`cache_dir`, or ~/.cache/newsrag when it is not set."""
        return self.cache_dir or default_cache_dir()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def store_label(self) -> str:
        """Where the chunks live, for people: a URL or a directory."""
        return self.chroma_url or str(self.chroma_dir.resolve())
