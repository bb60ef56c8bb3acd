"""A small real news site on 127.0.0.1 for the fetching tests: pages, feeds, sitemaps, redirects, errors.

`site.route(path, ...)` says what a path answers; `site.hits` lists (path, status) of every answered
request. A route with an `etag` answers a matching If-None-Match with 304 and no body.
Pages are rendered at test time (`article_html`, `rss`, `sitemap`); nothing is committed.
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str = ""
    last_modified: str = ""
    location: str = ""
    delay_s: float = 0.0  # before the headers
    headers: dict[str, str] = field(default_factory=dict)


class NewsSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, int]] = []
        self.agents: list[str] = []
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, body: bytes | str = b"", **kwargs) -> str:
        self.routes[path] = Route(body.encode("utf-8") if isinstance(body, str) else body, **kwargs)
        return self.url(path)

    def bodies_served(self, path: str | None = None) -> int:
        """How many 200 answers (with a body) went out, for one path or all."""
        return sum(1 for p, s in self.hits if s == 200 and (path is None or p == path) and p != "/robots.txt")

    def handle_error(self, request, client_address) -> None:  # a client that gave up (timeout tests)
        pass

    def start(self) -> NewsSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: NewsSite
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path) or self.server.routes.get(self.path.split("?")[0])
        with self.server.lock:
            self.server.agents.append(self.headers.get("user-agent", ""))
        if route is None:
            return self._answer(404, Route(b"not found", status=404, content_type="text/plain"))
        if route.delay_s:
            time.sleep(route.delay_s)
        if route.etag and self.headers.get("if-none-match") == route.etag:
            return self._answer(304, route, body=False)
        if route.last_modified and self.headers.get("if-modified-since") == route.last_modified:
            return self._answer(304, route, body=False)
        self._answer(route.status, route)

    def _answer(self, status: int, route: Route, body: bool = True) -> None:
        with self.server.lock:
            self.server.hits.append((self.path, status))
        try:
            self.send_response(status)
            if route.location:
                self.send_header("Location", route.location)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for key, value in route.headers.items():
                self.send_header(key, value)
            payload = route.body if body and status != 304 else b""
            if status != 304:
                self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass


def article_html(
    title: str,
    text: str,
    *,
    canonical: str = "",
    site: str = "Test Gazette",
    published: str = "2022-07-01",
    modified: str = "",
    author: str = "Jane Roe",
) -> str:
    """A news page with a nav, the article, a footer and the usual metadata."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    meta = [
        f'<meta property="og:site_name" content="{html.escape(site)}">',
        f'<meta name="author" content="{html.escape(author)}">',
        f'<meta property="article:published_time" content="{published}T08:00:00Z">',
    ]
    if modified:
        meta.append(f'<meta property="article:modified_time" content="{modified}T09:30:00Z">')
    if canonical:
        meta.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title>{''.join(meta)}</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article>"
        f"<footer>Copyright Test Gazette</footer></body></html>"
    )


def rss(items: list[tuple[str, str]], title: str = "Test Gazette") -> str:
    """An RSS 2.0 feed of (link, pubDate) items; an empty link writes an item without one."""
    entries = []
    for n, (link, date) in enumerate(items):
        link_tag = f"<link>{html.escape(link)}</link>" if link else ""
        entries.append(f"<item><title>Item {n}</title>{link_tag}<pubDate>{date}</pubDate></item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://example.org/</link>{''.join(entries)}</channel></rss>"
    )


def sitemap(links: list[str], news: bool = True) -> str:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    urls = "".join(
        f"<url><loc>{html.escape(link)}</loc>"
        + ("<news:news><news:publication_date>2022-07-01</news:publication_date></news:news>" if news else "")
        + "</url>"
        for link in links
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>{urls}</urlset>'


def http_date(when: datetime | None = None) -> str:
    return format_datetime(when or datetime(2022, 7, 1, tzinfo=timezone.utc), usegmt=True)
