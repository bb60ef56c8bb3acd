"""While `make run` prepares the local model: the page says so, answers are extractive, then the app switches."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import httpx
import pytest

import rag.backends.embedded as embedded_module
from rag.backends.setup_status import FAILED, READY, RUNNING, Readiness, SetupStatus, status_path, write_status
from rag.pipeline import Pipeline
from tests.support.llm_standin import reader_reply
from tests.support.servers import free_port, serve_in_thread
from ui.model_notice import ModelNotice, notice_html, watch_until_ready

PREPARING = Readiness(False, "The local model is being prepared (step 1 of 4: compiling <llama>, 37%)", log="/l/setup.log")
QUESTION = "How many euros did the harbor bridge cost?"


class ReadingModel:
    """A fast stand-in for the embedded model: it answers from the passages in its prompt."""

    name = "embedded"
    loaded = True

    def __init__(self, config) -> None:
        self.prompts: list[str] = []

    def stream(self, messages, *, max_tokens: int = 256):
        self.prompts.append(messages[-1].content)
        yield reader_reply(messages[-1].content)


def test_the_notice_says_how_far_and_is_escaped():
    html = notice_html(PREPARING)
    assert 'role="status"' in html and "step 1 of 4: compiling &lt;llama&gt;, 37%" in html
    assert notice_html(Readiness(True)) == ""


def test_a_failure_notice_names_the_log_and_stops_the_refresh():
    failed = Readiness(False, "Preparing the local model failed (pip exited with status 1)", failed=True, log="/l/setup.log")
    html, timer = ModelNotice(None, check=lambda config: failed).refresh()
    assert "failed (pip exited with status 1); answers are quoted from the articles (details in /l/setup.log)." in html
    assert timer.active is False


def test_the_refresh_keeps_asking_until_ready_then_clears_the_notice():
    states = [PREPARING, Readiness(True)]
    notice = ModelNotice(None, check=lambda config: states[0])
    html, timer = notice.refresh()
    assert "being prepared" in html and timer.active is True
    states.pop(0)
    html, timer = notice.refresh()
    assert html == "" and timer.active is False


def test_the_watch_loads_the_model_once_when_it_becomes_ready():
    states = [PREPARING, PREPARING, Readiness(True)]
    loaded = threading.Event()
    calls = []

    def check(config):
        return states.pop(0) if len(states) > 1 else states[0]

    thread = watch_until_ready(None, lambda: (calls.append(1), loaded.set()), check=check, interval_s=0.01)
    assert loaded.wait(5)
    thread.join(5)
    assert calls == [1] and not thread.is_alive()


def test_no_watch_when_the_model_is_ready_at_start():
    assert watch_until_ready(None, lambda: pytest.fail("nothing to load"), check=lambda config: Readiness(True)) is None


def test_the_page_gets_no_notice_nor_timer_when_the_model_is_ready_at_start():
    import gradio as gr

    from ui.model_notice import add_model_notice

    def components(check) -> list[str]:
        with gr.Blocks() as demo:
            add_model_notice(demo, None, check=check)
        return sorted(type(block).__name__ for block in demo.blocks.values())

    assert components(lambda config: Readiness(True)) == []
    assert components(lambda config: PREPARING) == ["HTML", "Timer"]


def status(config, state: str, **values) -> None:
    values = {"step": 1, "steps": 4, "label": "compiling llama-cpp-python", "percent": 37, "log": "/l/setup.log", "pid": os.getpid(), "venv": sys.prefix, **values}
    write_status(status_path(config), SetupStatus(state, **values))


@pytest.mark.integration
def test_the_served_app_answers_extractively_while_preparing_then_switches_without_restart(small_config, small_library, tmp_path, monkeypatch):
    config = small_config.with_overrides(
        backend="embedded", answer_mode="generate", cache_dir=tmp_path / "empty-cache", llm_setup_status=tmp_path / "status.json",
        host="127.0.0.1", port=free_port(),
    )
    models: list[ReadingModel] = []
    monkeypatch.setattr(embedded_module, "EmbeddedGenerator", lambda cfg: models.append(ReadingModel(cfg)) or models[-1])
    status(config, RUNNING)
    with serve_in_thread(Pipeline(config, library=small_library), config) as app, httpx.Client(base_url=app.url, timeout=60) as http:
        page = http.get("/").text
        assert "The local model is being prepared (step 1 of 4: compiling llama-cpp-python, 37%)" in page

        before = http.post("/api/ask", json={"question": QUESTION}).json()
        assert before["backend"] == "extractive" and not before["refused"]
        assert "240 million euros" in before["answer"] and before["citations"]
        assert any(n.startswith("The local model is being prepared (step 1 of 4") for n in before["notices"])
        assert models == []

        status(config, READY, step=4, percent=100)
        after = http.post("/api/ask", json={"question": QUESTION}).json()
        assert after["backend"] == "embedded" and "240 million euros" in after["answer"] and after["citations"]
        assert not any("prepared" in n for n in after["notices"])
        assert len(models) == 1 and models[0].prompts
        again = http.post("/api/ask", json={"question": QUESTION}).json()
        assert again["backend"] == "embedded" and len(models) == 1  # built once, then reused


@pytest.mark.integration
def test_a_failed_set_up_keeps_the_app_answering_with_the_reason_on_the_page(small_config, small_library, tmp_path):
    config = small_config.with_overrides(
        backend="embedded", cache_dir=tmp_path / "empty-cache", llm_setup_status=tmp_path / "status.json", host="127.0.0.1", port=free_port(),
    )
    status(config, FAILED, error="pip install exited with status 1")
    with serve_in_thread(Pipeline(config, library=small_library), config) as app, httpx.Client(base_url=app.url, timeout=60) as http:
        assert "Preparing the local model failed (pip install exited with status 1)" in http.get("/").text
        answer = http.post("/api/ask", json={"question": QUESTION}).json()
        assert answer["backend"] == "extractive" and answer["citations"]
        assert any("failed" in n for n in answer["notices"])
