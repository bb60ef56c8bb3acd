"""The chat's handlers with the real pipeline over a small index (and fakes for failures)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rag.errors import StoreUnavailable
from rag.types import Retrieved
from ui.api import MAX_QUESTION_CHARS
from ui.chat import EMPTY_HINT, LONG_HINT, ChatHandlers
from rag.types import Answer
from ui.conversation import Turn, dump_turns, load_turns

NO_SETTINGS = ("extractive", 4, [], None, None)


def is_skip(value) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


@pytest.fixture()
def chat(small_pipeline, small_config, tmp_path: Path) -> ChatHandlers:
    return ChatHandlers(small_pipeline, small_config, tmp_path / "exports")


def ask(chat: ChatHandlers, question: str, stored=(), settings=NO_SETTINGS):
    """Run both steps of sending a question; returns every update of the answer step."""
    box, pending, _, _, stored, _, _ = chat.take_question(question, list(stored))
    assert box == ""
    return list(chat.answer(pending, stored, *settings))


def test_empty_question_gets_a_hint_and_changes_nothing(chat):
    box, pending, conversation, _, stored, _, _ = chat.take_question("   ", [])
    assert pending == "" and is_skip(box) and is_skip(conversation) and is_skip(stored)
    assert all(is_skip(v) for v in next(chat.answer("", [], *NO_SETTINGS)))
    assert "Type a question" in EMPTY_HINT


def test_sources_are_shown_before_the_answer_is_final(chat):
    updates = ask(chat, "How much did the harbor bridge cost?")
    first_conversation, first_sources, _, _ = updates[0]
    assert "Reading" in first_sources and 'id="src-0-1"' in first_sources
    assert "msg assistant streaming" in first_conversation
    conversation, sources, stored, download = updates[-1]
    assert 'class="cite" href="#src-0-' in conversation and "240 million euros" in conversation
    assert "<mark>" in sources
    turn = load_turns(stored)[0]
    assert turn.answer is not None and turn.answer.citations
    assert Path(download).read_text(encoding="utf-8").count("240 million euros") >= 2


def test_follow_up_question_sends_the_answered_turns_as_history(small_config, tmp_path):
    seen = {}

    class Recorder:
        def stream(self, question, history=(), filters=None, k=None, backend=None):
            seen.update(question=question, history=list(history), k=k, backend=backend)
            yield Retrieved([])

    answered = Turn("Who is the mayor?", answer=Answer.from_json({"question": "Who is the mayor?", "answer": "Lena Holm [1]."}))
    failed = Turn("Broken?", error="the server was down")
    chat = ChatHandlers(Recorder(), small_config, tmp_path)
    ask(chat, "What did she say?", stored=dump_turns([answered, failed]), settings=("extractive", 3, [], None, None))
    assert seen == {
        "question": "What did she say?",
        "history": [("Who is the mayor?", "Lena Holm [1].")],
        "k": 3,
        "backend": "extractive",
    }


def test_document_filter_limits_the_passages(chat):
    updates = ask(chat, "What happened this autumn?", settings=("extractive", 4, ["orchard-2024"], None, None))
    turn = load_turns(updates[-1][2])[0]
    assert turn.shown_passages and {p.doc_id for p in turn.shown_passages} == {"orchard-2024"}


def test_date_filter_outside_every_article_finds_nothing(chat):
    updates = ask(chat, "How much did the harbor bridge cost?", settings=("extractive", 4, [], "2030-01-01", None))
    turn = load_turns(updates[-1][2])[0]
    assert turn.answer is not None and turn.answer.refused and turn.shown_passages == []


def test_bad_date_is_explained_in_the_chat(chat):
    with pytest.warns(UserWarning, match="must look like 2024-05-31"):  # gr.Warning outside a request
        updates = ask(chat, "Anything?", settings=("extractive", 4, [], "31/12/2024", None))
    conversation, _, stored, _ = updates[-1]
    assert "must look like 2024-05-31" in conversation and load_turns(stored)[0].error


def test_store_outage_becomes_one_sentence_and_the_chat_goes_on(small_config, tmp_path):
    class Down:
        def stream(self, *args, **kwargs):
            raise StoreUnavailable("the Chroma server at http://127.0.0.1:8000 cannot be reached; start it or check --chroma-url")
            yield  # pragma: no cover

    chat = ChatHandlers(Down(), small_config, tmp_path)
    with pytest.warns(UserWarning, match="cannot be reached"):
        conversation, _, stored, _ = ask(chat, "Anything?")[-1]
    assert "msg assistant failed" in conversation
    assert "the Chroma server at http://127.0.0.1:8000 cannot be reached; start it or check --chroma-url." in conversation
    assert "Traceback" not in conversation
    with pytest.warns(UserWarning):
        again = ask(chat, "Still there?", stored=stored)[-1]
    assert [t.question for t in load_turns(again[2])] == ["Anything?", "Still there?"]


def test_unexpected_errors_show_a_generic_sentence_without_details(small_config, tmp_path):
    class Broken:
        def stream(self, *args, **kwargs):
            raise RuntimeError("secret internals /home/user/.rag")
            yield  # pragma: no cover

    with pytest.warns(UserWarning, match="Something went wrong"):
        conversation, *_ = ask(ChatHandlers(Broken(), small_config, tmp_path), "Anything?")[-1]
    assert "Something went wrong while answering" in conversation and "secret internals" not in conversation


def test_stopping_an_answer_closes_the_pipeline_stream(small_config, tmp_path):
    closed = []

    class Slow:
        def stream(self, *args, **kwargs):
            try:
                yield Retrieved([])
                for word in ("one ", "two ", "three "):
                    yield word
            finally:
                closed.append(True)

    chat = ChatHandlers(Slow(), small_config, tmp_path)
    _, pending, _, _, stored, _, _ = chat.take_question("Long answer?", [])
    updates = chat.answer(pending, stored, *NO_SETTINGS)
    next(updates), next(updates)
    updates.close()
    assert closed == [True]


def test_stop_keeps_what_was_streamed_and_marks_the_turn(chat):
    stored = dump_turns([Turn("Long answer?", partial="The bridge cost")])
    conversation, _, kept, download, send, stop = chat.stop(stored)
    turn = load_turns(kept)[0]
    assert turn.stopped and turn.partial == "The bridge cost"
    assert "The bridge cost" in conversation and "Stopped." in conversation
    assert send["visible"] is True and stop["visible"] is False
    assert "(stopped) The bridge cost" in Path(download).read_text(encoding="utf-8")


def test_page_reload_restores_the_conversation_and_new_chat_clears_it(chat):
    stored = ask(chat, "How much did the harbor bridge cost?")[-1][2]
    conversation, sources, download = chat.restore(stored)
    assert "How much did the harbor bridge cost?" in conversation and "<mark>" in sources and download
    conversation, sources, cleared, download = chat.new_chat()
    assert cleared == [] and download is None and "Ask your news articles" in conversation


def test_an_answer_that_escaped_the_cancel_ends_itself_as_stopped(small_config, tmp_path):
    class Words:
        def stream(self, *args, **kwargs):
            yield Retrieved([])
            for word in ("one ", "two ", "three ", "four "):
                yield word

    chat = ChatHandlers(Words(), small_config, tmp_path)
    _, pending, _, _, stored, _, _ = chat.take_question("Long answer?", [])
    updates = chat.answer(pending, stored, *NO_SETTINGS)
    next(updates), next(updates)
    chat.stop(stored)
    rest = list(updates)
    assert len(rest) == 1
    turn = load_turns(rest[0][2])[0]
    assert turn.stopped and turn.partial == "one " and not turn.error
    assert "Stopped." in rest[0][0]


def test_a_question_sent_while_an_answer_streams_waits_for_it(chat):
    _, pending, _, _, stored, _, _ = chat.take_question("How much did the harbor bridge cost?", [])
    box, second_pending, conversation, _, second_stored, _, _ = chat.take_question("Who is the mayor?", stored)
    assert second_pending == "" and is_skip(box) and is_skip(conversation) and is_skip(second_stored)
    final = list(chat.answer(pending, stored, *NO_SETTINGS))[-1]
    box, pending, *_ = chat.take_question("Who is the mayor?", final[2])
    assert box == "" and pending == "Who is the mayor?"


def test_stop_frees_the_session_for_the_next_question(chat):
    _, _, _, _, stored, _, _ = chat.take_question("First?", [])
    chat.stop(stored)  # e.g. the question was still waiting in the queue
    _, pending, *_ = chat.take_question("Second?", stored)
    assert pending == "Second?"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (("gpt-9", 4, [], None, None), "Unknown backend"),
        (("extractive", 0, [], None, None), "between 1 and 50"),
        (("extractive", 4, [], "2024-06-01", "2024-01-01"), "after the 'published to' date"),
    ],
)
def test_invalid_settings_are_explained_not_raised(small_config, settings, message):
    from ui.chat import read_choices

    with pytest.raises(ValueError, match=message):
        read_choices(small_config, *settings)


def test_settings_become_filters(small_config):
    from datetime import date

    from ui.chat import read_choices

    choices = read_choices(small_config, "extractive", 3.0, ["a", ""], "2024-01-01", "2024-12-31 00:00:00")
    assert (choices.backend, choices.k) == ("extractive", 3)
    assert choices.filters.doc_ids == ("a",)
    assert (choices.filters.published_from, choices.filters.published_to) == (date(2024, 1, 1), date(2024, 12, 31))


def test_a_question_over_the_api_limit_is_refused_with_a_hint(chat):
    box, pending, conversation, _, stored, _, _ = chat.take_question("a" * (MAX_QUESTION_CHARS + 1), [])
    assert pending == "" and is_skip(box) and is_skip(conversation) and is_skip(stored)
    assert "100,000 characters" in LONG_HINT


def test_a_100_kb_question_of_markup_is_shown_and_answered_quickly(chat):
    question = ("**a " * MAX_QUESTION_CHARS)[:MAX_QUESTION_CHARS]
    started = time.monotonic()
    _, pending, conversation, _, _, _, _ = chat.take_question(question, [])
    assert pending == question.strip() and "**a" in conversation
    updates = list(chat.answer(pending, [], *NO_SETTINGS))
    assert updates and time.monotonic() - started < 5
