"""The Ollama and OpenAI-compatible clients against a small real HTTP stand-in server on 127.0.0.1.

The stand-in (`tests/support/llm_standin.py`) speaks both protocols; the model name in the request
picks its behaviour ("ok", "gated", "stall", "boom", "garbage", "cut", "missing", "reader").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from rag.backends import make_generator
from rag.backends.base import ChatMessage, Generator
from rag.backends.ollama import OllamaGenerator
from rag.backends.openai_compat import OpenAICompatGenerator
from rag.backends.usage import metered
from rag.types import TokenUsage
from rag.config import Config
from rag.errors import BackendUnavailable, ConfigError
from tests.support.llm_standin import TOKENS, StandIn, prompt_words, running_stand_in
from tests.support.servers import free_port

MESSAGES = [ChatMessage("system", "Answer from the passages."), ChatMessage("user", "What did it cost?")]


@pytest.fixture(scope="module")
def server() -> Iterator[StandIn]:
    with running_stand_in() as stand_in:
        yield stand_in


@pytest.fixture()
def fresh(server: StandIn) -> StandIn:
    server.seen.clear()
    server.gate.clear()
    return server


MakeClient = Callable[..., Generator]


def ollama_at(base: str, model: str, timeout_s: float = 5.0) -> Generator:
    return OllamaGenerator(base, model, timeout_s=timeout_s)


def openai_at(base: str, model: str, timeout_s: float = 5.0) -> Generator:
    return OpenAICompatGenerator(base + "/v1", model, api_key="sk-test-123", timeout_s=timeout_s)


BOTH = pytest.mark.parametrize("client", [ollama_at, openai_at], ids=["ollama", "openai"])


@BOTH
def test_tokens_stream_in_order_and_join_to_the_reply(fresh: StandIn, client: MakeClient) -> None:
    pieces = list(client(fresh.url, "ok").stream(MESSAGES))
    assert pieces == TOKENS
    assert "".join(pieces) == "The bridge cost 240 million euros [1]."


@BOTH
def test_the_tokens_the_server_reports_are_counted_into_the_metered_answer(fresh: StandIn, client: MakeClient) -> None:
    usage = TokenUsage()
    pieces = list(metered(client(fresh.url, "ok"), usage).stream(MESSAGES))
    assert usage == TokenUsage(prompt_words(fresh.seen[0].body), len(pieces), 1)
    unmetered = list(client(fresh.url, "ok").stream(MESSAGES))  # outside an answer: nothing to count into
    assert unmetered == pieces and usage.model_calls == 1


def test_openai_asks_the_server_for_token_counts(fresh: StandIn) -> None:
    list(OpenAICompatGenerator(fresh.url + "/v1", "ok").stream(MESSAGES))
    assert fresh.seen[0].body["stream_options"] == {"include_usage": True}


@BOTH
def test_first_piece_arrives_before_the_reply_is_complete(fresh: StandIn, client: MakeClient) -> None:
    stream = client(fresh.url, "gated").stream(MESSAGES)
    first = next(stream)  # the server holds the rest back until the gate opens
    fresh.gate.set()
    assert [first, *stream] == TOKENS


def test_ollama_request_carries_model_messages_and_stream_flag(fresh: StandIn) -> None:
    list(OllamaGenerator(fresh.url, "ok").stream(MESSAGES, max_tokens=77))
    (seen,) = fresh.seen
    assert seen.path == "/api/chat"
    assert seen.body["model"] == "ok"
    assert seen.body["stream"] is True
    assert seen.body["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]
    assert seen.body["options"]["num_predict"] == 77


def test_openai_request_carries_model_messages_stream_flag_and_bearer_key(fresh: StandIn) -> None:
    list(OpenAICompatGenerator(fresh.url + "/v1/", "ok", api_key="sk-test-123").stream(MESSAGES, max_tokens=55))
    (seen,) = fresh.seen
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer sk-test-123"
    assert seen.body["model"] == "ok"
    assert seen.body["stream"] is True
    assert seen.body["max_tokens"] == 55
    assert seen.body["messages"] == [{"role": m.role, "content": m.content} for m in MESSAGES]


def test_openai_sends_no_authorization_header_without_a_key(fresh: StandIn) -> None:
    list(OpenAICompatGenerator(fresh.url + "/v1", "ok").stream(MESSAGES))
    assert "authorization" not in fresh.seen[0].headers


@BOTH
def test_unreachable_port_raises_backend_unavailable(client: MakeClient) -> None:
    generator = client(f"http://127.0.0.1:{free_port()}", "ok")
    with pytest.raises(BackendUnavailable, match="cannot reach"):
        list(generator.stream(MESSAGES))


@BOTH
def test_server_that_stalls_past_the_timeout_raises_backend_unavailable(fresh: StandIn, client: MakeClient) -> None:
    stream = client(fresh.url, "stall", timeout_s=0.5).stream(MESSAGES)
    assert next(stream) == TOKENS[0]
    with pytest.raises(BackendUnavailable, match=r"did not answer within 0\.5 s"):
        next(stream)


@BOTH
def test_http_500_raises_backend_unavailable_with_the_status(fresh: StandIn, client: MakeClient) -> None:
    with pytest.raises(BackendUnavailable, match=r"HTTP 500 \(out of memory\)"):
        list(client(fresh.url, "boom").stream(MESSAGES))


@BOTH
def test_malformed_body_raises_backend_unavailable(fresh: StandIn, client: MakeClient) -> None:
    with pytest.raises(BackendUnavailable, match="malformed"):
        list(client(fresh.url, "garbage").stream(MESSAGES))


@BOTH
def test_reply_cut_off_before_its_end_raises_backend_unavailable(fresh: StandIn, client: MakeClient) -> None:
    pieces: list[str] = []
    with pytest.raises(BackendUnavailable, match="ended before"):
        for piece in client(fresh.url, "cut").stream(MESSAGES):
            pieces.append(piece)
    assert pieces == TOKENS


def test_ollama_missing_model_says_to_pull_it(fresh: StandIn) -> None:
    with pytest.raises(BackendUnavailable, match="run `ollama pull missing`"):
        list(OllamaGenerator(fresh.url, "missing").stream(MESSAGES))


def test_make_generator_builds_http_clients_from_config() -> None:
    config = Config(ollama_url="http://10.0.0.5:11434/", ollama_model="llama3", openai_base_url="http://h:1/v1", openai_model="x")
    ollama = make_generator("ollama", config)
    openai = make_generator("openai", config)
    assert isinstance(ollama, OllamaGenerator) and (ollama.url, ollama.model) == ("http://10.0.0.5:11434", "llama3")
    assert isinstance(openai, OpenAICompatGenerator) and (openai.base_url, openai.model) == ("http://h:1/v1", "x")
    assert isinstance(ollama, Generator) and isinstance(openai, Generator)


def test_make_generator_rejects_unknown_names_and_bad_urls() -> None:
    with pytest.raises(ConfigError, match="unknown LLM backend 'gpt'"):
        make_generator("gpt", Config())
    with pytest.raises(ConfigError, match="ollama_url"):
        make_generator("ollama", Config(ollama_url="localhost:11434"))


def test_the_registry_is_the_one_list_of_back_ends_and_config_validates_against_it() -> None:
    from rag.backends import BACKENDS, REGISTRY
    from rag.config import load_config

    assert BACKENDS == ("embedded", "ollama", "openai", "extractive")
    assert REGISTRY["extractive"].factory is None and REGISTRY["embedded"].answer_mode == "verify"
    with pytest.raises(ConfigError, match="choose one of embedded, ollama, openai, extractive"):
        load_config({"backend": "gpt"}, environ={})
    with pytest.raises(ConfigError, match="between 1 and 50"):
        load_config({"k": 51}, environ={})
