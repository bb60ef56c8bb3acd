"""Where the background set-up of the local model stands: one small JSON status file.

`make run` starts the chat at once and prepares the embedded back end (the llama-cpp-python
runtime and the model weights) in a child process, `cli/llm_setup.py`, which writes its progress
here. Until the set-up is done the embedded back end's factory raises `BackendUnavailable` with
that progress, so the pipeline answers extractively and says why; the first request after it is
done gets the model, without a restart. No status file (or one written for another virtual
environment) means no background set-up: the embedded back end behaves as it always did.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import BackendUnavailable

if TYPE_CHECKING:
    from rag.config import Config

RUNNING, READY, FAILED, STOPPED = "running", "ready", "failed", "stopped"
STATES = (RUNNING, READY, FAILED, STOPPED)
RESUME_HINT = "`make run` or `make llm` resumes it"


@dataclass(frozen=True)
class SetupStatus:
    """One snapshot of the set-up: its state, the step it is on (n of m) and how far that step is."""

    state: str
    step: int = 0
    steps: int = 0
    label: str = ""
    percent: int | None = None
    log: str = ""
    pid: int = 0
    venv: str = ""  # the environment it installs into: a status written for another one is not ours
    error: str = ""
    updated: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> SetupStatus | None:
        """The status in `data`, or None when it is not one (a file half-written by an older version)."""
        if not isinstance(data, dict) or data.get("state") not in STATES:
            return None
        names = cls.__dataclass_fields__
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError:
            return None


@dataclass(frozen=True)
class Readiness:
    """Whether the embedded back end may be built now; when not, what the set-up is doing."""

    ready: bool
    summary: str = ""  # "The local model is being prepared (step 1 of 4: ..., 37%)"
    failed: bool = False
    log: str = ""

    @property
    def notice(self) -> str:
        """The sentence the chat page shows ("" when ready)."""
        if self.ready:
            return ""
        if self.failed:
            return f"{self.summary}; answers are quoted from the articles (details in {self.log})."
        return f"{self.summary}; until it is ready, answers are quoted from the articles."


READY_NOW = Readiness(True)


def status_path(config: Config) -> Path:
    """The status file: `llm_setup_status`, or llm-setup/status.json in the user's cache."""
    if config.llm_setup_status is not None:
        return Path(config.llm_setup_status)
    return config.cache_dir / "llm-setup" / "status.json"


def read_status(path: Path) -> SetupStatus | None:
    """The status in `path`; None when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return SetupStatus.from_json(data)


def write_status(path: Path, status: SetupStatus) -> None:
    """Replace the status file in one step, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**status.to_json(), "updated": time.time()}), encoding="utf-8")
    os.replace(tmp, path)


def pid_alive(pid: int) -> bool:
    """Is a process with this id running (a zombie counts as ended)?"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def installed(config: Config) -> bool:
    """Are the runtime and the model file in place (whatever the status file says)?"""
    from rag.backends.model_files import default_model_path, is_prepared

    importlib.invalidate_caches()  # packages installed since this process started
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    return config.model_path is not None or is_prepared(default_model_path(config.cache_dir))


def progress_text(status: SetupStatus) -> str:
    """"step 2 of 4: installing the model weights, 45%"."""
    text = f"step {status.step} of {status.steps}: {status.label}" if status.steps else status.label
    return f"{text}, {status.percent}%" if status.percent is not None else text


def readiness(config: Config, *, venv: str = sys.prefix, alive=pid_alive) -> Readiness:
    """Where the background set-up of the embedded model stands, read from its status file."""
    status = read_status(status_path(config))
    if status is None or status.venv != venv or status.state == READY or installed(config):
        return READY_NOW
    if status.state == FAILED:
        reason = f" ({status.error.rstrip('.')})" if status.error else ""
        return Readiness(False, f"Preparing the local model failed{reason}", failed=True, log=status.log)
    if status.state == RUNNING and alive(status.pid):
        return Readiness(False, f"The local model is being prepared ({progress_text(status)})", log=status.log)
    return Readiness(
        False, f"Preparing the local model stopped at {progress_text(status)} ({RESUME_HINT})", log=status.log
    )


def require_ready(config: Config) -> None:
    """Raise `BackendUnavailable` with the set-up's progress while the embedded model is not ready."""
    state = readiness(config)
    if not state.ready:
        raise BackendUnavailable(f"{state.summary}.")
    importlib.invalidate_caches()  # the runtime may have been installed since this process started
