"""The Documents tab's Sources panel and the outlet line of source cards."""

from __future__ import annotations


import pytest

from index.library import Library
from index.settings import IndexSettings
from index.sources import Sources
from rag.types import Outlet, Passage
from tests.support.news_site import article_html
from ui.render import source_card
from ui.sources_panel import SourcesHandlers, sources_table_html

TEXT = "\n\n".join(f"The tram line {p} reopens on Monday after {p + 3} weeks of track repairs, the city said." for p in range(4))


@pytest.fixture()
def library(tmp_path) -> Library:
    return Library(IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64", fetch_delay_s=0, fetch_retries=0))


def test_fetch_now_refuses_loopback_for_chat_users(site, library):
    url = site.route("/tram", article_html("Tram reopens", TEXT))
    report = SourcesHandlers(library, allow_private=False).fetch_now(url)
    assert report["added"] == 0 and "private or local address" in report["failed"][0]["reason"]
    assert site.hits == [] and library.documents() == []


def test_fetch_now_with_private_urls_allowed_indexes_the_page(site, library):
    url = site.route("/tram", article_html("Tram reopens", TEXT))
    report = SourcesHandlers(library, allow_private=True).fetch_now(url)
    assert report["added"] == 1 and [r.doc_id for r in library.documents()] == [url]


def test_follow_records_the_source_and_shows_it(library):
    message, table = SourcesHandlers(library, allow_private=False).follow("https://e.org/rss.xml", "1h")
    assert "Following https://e.org/rss.xml every 1h" in message
    assert "https://e.org/rss.xml" in table and "<td>1h</td>" in table
    assert [s.url for s in Sources(library.settings.data_dir).all()] == ["https://e.org/rss.xml"]


def test_follow_of_a_non_http_url_is_one_sentence(library):
    message, _ = SourcesHandlers(library, allow_private=False).follow("file:///etc/passwd", "30m")
    assert "is not an http(s) URL" in message and library.settings.data_dir.joinpath("sources.json").exists() is False


def test_source_table_escapes_titles_and_errors(tmp_path):
    sources = Sources(tmp_path)
    sources.add("https://e.org/feed", 1800, title="<script>alert(1)</script>")
    sources.record("https://e.org/feed", items=0, item_errors=0, error="<img src=x onerror=alert(1)>")
    html = sources_table_html(sources.all())
    assert "<script>" not in html and "<img" not in html and "&lt;img src=x" in html


def test_source_card_names_the_outlet_and_the_other_outlets_escaped():
    passage = Passage(
        n=1, doc_id="https://a.example/x", chunk_ids=("c",), title="T", text="Some text.", score=1.0, start=0, end=10,
        url="https://a.example/x", outlet="<b>Gazette</b>", updated="2022-07-04",
        also_in=(Outlet("Courier<script>", "https://c.example/y"), Outlet("Bad", "javascript:alert(1)")),
    )
    html = source_card(0, passage)
    assert "&lt;b&gt;Gazette&lt;/b&gt;" in html and "updated <time>2022-07-04</time>" in html
    assert 'href="https://c.example/y"' in html and "Courier&lt;script&gt;" in html
    assert "javascript:" not in html
