"""The chat in a real browser (Debian's Chromium driven by Playwright).

Asks about the seed article, clicks a citation and reads the highlighted quote; uploads an article
carrying <script> and remote <img> tags and checks that nothing runs or loads; streams a slow
answer, stops it, and sees a second question wait in the queue. Takes a screenshot of the
answered chat; `RAG_SCREENSHOT=docs/screenshot.png` keeps it there (the README's picture).
"""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = os.environ.get("RAG_SCREENSHOT", "")
SEEDS = REPO / "seeds"
SEED_QUESTION = "What does Zelenski require before agreeing to a peace deal with Russia?"
HOSTILE_QUESTION = "How many visitors did the Zorblat festival in Quillton draw?"
WAIT_MS = 60_000


def hostile_article(beacon: str) -> str:
    return (
        f'Zorblat festival report <img src="{beacon}/title.png" onerror="window.__pwned=2">\n\n'
        "The Zorblat festival in Quillton drew 12,000 visitors on Saturday <script>window.__pwned=1</script>.\n\n"
        f"Organisers said the fireworks <img src={beacon}/beacon.png> were the largest so far "
        f"![map]({beacon}/markdown.png) and <iframe src=\"{beacon}/frame.html\"></iframe> promised a repeat.\n"
    )


class Beacon:
    """A tiny local HTTP server that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        beacon = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                beacon.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def beacon() -> Iterator[Beacon]:
    server = Beacon()
    yield server
    server.close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 860},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


def open_chat(context, url: str, console: list[str] | None = None):
    page = context.new_page()
    if console is not None:
        page.on("console", lambda message: console.append(message.text))
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=WAIT_MS)
    return page


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def last_answer(page):
    return page.locator("#conversation .turn").last.locator(".msg.assistant")


def test_chat_cites_highlights_exports_and_never_runs_document_code(tmp_path, seeded_app, chromium, beacon):
    with seeded_app(tmp_path / "app") as app:
        console: list[str] = []
        page = open_chat(chromium, app.url, console)
        expected = app.pipeline.ask(SEED_QUESTION).citations[0]
        # The page runs under a policy without 'unsafe-inline' scripts: Gradio's own carry the nonce.
        policy = page.evaluate("fetch('/').then(r => r.headers.get('content-security-policy'))")
        assert "'nonce-" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]

        # Ask with Enter; the answer arrives with a clickable marker that opens its source.
        ask(page, SEED_QUESTION)
        page.wait_for_selector("#conversation .msg.assistant.answered a.cite", timeout=WAIT_MS)
        assert page.locator("#question textarea").input_value() == ""
        marker = last_answer(page).locator("a.cite").first
        n = marker.get_attribute("data-n")
        marker.click()
        card = page.locator(f"#sources .turn-sources.current .source.active[data-n='{n}']")
        card.wait_for(state="visible", timeout=WAIT_MS)
        assert " ".join(card.locator("mark").first.inner_text().split()) == " ".join(expected.quote.split())
        assert "retrieval" in last_answer(page).locator(".answer-meta").inner_text()
        shot = Path(SCREENSHOT) if SCREENSHOT else tmp_path / "chat.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 0)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(shot))
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000

        # The Markdown export holds the question and the cited quote.
        with page.expect_download(timeout=WAIT_MS) as download:
            page.locator("#download").click()
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert SEED_QUESTION in exported and expected.quote.split(".")[0] in exported

        # The conversation survives a reload of the page.
        page.reload()
        page.wait_for_selector("#conversation .msg.assistant.answered", timeout=WAIT_MS)
        assert page.locator("#conversation .turn").count() == 1

        # Upload an article full of markup through the Documents tab.
        page.get_by_role("tab", name="Documents").click()
        page.locator("#upload input[type=file]").set_input_files(
            {"name": "zorblat <img src=x onerror=window.__pwned=3>.txt", "mimeType": "text/plain",
             "buffer": hostile_article(beacon.url).encode()}
        )
        page.locator("#add-documents").click()
        page.wait_for_function(
            "() => (document.querySelector('#ingest-report') || {}).innerText?.includes('Added 1')", timeout=WAIT_MS
        )
        table = page.locator("#documents").inner_text()
        assert f'<img src="{beacon.url}/title.png"' in table  # the title shown as text
        uploads = app.config.index.data_dir / "uploads"
        assert [p.name for p in uploads.iterdir()] == ["zorblat_img_src_x_onerror_window.__pwned_3.txt"]

        # Ask about it: the passages with the markup are shown, as text.
        page.get_by_role("tab", name="Chat").click()
        ask(page, HOSTILE_QUESTION)
        page.wait_for_function(
            "() => document.querySelectorAll('#conversation .turn').length === 2 && "
            "document.querySelector('#conversation .turn:last-child .msg.assistant.answered a.cite')",
            timeout=WAIT_MS,
        )
        last_answer(page).locator("a.cite").first.click()
        sources = page.locator("#sources .turn-sources.current").inner_text()
        assert "12,000 visitors" in sources and "<script>window.__pwned=1</script>" in sources
        page.wait_for_timeout(1500)  # give any injected image or script time to fire

        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("#conversation img, #sources img, #documents img, #conversation iframe, #sources iframe").count() == 0
        assert beacon.requests == []
        assert [m for m in console if "Content Security Policy" in m] == []  # nothing of the app's own was blocked


def test_answers_stream_can_be_stopped_and_a_waiting_question_sees_the_queue(tmp_path, minilm, chromium, serve_app, free_port):
    from index.library import Library
    from index.settings import IndexSettings
    from rag.config import Config
    from rag.pipeline import Pipeline

    reply = ("Zelenski", " wants", " security", " guarantees", " first", " [1].") * 8

    class SlowModel:
        """A stand-in local model: one word every 0.3 s; records when it is closed."""

        name = "slow"
        closed: list[float] = []

        def stream(self, messages, *, max_tokens: int = 256):
            try:
                for word in reply:
                    time.sleep(0.3)
                    yield word
            finally:
                SlowModel.closed.append(time.monotonic())

    library = Library(IndexSettings(data_dir=tmp_path / "data"), embedder=minilm)
    assert library.ingest([SEEDS]).ok
    config = Config(index=library.settings, backend="embedded", answer_mode="generate", refusal_threshold=0.0, host="127.0.0.1", port=free_port())
    with serve_app(Pipeline(config, library=library, generator=SlowModel()), config) as app:
        first, second = open_chat(chromium, app.url), open_chat(chromium, app.url)
        ask(first, SEED_QUESTION)
        first.wait_for_function(
            "() => document.querySelector('#conversation .msg.assistant.streaming')?.innerText.includes('security')",
            timeout=WAIT_MS,
        )
        streamed = last_answer(first).inner_text()
        assert len(streamed) < len("".join(reply)) / 2  # text arrives word by word, not at the end
        assert "Reading" in first.locator("#sources").inner_text()  # sources before the answer

        ask(second, "What do the allies plan?")
        second.wait_for_function(
            "() => /queue: ?\\d+\\/\\d+/.test(document.querySelector('#answer-status')?.innerText || '')", timeout=WAIT_MS
        )

        # Stop the waiting question: it leaves the queue; the first answer streams on.
        second.locator("#stop").click()
        second.wait_for_selector("#conversation .msg.assistant.stopped", timeout=WAIT_MS)
        assert second.locator("#send").is_visible()
        assert first.locator("#conversation .msg.assistant.streaming").count() == 1

        # Stop the streaming answer: what was streamed stays, and the model's stream is closed.
        first.locator("#stop").click()
        first.wait_for_selector("#conversation .msg.assistant.stopped", timeout=WAIT_MS)
        assert "Zelenski" in last_answer(first).inner_text() and first.locator("#send").is_visible()
        deadline = time.monotonic() + 5
        while not SlowModel.closed and time.monotonic() < deadline:
            time.sleep(0.1)
        assert SlowModel.closed, "stopping did not close the model's stream"
        second.wait_for_timeout(1000)
        assert second.locator("#conversation .msg.assistant.stopped").count() == 1  # it never started later
        for page in (first, second):
            page.close()


def test_an_answer_the_model_doubts_shows_the_caution_and_a_sure_one_does_not(tmp_path, minilm, chromium, serve_app, free_port):
    from index.library import Library
    from index.settings import IndexSettings
    from rag.config import Config
    from rag.pipeline import Pipeline
    from ui.render import TENTATIVE_NOTE

    class Judge:
        """A stand-in local model for verify mode: believes the spokeswoman's sentence, less so when asked "ruled out"."""

        name = "judge"

        def choice_probabilities(self, messages, options):
            prompt = messages[-1].content
            yes = (0.45 if "ruled out" in prompt else 0.9) if "permanently excluded" in prompt else 0.05
            return {"yes": yes, "no": 1 - yes, **{o: 0.0 for o in options if o not in ("yes", "no")}}

        def stream(self, messages, *, max_tokens: int = 256):
            yield "Caroline Levit"

    library = Library(IndexSettings(data_dir=tmp_path / "data"), embedder=minilm)
    assert library.ingest([SEEDS]).ok
    config = Config(index=library.settings, backend="embedded", answer_mode="verify", host="127.0.0.1", port=free_port())
    assert config.tentative_below == 0.5
    with serve_app(Pipeline(config, library=library, generator=Judge()), config) as app:
        page = open_chat(chromium, app.url)
        for n, question in enumerate(("Who ruled out US soldiers on the ground?", "Who excluded US soldiers on the ground?"), start=1):
            ask(page, question)
            page.wait_for_function(
                f"() => document.querySelectorAll('#conversation .msg.assistant.answered').length === {n}", timeout=WAIT_MS
            )
        doubted, sure = page.locator("#conversation .msg.assistant.answered").all()
        assert "Levit" in doubted.inner_text() and TENTATIVE_NOTE in doubted.locator(".tentative-label").inner_text()
        assert "Levit" in sure.inner_text() and sure.locator(".tentative-label").count() == 0
