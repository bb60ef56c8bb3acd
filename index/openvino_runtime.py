"""The MiniLM encoder compiled by OpenVINO (`embed_runtime` "auto", the default, or "openvino"): the
network of `index/bert.py`.

Against torch on the same texts (benchmarks/results/history.md): on an AMD EPYC with AVX-512 BF16 (Zen 5),
batches of chunks run 2.2x faster in fp32 and 1.5x faster in bf16 (torch's fp32 matrix products
go through MKL, which takes its AVX2 path on AMD CPUs); on a Xeon with AMX they run as fast in bf16,
a question embeds in 5.3 instead of 10.3 ms in fp32. The vectors equal torch's to a cosine of
1 - 1e-6 in fp32. The network is converted from the torch model once (3-10 s) and kept as
OpenVINO IR under the cache directory, keyed by everything that changes the result, so later runs
only read and compile it (under 0.5 s) and never import torch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Bump when the conversion itself changes (input names, shapes), so old cached IR is not reused.
IR_FORMAT = 1


def openvino_available() -> bool:
    return importlib.util.find_spec("openvino") is not None


def openvino_bf16() -> bool:
    """Does OpenVINO find bf16 instructions (AMX or AVX-512 BF16) on this CPU? False if it cannot tell."""
    try:
        import openvino as ov

        return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except (ImportError, RuntimeError):
        return False


def ir_key(model_dir: Path) -> str:
    """What the converted network depends on: OpenVINO's version, the torch code, the weights file.

    The code is read as text, not imported: a cached network then runs without torch (1.5 s of imports)."""
    import openvino

    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    parts = [
        str(IR_FORMAT),
        openvino.get_version(),
        Path(__file__).with_name("bert.py").read_text(encoding="utf-8"),
        f"{weights.resolve()}:{stat.st_size}:{stat.st_mtime_ns}",
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def ir_path(cache_dir: Path, model_dir: Path) -> Path:
    """Where the network converted from `model_dir` is cached (its .bin beside it)."""
    return cache_dir / "openvino" / f"minilm-{ir_key(model_dir)}.xml"


class OpenVinoBert:
    """Token ids and attention mask (int64 numpy arrays) in, last hidden states (float32) out.

    `load_torch` gives the fp32 torch model; it is called only when no converted copy is cached.
    `bf16` asks OpenVINO to compute in bfloat16, which callers request only on CPUs that have it.
    """

    def __init__(
        self,
        model_dir: Path,
        load_torch: Callable[[], Any],
        *,
        bf16: bool = False,
        threads: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        import openvino as ov

        self.precision = "bf16" if bf16 else "f32"
        core = ov.Core()
        network = self._network(ov, core, model_dir, load_torch, cache_dir)
        config = {"INFERENCE_PRECISION_HINT": self.precision, "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self._request = core.compile_model(network, "CPU", config).create_infer_request()
        self._lock = threading.Lock()  # one infer request: calls from several threads take turns

    @staticmethod
    def _network(ov, core, model_dir: Path, load_torch: Callable[[], Any], cache_dir: Path | None):
        path = ir_path(cache_dir, model_dir) if cache_dir else None
        if path is not None and path.is_file() and path.with_suffix(".bin").is_file():
            try:
                return core.read_model(str(path))
            except RuntimeError as exc:  # a damaged cache file: convert again and replace it
                log.warning("cached OpenVINO model %s is unreadable (%s); converting again", path, exc)
        import torch

        example = torch.ones((2, 8), dtype=torch.long)
        with warnings.catch_warnings():  # the conversion traces the model; torch warns that tracing is deprecated
            warnings.simplefilter("ignore")
            network = ov.convert_model(
                load_torch(), example_input=(example, example), input=[ov.PartialShape([-1, -1])] * 2
            )
        if path is not None:
            _save(ov, network, path)
        return network

    def __call__(self, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with self._lock:
            out = self._request.infer([tokens, mask])
            return np.array(out[0], dtype=np.float32)  # a copy: the request reuses its output buffer


def _save(ov, network, path: Path) -> None:
    """Write the IR beside its final name and rename it there, so readers never see half a file."""
    tmp = path.with_name(f".{path.stem}-{os.getpid()}.xml")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ov.save_model(network, str(tmp), compress_to_fp16=False)  # the default would halve the weights
        os.replace(tmp.with_suffix(".bin"), path.with_suffix(".bin"))
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:  # a read-only or full cache costs a conversion next time, nothing more
        log.info("could not cache the OpenVINO model in %s (%s)", path.parent, exc)
        for leftover in (tmp, tmp.with_suffix(".bin")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass


__all__ = ["OpenVinoBert", "ir_key", "ir_path", "openvino_available", "openvino_bf16"]
