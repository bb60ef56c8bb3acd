"""The OpenAI-compatible chat API (/v1) of the running app, driven by the official `openai` client.

The server is the real one (`ui.app.build_app` under uvicorn, on loopback) over two made-up
articles, hash-embedded, with the extractive back end (no model: fast and deterministic).
"""

from __future__ import annotations

import json
import os
import re
import time

import httpx
import openai
import pytest

from index.library import Library
from index.settings import IndexSettings
from rag.backends import REGISTRY
from rag.config import Config
from rag.pipeline import Pipeline
from tests.support.servers import free_port, serve_in_thread
from tests.support.small_corpus import serve_small
from ui.chat_reply import answer_text

pytestmark = [pytest.mark.integration]

API_KEY = "test-key-7f3a"
BRIDGE_QUESTION = "What did the bridge cost?"
MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app with an API key: programs must send it."""
    with serve_small(tmp_path_factory.mktemp("openai-api"), api_key=API_KEY) as running:
        yield running


@pytest.fixture(scope="module")
def client(app) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{app.url}v1", api_key=API_KEY, max_retries=0, timeout=60)


def ask(client: openai.OpenAI, *messages: tuple[str, str], model: str = "newsrag"):
    return client.chat.completions.create(model=model, messages=[{"role": r, "content": c} for r, c in messages])


def cited_quotes_are_in_the_articles(answer: dict, app) -> None:
    for citation in answer["citations"]:
        text = app.pipeline.library.document(citation["doc_id"]).text
        assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_models_lists_newsrag_first_then_extractive_then_every_back_end(client):
    ids = [m.id for m in client.models.list()]
    assert ids[:2] == ["newsrag", "newsrag-extractive"]
    assert set(ids) == {"newsrag", *(f"newsrag-{name}" for name in REGISTRY)}


def test_answer_carries_markers_sources_and_the_answer_json(app, client):
    completion = ask(client, ("system", "You are a pirate."), ("user", BRIDGE_QUESTION))
    content = completion.choices[0].message.content
    answer = completion.model_extra["newsrag"]
    assert completion.choices[0].finish_reason == "stop" and completion.model == "newsrag"
    assert not answer["refused"] and "240 million euros" in answer["answer"]
    assert content.startswith(answer["answer"])  # no Markdown in this answer to escape
    assert "**Sources**" in content and "example.org" in content and "2024-05-02" in content
    assert "[City opens new harbor bridge](<https://example.org/harbor>)" in content
    markers = {int(n) for n in MARKER.findall(answer["answer"])}
    assert markers and markers <= {c["n"] for c in answer["citations"]}
    for citation in answer["citations"]:
        assert citation["quote"] in content
    cited_quotes_are_in_the_articles(answer, app)


def test_stream_pieces_join_to_the_reply_and_the_last_chunk_carries_the_answer_json(client):
    stream = client.chat.completions.create(
        model="newsrag-extractive", messages=[{"role": "user", "content": BRIDGE_QUESTION}], stream=True
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    content = "".join(pieces)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len([p for p in pieces if p]) > 1, "the reply comes in pieces"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    answer = last.model_extra["newsrag"]
    assert all("newsrag" not in (c.model_extra or {}) for c in chunks[:-1])
    assert content == ask(client, ("user", BRIDGE_QUESTION)).choices[0].message.content
    assert content.startswith(answer["answer"]) and answer["backend"] == "extractive"
    assert last.usage is None  # not asked for


def test_a_stream_asked_for_usage_ends_with_a_usage_chunk_without_choices(client):
    chunks = list(client.chat.completions.create(
        model="newsrag-extractive", messages=[{"role": "user", "content": BRIDGE_QUESTION}], stream=True,
        stream_options={"include_usage": True},
    ))
    assert chunks[-1].choices == [] and chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage.total_tokens == chunks[-2].model_extra["newsrag"]["usage"]["total_tokens"] == 0  # no model asked
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_ends_with_done(app):
    body = {"model": "newsrag", "stream": True, "messages": [{"role": "user", "content": BRIDGE_QUESTION}]}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.stream("POST", f"{app.url}v1/chat/completions", json=body, headers=headers, timeout=60) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert "newsrag" in json.loads(events[-2][len("data: ") :])


def test_follow_up_is_answered_from_the_history_with_the_sources_block_removed(client):
    first = ask(client, ("user", BRIDGE_QUESTION))
    reply = first.choices[0].message.content
    follow = ask(client, ("user", BRIDGE_QUESTION), ("assistant", reply), ("user", "Who said it would cut commuting times?"))
    answer = follow.model_extra["newsrag"]
    assert answer["standalone_question"] != "Who said it would cut commuting times?"
    assert "bridge" in answer["standalone_question"].lower()
    assert "Lena Holm" in answer["answer"] and not answer["refused"]
    assert answer_text(reply) == first.model_extra["newsrag"]["answer"]


def test_refusal_is_a_normal_reply_that_says_so(client):
    completion = ask(client, ("user", "Which team won the ice hockey final in Quebec?"))
    answer = completion.model_extra["newsrag"]
    content = completion.choices[0].message.content
    assert answer["refused"] and not answer["citations"]
    assert completion.choices[0].finish_reason == "stop"
    assert content.startswith(answer["answer"].split(".")[0])
    assert "**Sources**" not in content


@pytest.mark.parametrize(
    ("body", "status", "param", "words"),
    [
        ({"model": "newsrag", "messages": []}, 400, "messages", "non-empty list"),
        ({"model": "newsrag"}, 400, "messages", "non-empty list"),
        ({"messages": [{"role": "user", "content": "hi"}]}, 400, "model", "model id"),
        ({"model": "newsrag", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}]}, 400, "messages", "last message"),
        ({"model": "newsrag", "messages": [{"role": "user", "content": "   "}]}, 400, "messages", "empty"),
        ({"model": "newsrag", "messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages[0].role", "role"),
        ({"model": "newsrag", "messages": [{"role": "user", "content": 42}]}, 400, "messages[0].content", "string"),
        ({"model": "newsrag", "stream": "yes", "messages": [{"role": "user", "content": "hi"}]}, 400, "stream", "true or false"),
        ({"model": "newsrag", "stream": True, "stream_options": {"include_usage": "yes"}, "messages": [{"role": "user", "content": "hi"}]},
         400, "stream_options", "include_usage"),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, 404, "model", "does not exist"),
    ],
)
def test_bad_requests_get_an_openai_error_body(client, body, status, param, words):
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(**body) if "model" in body and "messages" in body else client.post(
            "/chat/completions", body=body, cast_to=httpx.Response
        )
    error = caught.value
    assert error.status_code == status
    assert set(error.body) >= {"message", "type", "code"}
    assert error.body["param"] == param and words in error.body["message"]
    assert error.body["message"].endswith(".")
    if status == 404:
        assert error.body["code"] == "model_not_found" and isinstance(error, openai.NotFoundError)


def test_a_body_that_is_not_json_gets_an_openai_error_body(app):
    response = httpx.post(
        f"{app.url}v1/chat/completions", content=b"{not json", timeout=30,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The body is not valid JSON."


def test_a_body_that_is_not_declared_json_is_refused_by_the_perimeter_in_openai_shape(app):
    response = httpx.post(
        f"{app.url}v1/chat/completions", content=b"model=newsrag", timeout=30,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_other_routes_and_methods_under_v1_get_an_openai_error_body(app):
    headers = {"Authorization": f"Bearer {API_KEY}"}
    for method, path in (("GET", "v1/chat/completions"), ("POST", "v1/completions"), ("GET", "v1/embeddings")):
        response = httpx.request(method, f"{app.url}{path}", headers=headers, json={} if method == "POST" else None, timeout=30)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_url" and f"{method} /{path}" in response.json()["error"]["message"]


def test_without_the_key_the_api_answers_401(app):
    no_key = openai.OpenAI(base_url=f"{app.url}v1", api_key="wrong-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        no_key.models.list()
    assert caught.value.body["code"] == "invalid_api_key" and "api_key" in caught.value.body["message"]
    response = httpx.get(f"{app.url}v1/models", timeout=30)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ('### Task:\nGenerate a concise, 3-5 word title.\n### Output:\nJSON format: { "title": "your concise title here" }\n'
         "### Chat History:\n<chat_history>\nUSER: How much did the harbor bridge cost?\nASSISTANT: 240 million euros [1].\n</chat_history>", "title"),
        ('### Task:\nGenerate 1-3 broad tags.\n### Output:\nJSON format: { "tags": ["tag1", "tag2"] }\n<chat_history>\nUSER: hi\n</chat_history>', "tags"),
        ('### Task:\nSuggest 3-5 relevant follow-up questions.\n### Output:\nJSON format: { "follow_ups": ["Question 1?"] }', "follow_ups"),
    ],
)
def test_front_end_side_requests_are_answered_without_retrieval(app, client, prompt, key):
    completion = ask(client, ("user", prompt))
    reply = json.loads(completion.choices[0].message.content)
    assert list(reply) == [key] and "newsrag" not in (completion.model_extra or {})
    if key == "title":
        assert reply["title"] == "How much did the harbor bridge"
    else:
        assert reply[key] == []


@pytest.fixture(scope="module")
def open_app(tmp_path_factory):
    """The app without a key or login: loopback clients need none."""
    with serve_small(tmp_path_factory.mktemp("openai-open")) as running:
        yield running


def test_without_a_configured_key_any_token_works_on_loopback(open_app):
    client = openai.OpenAI(base_url=f"{open_app.url}v1", api_key="anything", max_retries=0, timeout=60)
    completion = ask(client, ("user", BRIDGE_QUESTION))
    assert "240 million euros" in completion.choices[0].message.content


def test_with_a_login_basic_credentials_and_the_login_as_bearer_token_work(tmp_path):
    with serve_small(tmp_path, auth="alice:s3cret") as running:
        url = f"{running.url}v1/models"
        assert httpx.get(url, timeout=30).status_code == 401
        assert httpx.get(url, auth=("alice", "s3cret"), timeout=30).status_code == 200
        assert httpx.get(url, headers={"Authorization": "Bearer alice:s3cret"}, timeout=30).status_code == 200
        assert httpx.get(url, headers={"Authorization": "Bearer anything"}, timeout=30).status_code == 401


@pytest.mark.slow
def test_the_default_back_end_streams_a_verified_answer_through_the_openai_client(tmp_path, minilm):
    """The embedded model (verify mode) over the shipped seed articles, embedded with the real MiniLM."""
    from tests.ui.conftest import SEEDS

    settings = IndexSettings(data_dir=tmp_path / "data")
    library = Library(settings, embedder=minilm)
    assert library.ingest([SEEDS]).ok
    config = Config(
        index=settings, backend="embedded", host="127.0.0.1", port=free_port(),
        llm_threads=int(os.environ.get("RAG_LLM_THREADS", "2")),
    )
    with serve_in_thread(Pipeline(config, library=library), config) as running:
        client = openai.OpenAI(base_url=f"{running.url}v1", api_key="local", max_retries=0, timeout=600)
        chunks = list(client.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": "Who ruled out US soldiers on the ground?"}], stream=True,
            stream_options={"include_usage": True},
        ))
    usage = chunks.pop().usage  # the last chunk counts the model's tokens
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    answer = chunks[-1].model_extra["newsrag"]
    assert usage.prompt_tokens > 100 and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert answer["usage"]["model_calls"] >= 1 and answer["usage"]["prompt_tokens"] == usage.prompt_tokens
    assert answer["backend"] == "embedded" and not answer["refused"], answer["answer"]
    assert answer_text(content) == answer["answer"] and "**Sources**" in content
    assert any("soldiers on the ground" in c["quote"] and c["quote"] in content for c in answer["citations"])
    cited_quotes_are_in_the_articles(answer, running)


class SlowPipeline(Pipeline):
    """The real pipeline, after a slow start of `steps` events 0.1 s apart; records when its stream ended."""

    steps = 10

    def stream(self, question, history=(), filters=None, k=None, backend=None):
        self.ended_after = None
        done = 0
        try:
            for done in range(1, self.steps + 1):
                time.sleep(0.1)
                yield ""
            yield from super().stream(question, history, filters, k, backend)
        finally:
            self.ended_after = done


@pytest.fixture()
def slow_app(tmp_path, monkeypatch):
    import ui.openai_api

    monkeypatch.setattr(ui.openai_api, "KEEPALIVE_S", 0.2)
    with serve_small(tmp_path, SlowPipeline) as running:
        yield running


def _stream_lines(app, steps: int):
    app.pipeline.steps = steps
    body = {"model": "newsrag", "stream": True, "messages": [{"role": "user", "content": BRIDGE_QUESTION}]}
    return httpx.stream("POST", f"{app.url}v1/chat/completions", json=body, timeout=60)


def test_a_slow_answer_streams_keep_alive_comments_before_its_content(slow_app):
    with _stream_lines(slow_app, steps=10) as response:
        lines = [line for line in response.iter_lines() if line]
    first_content = next(i for i, line in enumerate(lines) if '"content": "' in line and '"content": ""' not in line)
    assert lines[0].startswith("data: ") and '"role": "assistant"' in lines[0]
    assert ": keep-alive" in lines[1:first_content]
    assert lines[-1] == "data: [DONE]" and slow_app.pipeline.ended_after == 10


def test_a_client_that_leaves_stops_the_answer(slow_app):
    with _stream_lines(slow_app, steps=100) as response:
        for line in response.iter_lines():
            if line.startswith(": keep-alive"):
                break  # the answer is under way; the client leaves
    deadline = time.monotonic() + 8
    while slow_app.pipeline.ended_after is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert slow_app.pipeline.ended_after is not None and slow_app.pipeline.ended_after < 100
