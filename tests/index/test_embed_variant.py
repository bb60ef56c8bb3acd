"""The embedding variant (fp32, int8 or bf16) is chosen once, recorded with the index, and reused by readers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

import index.embedding as embedding
from index.embedding import HashEmbedder, default_variant
from index.errors import ConfigError, IndexMismatchError
from index.library import Library, _variant


BF16_TEXTS = [
    "The city council approved a new budget for public transport on Tuesday.",
    "Scientists found water ice near the lunar south pole, the agency said.",
    "Apple growers picked a record harvest in the valley this autumn. " * 40,
]


class Int8Hash(HashEmbedder):
    """The hash embedder posing as an int8 variant, to build an index recorded as int8 without the model."""

    variant = "int8"


def test_auto_on_a_new_index_uses_bf16_only_where_the_cpu_has_it(hash_settings, monkeypatch) -> None:
    monkeypatch.setattr(embedding, "native_bf16", lambda runtime="torch": True)
    assert _variant(hash_settings, rebuild=False) == "bf16"
    monkeypatch.setattr(embedding, "native_bf16", lambda runtime="torch": False)
    assert _variant(hash_settings, rebuild=False) == "fp32"


def test_auto_on_an_existing_index_uses_the_variant_it_was_built_with(hash_settings) -> None:
    Library(hash_settings, Int8Hash(64))
    assert _variant(hash_settings, rebuild=False) == "int8"
    assert _variant(hash_settings, rebuild=True) == default_variant()  # a rebuild starts afresh


def test_an_explicit_variant_wins_over_the_recorded_one(hash_settings) -> None:
    Library(hash_settings, Int8Hash(64))
    assert _variant(replace(hash_settings, embed_variant="fp32"), rebuild=False) == "fp32"


def test_unknown_variant_is_a_config_error_naming_the_choices(hash_settings) -> None:
    with pytest.raises(ConfigError, match="unknown embed_variant 'int4'; use one of auto, fp32, int8, bf16"):
        _variant(replace(hash_settings, embed_variant="int4"), rebuild=False)


def test_querying_an_int8_index_with_fp32_vectors_is_refused(hash_settings) -> None:
    Library(hash_settings, Int8Hash(64))
    with pytest.raises(IndexMismatchError, match="embed_variant='int8' \\(now 'hash'\\)"):
        Library(hash_settings, HashEmbedder(64))


@pytest.mark.slow
def test_int8_minilm_stays_close_to_fp32(minilm) -> None:
    from index.embedding import SentenceTransformerEmbedder

    texts = [
        "The city council approved a new budget for public transport on Tuesday.",
        "Scientists found water ice near the lunar south pole, the agency said.",
        "The striker scored twice as the home side won the cup final 3-1.",
    ]
    int8 = SentenceTransformerEmbedder(variant="int8")
    assert int8.variant == "int8"
    a, b = minilm.encode_documents(texts), int8.encode_documents(texts)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.95, cosines
    # Each text is still nearest to its own fp32 vector.
    assert list(np.argmax(b @ a.T, axis=1)) == [0, 1, 2]
    # Queries use the same int8 model. (Activation scales are per batch, so compare with a batch of one.)
    assert np.allclose(int8.encode_query(texts[0]), int8.encode_documents(texts[:1])[0], atol=1e-5)


@pytest.mark.slow
def test_bf16_minilm_stays_within_cosine_0999_of_fp32(minilm, monkeypatch) -> None:
    from index.embedding import SentenceTransformerEmbedder

    monkeypatch.setattr(embedding, "native_bf16", lambda runtime="torch": True)
    bf16 = SentenceTransformerEmbedder(variant="bf16", runtime="torch")
    a, b = minilm.encode_documents(BF16_TEXTS), bf16.encode_documents(BF16_TEXTS)
    assert bf16.model.embeddings.word_embeddings.weight.dtype == torch.bfloat16
    assert b.dtype == np.float32 and np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cosines = (a * b).sum(axis=1)
    assert 0.999 < cosines.min() and not np.allclose(a, b, atol=1e-5), cosines  # close, yet really bf16
    # Padding in a batch changes nothing: a query alone gets the vector it has in the batch.
    assert float(bf16.encode_query(BF16_TEXTS[0]) @ b[0]) > 0.9999


@pytest.mark.slow
def test_a_bf16_index_on_a_cpu_without_bf16_computes_in_fp32(minilm, monkeypatch) -> None:
    """Emulated bf16 is 10x slower than fp32; fp32 vectors stand in for bf16 ones on such CPUs."""
    from index.embedding import SentenceTransformerEmbedder

    monkeypatch.setattr(embedding, "native_bf16", lambda runtime="torch": False)
    bf16 = SentenceTransformerEmbedder(variant="bf16", runtime="torch")
    assert bf16.variant == "bf16"  # still recorded and checked as a bf16 index
    assert np.allclose(bf16.encode_documents(BF16_TEXTS), minilm.encode_documents(BF16_TEXTS), atol=1e-5)


def test_an_unknown_model_variant_is_refused() -> None:
    from index.embedding import SentenceTransformerEmbedder

    with pytest.raises(ValueError, match="unknown variant 'fp16'"):
        SentenceTransformerEmbedder(variant="fp16")
