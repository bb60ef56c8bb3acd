"""Run a check without root's power over file modes, so that permission tests hold when the suite runs as root (CI).

Root reads, lists and writes whatever the modes say through three capabilities (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH, CAP_FOWNER). `unprivileged` drops them from a command's bounding set with
`setpriv`, so the modes apply to it as to any user's process. It stays uid 0 rather than becoming
`nobody`: the interpreter and the project may live under /root, where `nobody` cannot go.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DROPPED_CAPABILITIES = ("dac_override", "dac_read_search", "fowner")


class CannotDropPrivileges(RuntimeError):
    """Running as root, and setpriv (util-linux) is not installed."""


def unprivileged(command: Sequence[str]) -> list[str]:
    """`command` with root's file-permission capabilities dropped; unchanged for other users."""
    if os.geteuid() != 0:
        return list(command)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise CannotDropPrivileges("running as root and setpriv is missing: install util-linux")
    bounding = ",".join(f"-{cap}" for cap in DROPPED_CAPABILITIES)
    return [setpriv, f"--bounding-set={bounding}", "--", *command]


def run_python_unprivileged(code: str, *args: str | Path, timeout: float = 120.0) -> object:
    """Run `code` (which prints one JSON value) in a fresh unprivileged interpreter; return that value."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(
        unprivileged([sys.executable, "-c", code, *map(str, args)]),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
