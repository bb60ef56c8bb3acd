"""Answers for the program routes (`/v1`, `/mcp`): how many are computed at once, how many may wait.

The same limits as the chat's Gradio queue: one answer at a time with the in-process model
(it runs one prompt at a time anyway), four with a server back end or none, and at most
`MAX_WAITING` questions waiting; beyond that a request is told at once that the server is busy.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.concurrency import run_in_threadpool

from rag.config import Config
from rag.errors import RagError
from rag.types import Answer
from ui.api import AskRequest

MAX_WAITING = 64  # as the chat's queue (QUEUE_MAX_SIZE in ui/app.py)
BUSY_MESSAGE = "the server is busy with other questions; try again in a minute"


class Busy(Exception):
    """Too many questions are waiting already."""


def answer_concurrency(config: Config) -> int:
    """Answers computed at once: one with the in-process model, four otherwise."""
    return 1 if config.backend == "embedded" else 4


class AnswerSlots:
    """A counting limit on answers in progress, with a bounded number of waiting requests."""

    def __init__(self, limit: int, max_waiting: int = MAX_WAITING) -> None:
        self.limit = limit
        self.max_waiting = max_waiting
        self.waiting = 0
        self._semaphore: asyncio.Semaphore | None = None

    @classmethod
    def for_config(cls, config: Config) -> AnswerSlots:
        return cls(answer_concurrency(config))

    def check(self) -> None:
        """Raise `Busy` when a new request would have to wait beyond the limit."""
        if self.waiting >= self.max_waiting:
            raise Busy(BUSY_MESSAGE)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one answer slot while the block runs (waiting for one first)."""
        self.check()
        if self._semaphore is None:  # created in the server's event loop
            self._semaphore = asyncio.Semaphore(self.limit)
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._semaphore.release()


class Answering:
    """Answers a validated request with the pipeline in a worker thread, one answer slot at a time."""

    def __init__(self, pipeline, slots: AnswerSlots) -> None:
        self.pipeline = pipeline
        self.slots = slots

    def _answer(self, ask: AskRequest, cancelled: threading.Event) -> Answer | None:
        if cancelled.is_set():  # the client left while the request waited for a slot
            return None
        filters = ask.narrowed(self.pipeline.library)
        events = self.pipeline.stream(ask.question, history=ask.history, filters=filters, k=ask.k, backend=ask.backend)
        try:
            for event in events:
                if cancelled.is_set():
                    return None  # the client left: release the model now
                if isinstance(event, Answer):
                    return event
        finally:
            events.close()
        return None

    async def answer(self, ask: AskRequest, cancelled: threading.Event | None = None) -> Answer:
        """The verified answer; raises `Busy`, `ConfigError` or `RagError`."""
        cancelled = cancelled or threading.Event()
        async with self.slots.slot():
            answer = await run_in_threadpool(self._answer, ask, cancelled)
        if answer is None:
            raise RagError("no answer was produced")
        return answer
