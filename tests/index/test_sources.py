"""Followed sources: the list in the data directory, OPML, polls that fail, purging, pruning, watching."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from index.errors import ConfigError
from index.fetch import FetchSettings
from index.library import Library
from index.settings import IndexSettings
from index.sources import Sources, format_duration, parse_duration, read_opml
from index.watch import Watcher, poll_sources, prune, purge_source
from tests.support.news_site import NewsSite, article_html, rss

FAST = FetchSettings(timeout_s=1.0, delay_s=0.0, retries=0, backoff_s=0.01, max_items=50)


@pytest.fixture()
def library(hash_settings: IndexSettings) -> Library:
    return Library(hash_settings)


def story(n: int, published: str = "2022-07-01") -> str:
    text = "\n\n".join(f"Rail story {n}, part {p}: line {n} reopens with {p + 3} trains an hour." for p in range(4))
    return article_html(f"Rail line {n} reopens", text, published=published)


def feed_of(site: NewsSite, numbers, path: str = "/feed.xml", **kwargs) -> str:
    links = [site.route(f"/rail/{n}", story(n), etag=f'"{n}"') for n in numbers]
    return site.route(path, rss([(link, "x") for link in links]), content_type="application/rss+xml", **kwargs)


@pytest.mark.parametrize(("text", "seconds"), [("45s", 45), ("30m", 1800), ("2h", 7200), ("30d", 2592000), ("1w", 604800), ("90", 90)])
def test_durations_read_as_seconds(text, seconds):
    assert parse_duration(text) == seconds


def test_a_duration_that_is_not_one_is_a_config_error():
    with pytest.raises(ConfigError, match="not a duration"):
        parse_duration("soon")


def test_sources_are_kept_in_the_data_directory(tmp_path):
    sources = Sources(tmp_path)
    source, new = sources.add("https://e.org/feed?utm_source=x", parse_duration("2h"))
    assert new and format_duration(source.every_s) == "2h"
    _, again = sources.add("https://e.org/feed", parse_duration("1h"))
    assert not again and [s.every_s for s in Sources(tmp_path).all()] == [3600]
    assert Sources(tmp_path).remove("https://e.org/feed") is not None and Sources(tmp_path).all() == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "feed.xml", "ftp://e.org/x"])
def test_only_http_urls_can_be_followed(tmp_path, url):
    with pytest.raises(ConfigError):
        Sources(tmp_path).add(url)


def test_polling_too_often_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="at most every 1m"):
        Sources(tmp_path).add("https://e.org/feed", 5)


def test_opml_round_trip(tmp_path):
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="News">'
        '<outline text="A &amp; B" xmlUrl="https://a.example/rss"/><outline text="C" xmlUrl="https://c.example/atom"/>'
        '<outline text="no feed" htmlUrl="https://d.example/"/></outline></body></opml>'
    )
    sources = Sources(tmp_path / "data")
    assert sources.import_opml(opml) == (2, 0)
    assert sources.import_opml(opml) == (0, 2)
    exported = tmp_path / "out.opml"
    exported.write_text(sources.export_opml())
    assert read_opml(exported) == [("https://a.example/rss", "A & B"), ("https://c.example/atom", "C")]


def test_opml_that_is_not_xml_is_one_sentence(tmp_path):
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    with pytest.raises(ConfigError, match="not valid OPML XML"):
        Sources(tmp_path).import_opml(bad)


def test_a_failing_feed_keeps_its_last_good_state_and_shows_its_error(site, library, tmp_path):
    feed = feed_of(site, range(3), etag='"f"')
    sources = Sources(library.settings.data_dir)
    sources.add(feed)
    (poll,) = poll_sources(library, sources, fetch=FAST)
    assert poll.error == "" and sources.get(feed).items == 3
    good = sources.get(feed)
    site.route("/feed.xml", "down", status=500, content_type="text/plain")
    (poll,) = poll_sources(library, sources, due_only=False, fetch=FAST)
    after = sources.get(feed)
    assert poll.error == after.error == "HTTP 500 Internal Server Error"
    assert (after.items, after.last_ok) == (good.items, good.last_ok) and after.last_poll >= good.last_poll
    assert len(library.documents()) == 3  # its articles stay


def test_only_due_sources_are_polled(site, library):
    feed = feed_of(site, [10])
    sources = Sources(library.settings.data_dir)
    sources.add(feed, 3600)
    assert len(poll_sources(library, sources, fetch=FAST)) == 1
    assert poll_sources(library, sources, fetch=FAST) == []


def test_purge_removes_the_articles_a_source_brought(site, library):
    feed = feed_of(site, [20, 21])
    other = site.route("/rail/22", story(22))
    library.ingest_urls([feed, other], allow_private=True, fetch=FAST)
    assert sorted(purge_source(library, feed)) == sorted([site.url("/rail/20"), site.url("/rail/21")])
    assert [r.doc_id for r in library.documents()] == [other]


def test_prune_removes_old_articles_and_keeps_undated_ones(site, library, write_articles, tmp_path):
    old = site.route("/rail/30", story(30, published="2020-01-01"))
    new = site.route("/rail/31", story(31, published="2022-07-01"))
    library.ingest_urls([old, new], allow_private=True, fetch=FAST)
    undated = tmp_path / "notes.txt"
    undated.write_text("Rail notes without a date: line 7 reopens.")
    library.ingest([undated])
    now = time.mktime((2022, 7, 10, 0, 0, 0, 0, 0, -1))
    assert prune(library, parse_duration("30d"), now=now) == [old]
    assert sorted(r.doc_id for r in library.documents()) == sorted([new, "notes.txt"])


def test_watcher_polls_sources_and_ingests_changed_files(site, library, write_articles, tmp_path):
    feed = feed_of(site, [40])
    sources = Sources(library.settings.data_dir)
    sources.add(feed, 60)
    folder = tmp_path / "inbox"
    write_articles(folder, [1])
    seen: list[str] = []
    watcher = Watcher(library, sources, [folder], tick_s=0.2, fetch=FAST, on_report=lambda label, r: seen.append(label))
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(library.documents()) < 2:
            time.sleep(0.1)
        write_articles(folder, [2])
        while time.monotonic() < deadline and len(library.documents()) < 3:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert sorted(r.doc_id for r in library.documents()) == sorted(["art-001", "art-002", site.url("/rail/40")])
    assert "changed files" in seen and feed in seen
    assert site.bodies_served(f"/rail/40") == 1  # polled once: not due again within the minute


def _watch_until(watcher: Watcher, done, seconds: float = 30) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done():
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_file_deleted_from_a_watched_folder_leaves_the_index(library, write_articles, tmp_path):
    folder = tmp_path / "inbox"
    write_articles(folder, [1, 2])
    elsewhere = tmp_path / "kept.txt"
    elsewhere.write_text("A note outside the folder: the ferry runs on Sundays.")
    library.ingest([elsewhere])
    reports: list[tuple[str, list[str]]] = []
    watcher = Watcher(library, Sources(library.settings.data_dir), [folder], tick_s=0.2,
                      on_report=lambda label, r: reports.append((label, list(r.removed))))
    ids = lambda: sorted(r.doc_id for r in library.documents())  # noqa: E731

    def delete_once_indexed() -> bool:
        if ids() == ["art-001", "art-002", "kept.txt"] and (folder / "art-002.json").exists():
            (folder / "art-002.json").unlink()
        return ids() == ["art-001", "kept.txt"]

    _watch_until(watcher, delete_once_indexed)
    assert ids() == ["art-001", "kept.txt"]
    assert ("deleted files", ["art-002"]) in reports


def test_files_deleted_while_nobody_watched_leave_the_index_when_watching_starts(library, write_articles, tmp_path):
    folder = tmp_path / "inbox"
    write_articles(folder, [3, 4])
    (folder / "sub").mkdir()
    (folder / "sub" / "note.txt").write_text("Sub-folder note: the harbour crane is repaired.")
    library.ingest([folder])
    (folder / "art-004.json").unlink()
    (folder / "sub" / "note.txt").unlink()
    watcher = Watcher(library, Sources(library.settings.data_dir), [folder], tick_s=0.2)
    _watch_until(watcher, lambda: len(library.documents()) == 1)
    assert [r.doc_id for r in library.documents()] == ["art-003"]


def test_a_deletion_waits_while_another_writer_holds_the_index(library, write_articles, tmp_path):
    from index.locking import writer_lock

    folder = tmp_path / "inbox"
    write_articles(folder, [5])
    library.ingest([folder])
    (folder / "art-005.json").unlink()
    watcher = Watcher(library, Sources(library.settings.data_dir), [folder])
    with writer_lock(library.settings.data_dir / "ingest.lock"):
        watcher.remove_deleted()  # busy: kept for the next round
    assert [r.doc_id for r in library.documents()] == ["art-005"]
    watcher.remove_deleted()
    assert library.documents() == []


def test_a_deleted_folder_of_files_is_looked_up_in_one_read_of_the_records(library, write_articles, tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "inbox"
    write_articles(folder / "batch", [6, 7, 8])
    write_articles(folder, [9])
    library.ingest([folder])
    shutil.rmtree(folder / "batch")
    lookups, removing = [], []
    records, remove = library.store.records, library.remove
    # Full reads of the records made to find the files' documents, not those a removal makes itself.
    def counted_records(*ids):
        if not ids and not removing:
            lookups.append(1)
        return records(*ids)

    def counted_remove(doc_id):
        removing.append(doc_id)
        try:
            return remove(doc_id)
        finally:
            removing.clear()

    monkeypatch.setattr(library.store, "records", counted_records)
    monkeypatch.setattr(library, "remove", counted_remove)
    Watcher(library, Sources(library.settings.data_dir), [folder]).remove_deleted()
    assert len(lookups) == 2  # which files are gone, then their documents: not one read per file
    assert [r.doc_id for r in library.documents()] == ["art-009"]
