"""The local model's set-up (`python -m cli.llm_setup`): progress in the status file, failures, stops, one at a time."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import llm_setup
from index.settings import IndexSettings
from rag.backends.setup_status import FAILED, READY, RUNNING, STOPPED, read_status, readiness, status_path
from rag.config import Config


@pytest.fixture()
def config(tmp_path: Path) -> Config:
    return Config(index=IndexSettings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache"), llm_setup_status=tmp_path / "s" / "status.json")


def fake_plan(monkeypatch, *runs) -> None:
    monkeypatch.setattr(llm_setup, "steps", lambda config: [(f"step {i}", run) for i, run in enumerate(runs, 1)])


@pytest.mark.parametrize(
    ("line", "percent"),
    [("  [12/96] Building C object ggml.c.o", 12.5), ("[ 45%] Building CXX object", 45.0), ("[96/96] Linking", 100.0), ("Collecting numpy", None)],
)
def test_build_progress_is_read_from_ninja_and_make_lines(line, percent):
    assert llm_setup.build_percent(line) == percent


def test_each_step_writes_where_it_stands_and_the_end_is_ready(config, monkeypatch):
    seen = []

    def first(log, report):
        report.percent(40)
        seen.append(read_status(status_path(config)))

    fake_plan(monkeypatch, first, lambda log, report: seen.append(read_status(status_path(config))))
    assert llm_setup.set_up(config, background=True) == 0
    assert [(s.state, s.step, s.steps, s.label, s.percent) for s in seen] == [(RUNNING, 1, 2, "step 1", 40), (RUNNING, 2, 2, "step 2", None)]
    assert seen[0].pid == os.getpid() and seen[0].venv == sys.prefix
    assert read_status(status_path(config)).state == READY
    assert "== set-up of the local model" in llm_setup.log_path(config).read_text()


def test_a_failing_tool_marks_the_set_up_failed_with_its_reason(config, monkeypatch, capsys):
    def failing(log, report):
        llm_setup.run_tool([sys.executable, "-c", "import sys; print('no compiler'); sys.exit(3)"], log)

    fake_plan(monkeypatch, failing)
    assert llm_setup.set_up(config, background=False) == 1
    status = read_status(status_path(config))
    assert status.state == FAILED and "exited with status 3" in status.error
    assert "no compiler" in llm_setup.log_path(config).read_text()
    assert f"see {llm_setup.log_path(config)}" in capsys.readouterr().err
    assert readiness(config).failed


def test_tool_output_feeds_the_progress_and_the_log(tmp_path):
    lines = []
    with (tmp_path / "log").open("w") as log:
        llm_setup.run_tool([sys.executable, "-c", "print('[1/4] a'); print('[3/4] b')"], log, on_line=lines.append)
    assert [llm_setup.build_percent(line) for line in lines] == [25.0, 75.0]
    assert "[3/4] b" in (tmp_path / "log").read_text()


def test_a_stopped_set_up_ends_its_tools_and_says_it_stopped(config, monkeypatch, tmp_path):
    marker = tmp_path / "child.pid"

    def slow(log, report):
        script = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); print('[1/9] x', flush=True); time.sleep(60)"
        llm_setup.run_tool([sys.executable, "-c", script], log, on_line=lambda line: (_ for _ in ()).throw(KeyboardInterrupt()))

    fake_plan(monkeypatch, slow)
    assert llm_setup.set_up(config, background=True) == 130
    assert read_status(status_path(config)).state == STOPPED
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists()


def test_a_second_background_set_up_leaves_the_running_one_alone(config, monkeypatch):
    ran = []
    fake_plan(monkeypatch, lambda log, report: ran.append(1))
    lock = status_path(config).with_name("setup.lock")
    lock.parent.mkdir(parents=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert llm_setup.set_up(config, background=True) == 0
    assert ran == [] and read_status(status_path(config)) is None


def test_a_stopped_compile_is_thrown_away_and_a_complete_wheel_is_reused(config, monkeypatch, tmp_path):
    monkeypatch.setattr(llm_setup, "runtime_installed", lambda: False)
    tmp = llm_setup.wheel_dir(config.cache_dir).with_name(llm_setup.wheel_dir(config.cache_dir).name + ".tmp")
    tmp.mkdir(parents=True)
    (tmp / "half.o").write_text("")
    commands = []

    def fake_tool(command, log, env=None, on_line=None):
        commands.append(command)
        assert not (tmp / "half.o").exists() and env["CMAKE_ARGS"] == llm_setup.LLAMA_FLAGS
        out = Path(command[command.index("-w") + 1])
        out.mkdir(parents=True)
        (out / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl").write_text("")

    monkeypatch.setattr(llm_setup, "run_tool", fake_tool)
    report = llm_setup.Reporter(tmp_path / "st.json", llm_setup.SetupStatus(RUNNING), echo=False)
    with (tmp_path / "log").open("w") as log:
        llm_setup.compile_runtime(config, log, report)
        assert llm_setup.cached_wheel(config.cache_dir) is not None and not tmp.exists()
        llm_setup.compile_runtime(config, log, report)
    assert len(commands) == 1


def test_nothing_starts_in_the_background_when_all_is_installed(config, monkeypatch):
    monkeypatch.setattr(llm_setup, "is_set_up", lambda config: True)
    assert llm_setup.start_in_background(config) is None


def test_the_background_child_has_written_its_status_when_the_server_goes_on(config, monkeypatch, tmp_path):
    monkeypatch.setattr(llm_setup, "is_set_up", lambda config: False)
    # The child's plan has one step that waits: nothing is installed by this test.
    script = (
        "import sys, time\nimport cli.llm_setup as s\n"
        "s.steps = lambda config: [('waiting', lambda log, report: time.sleep(60))]\n"
        "sys.exit(s.main(['--background']))\n"
    )
    child = llm_setup.start_in_background(config, ("-c", script))
    try:
        status = read_status(status_path(config))
        assert status is not None and status.pid == child.pid and status.state == RUNNING
        assert not readiness(config).ready
    finally:
        llm_setup.stop(child)
    assert child.returncode is not None
    assert read_status(status_path(config)).state == STOPPED
