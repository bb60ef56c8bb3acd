"""What computes the vectors (torch or OpenVINO) is chosen by configuration; both give the same vectors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import index.embedding as embedding
import index.openvino_runtime as openvino_runtime
from index.embedding import SentenceTransformerEmbedder, resolve_runtime
from index.errors import ConfigError, EmbedderUnavailable
from index.settings import IndexSettings
from rag.config import load_config

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "The city council approved a new budget for public transport on Tuesday.",
    "Scientists found water ice near the lunar south pole, the agency said.",
    "Apple growers picked a record harvest in the valley this autumn. " * 40,  # past 256 word pieces
]


def test_auto_takes_openvino_where_installed_and_torch_for_int8_or_without_it(monkeypatch) -> None:
    assert IndexSettings().embed_runtime == "auto"
    monkeypatch.setattr(openvino_runtime, "openvino_available", lambda: True)
    assert [resolve_runtime("auto", v) for v in ("fp32", "bf16", "int8")] == ["openvino", "openvino", "torch"]
    assert resolve_runtime("torch", "bf16") == "torch"
    monkeypatch.setattr(openvino_runtime, "openvino_available", lambda: False)
    assert SentenceTransformerEmbedder().runtime == "torch"


def test_torch_and_openvino_agree_on_whether_this_cpu_has_bf16() -> None:
    """A new index's variant is asked of the runtime that will compute it; both must see the same CPU."""
    assert embedding.native_bf16("openvino") == embedding.native_bf16("torch")


def test_int8_runs_in_torch_and_asking_openvino_for_it_is_a_config_error() -> None:
    assert resolve_runtime("torch", "int8") == "torch"
    with pytest.raises(ConfigError, match="not int8; use embed_runtime 'torch'"):
        resolve_runtime("openvino", "int8")


def test_openvino_asked_for_but_not_installed_is_one_clear_sentence(monkeypatch) -> None:
    monkeypatch.setattr(openvino_runtime, "openvino_available", lambda: False)
    with pytest.raises(ConfigError, match="needs the openvino package"):
        SentenceTransformerEmbedder(runtime="openvino")


def test_unknown_runtime_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown embed_runtime 'onnx'; use one of auto, torch, openvino"):
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


class _CannotCompile:
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(
            "Exception from src/inference/src/cpp/core.cpp:117:\n"
            "Supported primitive descriptors list is empty for node: Softmax_1 type: Softmax\n"
        )


@pytest.mark.slow
def test_openvino_that_cannot_load_falls_back_to_torch_under_auto_and_is_one_sentence_when_chosen(
    minilm, tmp_path: Path, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(openvino_runtime, "OpenVinoBert", _CannotCompile)
    auto = SentenceTransformerEmbedder(cache_dir=tmp_path)
    assert auto.runtime == "openvino"
    with caplog.at_level("WARNING", logger="index.embedding"):
        vectors = auto.encode_documents(TEXTS)
    assert auto.runtime == "torch" and "computing its vectors with torch" in caplog.text
    assert np.allclose(vectors, minilm.encode_documents(TEXTS), atol=1e-6)

    chosen = SentenceTransformerEmbedder(runtime="openvino", cache_dir=tmp_path)
    with pytest.raises(EmbedderUnavailable, match=r"OpenVINO could not load .*type: Softmax\); set embed_runtime to 'torch'"):
        chosen.encode_query(TEXTS[0])


@pytest.mark.slow
def test_a_cached_openvino_model_answers_without_importing_torch(tmp_path: Path) -> None:
    """torch's imports cost 1.5 s of start-up; with the converted network cached, nothing needs them."""
    script = (
        "import sys; from pathlib import Path; from index.embedding import SentenceTransformerEmbedder as E; "
        "e = E(variant=sys.argv[2], cache_dir=Path(sys.argv[1])); v = e.encode_query('who won the vote'); "
        "print(e.runtime, 'torch' in sys.modules, round(float(v @ v), 4))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.run([sys.executable, "-c", script, str(tmp_path), variant], capture_output=True, text=True, env=env, timeout=300)
        for variant in ("fp32", "bf16", "fp32")
    ]
    assert [r.stdout.split() for r in runs] == [
        ["openvino", "True", "1.0"],  # the first run converts the torch network
        ["openvino", "False", "1.0"],  # bf16 compiles the same cached network
        ["openvino", "False", "1.0"],
    ], [r.stderr[-2000:] for r in runs]


def test_status_says_which_runtime_computes_the_vectors(tmp_path: Path) -> None:
    from index.library import Library

    library = Library(IndexSettings(data_dir=tmp_path / "data", embed_runtime="torch"))  # the model loads lazily
    assert library.status()["embedded_by"] == "this process (torch)"


def test_preparing_with_an_embedding_server_loads_nothing_here(tmp_path: Path) -> None:
    from index.library import prepare_embedder

    settings = IndexSettings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", embed_url="http://127.0.0.1:9/v1")
    assert prepare_embedder(settings) == "embeddings come from http://127.0.0.1:9/v1: nothing to prepare here"
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_rag_model_prepare_converts_the_network_so_the_first_ingest_does_not(tmp_path: Path) -> None:
    """`make run` and `make test` call `rag model prepare`: after it, the cached network is there."""
    model = tmp_path / "generator.gguf"
    model.write_bytes(b"GGUF")  # a configured generator file: nothing to assemble for it
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache"), "RAG_MODEL_PATH": str(model)}
    env.pop("RAG_EMBED_RUNTIME", None)
    env.pop("RAG_EMBED_VARIANT", None)

    def prepare() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli", "model", "prepare", "--data-dir", str(tmp_path / "data")],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
        )

    first = prepare()
    assert first.returncode == 0, first.stderr[-2000:]
    assert "the embedding model is ready: all-MiniLM-L6-v2 (" in first.stderr
    assert "computed by OpenVINO)" in first.stderr
    networks = list((tmp_path / "cache" / "newsrag" / "openvino").glob("minilm-*.xml"))
    assert len(networks) == 1
    written = networks[0].stat().st_mtime_ns
    again = prepare()
    assert again.returncode == 0 and networks[0].stat().st_mtime_ns == written  # read, not converted again


def test_preparing_the_embedder_does_not_need_the_store(tmp_path: Path, monkeypatch) -> None:
    """`make run` prepares the models before any Chroma server is up: only the model is loaded."""
    from index.library import prepare_embedder

    monkeypatch.setattr(SentenceTransformerEmbedder, "model", property(lambda self: "loaded"))
    settings = IndexSettings(data_dir=tmp_path, chroma_url="http://127.0.0.1:9", embed_runtime="torch")  # nothing listens
    variant = embedding.default_variant("torch")  # "auto": what a new index would get
    assert prepare_embedder(settings) == f"the embedding model is ready: all-MiniLM-L6-v2 ({variant}, computed by torch)"
