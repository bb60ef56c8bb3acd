"""With the real all-MiniLM-L6-v2: unit vectors, sensible neighbours, and the seed article found."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.embedding import minilm_path

pytestmark = pytest.mark.slow

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
MINILM_ENV = {"RAG_EMBED_MODEL": "all-MiniLM-L6-v2"}


def test_minilm_gives_unit_vectors_that_put_paraphrases_close(minilm) -> None:
    vectors = minilm.encode_documents(
        [
            "The White House spokeswoman spoke to reporters on Tuesday.",
            "A press secretary for the US president briefed journalists.",
            "Apple growers picked a record harvest in the valley.",
        ]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    # The same vectors as sentence-transformers' own encode, which this embedder does without
    # (its BERT is index/bert.py, plain torch, not transformers).
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    reference.max_seq_length = 256
    texts = ["The White House spokeswoman spoke to reporters on Tuesday.", "Apple growers picked a record harvest. " * 80]
    ours = minilm.encode_documents(texts)
    theirs = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.allclose(ours, theirs, atol=1e-5)
    # One query alone gives the vector it gets in a batch, long texts included.
    long_text = "Apple growers picked a record harvest in the valley this autumn. " * 60
    for text in ("apple harvest", long_text):
        assert np.allclose(minilm.encode_query(text), minilm.encode_documents([text])[0], atol=1e-5)


def test_search_white_house_spokesman_ranks_the_levit_passage_first(run_rag, tmp_path) -> None:
    data_dir = tmp_path / "data"
    ingest = run_rag("ingest", SEEDS, "--data-dir", data_dir, env=MINILM_ENV)
    assert ingest.returncode == 0, ingest.stderr
    status = json.loads(run_rag("status", "--json", "--data-dir", data_dir, env=MINILM_ENV).stdout)
    assert (status["model"], status["dimension"], status["documents"]) == ("all-MiniLM-L6-v2", 384, 1)

    result = run_rag("search", "White House spokesman", "--json", "--data-dir", data_dir, env=MINILM_ENV)
    assert result.returncode == 0, result.stderr
    passages = json.loads(result.stdout)
    assert passages and "Caroline Levit" in passages[0]["text"], [p["text"][:80] for p in passages]
    seed_text = (SEEDS / "000_8e37ae472674b90e.txt").read_text(encoding="utf-8")
    assert seed_text[passages[0]["start"] : passages[0]["end"]] == passages[0]["text"]
