"""A polite, bounded HTTP fetcher: conditional GET, redirects checked hop by hop, robots.txt, a
per-host delay, retries with backoff, and caps on time and size. Failures are `FetchError`s whose
message is the reason shown with the URL."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

import httpcore
import httpx

from index.errors import BadInput
from index.settings import IndexSettings
from index.urls import check_public, check_scheme, host_of, public_addresses, site_key

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 30.0
MAX_ROBOTS_BYTES = 512 * 1024
MAX_CRAWL_DELAY_S = 30.0


class FetchError(BadInput):
    """A URL that could not be fetched; the message is the reason."""


@dataclass(frozen=True)
class FetchSettings:
    """How the fetcher behaves; built from `IndexSettings` (the `fetch_*` fields)."""

    user_agent: str = "newsrag/0.1 (local news question answering; polite fetcher)"
    timeout_s: float = 20.0
    max_page_mb: float = 10.0
    max_redirects: int = 5
    delay_s: float = 1.0
    retries: int = 2
    backoff_s: float = 1.0
    max_items: int = 500

    @classmethod
    def from_index(cls, settings: IndexSettings) -> FetchSettings:
        return cls(
            user_agent=settings.fetch_user_agent,
            timeout_s=settings.fetch_timeout_s,
            max_page_mb=settings.fetch_max_page_mb,
            max_redirects=settings.fetch_max_redirects,
            delay_s=settings.fetch_delay_s,
            retries=settings.fetch_retries,
            backoff_s=settings.fetch_backoff_s,
            max_items=settings.feed_max_items,
        )


@dataclass(frozen=True)
class Fetched:
    """One answered request: 200 with its body, or 304 (not modified) with none."""

    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """Fetches URLs one at a time with one httpx client (proxies from the usual environment variables).

    `allow_private=False` (URLs from the chat, the API or MCP) refuses loopback, private, link-local
    and reserved addresses, for the URL and for every redirect, and once more when connecting: the
    connection goes to an address checked then (`PublicOnly`), so a name that resolves to a public
    address for the check and to a local one a moment later (DNS rebinding) reaches nothing local.
    """

    def __init__(
        self, settings: FetchSettings, *, allow_private: bool, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.allow_private = allow_private
        if transport is None and not allow_private:
            transport = public_only_transport()
        self.client = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=False,
            trust_env=True,
            transport=transport,
        )
        self._robots: dict[str, RobotFileParser | None] = {}
        self._last_request: dict[str, float] = {}
        self.requests = 0  # answered requests, robots.txt included (for reports and tests)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, etag: str = "", last_modified: str = "", robots: bool = True) -> Fetched:
        """GET `url`, following redirects; 304 when the validators still hold. Raises `FetchError`."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = [url]
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            self._check(current)
            if robots and not self._allowed(current):
                raise FetchError("robots.txt of the site disallows fetching it")
            fetched, location = self._request(url, current, headers)
            if location is None:
                return fetched
            current = urljoin(current, location)
            if current in seen:
                raise FetchError(f"redirect loop ({' -> '.join([*seen[-3:], current])})")
            seen.append(current)
        raise FetchError(f"more than {self.settings.max_redirects} redirects, the limit (fetch_max_redirects)")

    def _check(self, url: str) -> None:
        check_scheme(url)
        if not self.allow_private:
            check_public(url)

    def _request(self, asked: str, url: str, headers: dict[str, str]) -> tuple[Fetched, str | None]:
        """One request with retries; (result, None) or (unused, Location) for a redirect."""
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            self._wait_turn(url)
            try:
                with self.client.stream("GET", url, headers=headers) as response:
                    self.requests += 1
                    status = response.status_code
                    if status in RETRY_STATUSES and not last:
                        self._back_off(attempt, response.headers.get("retry-after"))
                        continue
                    if 300 <= status < 400 and status != 304:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"HTTP {status} redirect without a Location")
                        return Fetched(asked, url, status), location
                    if status >= 400:
                        raise FetchError(f"HTTP {status} {response.reason_phrase}".rstrip())
                    return self._read(asked, url, response), None
            except httpx.TimeoutException:
                if last:
                    raise FetchError(f"no answer within {self.settings.timeout_s:g} s (timeout)") from None
            except httpx.TransportError as exc:
                if last:
                    raise FetchError(f"cannot connect ({type(exc).__name__}: {exc})") from None
            self._back_off(attempt, None)
        raise FetchError("no answer")  # unreachable: the last attempt returns or raises

    def _read(self, asked: str, url: str, response: httpx.Response) -> Fetched:
        content_type = response.headers.get("content-type", "")
        validators = dict(
            etag=response.headers.get("etag", ""), last_modified=response.headers.get("last-modified", "")
        )
        if response.status_code == 304:
            return Fetched(asked, url, 304, **validators)
        limit = int(self.settings.max_page_mb * 1e6)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(self._too_big(int(declared)))
        deadline = time.monotonic() + self.settings.timeout_s
        body = bytearray()
        for part in response.iter_bytes():  # decompressed: a gzip bomb counts its full size
            body += part
            if len(body) > limit:
                raise FetchError(self._too_big(len(body), more=True))
            if time.monotonic() > deadline:
                raise FetchError(f"the page took over {self.settings.timeout_s:g} s to arrive (timeout)")
        return Fetched(
            asked, url, response.status_code, bytes(body),
            content_type=content_type.split(";")[0].strip().lower(),
            charset=response.charset_encoding or "",
            **validators,
        )

    def _too_big(self, size: int, more: bool = False) -> str:
        amount = f"over {size / 1e6:.2f} MB" if more else f"{size / 1e6:.2f} MB"
        return f"page is {amount}, over the {self.settings.max_page_mb:g} MB limit (fetch_max_page_mb)"

    def _back_off(self, attempt: int, retry_after: str | None) -> None:
        wait = self.settings.backoff_s * (2**attempt)
        if retry_after:
            wait = max(wait, _retry_after_s(retry_after))
        time.sleep(min(wait, MAX_RETRY_AFTER_S))

    def _wait_turn(self, url: str) -> None:
        """Keep `delay_s` (or the site's Crawl-delay) between two requests to one host."""
        host = host_of(url)
        delay = self.settings.delay_s
        parser = self._robots.get(site_key(url))
        if parser is not None:
            crawl = parser.crawl_delay(self.settings.user_agent)
            if crawl:
                delay = max(delay, min(float(crawl), MAX_CRAWL_DELAY_S))
        last = self._last_request.get(host)
        if last is not None:
            pause = last + delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._last_request[host] = time.monotonic()

    def _allowed(self, url: str) -> bool:
        key = site_key(url)
        if key not in self._robots:
            self._robots[key] = self._read_robots(key)
        parser = self._robots[key]
        return parser is None or parser.can_fetch(self.settings.user_agent, url)

    def _read_robots(self, key: str) -> RobotFileParser | None:
        """The site's robots.txt; None (everything allowed) when it has none or cannot be read."""
        parser = RobotFileParser(key + "/robots.txt")
        try:
            fetched = self.get(key + "/robots.txt", robots=False)
        except BadInput as exc:
            if str(exc).startswith(("HTTP 401", "HTTP 403")):
                parser.disallow_all = True
                return parser
            log.info("no robots.txt at %s (%s): fetching is allowed", key, exc)
            return None
        text = fetched.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        return parser


class PublicOnly(httpcore.NetworkBackend):
    """Connects only to public addresses: the host is resolved here, every address checked, and the
    connection made to a checked address (TLS still verifies the certificate for the host's name)."""

    def __init__(self, backend: httpcore.NetworkBackend | None = None) -> None:
        self.backend = backend or httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None) -> httpcore.NetworkStream:
        try:
            addresses = public_addresses(host, port)
        except BadInput as exc:
            raise httpcore.ConnectError(str(exc)) from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return self.backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for '{host}'")

    def connect_unix_socket(self, path, timeout=None, socket_options=None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("a Unix socket is not a public address")

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def public_only_transport() -> httpx.HTTPTransport:
    """httpx's transport with its connections made through `PublicOnly` (proxies from the environment
    are mounted by the client beside it and keep their own addresses)."""
    transport = httpx.HTTPTransport()
    pool = transport._pool  # httpx builds the pool without a way to pass a network back end
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx version hides its network back end; the fetcher cannot pin addresses")
    pool._network_backend = PublicOnly(pool._network_backend)
    return transport


def _retry_after_s(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 0.0
