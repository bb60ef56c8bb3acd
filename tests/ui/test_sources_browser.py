"""The Sources panel in a real browser: follow a feed, see it listed; a loopback URL from the chat is refused."""

from __future__ import annotations

import pytest

from tests.ui.test_browser import WAIT_MS, chromium  # noqa: F401  (the browser fixture)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def test_sources_panel_follows_a_feed_and_refuses_a_loopback_fetch(small_app, chromium):  # noqa: F811
    page = chromium.new_page()
    try:
        page.goto(small_app.url)
        page.get_by_role("tab", name="Documents").click()
        page.get_by_text("Sources: web pages, feeds and sitemaps").click()
        box = page.locator("#source-url textarea, #source-url input").first
        box.fill("https://news.example.org/rss.xml?utm_source=x")
        page.locator("#follow-source").click()
        page.wait_for_function(
            "() => (document.querySelector('#sources-table') || {}).innerText?.includes('news.example.org')", timeout=WAIT_MS
        )
        assert "Following" in page.locator("#source-report").inner_text()

        box.fill(small_app.url + "admin")  # the app's own address: loopback
        page.locator("#fetch-url").click()
        page.wait_for_function(
            "() => (document.querySelector('#source-report') || {}).innerText?.includes('private or local address')",
            timeout=WAIT_MS,
        )
    finally:
        page.close()


def test_the_chat_answers_only_from_the_outlet_picked_in_its_settings(two_outlets, serve_app, chromium):  # noqa: F811
    from rag.config import Config
    from rag.pipeline import Pipeline
    from tests.support.servers import free_port
    from tests.ui.conftest import OUTLETS_QUESTION

    library, gazette, courier = two_outlets
    config = Config(index=library.settings, backend="extractive", refusal_threshold=0.0, host="127.0.0.1", port=free_port())
    with serve_app(Pipeline(config, library=library), config) as app:
        page = chromium.new_page()
        try:
            page.goto(app.url)
            page.wait_for_selector("#question textarea", timeout=WAIT_MS)
            page.get_by_text("Settings and filters").click()
            page.locator("#outlet-filter input").click()
            page.get_by_role("option", name="Coast Courier").click()
            page.keyboard.press("Escape")
            box = page.locator("#question textarea")
            box.fill(OUTLETS_QUESTION)
            box.press("Enter")
            page.wait_for_function(
                "() => (document.querySelector('#sources') || {}).innerText?.includes('Buses hit too')", timeout=WAIT_MS
            )
            page.wait_for_selector("#send", state="visible", timeout=WAIT_MS)  # the answer is done
            sources = page.locator("#sources").inner_text()
            assert "Buses hit too" in sources and "Ferries cancelled" not in sources
        finally:
            page.close()
