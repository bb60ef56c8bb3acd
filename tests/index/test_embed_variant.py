"""The embedding variant (fp32 or int8) is chosen once, recorded with the index, and reused by readers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index.embedding import HashEmbedder
from index.errors import ConfigError, IndexMismatchError
from index.library import Library, _variant
from index.settings import DEFAULT_VARIANT


class Int8Hash(HashEmbedder):
    """The hash embedder posing as an int8 variant, to build an index recorded as int8 without the model."""

    variant = "int8"


def test_auto_on_a_new_index_uses_the_default_variant(hash_settings) -> None:
    assert _variant(hash_settings, rebuild=False) == DEFAULT_VARIANT


def test_auto_on_an_existing_index_uses_the_variant_it_was_built_with(hash_settings) -> None:
    Library(hash_settings, Int8Hash(64))
    assert _variant(hash_settings, rebuild=False) == "int8"
    assert _variant(hash_settings, rebuild=True) == DEFAULT_VARIANT  # a rebuild starts afresh


def test_an_explicit_variant_wins_over_the_recorded_one(hash_settings) -> None:
    Library(hash_settings, Int8Hash(64))
    assert _variant(replace(hash_settings, embed_variant="fp32"), rebuild=False) == "fp32"


def test_unknown_variant_is_a_config_error_naming_the_choices(hash_settings) -> None:
    with pytest.raises(ConfigError, match="unknown embed_variant 'int4'; use one of auto, fp32, int8"):
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
    int8 = SentenceTransformerEmbedder(quantize=True)
    assert int8.variant == "int8"
    a, b = minilm.encode_documents(texts), int8.encode_documents(texts)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.95, cosines
    # Each text is still nearest to its own fp32 vector.
    assert list(np.argmax(b @ a.T, axis=1)) == [0, 1, 2]
    # Queries use the same int8 model. (Activation scales are per batch, so compare with a batch of one.)
    assert np.allclose(int8.encode_query(texts[0]), int8.encode_documents(texts[:1])[0], atol=1e-5)
