"""Embeddings from an OpenAI-compatible server: the same index as the local model, clear failures.

Fast tests talk to a stand-in server with hash vectors (tests/support/embed_standin.py); the slow
ones to a real `rag embed-serve` subprocess serving all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest

from index.embedding import MINILM, HashEmbedder, SentenceTransformerEmbedder
from index.errors import ConfigError, EmbedderUnavailable, IndexMismatchError
from index.library import Library
from index.remote_embedding import EmbeddingServer, RemoteEmbedder, approximate_word_pieces
from index.settings import IndexSettings
from tests.support.embed_standin import Behaviour, EmbedStandIn, running_embed_stand_in
from tests.support.servers import stop_process

SERVER_START_TIMEOUT_S = 180.0
MINILM_ENV = {"RAG_EMBED_MODEL": MINILM}
TEXTS = [
    "The city council approved a new budget for public transport on Tuesday.",
    "Scientists found water ice near the lunar south pole, the agency said.",
    "The striker scored twice as the home side won the cup final 3-1.",
    "Ein kurzer deutscher Satz über das Wetter in Berlin.",
    "",
]


@pytest.fixture()
def standin() -> Iterator[EmbedStandIn]:
    with running_embed_stand_in() as server:
        yield server


def remote(url: str, model: str = MINILM, *, batch_size: int = 32, **server: object) -> RemoteEmbedder:
    """A client with a tiny back-off, so retry tests stay fast."""
    options = {"backoff_s": 0.01} | server
    return RemoteEmbedder(EmbeddingServer(url, **options), model, batch_size=batch_size)


class Int8LabelledMiniLM(HashEmbedder):
    """Hash vectors under MiniLM's name, dimension and the int8 label: an int8 index without the model."""

    variant = "int8"

    def __init__(self) -> None:
        super().__init__(384)
        self.name = MINILM


# ---- the client against the stand-in --------------------------------------------------------------
def test_texts_go_in_batches_of_the_configured_size_and_come_back_as_unit_vectors_in_input_order(standin) -> None:
    texts = [f"story {i} " + "word " * (i % 9) for i in range(70)]
    vectors = remote(standin.url, batch_size=32).encode_documents(texts)

    assert sorted(len(seen.body["input"]) for seen in standin.seen) == [6, 32, 32]
    assert {seen.body["model"] for seen in standin.seen} == {MINILM}
    assert {seen.path for seen in standin.seen} == {"/v1/embeddings"}
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(vectors, HashEmbedder(384).encode_documents(texts), atol=1e-6)


def test_server_errors_and_dropped_connections_are_retried_until_an_answer(standin) -> None:
    standin.behaviour.script = [503, "drop", 502]
    vector = remote(standin.url, retries=3).encode_query("harbor authority")
    assert len(standin.seen) == 4
    np.testing.assert_allclose(vector, HashEmbedder(384).encode_query("harbor authority"), atol=1e-6)


def test_a_server_that_keeps_failing_raises_one_sentence_with_its_url_and_status(standin) -> None:
    standin.behaviour.script = [500] * 10
    with pytest.raises(EmbedderUnavailable) as caught:
        remote(standin.url, retries=2).encode_documents(["a text"])
    message = str(caught.value)
    assert len(standin.seen) == 3
    assert message.startswith(f"the embedding server at {standin.url} failed with HTTP 500 (scripted failure 500)")
    assert message.endswith("after 3 attempts; see the server's log")
    assert "\n" not in message


def test_a_refused_request_is_not_retried_and_carries_the_servers_message(standin) -> None:
    standin.behaviour.script = [400]
    with pytest.raises(EmbedderUnavailable, match=r"refused the request with HTTP 400 \(scripted failure 400\)"):
        remote(standin.url, retries=3).encode_query("a text")
    assert len(standin.seen) == 1


def test_a_server_slower_than_the_timeout_is_not_retried_and_the_sentence_says_what_to_raise(standin) -> None:
    standin.behaviour.script = ["slow"]
    with pytest.raises(EmbedderUnavailable) as caught:
        remote(standin.url, retries=3, timeout_s=0.2).encode_query("a text")
    assert str(caught.value) == (
        f"the embedding server at {standin.url} did not answer within 0.2 s; raise embed_timeout_s or lower embed_batch_size"
    )
    assert len(standin.seen) == 1


def test_a_server_that_is_down_raises_one_sentence_saying_it_is_unreachable(free_port) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbedderUnavailable) as caught:
        remote(url, retries=1).encode_query("a text")
    assert str(caught.value) == (
        f"the embedding server at {url} is unreachable (ConnectError) after 2 attempts; start it or fix embed_url"
    )


def test_vectors_of_another_dimension_are_a_config_error_naming_both(standin) -> None:
    standin.behaviour.dim = 64
    with pytest.raises(ConfigError, match="returned 64-dimensional vectors but all-MiniLM-L6-v2 makes 384"):
        remote(standin.url).encode_documents(["a text"])


def test_the_dimension_of_a_model_not_known_here_is_asked_of_the_server(standin) -> None:
    standin.behaviour.dim = 48
    embedder = remote(standin.url, "some-other-model")
    assert (embedder.name, embedder.dim) == ("some-other-model", 48)
    assert [seen.body["model"] for seen in standin.seen] == ["some-other-model"]
    assert embedder.tokenize("Officials reviewed it.") == ["Offi", "cial", "s", "revi", "ewed", "it", "."]


def test_api_model_is_the_name_sent_while_the_index_records_the_model(standin) -> None:
    embedder = remote(standin.url, MINILM, api_model="all-minilm")
    embedder.encode_query("a text")
    assert standin.seen[0].body["model"] == "all-minilm"
    assert embedder.name == MINILM


def test_the_api_key_goes_as_a_bearer_header_and_is_never_shown(standin) -> None:
    key = "s3cret-key-123"
    embedder = remote(standin.url, api_key=key)
    embedder.encode_query("a text")
    assert standin.seen[0].headers["authorization"] == f"Bearer {key}"

    standin.behaviour.script = [401]
    with pytest.raises(EmbedderUnavailable) as caught:
        embedder.encode_query("a text")
    assert "set RAG_EMBED_API_KEY" in str(caught.value)
    for shown in (str(caught.value), repr(embedder), repr(embedder.server), repr(IndexSettings(embed_api_key=key))):
        assert key not in shown


def test_embed_url_names_the_server_base_even_when_given_the_route() -> None:
    assert EmbeddingServer.from_settings(IndexSettings()) is None
    assert EmbeddingServer.from_settings(IndexSettings(embed_url="http://box:8089/v1/embeddings/")).url == "http://box:8089/v1"


def test_a_url_without_a_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="embed_url must start with http:// or https://"):
        EmbeddingServer("127.0.0.1:8089/v1")


# ---- chunking is the same as with the local model -------------------------------------------------
def test_minilm_through_a_server_cuts_words_like_the_local_minilm(make_article) -> None:
    text = make_article(3)["text"] + " Übersee-Café: 3.5% mehr, naïve résumé."
    served = RemoteEmbedder(EmbeddingServer("http://127.0.0.1:9/v1"), MINILM)
    assert served.tokenize(text) == SentenceTransformerEmbedder().tokenize(text)


def test_approximate_word_pieces_count_no_fewer_than_minilms_on_news_text(make_article) -> None:
    minilm = SentenceTransformerEmbedder()
    seeds = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path("seeds").glob("*.txt"))]
    for text in [make_article(i)["text"] for i in range(6)] + seeds:
        assert len(approximate_word_pieces(text)) >= len(minilm.tokenize(text))


# ---- the library with embed_url ---------------------------------------------------------------------
def test_embed_url_makes_the_library_embed_through_the_server_and_record_the_model(
    standin, tmp_path, write_articles
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    library = Library(IndexSettings(data_dir=tmp_path / "data", embed_url=standin.url))
    report = library.ingest([folder])

    status = library.status()
    assert (status["model"], status["embedding_variant"], status["dimension"]) == (MINILM, "fp32", 384)
    assert status["embedded_by"] == standin.url
    assert report.chunks_written == sum(len(seen.body["input"]) for seen in standin.seen) > 0


def test_auto_variant_through_a_server_is_fp32_whatever_the_index_records(standin, tmp_path, write_articles) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(2))
    settings = IndexSettings(data_dir=tmp_path / "data")
    Library(settings, Int8LabelledMiniLM()).ingest([folder])

    with pytest.raises(IndexMismatchError, match=r"embed_variant='int8' \(now 'fp32'\)"):
        Library(replace(settings, embed_url=standin.url))
    assert Library(replace(settings, embed_url=standin.url, embed_variant="int8")).status()["documents"] == 2


def test_a_server_down_during_ingest_stops_it_with_the_embedding_error_not_a_store_error(
    free_port, tmp_path, write_articles
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(2))
    url = f"http://127.0.0.1:{free_port()}/v1"
    library = Library(IndexSettings(data_dir=tmp_path / "data", embed_url=url), remote(url, retries=1))
    with pytest.raises(EmbedderUnavailable, match=f"the embedding server at {url} is unreachable"):
        library.ingest([folder])
    assert library.status()["documents"] == 0


def test_the_cli_reports_an_unreachable_embedding_server_in_one_line(free_port, run_rag, tmp_path, write_articles) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(1))
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_rag("ingest", folder, "--data-dir", tmp_path / "data", "--embed-url", url, env=MINILM_ENV)
    errors = [line for line in result.stderr.splitlines() if line.startswith("rag: error:")]
    assert result.returncode == 3
    assert errors == [
        f"rag: error: the embedding server at {url} is unreachable (ConnectError) after 4 attempts; start it or fix embed_url"
    ]
    assert "Traceback" not in result.stderr


# ---- a real `rag embed-serve` -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embed_serve(start_rag, free_port) -> Iterator[str]:
    """`rag embed-serve` serving all-MiniLM-L6-v2 on a free loopback port; yields its /v1 URL."""
    port = free_port()
    process = start_rag("embed-serve", "--port", str(port), env=MINILM_ENV)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_serving(process, url)
        yield url
    finally:
        stop_process(process)


def _wait_until_serving(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"`rag embed-serve` did not answer at {url} (exit code {process.poll()})")


@pytest.mark.slow
@pytest.mark.integration
def test_served_vectors_equal_the_local_models_within_1e_5(embed_serve, minilm) -> None:
    served = remote(embed_serve, batch_size=2)
    assert np.abs(served.encode_documents(TEXTS) - minilm.encode_documents(TEXTS)).max() < 1e-5
    assert np.abs(served.encode_query(TEXTS[0]) - minilm.encode_query(TEXTS[0])).max() < 1e-5
    assert httpx.get(f"{embed_serve}/models").json()["data"][0]["id"] == MINILM


@pytest.mark.slow
@pytest.mark.integration
def test_ingest_and_search_through_embed_url_work_end_to_end(embed_serve, run_rag, tmp_path, write_articles) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(3))
    where = ("--data-dir", tmp_path / "data", "--embed-url", embed_serve)

    ingest = run_rag("ingest", folder, *where, env=MINILM_ENV)
    assert ingest.returncode == 0, ingest.stderr
    search = run_rag("search", "apple growers in the valley", "--mode", "dense", "--json", *where, env=MINILM_ENV)
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)[0]["doc_id"] == "art-001"  # the orchard article
    status = json.loads(run_rag("status", "--json", *where, env=MINILM_ENV).stdout)
    assert (status["model"], status["embedding_variant"], status["embedded_by"]) == (MINILM, "fp32", embed_serve)


@pytest.mark.slow
@pytest.mark.integration
def test_an_index_built_locally_is_searched_through_the_server_and_the_other_way_round(
    embed_serve, minilm, tmp_path, write_articles
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(4))
    local_settings = IndexSettings(data_dir=tmp_path / "data")
    local = Library(local_settings, minilm)
    local.ingest([folder])
    served = Library(replace(local_settings, embed_url=embed_serve))  # same recorded model: no mismatch

    for query in ("railway company plans", "voters in the northern district"):
        by_local = local.dense_search(minilm.encode_query(query), 5)
        by_server = served.dense_search(served.embedder.encode_query(query), 5)
        assert [h.chunk_id for h in by_server] == [h.chunk_id for h in by_local]
        np.testing.assert_allclose([h.score for h in by_server], [h.score for h in by_local], atol=1e-4)

    write_articles(folder, [4])  # the museum article, embedded by the server ...
    assert served.ingest([folder]).added == ["art-004"]
    reopened = Library(local_settings, minilm)  # ... is found by the local model
    assert reopened.dense_search(minilm.encode_query("the city museum"), 1)[0].doc_id == "art-004"
