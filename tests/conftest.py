"""Shared fixtures: offline defaults, a hash-embedded index, the real MiniLM, a free port, a real Chroma server.

Plain helpers that benchmarks use as well live in `tests/support/`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Set before anything imports transformers, huggingface_hub or chromadb.
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

from index.settings import IndexSettings  # noqa: E402
from tests.support.news_site import NewsSite  # noqa: E402
from tests.support.servers import free_port as _free_port  # noqa: E402
from tests.support.servers import stop_process  # noqa: E402

CHROMA_START_TIMEOUT_S = 60.0
CHROMA_STOP_TIMEOUT_S = 10.0


@pytest.fixture()
def hash_settings(tmp_path: Path) -> IndexSettings:
    """Index settings under `tmp_path` with the fast deterministic `hash-64` embedder."""
    return IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64")


@pytest.fixture(scope="session")
def minilm():
    """The real all-MiniLM-L6-v2 embedder, loaded once per test session."""
    from index.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(runtime="torch")  # the reference; the app's default, "auto", is tested through Library


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """`free_port()`: a TCP port on 127.0.0.1 that nothing listens on."""
    return _free_port


@dataclass
class ChromaServer:
    """A `chroma run` child process; `stop()` ends it (SIGTERM, then SIGKILL on timeout), `restart()`
    starts it again on the same port and data."""

    url: str
    process: subprocess.Popen
    log_path: Path
    command: list[str]

    def stop(self) -> None:
        stop_process(self.process, CHROMA_STOP_TIMEOUT_S)

    def restart(self) -> None:
        self.stop()
        self.process = _start_chroma(self.command, self.log_path)
        _wait_for_heartbeat(self)


def _start_chroma(command: list[str], log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _chroma_executable() -> str:
    beside_python = Path(sys.executable).parent / "chroma"
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` command is not installed next to this Python")
    return found


def _wait_for_heartbeat(server: ChromaServer) -> None:
    deadline = time.monotonic() + CHROMA_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/api/v2/heartbeat", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    server.stop()
    log = server.log_path.read_text(errors="replace")[-2000:]
    pytest.fail(f"chroma server did not answer its heartbeat at {server.url}:\n{log}")


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A real Chroma server on a free local port, with its data under `tmp_path`."""
    port = _free_port()
    log_path = tmp_path / "chroma-server.log"
    command = [_chroma_executable(), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)]
    server = ChromaServer(url=f"http://127.0.0.1:{port}", process=_start_chroma(command, log_path), log_path=log_path, command=command)
    try:
        _wait_for_heartbeat(server)
        yield server
    finally:
        server.stop()


@pytest.fixture()
def site() -> Iterator[NewsSite]:
    """A news site on loopback (pages, feeds, sitemaps, errors) that a test fills; stopped after it."""
    server = NewsSite().start()
    yield server
    server.stop()
