"""`rag sources`, `rag watch --once`, `rag watch --for` and `rag prune` as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.support.news_site import article_html, rss

FAST_ENV = {"RAG_FETCH_DELAY_S": "0", "RAG_FETCH_RETRIES": "0", "RAG_FETCH_TIMEOUT_S": "2"}


def story(n: int, published: str) -> str:
    text = "\n\n".join(f"Bridge story {n}, part {p}: bridge {n} closes for {p + 2} weeks of repairs." for p in range(4))
    return article_html(f"Bridge {n} closes", text, published=published)


def test_follow_poll_list_and_remove_sources(site, run_rag, tmp_path):
    links = [site.route(f"/b/{n}", story(n, "2022-07-01"), etag=f'"{n}"') for n in range(2)]
    feed = site.route("/feed", rss([(link, "x") for link in links]), content_type="application/rss+xml")
    broken = site.route("/broken", "<rss><channel><<", content_type="application/rss+xml")
    data = ["--data-dir", tmp_path / "data"]
    assert run_rag("sources", "add", feed, "--every", "2h", *data).returncode == 0
    assert run_rag("sources", "add", broken, *data).returncode == 0

    polled = run_rag("watch", "--once", *data, env=FAST_ENV)
    assert polled.returncode == 1  # one source failed
    assert f"failed: {broken}: malformed feed XML" in polled.stderr and f"{feed}: added 2" in polled.stdout

    rows = {r["url"]: r for r in json.loads(run_rag("sources", "list", "--json", *data).stdout)}
    assert (rows[feed]["items"], rows[feed]["every"], rows[feed]["error"]) == (2, "2h", "")
    assert rows[broken]["error"].startswith("malformed feed XML") and rows[broken]["items"] == 0

    exported = run_rag("sources", "export", *data).stdout
    assert f'xmlUrl="{feed}"' in exported and f'xmlUrl="{broken}"' in exported

    removed = run_rag("sources", "remove", feed, *data)
    assert removed.returncode == 0 and "its articles stay" in removed.stdout
    assert len(json.loads(run_rag("list", "--json", *data).stdout)) == 2
    missing = run_rag("sources", "remove", feed, *data)
    assert missing.returncode == 2 and "not a followed source" in missing.stderr


def test_watch_for_a_bounded_time_then_prune(site, run_rag, tmp_path):
    old = site.route("/b/old", story(8, "2001-01-01"))
    new = site.route("/b/new", story(9, "2099-01-01"))
    feed = site.route("/feed", rss([(old, "x"), (new, "x")]), content_type="application/rss+xml")
    data = ["--data-dir", tmp_path / "data"]
    run_rag("sources", "add", feed, *data)
    watched = run_rag("watch", "--for", "3s", *data, env=FAST_ENV, timeout=120)
    assert watched.returncode == 0 and f"{feed}: added 2" in watched.stdout
    assert "would remove 1 article" in run_rag("prune", "--older-than", "30d", "--dry-run", *data).stdout
    pruned = run_rag("prune", "--older-than", "30d", *data)
    assert "removed 1 article" in pruned.stdout
    assert [d["doc_id"] for d in json.loads(run_rag("list", "--json", *data).stdout)] == [new]


def test_a_bad_duration_is_one_sentence(run_rag, tmp_path):
    result = run_rag("sources", "add", "https://e.org/feed", "--every", "often", "--data-dir", tmp_path / "data")
    assert result.returncode == 2 and "not a duration" in result.stderr and "Traceback" not in result.stderr
