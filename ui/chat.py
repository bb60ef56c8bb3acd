"""The chat tab's event handlers: take a question, stream its answer, stop, start over, restore, export."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from index.documents import parse_date
from rag.config import Config
from rag.errors import ConfigError, NoSuchOutlet, RagError
from rag.types import Answer, Filters, Retrieved
from ui.api import MAX_QUESTION_CHARS
from ui.conversation import Turn, dump_turns, history_pairs, load_turns
from ui.render import conversation_html, conversation_markdown, sources_html, toast

log = logging.getLogger(__name__)

EMPTY_HINT = "Type a question first, for example: “What did the article say about …?”"
BUSY_HINT = "An answer is still on its way: wait for it, or press Stop."
LONG_HINT = f"Questions may be up to {MAX_QUESTION_CHARS:,} characters; shorten yours and send it again."
# A session counts as answering for at most this long (in case an answer never ran at all).
BUSY_TIMEOUT_S = 600.0
FORGET_AFTER_S = 3600.0
# The conversation is saved in the browser at most this often while an answer streams.
SAVE_EVERY_S = 1.0
EXPORT_MAX_AGE_S = 3600.0


@dataclass(frozen=True)
class Choices:
    """What the settings panel asks for, validated."""

    backend: str
    k: int
    filters: Filters
    outlets: tuple[str, ...] = ()


def read_choices(
    config: Config,
    backend: str | None,
    k: Any,
    doc_ids: Sequence[str] | None,
    date_from: Any,
    date_to: Any,
    outlets: Sequence[str] | None = None,
) -> Choices:
    """Validate the settings; raises ValueError with a sentence for the user."""
    try:
        k_value = int(k) if k not in (None, "") else None
    except (TypeError, ValueError):
        raise ValueError("The number of passages must be a whole number.") from None
    try:
        chosen = config.with_overrides(backend=backend or None, k=k_value)  # validates both
    except ConfigError as exc:
        raise ValueError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    start, end = _date(date_from, "from"), _date(date_to, "to")
    if start and end and start > end:
        raise ValueError("The 'published from' date is after the 'published to' date.")
    filters = Filters(doc_ids=tuple(d for d in (doc_ids or ()) if d), published_from=start, published_to=end)
    return Choices(chosen.backend, chosen.k, filters, tuple(o for o in (outlets or ()) if o))


def _date(value: Any, which: str) -> date | None:
    if value is None or not str(value).strip():
        return None
    parsed = parse_date(str(value))
    if parsed is None:
        raise ValueError(f"The 'published {which}' date must look like 2024-05-31.")
    return parsed


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or ""


def user_message(exc: BaseException) -> str:
    """One sentence for the chat; the details of unexpected errors go to the server log."""
    if isinstance(exc, RagError):
        text = str(exc).strip() or type(exc).__name__
        return text if text.endswith((".", "!", "?")) else text + "."
    return "Something went wrong while answering; the details are in the server log."


class ChatHandlers:
    """The functions behind the chat's buttons; `pipeline` answers, the rest is presentation."""

    def __init__(self, pipeline, config: Config, export_dir: Path) -> None:
        self.pipeline = pipeline
        self.config = config
        self.export_dir = export_dir
        # Per browser session: when it last sent a question, last pressed Stop, and whether an
        # answer is on its way. Stop also cancels the Gradio event; the times let an answer that
        # slipped past the cancel end itself as stopped.
        self._asked: dict[str, float] = {}
        self._stopped: dict[str, float] = {}
        self._answering: dict[str, float] = {}

    # ---- sending -------------------------------------------------------------------------------
    def take_question(self, question: str, stored: Any, request: gr.Request | None = None):
        """Runs at once (not queued): clear the box, show the question, swap Send for Stop."""
        text = (question or "").strip()
        session, now = _session(request), time.monotonic()
        if len(text) > MAX_QUESTION_CHARS:  # the box caps it too; a client that skips the box gets this
            gr.Warning(LONG_HINT)
            return gr.skip(), "", gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if not text or now - self._answering.get(session, -BUSY_TIMEOUT_S) < BUSY_TIMEOUT_S:
            gr.Info(EMPTY_HINT if not text else BUSY_HINT)
            return gr.skip(), "", gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        self._forget_old_sessions(now)
        self._asked[session] = self._answering[session] = now
        turns = load_turns(stored) + [Turn(question=text)]
        return (
            "",
            text,
            conversation_html(turns, streaming=True),
            sources_html(turns),
            dump_turns(turns),
            gr.update(visible=False),
            gr.update(visible=True),
        )

    def answer(
        self,
        pending: str,
        stored: Any,
        backend,
        k,
        doc_ids,
        date_from,
        date_to,
        outlets=None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple]:
        """Stream the answer to the pending question: (conversation, sources, stored turns, download)."""
        if not pending:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        session = _session(request)
        asked = self._asked.get(session, time.monotonic())

        def stop_requested() -> bool:
            return self._stopped.get(session, -1.0) >= asked

        try:
            yield from self._answer(pending, stored, (backend, k, doc_ids, date_from, date_to, outlets), stop_requested)
        finally:
            if self._asked.get(session) == asked:
                for times in (self._asked, self._stopped, self._answering):
                    times.pop(session, None)

    def _narrowed(self, choices: Choices) -> Filters:
        """The chosen filters, the outlets turned into their documents; ValueError with a sentence when none is left."""
        if not choices.outlets:
            return choices.filters
        try:
            return self.pipeline.library.restrict_to_outlets(choices.filters, choices.outlets)
        except NoSuchOutlet as exc:
            raise ValueError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None

    def _answer(self, pending: str, stored: Any, settings: tuple, stop_requested) -> Iterator[tuple]:
        turns = load_turns(stored)
        if not turns or turns[-1].question != pending or turns[-1].done:
            turns.append(Turn(question=pending))
        turn = turns[-1]
        if stop_requested():
            turn.stopped = True
            yield self._final(turns)
            return
        try:
            choices = read_choices(self.config, *settings)
            filters = self._narrowed(choices)
        except ValueError as exc:
            gr.Warning(toast(exc))
            turn.error = str(exc)
            yield self._final(turns)
            return
        saved_at = time.monotonic()
        events = self.pipeline.stream(
            pending, history=history_pairs(turns[:-1]), filters=filters, k=choices.k, backend=choices.backend
        )
        try:
            for event in events:
                if stop_requested():
                    turn.stopped = True
                    break
                if isinstance(event, Retrieved):
                    turn.passages = list(event.passages)
                    yield conversation_html(turns, streaming=True), sources_html(turns), dump_turns(turns), gr.skip()
                elif isinstance(event, Answer):
                    turn.answer, turn.partial = event, ""
                elif isinstance(event, str) and event:
                    turn.partial += event
                    save = time.monotonic() - saved_at >= SAVE_EVERY_S
                    saved_at = time.monotonic() if save else saved_at
                    yield conversation_html(turns, streaming=True), gr.skip(), dump_turns(turns) if save else gr.skip(), gr.skip()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence in the chat
            if not isinstance(exc, RagError):
                log.exception("answering %r failed", pending)
            turn.error = user_message(exc)
            gr.Warning(toast(turn.error))
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()  # a stopped answer releases the model at once
        if turn.answer is None and not turn.error and not turn.stopped:
            turn.error = "No answer was produced."
        yield self._final(turns)

    def _final(self, turns: list[Turn]) -> tuple:
        return conversation_html(turns), sources_html(turns), dump_turns(turns), self.export(turns)

    def finish(self):
        """After an answer (or a stop): Send comes back."""
        return gr.update(visible=True), gr.update(visible=False)

    def stop(self, stored: Any, request: gr.Request | None = None):
        """Mark the unfinished answer as stopped, keeping what had been streamed."""
        session = _session(request)
        self._stopped[session] = time.monotonic()
        self._answering.pop(session, None)
        turns = load_turns(stored)
        if turns and not turns[-1].done:
            turns[-1].stopped = True
        return (
            conversation_html(turns),
            sources_html(turns),
            dump_turns(turns),
            self.export(turns),
            gr.update(visible=True),
            gr.update(visible=False),
        )

    def _forget_old_sessions(self, now: float) -> None:
        """Drop the times of sessions idle for long (closed pages whose answer never ran)."""
        for session in [s for s, t in self._asked.items() if now - t > FORGET_AFTER_S]:
            for times in (self._asked, self._stopped, self._answering):
                times.pop(session, None)

    # ---- conversation --------------------------------------------------------------------------
    def new_chat(self):
        return conversation_html([]), sources_html([]), [], None

    def restore(self, stored: Any):
        """On page load: show the conversation kept in this browser."""
        turns = load_turns(stored)
        return conversation_html(turns), sources_html(turns), self.export(turns)

    def export(self, turns: Sequence[Turn]) -> str | None:
        """Write the conversation as Markdown for the Download button; None when there is none."""
        if not turns:
            return None
        self._prune_exports()
        folder = Path(tempfile.mkdtemp(prefix="export-", dir=self.export_dir))
        path = folder / f"conversation-{time.strftime('%Y%m%d-%H%M%S')}.md"
        path.write_text(conversation_markdown(turns), encoding="utf-8")
        return str(path)

    def _prune_exports(self) -> None:
        self.export_dir.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - EXPORT_MAX_AGE_S
        for folder in self.export_dir.glob("export-*"):
            try:
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue
