"""What computes the vectors (torch or OpenVINO) is chosen by configuration; both give the same vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.embedding as embedding
import index.openvino_runtime as openvino_runtime
from index.embedding import SentenceTransformerEmbedder, resolve_runtime
from index.errors import ConfigError
from index.settings import IndexSettings
from rag.config import load_config

TEXTS = [
    "The city council approved a new budget for public transport on Tuesday.",
    "Scientists found water ice near the lunar south pole, the agency said.",
    "Apple growers picked a record harvest in the valley this autumn. " * 40,  # past 256 word pieces
]


def test_torch_is_the_default_and_openvino_is_taken_only_when_asked_for(monkeypatch) -> None:
    monkeypatch.setattr(openvino_runtime, "openvino_available", lambda: True)
    assert IndexSettings().embed_runtime == "torch"
    assert SentenceTransformerEmbedder().runtime == "torch"
    assert resolve_runtime("openvino", "bf16") == "openvino"


def test_int8_runs_in_torch_and_asking_openvino_for_it_is_a_config_error() -> None:
    assert resolve_runtime("torch", "int8") == "torch"
    with pytest.raises(ConfigError, match="not int8; use embed_runtime 'torch'"):
        resolve_runtime("openvino", "int8")


def test_openvino_asked_for_but_not_installed_is_one_clear_sentence(monkeypatch) -> None:
    monkeypatch.setattr(openvino_runtime, "openvino_available", lambda: False)
    with pytest.raises(ConfigError, match="needs the openvino package"):
        SentenceTransformerEmbedder(runtime="openvino")


def test_unknown_runtime_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown embed_runtime 'onnx'; use one of torch, openvino"):
        resolve_runtime("onnx", "fp32")


def test_the_runtime_comes_from_the_environment_like_every_index_setting() -> None:
    config = load_config(environ={"RAG_EMBED_RUNTIME": "openvino"}, config_file=None)
    assert config.index.embed_runtime == "openvino"


@pytest.mark.slow
def test_openvino_fp32_vectors_equal_the_torch_ones(minilm, tmp_path: Path) -> None:
    ov = SentenceTransformerEmbedder(runtime="openvino", cache_dir=tmp_path)
    assert ov.runtime == "openvino" and minilm.runtime == "torch"
    a, b = minilm.encode_documents(TEXTS), ov.encode_documents(TEXTS)
    assert b.dtype == np.float32 and np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.99999
    # Padding in a batch changes nothing: a query alone gets the vector it has in the batch.
    assert float(ov.encode_query(TEXTS[0]) @ b[0]) > 0.99999


@pytest.mark.slow
def test_openvino_bf16_stays_within_cosine_0999_of_fp32_where_the_cpu_has_bf16(minilm, tmp_path: Path) -> None:
    if not embedding.native_bf16():
        pytest.skip("this CPU has no bf16 instructions (the fallback to fp32 is pinned in test_embed_variant.py)")
    ov = SentenceTransformerEmbedder(variant="bf16", runtime="openvino", cache_dir=tmp_path)
    a, b = minilm.encode_documents(TEXTS), ov.encode_documents(TEXTS)
    cosines = (a * b).sum(axis=1)
    assert ov.model.precision == "bf16"
    assert 0.999 < cosines.min() and not np.allclose(a, b, atol=1e-5), cosines  # close, yet really bf16


@pytest.mark.slow
def test_the_converted_model_is_cached_and_a_damaged_copy_is_replaced(minilm, tmp_path: Path, monkeypatch) -> None:
    first = SentenceTransformerEmbedder(runtime="openvino", cache_dir=tmp_path).encode_documents(TEXTS[:2])
    cached = list((tmp_path / "openvino").glob("minilm-*.xml"))
    assert len(cached) == 1 and cached[0].with_suffix(".bin").stat().st_size > 80e6  # fp32 weights, not halved

    def no_torch(self):
        raise AssertionError("converted again although a copy was cached")

    with monkeypatch.context() as patched:
        patched.setattr(SentenceTransformerEmbedder, "_load_torch_fp32", no_torch)
        again = SentenceTransformerEmbedder(runtime="openvino", cache_dir=tmp_path).encode_documents(TEXTS[:2])
    assert np.allclose(first, again, atol=1e-6)

    cached[0].write_text("<net", encoding="utf-8")  # cut short, as by a full disk
    repaired = SentenceTransformerEmbedder(runtime="openvino", cache_dir=tmp_path).encode_documents(TEXTS[:2])
    assert np.allclose(first, repaired, atol=1e-6)
    assert cached[0].stat().st_size > 100_000


@pytest.mark.slow
def test_an_unwritable_cache_costs_a_conversion_not_an_error(minilm, tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache directory should be", encoding="utf-8")
    ov = SentenceTransformerEmbedder(runtime="openvino", cache_dir=blocked)
    assert (ov.encode_documents(TEXTS[:1]) * minilm.encode_documents(TEXTS[:1])).sum() > 0.99999
    assert list(tmp_path.iterdir()) == [blocked]  # nothing left behind


def test_status_says_which_runtime_computes_the_vectors(tmp_path: Path) -> None:
    from index.library import Library

    library = Library(IndexSettings(data_dir=tmp_path / "data", embed_runtime="torch"))  # the model loads lazily
    assert library.status()["embedded_by"] == "this process (torch)"
