"""A child process that parses untrusted files (PDF, HTML) under a time and a memory limit.

A hostile file can make a parser loop for minutes or allocate gigabytes; in a child process that
costs at most `timeout_s` and `memory_mb`, after which the child is killed (or fails its own
allocation) and the file is named with the reason. The server and the rest of the batch go on.
The child starts on the first file that needs it and serves every later one of the batch.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 90.0  # longer than the PDF reader's own 60 s, whose message says more
DEFAULT_MEMORY_MB = 1024


class ParseFailed(Exception):
    """The file could not be parsed; the message is the reason to show with its name."""


class ParseWorker:
    """Runs parsers in a child process; `run` returns the result or raises `ParseFailed`."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        if timeout_s <= 0 or memory_mb <= 0:
            raise ValueError("the parse worker needs a positive time and memory limit")
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ParseWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, parser: Callable[..., T], *args: Any) -> T:
        """`parser(*args)` in the child (a module-level function); its result, or `ParseFailed` with a reason."""
        with self._lock:
            conn = self._started()
            try:
                conn.send((parser, args))
                if not conn.poll(self.timeout_s):
                    self._stop(kill=True)
                    raise ParseFailed(f"reading it took over {self.timeout_s:g} s, the limit")
                status, value = conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self._stop(kill=True)
                raise ParseFailed(f"the reader stopped (over {self.memory_mb} MB of memory?)") from None
        if status == "ok":
            return value
        raise ParseFailed(value)

    def close(self) -> None:
        with self._lock:
            self._stop(kill=False)

    def _started(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._stop(kill=True)
        # spawn, not fork: the parent runs threads (the server, Chroma) that a fork would copy mid-step.
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child, self.memory_mb), name="newsrag-parse", daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def _stop(self, kill: bool) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            try:
                if not kill:
                    conn.send(None)
            except OSError:
                pass
            conn.close()
        if process is not None:
            if kill:
                process.kill()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


def _serve(conn: Connection, memory_mb: int) -> None:
    """The child's loop: parse each request, answer ("ok", result) or ("failed", reason)."""
    import resource

    from index.errors import BadInput

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        parser, args = request
        try:
            reply: tuple[str, Any] = ("ok", parser(*args))
        except BadInput as exc:
            reply = ("failed", str(exc))
        except MemoryError:
            reply = ("failed", f"reading it needed over {memory_mb} MB of memory, the limit")
        except RecursionError:
            reply = ("failed", "nested too deeply to read")
        except Exception as exc:  # noqa: BLE001 - a parser's failure on a hostile file names the file
            reply = ("failed", f"unreadable ({type(exc).__name__})")
        conn.send(reply)
