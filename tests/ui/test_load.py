"""Twenty chat sessions at once through `POST /api/ask`, and the in-process model's queue.

The sessions and checks of `benchmarks/load.py`, for 4 s, with the app served in a thread: every
request answered, each reply belongs to its own conversation, with the extractive back end and
with the OpenAI-compatible stand-in.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from index.library import Library
from index.settings import IndexSettings
from rag.backends.embedded import EmbeddedGenerator
from rag.config import Config
from rag.pipeline import Pipeline
from tests.support.llm_standin import StandIn, running_stand_in
from tests.support.load import run_load, sessions

SESSIONS = 20
DURATION_S = 4.0
QUEUED = 6
WAIT_S = 30.0

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chats():
    return sessions(SESSIONS)


@pytest.fixture(scope="module")
def town_library(tmp_path_factory, chats) -> Library:
    folder = tmp_path_factory.mktemp("load")
    corpus = folder / "trams.jsonl"
    corpus.write_text("\n".join(json.dumps(c.article) for c in chats) + "\n", encoding="utf-8")
    library = Library(IndexSettings(data_dir=folder / "data", embed_model="hash-256"))
    assert len(library.ingest([corpus]).added) == SESSIONS
    return library


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    with running_stand_in() as server:
        yield server


def config_for(backend: str, library: Library, port: int, stand_in: StandIn) -> Config:
    return Config(
        index=library.settings, backend=backend, refusal_threshold=0.0, host="127.0.0.1", port=port,
        openai_base_url=stand_in.url + "/v1", openai_model="reader", llm_timeout_s=WAIT_S,
        client_per_s=0.0,  # twenty sessions from one address on purpose
    )


@pytest.mark.parametrize("backend", ["extractive", "openai"])
def test_twenty_sessions_at_once_each_get_their_own_cited_answers(backend, chats, town_library, stand_in, serve_app, free_port):
    config = config_for(backend, town_library, free_port(), stand_in)
    stand_in.seen.clear()
    with serve_app(Pipeline(config, library=town_library), config) as app:
        result = run_load(app.url, chats, DURATION_S)

    failed = [(o.session, o.turn, o.problems) for o in result.failed]
    assert failed == []
    assert {o.session for o in result.outcomes} == set(range(SESSIONS))
    follow_ups = {o.session for o in result.outcomes if o.turn == 1}
    assert follow_ups == set(range(SESSIONS))  # every session got as far as its follow-up
    summary = result.summary()
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["max_ms"]
    if backend == "openai":  # the stand-in wrote the answers (no silent extractive fallback)
        prompts = [m.body["messages"][-1]["content"] for m in stand_in.seen]
        answers = [p for p in prompts if "\nPassages:\n" in p and p.rstrip().endswith("Answer:")]
        assert len(answers) == summary["requests"]
        assert sum("shortest phrase" in p for p in prompts) <= len(answers)  # at most one short-answer call each


class SlowLlama:
    """Stands in for `llama_cpp.Llama`: one token per byte; holds the first request until `gate` opens.

    Records the question of each prompt in the order the model was given them; always picks sentence 1.
    """

    metadata: dict[str, str] = {}

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.questions: list[str] = []
        self.busy = 0
        self.overlapped = False

    def n_ctx(self) -> int:
        return 100_000

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(text)

    def create_completion(self, prompt: list[int], **kwargs: Any) -> Iterator[dict]:
        question = re.findall(r"^Question: (.*)$", bytes(prompt).decode(), re.MULTILINE)[-1]
        self.questions.append(question)
        return self._reply()

    def _reply(self) -> Iterator[dict]:
        self.busy += 1
        self.overlapped |= self.busy > 1
        try:
            self.gate.wait(WAIT_S)
            time.sleep(0.02)
            yield {"choices": [{"text": "1"}]}
        finally:
            self.busy -= 1


def test_in_process_model_answers_api_requests_one_at_a_time_in_arrival_order(chats, town_library, serve_app, free_port):
    llama = SlowLlama()
    # Select mode streams one short reply per question, which this stand-in model can give;
    # verify mode's scoring takes the same first-come-first-served lock.
    config = Config(
        index=town_library.settings, backend="embedded", answer_mode="select", refusal_threshold=0.0,
        host="127.0.0.1", port=free_port(),
    )
    generator = EmbeddedGenerator(config, loader=lambda _: llama)
    asked = [c.turns[0].question for c in chats[:QUEUED]]
    replies: dict[int, httpx.Response] = {}

    def post(i: int, url: str) -> None:
        replies[i] = httpx.post(url + "api/ask", json={"question": asked[i]}, timeout=WAIT_S)

    with serve_app(Pipeline(config, library=town_library, generator=generator), config) as app:
        threads = []
        for i in range(QUEUED):
            threads.append(threading.Thread(target=post, args=(i, app.url)))
            threads[-1].start()
            # The next question is sent once this one holds its place in the model's queue.
            assert wait_for(lambda: generator.queue_depth == i + 1), f"request {i} never reached the model"
        llama.gate.set()
        for thread in threads:
            thread.join(WAIT_S)

    # served in the order they arrived (each answer may ask again for its short answer)
    assert list(dict.fromkeys(llama.questions)) == asked
    assert not llama.overlapped
    assert sorted(replies) == list(range(QUEUED))  # none lost
    for i, response in replies.items():
        body = response.json()
        assert response.status_code == 200 and body["question"] == asked[i] and body["backend"] == "embedded"
        assert body["citations"] and {c["doc_id"] for c in body["citations"]} == {chats[i].doc_id}


def wait_for(condition, timeout_s: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
