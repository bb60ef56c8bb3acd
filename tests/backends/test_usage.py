"""Token counting for one answer: the calls a metered generator makes, on whatever thread consumes them."""

from __future__ import annotations

import threading

from rag.backends.base import ChatMessage, ChoiceScorer, Generator
from rag.backends.usage import metered, record
from rag.types import TokenUsage

MESSAGES = [ChatMessage("user", "What did the bridge cost?")]


class Writer:
    """Reports 7 prompt tokens when it starts and one token per piece, as the local model does."""

    name = "writer"

    def stream(self, messages, *, max_tokens=256):
        record(prompt_tokens=7)
        for piece in ["240", " million", " euros"][:max_tokens]:
            record(completion_tokens=1)
            yield piece


class Scorer(Writer):
    def choice_probabilities(self, messages, options):
        record(prompt_tokens=11)
        return {o: 1 / len(options) for o in options}


def test_a_metered_generator_counts_calls_and_the_tokens_its_back_end_reports():
    usage = TokenUsage()
    model = metered(Scorer(), usage)
    assert "".join(model.stream(MESSAGES)) == "240 million euros"
    assert model.choice_probabilities(MESSAGES, ["yes", "no"]) == {"yes": 0.5, "no": 0.5}
    assert usage == TokenUsage(prompt_tokens=18, completion_tokens=3, model_calls=2)
    assert usage.to_json() == {"prompt_tokens": 18, "completion_tokens": 3, "total_tokens": 21, "model_calls": 2}


def test_a_scorer_stays_a_scorer_and_a_plain_generator_stays_plain():
    assert isinstance(metered(Scorer(), TokenUsage()), ChoiceScorer)
    plain = metered(Writer(), TokenUsage())
    assert isinstance(plain, Generator) and not isinstance(plain, ChoiceScorer) and plain.name == "writer"


def test_pieces_taken_on_other_threads_count_into_the_same_answer():
    usage = TokenUsage()
    pieces = metered(Writer(), usage).stream(MESSAGES)
    taken: list[str] = []
    for _ in range(3):
        worker = threading.Thread(target=lambda: taken.append(next(pieces)))
        worker.start()
        worker.join()
    assert taken == ["240", " million", " euros"]
    assert usage == TokenUsage(prompt_tokens=7, completion_tokens=3, model_calls=1)


def test_two_answers_metered_at_once_keep_their_own_counts():
    first, second = TokenUsage(), TokenUsage()
    a, b = metered(Writer(), first).stream(MESSAGES), metered(Writer(), second).stream(MESSAGES)
    next(a), next(b), next(a)  # interleaved
    list(b)
    assert first == TokenUsage(7, 2, 1) and second == TokenUsage(7, 3, 1)


def test_calls_outside_a_metered_answer_count_nowhere():
    usage = TokenUsage()
    metered(Writer(), usage)
    assert list(Writer().stream(MESSAGES)) == ["240", " million", " euros"]
    assert usage == TokenUsage()
