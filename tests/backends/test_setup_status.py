"""The local model's background set-up as the server reads it: the status file, the notice, the switch."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import rag.backends.embedded as embedded_module
from index.settings import IndexSettings
from rag.backends import make_generator
from rag.backends.model_files import DEFAULT_MODEL, default_model_path
from rag.backends.setup_status import (
    FAILED,
    READY,
    RUNNING,
    STOPPED,
    SetupStatus,
    read_status,
    readiness,
    status_path,
    write_status,
)
from rag.config import Config
from rag.errors import BackendUnavailable

LOG = "/var/tmp/llm-setup/setup.log"


@pytest.fixture()
def config(tmp_path: Path) -> Config:
    """The embedded back end with its own empty cache (no model file) and status file."""
    return Config(index=IndexSettings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache"), llm_setup_status=tmp_path / "status.json")


def write(config: Config, state: str, **values) -> None:
    values = {"step": 1, "steps": 4, "label": "compiling llama-cpp-python", "percent": 37, "log": LOG, "pid": os.getpid(), "venv": sys.prefix, **values}
    write_status(status_path(config), SetupStatus(state, **values))


def test_the_status_file_round_trips_and_a_garbled_one_reads_as_none(tmp_path):
    path = tmp_path / "s.json"
    write_status(path, SetupStatus(RUNNING, 2, 4, "installing", 50, LOG, 7, "/venv"))
    status = read_status(path)
    assert (status.state, status.step, status.steps, status.percent, status.pid) == (RUNNING, 2, 4, 50, 7)
    assert status.updated > 0
    for garbled in ('{"state": "runn', '{"state": "sleeping"}', "[]"):
        path.write_text(garbled)
        assert read_status(path) is None
    assert read_status(tmp_path / "absent.json") is None


def test_without_a_status_file_the_model_counts_as_ready(config):
    assert readiness(config).ready


def test_a_status_written_for_another_environment_is_not_ours(config):
    write(config, RUNNING, venv="/elsewhere/.venv")
    assert readiness(config).ready


def test_a_running_set_up_says_which_step_and_how_far(config):
    write(config, RUNNING, step=2, label="installing the model weights", percent=45)
    state = readiness(config)
    assert not state.ready and not state.failed
    assert state.notice == (
        "The local model is being prepared (step 2 of 4: installing the model weights, 45%); "
        "until it is ready, answers are quoted from the articles."
    )


def test_a_set_up_whose_process_is_gone_says_it_stopped_and_how_to_resume(config):
    write(config, RUNNING, pid=2**22 + 12345)
    state = readiness(config, alive=lambda pid: False)
    assert not state.ready
    assert "stopped at step 1 of 4: compiling llama-cpp-python, 37% (`make run` or `make llm` resumes it)" in state.notice
    write(config, STOPPED)
    assert "stopped at step 1 of 4" in readiness(config).notice


def test_a_failed_set_up_is_one_sentence_with_the_log_path(config):
    write(config, FAILED, error="pip install exited with status 1")
    state = readiness(config)
    assert state.failed and not state.ready
    assert state.notice == (
        f"Preparing the local model failed (pip install exited with status 1); answers are quoted from the articles (details in {LOG})."
    )
    assert state.notice.count(". ") == 0


def test_a_finished_set_up_is_ready(config):
    write(config, READY, step=4, percent=100)
    assert readiness(config).ready


def test_an_installed_model_is_ready_whatever_the_status_says(config):
    pytest.importorskip("llama_cpp")
    write(config, FAILED, error="boom")
    target = default_model_path(config.cache_dir)
    target.parent.mkdir(parents=True)
    with target.open("wb") as fh:
        fh.truncate(DEFAULT_MODEL.size)  # sparse: only its size and sidecar are read
    target.with_name(target.name + ".sha256").write_text(DEFAULT_MODEL.sha256 + "\n")
    assert readiness(config).ready


def test_the_embedded_factory_refuses_while_preparing_and_builds_once_ready(config, monkeypatch):
    write(config, RUNNING)
    with pytest.raises(BackendUnavailable, match=r"^The local model is being prepared \(step 1 of 4: compiling llama-cpp-python, 37%\)\.$"):
        make_generator("embedded", config)
    built = []
    monkeypatch.setattr(embedded_module, "EmbeddedGenerator", lambda cfg: built.append(cfg) or "generator")
    write(config, READY)
    assert make_generator("embedded", config) == "generator" and built == [config]


def test_the_status_file_defaults_to_the_user_cache(tmp_path):
    config = Config(index=IndexSettings(cache_dir=tmp_path / "c"))
    assert status_path(config) == tmp_path / "c" / "llm-setup" / "status.json"


def test_the_status_file_is_written_whole(tmp_path):
    path = tmp_path / "deep" / "status.json"
    write_status(path, SetupStatus(READY))
    assert json.loads(path.read_text())["state"] == READY
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]
