"""Polling a feed: a first poll of N new articles, then a re-poll with nothing new (goal: under 1 s,
no page body fetched twice), and the same articles each served under 3 URLs plus a tracking variant
(goal: the index holds each article once).

Pages are rendered at run time from ../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz and served
by a local HTTP server on 127.0.0.1 (tests/support/news_site.py), with ETags; nothing is committed.
The embedder is the hash one by default (`--embed hash-64`), so the figures are fetching, parsing,
chunking and writing; `--embed all-MiniLM-L6-v2` adds the real model's embedding time.

    python benchmarks/feed_poll.py --items 500
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.fetch import FetchSettings  # noqa: E402
from index.library import Library  # noqa: E402
from index.settings import IndexSettings  # noqa: E402
from tests.support.news_site import NewsSite, article_html, rss  # noqa: E402
from tests.support.rtqa import rtqa_articles  # noqa: E402


def serve(site: NewsSite, arts: list[dict], copies: int) -> tuple[str, list[str]]:
    """Each article under `copies` paths, all declaring the first as canonical; a feed listing every path."""
    links = []
    for n, art in enumerate(arts):
        published = (art.get("published") or "2022-07-01").replace("/", "-")[:10]
        canonical = site.url(f"/a/{n}/0")
        for c in range(copies):
            page = article_html(art.get("title") or f"Article {n}", art["text"], canonical=canonical, published=published)
            links.append(site.route(f"/a/{n}/{c}", page, etag=f'"{n}-{c}"'))
    items = [(link, "Fri, 01 Jul 2022 08:00:00 GMT") for link in links]
    if copies > 1:  # and one tracking-parameter variant of each article
        items += [(site.url(f"/a/{n}/0") + "?utm_source=rss&fbclid=x", "Fri, 01 Jul 2022 08:00:00 GMT") for n in range(len(arts))]
    feed = site.route("/feed.xml", rss(items), content_type="application/rss+xml", etag='"feed"')
    return feed, links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--embed", default="hash-64")
    args = parser.parse_args()
    arts = rtqa_articles(args.items)
    fetch = FetchSettings(delay_s=0.0, retries=0, max_items=10 * args.items)
    print(f"machine: {platform.processor() or platform.machine()}, {len(arts)} articles, embedder {args.embed}")
    for copies in (1, 3):
        site = NewsSite().start()
        try:
            feed, links = serve(site, arts, copies)
            with tempfile.TemporaryDirectory() as tmp:
                library = Library(IndexSettings(data_dir=Path(tmp), embed_model=args.embed))
                t0 = time.perf_counter()
                first = library.ingest_urls([feed], allow_private=True, fetch=fetch)
                t1 = time.perf_counter()
                served = site.bodies_served()
                second = library.ingest_urls([feed], allow_private=True, fetch=fetch)
                t2 = time.perf_counter()
                status = library.status()
        finally:
            site.stop()
        label = "one URL each" if copies == 1 else f"{copies} URLs + a tracking variant each"
        print(f"[{label}] first poll: {t1 - t0:.1f} s, {served} page bodies, {served / (t1 - t0):.1f} pages/s; "
              f"added {len(first.added)}, duplicates {len(first.duplicates)}, aliased {len(first.aliased)}, failed {len(first.failed)}")
        print(f"[{label}] re-poll with nothing new: {t2 - t1:.2f} s, {site.bodies_served() - served} page bodies fetched again, "
              f"unchanged {len(second.unchanged)}, failed {len(second.failed)}")
        print(f"[{label}] index: {status['documents']} documents, {status['aliases']} aliases, {status['chunks']} chunks")


if __name__ == "__main__":
    main()
