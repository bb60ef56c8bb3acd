"""Servers for tests and benchmarks: a free local port, and the real app served by uvicorn in a thread.

Plain functions, imported by the conftest files and by the scripts in `benchmarks/`.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from rag.config import Config

SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 15.0


def stop_process(process: subprocess.Popen, timeout_s: float = SERVER_STOP_TIMEOUT_S) -> None:
    """End a child server: SIGTERM, then SIGKILL when it does not stop in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)


def wait_until_up(url: str, process: subprocess.Popen, timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
    """Return once `url` answers 200; raise RuntimeError if `process` exits or `timeout_s` passes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`rag serve` exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"`rag serve` did not answer at {url} within {timeout_s:g} s")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    """The real app (FastAPI + Gradio) served by uvicorn in a thread."""

    url: str
    config: Config
    pipeline: Any


@contextmanager
def serve_in_thread(pipeline: Any, config: Config) -> Iterator[RunningApp]:
    """Build the app with `ui.app.build_app` and serve it on `config.port` until the block ends."""
    import uvicorn

    from ui.app import STOP_GRACE_S, build_app

    server = uvicorn.Server(uvicorn.Config(build_app(pipeline, config), host=config.host, port=config.port, log_level="warning", timeout_graceful_shutdown=STOP_GRACE_S))
    thread = threading.Thread(target=server.run, name="ui-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app server did not start")
        time.sleep(0.05)
    try:
        yield RunningApp(f"http://{config.host}:{config.port}/", config, pipeline)
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_STOP_TIMEOUT_S)
