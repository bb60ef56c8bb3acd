"""`rag ingest URL...` and `--urls FILE` as a user runs them, against a real server on loopback."""

from __future__ import annotations

import json

import pytest

from tests.support.news_site import article_html, rss

FAST_ENV = {"RAG_FETCH_DELAY_S": "0", "RAG_FETCH_RETRIES": "0", "RAG_FETCH_TIMEOUT_S": "2"}


def story(n: int) -> str:
    return "\n\n".join(f"Ferry story {n}, part {p}: the crossing to island {n} was cut to {p + 2} boats a day." for p in range(4))


def test_ingest_urls_then_again_finds_everything_unchanged(site, run_rag, tmp_path):
    links = [site.route(f"/a/{n}", article_html(f"Ferry cuts {n}", story(n)), etag=f'"{n}"') for n in range(3)]
    feed = site.route("/feed", rss([(link, "x") for link in links[1:]]), content_type="application/rss+xml", etag='"f"')
    url_list = tmp_path / "urls.txt"
    url_list.write_text(f"# morning list\n{links[0]}?utm_source=newsletter\n\n{feed}\n")
    data = tmp_path / "data"
    first = run_rag("ingest", "--urls", url_list, "--data-dir", data, "--json", env=FAST_ENV)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 3
    served = site.bodies_served()
    second = run_rag("ingest", links[0] + "?ref=home", feed, "--data-dir", data, "--json", env=FAST_ENV)
    assert second.returncode == 0, second.stderr
    assert {k: json.loads(second.stdout)[k] for k in ("added", "updated", "unchanged")} == {"added": 0, "updated": 0, "unchanged": 3}
    assert site.bodies_served() == served
    listed = json.loads(run_rag("list", "--data-dir", data, "--json").stdout)
    assert sorted(d["doc_id"] for d in listed) == sorted(links)


def test_failed_urls_are_named_and_exit_1(site, run_rag, tmp_path):
    good = site.route("/ok", article_html("Ferry cuts", story(9)))
    missing = site.url("/nope")
    result = run_rag("ingest", good, missing, "--data-dir", tmp_path / "data", env=FAST_ENV)
    assert result.returncode == 1
    assert "added 1," in result.stdout
    assert f"failed: {missing}: HTTP 404 Not Found" in result.stderr and "Traceback" not in result.stderr


def test_ingest_with_nothing_to_read_is_a_usage_error(run_rag, tmp_path):
    result = run_rag("ingest", "--data-dir", tmp_path / "data")
    assert result.returncode == 2 and "nothing to ingest" in result.stderr


def test_kill_9_during_a_feed_poll_leaves_a_consistent_index_and_a_rerun_completes(site, start_rag, run_rag, tmp_path, assert_consistent):
    """Pages answer slowly, so the kill lands mid-poll after some batches were committed."""
    import time

    from chromadb.api.client import SharedSystemClient

    from index.library import Library
    from index.settings import IndexSettings

    links = [site.route(f"/k/{n}", article_html(f"Ferry cuts {n}", story(n) * 3), etag=f'"{n}"', delay_s=0.15) for n in range(30)]
    feed = site.route("/feed", rss([(link, "x") for link in links]), content_type="application/rss+xml", etag='"f"')
    data = tmp_path / "data"
    env = FAST_ENV | {"RAG_INGEST_BATCH_CHUNKS": "4"}
    process = start_rag("ingest", feed, "--data-dir", data, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and site.bodies_served() < 12:
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)
    assert site.bodies_served() < 31  # killed mid-poll
    SharedSystemClient.clear_system_cache()
    settings = IndexSettings(data_dir=data, embed_model="hash-64")
    library = Library(settings)
    library.repair()
    assert_consistent(library)
    rerun = run_rag("ingest", feed, "--data-dir", data, "--json", env=FAST_ENV)
    assert rerun.returncode == 0, rerun.stderr
    SharedSystemClient.clear_system_cache()
    library = Library(settings)
    assert sorted(r.doc_id for r in library.documents()) == sorted(links)
    assert_consistent(library)


def test_ask_restricted_to_one_outlet_cites_only_it(site, run_rag, tmp_path):
    ferry = "\n\n".join(f"The ferry to Eastholm was cancelled {p + 2} times this week because of storms." for p in range(4))
    bus = "\n\n".join(f"The ferry company said storms also hit the bus link to Eastholm {p + 1} times." for p in range(4))
    gazette = site.route("/g", article_html("Ferries cancelled", ferry, site="Harbor Gazette"))
    courier = site.route("/c", article_html("Buses hit too", bus, site="Coast Courier"))
    data = ["--data-dir", tmp_path / "data"]
    assert run_rag("ingest", gazette, courier, *data, env=FAST_ENV).returncode == 0
    asked = run_rag("ask", "How often was the ferry to Eastholm cancelled?", "--outlet", "coast courier", "--backend", "extractive", "--json", *data)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert {p["doc_id"] for p in answer["passages"]} == {courier}
    assert all(c["outlet"] == "Coast Courier" for c in answer["citations"])
    unknown = run_rag("ask", "ferry?", "--outlet", "Nowhere Times", "--backend", "extractive", *data)
    assert unknown.returncode == 2 and "no articles from Nowhere Times" in unknown.stderr
