"""`Library.ingest_urls`: pages, PDFs, feeds and sitemaps from a real HTTP server on loopback."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from index.fetch import FetchSettings
from index.library import Library
from index.settings import IndexSettings
from index.urls import canonical_url
from tests.support.news_site import NewsSite, article_html, http_date, rss, sitemap

# Fast and strict: no politeness delay, one quick retry, short timeouts, small pages.
FAST = FetchSettings(timeout_s=1.0, max_page_mb=0.2, max_redirects=3, delay_s=0.0, retries=1, backoff_s=0.01, max_items=50)


def body(n: int, words: str = "") -> str:
    return "\n\n".join(
        f"Story {n} paragraph {p}: the harbor council of town {n} voted on plan {n * 7 + p} {words} after a long "
        f"debate about costs, ferries and the new quay that residents had asked for since {2000 + p}."
        for p in range(5)
    )


@pytest.fixture()
def library(hash_settings: IndexSettings) -> Library:
    return Library(hash_settings)


def page(server: NewsSite, n: int, **kwargs) -> str:
    return server.route(f"/news/story-{n}", article_html(f"Story number {n} of the harbor", body(n), **kwargs), etag=f'"v{n}"')


def test_page_is_stored_under_its_canonical_url_with_its_metadata(site, library, assert_consistent):
    url = page(site, 1, modified="2022-07-03", site="Harbor Times", author="Ann Lee")
    report = library.ingest_urls([url + "?utm_source=x&fbclid=abc#top"], allow_private=True, fetch=FAST)
    assert report.failed == [] and report.added == [url]
    record = library.document(url)
    assert record.title == "Story number 1 of the harbor"
    assert (record.published, record.updated, record.site, record.authors) == ("2022-07-01", "2022-07-03", "Harbor Times", ("Ann Lee",))
    assert "Story 1 paragraph 3" in record.text and "Copyright" not in record.text
    assert_consistent(library)


def test_tracking_variant_of_an_ingested_page_is_unchanged_and_not_fetched_again(site, library):
    url = page(site, 2)
    library.ingest_urls([url], allow_private=True, fetch=FAST)
    again = library.ingest_urls([url + "?utm_campaign=spring&ref=home"], allow_private=True, fetch=FAST)
    assert again.ok and again.unchanged == [url] and again.added == []
    assert site.bodies_served("/news/story-2") == 1  # the second answer was a 304


def test_rel_canonical_is_trusted_on_the_same_host_only(site, library):
    same = page(site, 3, canonical=site.url("/articles/three"))
    other = page(site, 4, canonical="https://elsewhere.example/articles/four")
    report = library.ingest_urls([same, other], allow_private=True, fetch=FAST)
    assert sorted(report.added) == sorted([site.url("/articles/three"), other])


def test_changed_page_replaces_its_older_version(site, library):
    url = site.route("/live", article_html("Live: storm", body(5)), etag='"a"')
    library.ingest_urls([url], allow_private=True, fetch=FAST)
    site.route("/live", article_html("Live: storm", body(5, "and the ferry was cancelled")), etag='"b"')
    report = library.ingest_urls([url], allow_private=True, fetch=FAST)
    assert report.updated == [url]
    assert "ferry was cancelled" in library.document(url).text
    assert [r.doc_id for r in library.documents()] == [url]


def test_pdf_goes_through_the_pdf_loader(site, library, pdf_factory):
    lines = ["The harbor council approved the new quay on Monday.", "Work starts in spring."]
    url = site.route("/docs/report.pdf", pdf_factory.plain(lines, title="Quay report"), content_type="application/pdf")
    report = library.ingest_urls([url], allow_private=True, fetch=FAST)
    assert report.added == [url]
    assert "new quay" in library.document(url).text and library.document(url).title == "Quay report"


def test_each_bad_url_is_named_with_its_reason_and_the_rest_go_in(site, library):
    good = [page(site, n) for n in (10, 11)]
    bad = {
        site.route("/gone", "gone", status=410, content_type="text/plain"): "HTTP 410",
        site.url("/missing"): "HTTP 404",
        site.route("/broken", "oops", status=500, content_type="text/plain"): "HTTP 500",
        site.route("/loop-a", status=302, location="/loop-b"): "redirect loop",
        site.route("/slow", article_html("Slow", body(12)), delay_s=2.5): "timeout",
        site.route("/huge", "<html><body>" + "<p>word </p>" * 40_000 + "</body></html>"): "over the 0.2 MB limit",
        site.route("/data.bin", b"\x00\x01\x02", content_type="application/octet-stream"): "content type 'application/octet-stream'",
        site.route("/empty", "<html><body><nav>Home</nav></body></html>"): "no article text",
        "ftp://127.0.0.1/file": "only http and https",
    }
    site.route("/loop-b", status=302, location="/loop-a")
    report = library.ingest_urls([good[0], *bad, good[1]], allow_private=True, fetch=FAST)
    assert sorted(report.added) == sorted(good)
    reasons = dict(report.failed)
    assert set(reasons) == set(bad)
    for url, expected in bad.items():
        assert expected in reasons[url], (url, reasons[url])


def test_retries_a_server_error_then_gets_the_page(site, library):
    url = page(site, 13)
    attempts = []
    original = site.routes["/news/story-13"]

    class Flaky(dict):
        def get(self, path, default=None):
            if path == "/news/story-13" and not attempts:
                attempts.append(path)
                return replace(original, status=503, body=b"busy", content_type="text/plain")
            return dict.get(self, path, default)

    site.routes = Flaky(site.routes)
    report = library.ingest_urls([url], allow_private=True, fetch=FAST)
    assert report.added == [url] and attempts == ["/news/story-13"]


def test_wrong_charset_header_still_reads_the_page(site, library):
    text = "Zürich's harbor council met in Genève. " + body(14)
    url = site.route("/latin", article_html("Zürich harbor", text).encode("latin-1", errors="replace"), content_type="text/html; charset=utf-8")
    report = library.ingest_urls([url], allow_private=True, fetch=FAST)
    assert report.added == [url]
    assert "Zürich" in library.document(url).text


def test_feed_items_go_in_once_and_a_second_poll_fetches_no_page_body(site, library):
    links = [page(site, n) for n in range(20, 25)]
    feed = site.route(
        "/feed.xml", rss([(link, "Fri, 01 Jul 2022 08:00:00 GMT") for link in links] + [("", "x")]),
        content_type="application/rss+xml", etag='"feed1"',
    )
    first = library.ingest_urls([feed], allow_private=True, fetch=FAST)
    assert sorted(first.added) == sorted(links)
    assert first.failed == [(f"{feed} (item 6)", "the item has no link")]
    served = site.bodies_served()
    second = library.ingest_urls([feed], allow_private=True, fetch=FAST)
    assert second.added == [] and sorted(second.unchanged) == sorted(links)
    assert site.bodies_served() == served  # the feed answered 304 and no page was read again


def test_changed_feed_fetches_only_new_items(site, library):
    links = [page(site, n) for n in range(30, 33)]
    items = [(link, "Fri, 01 Jul 2022 08:00:00 GMT") for link in links]
    feed = site.route("/rss", rss(items), content_type="application/rss+xml", etag='"1"')
    library.ingest_urls([feed], allow_private=True, fetch=FAST)
    new = page(site, 33)
    site.route("/rss", rss([(new, "Sat, 02 Jul 2022 08:00:00 GMT"), *items]), content_type="application/rss+xml", etag='"2"')
    report = library.ingest_urls([feed], allow_private=True, fetch=FAST)
    assert report.added == [new] and sorted(report.unchanged) == sorted(links)
    assert all(site.bodies_served(f"/news/story-{n}") == 1 for n in range(30, 34))


def test_duplicate_links_in_a_feed_are_not_failures(site, library):
    link = page(site, 40)
    feed = site.route("/dups.xml", rss([(link, "x"), (link + "?utm_source=rss", "x")]), content_type="application/rss+xml")
    report = library.ingest_urls([feed], allow_private=True, fetch=FAST)
    assert report.ok and report.added == [link] and report.duplicates == [link]


def test_malformed_feed_is_named(site, library):
    feed = site.route("/bad.xml", "<?xml version='1.0'?><rss><channel><title>x</title><<<", content_type="application/rss+xml")
    report = library.ingest_urls([feed], allow_private=True, fetch=FAST)
    assert len(report.failed) == 1 and report.failed[0][0] == feed
    assert report.failed[0][1].startswith("malformed feed XML")


def test_feed_broken_after_its_first_items_keeps_them_and_names_the_fault(site, library):
    link = page(site, 41)
    broken = rss([(link, "x")]).replace("</channel></rss>", "<item><title>cut off")
    feed = site.route("/cut.xml", broken, content_type="application/rss+xml")
    report = library.ingest_urls([feed], allow_private=True, fetch=FAST)
    assert report.added == [link]
    reasons = dict(report.failed)
    assert "malformed feed XML" in reasons[feed] and reasons[f"{feed} (item 2)"] == "the item has no link"


def test_news_sitemap_pages_go_in(site, library):
    links = [page(site, n) for n in (50, 51)]
    smap = site.route("/sitemap.xml", sitemap(links), content_type="application/xml", last_modified=http_date())
    report = library.ingest_urls([smap], allow_private=True, fetch=FAST)
    assert sorted(report.added) == sorted(links) and report.ok
    second = library.ingest_urls([smap], allow_private=True, fetch=FAST)
    assert sorted(second.unchanged) == sorted(links) and site.bodies_served("/sitemap.xml") == 1


def test_feed_item_count_is_bounded(site, library):
    links = [page(site, n) for n in range(60, 66)]
    feed = site.route("/many.xml", rss([(link, "x") for link in links]), content_type="application/rss+xml")
    report = library.ingest_urls([feed], allow_private=True, fetch=replace(FAST, max_items=4))
    assert len(report.added) == 4


def test_robots_txt_is_respected_and_the_user_agent_is_clear(site, library):
    site.route("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    allowed = page(site, 70)
    denied = site.route("/private/story", article_html("Private", body(71)))
    report = library.ingest_urls([allowed, denied], allow_private=True, fetch=FAST)
    assert report.added == [allowed]
    assert report.failed == [(denied, "robots.txt of the site disallows fetching it")]
    assert site.bodies_served("/private/story") == 0
    assert all(agent.startswith("newsrag/") for agent in site.agents)


def test_loopback_is_refused_for_untrusted_callers(site, library):
    url = page(site, 80)
    report = library.ingest_urls([url], allow_private=False, fetch=FAST)
    assert report.added == [] and "private or local address" in report.failed[0][1]
    assert site.hits == []


def test_redirect_to_loopback_is_refused_for_untrusted_callers(site, library, monkeypatch):
    """A public-looking first hop that redirects to loopback: the second hop is refused."""
    import index.fetch as fetch
    from index.urls import UnsafeURL

    target = page(site, 81)
    hop = site.route("/hop", status=302, location=target)
    checked: list[str] = []

    def public_only_first(url: str) -> None:  # the first hop stands in for a public address
        if url.endswith("/robots.txt"):
            return
        checked.append(url)
        if len(checked) > 1:
            raise UnsafeURL(f"'{url}' is a private or local address")

    monkeypatch.setattr(fetch, "check_public", public_only_first)
    monkeypatch.setattr(fetch, "public_addresses", lambda host, port: ["127.0.0.1"])  # and it connects there
    report = library.ingest_urls([hop], allow_private=False, fetch=FAST)
    assert report.added == [] and "private or local address" in report.failed[0][1]
    assert checked == [hop, target] and site.bodies_served("/news/story-81") == 0


def test_a_name_that_resolves_to_loopback_after_the_check_reaches_nothing(site, library, monkeypatch):
    """DNS rebinding: public for the check, loopback a moment later when connecting."""
    import socket

    url = page(site, 82).replace("127.0.0.1", "rebind.test")
    answers: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        address = "93.184.216.34" if not answers else "127.0.0.1"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    report = library.ingest_urls([url], allow_private=False, fetch=FAST)
    assert report.added == [] and "private or local address (127.0.0.1)" in report.failed[0][1]
    assert answers[0] == "93.184.216.34" and "127.0.0.1" in answers  # checked public, then rebound
    assert site.hits == []


def test_a_trusted_fetch_connects_as_before(site, library, monkeypatch):
    import index.fetch as fetch

    def never(*args, **kwargs):
        raise AssertionError("trusted fetches do not pin addresses")

    monkeypatch.setattr(fetch, "public_addresses", never)
    url = page(site, 83)
    assert library.ingest_urls([url], allow_private=True, fetch=FAST).added == [url]


def test_validators_are_kept_in_the_data_directory(site, library, hash_settings):
    url = page(site, 90)
    library.ingest_urls([url], allow_private=True, fetch=FAST)
    saved = json.loads((hash_settings.data_dir / "fetched.json").read_text())
    assert saved[canonical_url(url)]["etag"] == '"v90"' and saved[canonical_url(url)]["doc_id"] == url


def test_removed_document_is_fetched_again_in_full(site, library):
    url = page(site, 91)
    library.ingest_urls([url], allow_private=True, fetch=FAST)
    library.remove(url)
    report = library.ingest_urls([url], allow_private=True, fetch=FAST)
    assert report.added == [url] and site.bodies_served("/news/story-91") == 2


def test_an_upload_gets_its_turn_while_a_slow_feed_is_fetched(site, hash_settings, write_articles, tmp_path):
    """The URL ingest holds the writer lock only per batch, so another writer goes in between."""
    import threading
    import time

    from index.errors import IndexBusy

    links = [site.route(f"/slow/{n}", article_html(f"Slow story {n}", body(n)), delay_s=0.3) for n in range(8)]
    feed = site.route("/slow.xml", rss([(link, "x") for link in links]), content_type="application/rss+xml")
    poller = Library(replace(hash_settings, ingest_batch_chunks=4))
    result = {}
    thread = threading.Thread(target=lambda: result.update(report=poller.ingest_urls([feed], allow_private=True, fetch=FAST)))
    thread.start()
    while site.bodies_served() < 3:
        time.sleep(0.02)
    write_articles(tmp_path / "upload", [1])
    uploader = Library(hash_settings)
    for _ in range(50):
        try:
            upload = uploader.ingest([tmp_path / "upload"])
            break
        except IndexBusy:  # the poller is writing a batch right now
            time.sleep(0.05)
    assert upload.added == ["art-001"] and thread.is_alive()  # went in while the feed was still being fetched
    thread.join(timeout=60)
    assert sorted(result["report"].added) == sorted(links)
    assert len(Library(hash_settings).documents()) == 9


def test_a_compressed_page_is_capped_on_its_decompressed_size(site, library):
    import gzip

    bomb = gzip.compress(b"<html><body><p>" + b"a " * 2_000_000 + b"</p></body></html>")
    url = site.route("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 0.2e6  # small on the wire
    report = library.ingest_urls([url], allow_private=True, fetch=FAST)
    assert "over the 0.2 MB limit" in dict(report.failed)[url]


def test_sitemap_index_leads_to_the_pages_of_its_sitemaps(site, library):
    links = [page(site, n) for n in (95, 96)]
    child = site.route("/sitemap-news.xml", sitemap(links), content_type="application/xml")
    index = site.route(
        "/sitemap-index.xml",
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{child}</loc></sitemap></sitemapindex>",
        content_type="application/xml",
    )
    report = library.ingest_urls([index], allow_private=True, fetch=FAST)
    assert sorted(report.added) == sorted(links) and report.ok
