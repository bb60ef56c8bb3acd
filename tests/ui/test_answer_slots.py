"""The limit on answers the program routes compute at once, and on the questions waiting for one."""

from __future__ import annotations

import asyncio

import pytest

from rag.config import Config
from ui.answer_slots import AnswerSlots, Busy, answer_concurrency


def test_one_answer_at_a_time_with_the_in_process_model_four_otherwise():
    assert answer_concurrency(Config(backend="embedded")) == 1
    assert answer_concurrency(Config(backend="extractive")) == answer_concurrency(Config(backend="ollama")) == 4


def test_answers_beyond_the_limit_wait_and_beyond_the_queue_are_refused():
    async def scenario() -> tuple[int, list[str]]:
        slots = AnswerSlots(limit=2, max_waiting=1)
        running, most, order = 0, 0, []
        release = asyncio.Event()

        async def answer(name: str) -> None:
            nonlocal running, most
            async with slots.slot():
                running += 1
                most = max(most, running)
                order.append(name)
                await release.wait()
                running -= 1

        tasks = [asyncio.create_task(answer(n)) for n in ("a", "b", "c")]
        await asyncio.sleep(0.05)  # a and b answer, c waits
        with pytest.raises(Busy):
            slots.check()  # a fourth would wait beyond the queue
        release.set()
        await asyncio.gather(*tasks)
        return most, order

    most, order = asyncio.run(scenario())
    assert most == 2 and order == ["a", "b", "c"]
