"""The chat page's notice while the local model is prepared in the background, and the switch to it.

`make run` serves the chat before the embedded model is installed (`cli/llm_setup.py` prepares it
in a child process). Until it is ready, answers are quoted from the articles (the embedded back
end's factory refuses to build, `rag.backends.setup_status`), and the page says so and how far the
set-up is, refreshed every few seconds. When it is ready the notice goes, and `watch_until_ready`
loads the model at once, so the first question after the switch does not wait for it.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable

import gradio as gr

from rag.backends.setup_status import Readiness, readiness
from rag.config import Config

log = logging.getLogger(__name__)

# The page asks this often; each tick counts against the client's request rate (ui/security.py).
REFRESH_S = 3.0
WATCH_S = 2.0

Check = Callable[[Config], Readiness]


def notice_html(state: Readiness) -> str:
    """The notice as HTML; "" when the model is ready."""
    if state.ready:
        return ""
    kind = "model-notice failed" if state.failed else "model-notice"
    return f'<div class="{kind}" role="status">{html.escape(state.notice)}</div>'


class ModelNotice:
    """Reads the set-up's status for the page: the notice now, and whether to keep asking."""

    def __init__(self, config: Config, check: Check = readiness) -> None:
        self.config = config
        self.check = check

    def html(self) -> str:
        return notice_html(self.check(self.config))

    def refresh(self) -> tuple[str, gr.Timer]:
        """The notice, and the timer switched off once there is nothing more to report."""
        state = self.check(self.config)
        return notice_html(state), gr.Timer(active=not state.ready and not state.failed)


def add_model_notice(demo: gr.Blocks, config: Config, check: Check = readiness) -> None:
    """Inside `demo`: the notice line, refreshed on page load and by a timer while the model is prepared.

    Nothing is added when the model is ready as the app is built: a set-up starts only before that.
    """
    notice = ModelNotice(config, check)
    state = check(config)
    if state.ready:
        return
    view = gr.HTML(notice_html(state), elem_id="model-notice", js_on_load=None)
    timer = gr.Timer(REFRESH_S, active=not state.failed)
    options = dict(outputs=[view, timer], queue=False, show_progress="hidden", api_visibility="private")
    timer.tick(notice.refresh, **options)
    demo.load(notice.refresh, **options)  # a page opened later shows the state then


def watch_until_ready(
    config: Config, on_ready: Callable[[], None], check: Check = readiness, interval_s: float = WATCH_S
) -> threading.Thread | None:
    """Call `on_ready` (e.g. the pipeline's warm-up) in a thread once the set-up is done; None if it already is."""
    if check(config).ready:
        return None
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(interval_s):
            state = check(config)
            if state.ready:
                log.info("the local model is ready: switching to it")
                on_ready()
                return
            if state.failed:
                log.warning("%s", state.notice)
                return

    thread = threading.Thread(target=watch, name="model-watch", daemon=True)
    thread.start()
    return thread
