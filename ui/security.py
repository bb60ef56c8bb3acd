"""The server's perimeter: which requests may reach the app at all, and the headers on every answer.

`RequestGuard` stands in front of everything the server answers (the Gradio app, `/api/ask`, and
any later route such as `/v1/...` or `/mcp`): it refuses a `Host` the server does not know (DNS
rebinding), a state-changing request from another site (a foreign `Origin` or
`Sec-Fetch-Site: cross-site`), a non-JSON body where JSON is expected, a body over the limit
before anything reads it, and a client that sends requests faster than the limit.

`SecurityHeaders` keeps article content inert in the browser, as a second line behind escaping:
the page may load nothing from other origins, and files served by Gradio's file routes get a
sandbox policy, so an uploaded .html or .svg opened directly cannot run script in the app's origin.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.errors import ConfigError

log = logging.getLogger(__name__)

# Gradio's page has five inline scripts (its config and start-up), which get a fresh nonce per
# response; its front end needs `new Function` (the `js` hooks, custom HTML templates), hence
# 'unsafe-eval'; and inline styles. No other inline script and no event-handler attribute runs.
SCRIPT_POLICY = "script-src 'self' 'nonce-{nonce}' 'unsafe-eval'"
PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        SCRIPT_POLICY,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
FILE_POLICY = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
# Gradio serves files under both routes; both get the sandbox.
FILE_ROUTES = ("/file=", "/gradio_api/file/")

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Routes whose bodies are JSON: anything else sent there is refused before it is parsed, so a
# plain HTML form or a `text/plain` fetch (neither needs a CORS preflight) cannot post to them.
JSON_ROUTES = ("/api/", "/gradio_api/queue/join", "/gradio_api/run/", "/gradio_api/call/", "/gradio_api/api/", "/v1/", "/mcp")
UPLOAD_ROUTE = "/gradio_api/upload"
# Requests that cost the server work (an answer, an ingest, a stored file): rate limited per client.
COSTLY_ROUTES = (*JSON_ROUTES, UPLOAD_ROUTE)
UPLOAD_COOKIE = "newsrag_upload"
UPLOAD_HEADER = "x-upload-token"
BUSY_MESSAGE = "too many requests from your address; wait a few seconds and try again"
# Gradio's sub-app documents its routes here, also without a login; nothing needs them.
HIDDEN_ROUTES = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# Gradio serves these without checking its login; with one, a request must at least carry it.
LOGIN_FREE_IN_GRADIO = ("/gradio_api/heartbeat/",)
QUEUE_FULL_MESSAGE = "the server is busy with other questions; try again in a minute"
QUEUE_ROUTES = ("/gradio_api/queue/join", "/gradio_api/call/")


@dataclass(frozen=True)
class TrustedHosts:
    """The host names this server answers to: loopback, the address it is bound to, and configured names.

    A name starting with a dot (".example.org") trusts every subdomain of it. When the server is
    bound to all interfaces, IP addresses are trusted too: a page can only reach the server by IP
    when its own origin is that IP, so DNS rebinding needs a name.
    """

    names: frozenset[str]
    any_ip: bool = False

    @classmethod
    def for_server(cls, bind_host: str, extra: Iterable[str] = ()) -> TrustedHosts:
        names = set(LOOPBACK_NAMES)
        if bind_host not in WILDCARD_BINDS:
            names.add(_normal(bind_host))
        names.update(_normal(name) for name in extra if name.strip())
        return cls(frozenset(names), any_ip=bind_host in WILDCARD_BINDS)

    def allows(self, host_header: str | None) -> bool:
        """Does a `Host` header name this server?"""
        name = host_name(host_header or "")
        if not name:
            return False
        if name in self.names or any(n.startswith(".") and name.endswith(n) for n in self.names):
            return True
        return self.any_ip and _is_ip(name)


def parse_allowed_hosts(value: str | None) -> list[str]:
    """`allowed_hosts` as given in the config: names separated by commas or spaces."""
    names = [n for n in (value or "").replace(",", " ").split() if n]
    for name in names:
        if "/" in name or "*" in name:
            raise ConfigError(f"allowed_hosts: '{name}' is not a host name (use example.org, or .example.org for its subdomains)")
    return names


def host_name(host: str) -> str:
    """The name in a `Host` header or an origin's authority, without port, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _normal(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def same_origin(origin: str, host_header: str) -> bool:
    """Is `origin` (scheme://host[:port]) the origin this request was sent to?"""
    scheme, sep, authority = origin.partition("://")
    if not sep or scheme not in ("http", "https"):
        return False
    return authority.lower().rstrip("/") == host_header.strip().lower()


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request, and one client, may ask of the server."""

    body_bytes: int = 8_000_000  # every request but uploads: questions, conversations, events
    upload_bytes: int = 200_000_000  # one upload request (it may carry several files)
    burst: int = 30  # costly requests a client may send at once ...
    per_second: float = 2.0  # ... and then per second (0: no limit)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per client address: `burst` requests at once, then `per_second`."""

    burst: int
    per_second: float
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(client)
        if bucket is None:
            if len(self.buckets) > 10_000:
                self._forget_full(now)
            bucket = self.buckets[client] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _forget_full(self, now: float) -> None:
        full_after = self.burst / self.per_second
        self.buckets = {c: b for c, b in self.buckets.items() if now - b.updated < full_after}


class _TooLarge(Exception):
    pass


class RequestGuard:
    """ASGI middleware in front of the whole server: host, origin, body type, body size and rate checks.

    Refusals are JSON `{"error": one sentence}` with 400 (unknown host), 403 (another site), 413
    (body too large), 415 (not JSON) or 429 (too many requests); the app behind never sees them.
    """

    def __init__(
        self, app: ASGIApp, hosts: TrustedHosts, limits: Limits = Limits(), upload_tokens: bool = True, login: bool = False
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.limits = limits
        self.rates = RateLimiter(limits.burst, limits.per_second)
        self.upload_tokens = upload_tokens
        self.login = login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            headers = Headers(scope=scope)
            if not self.hosts.allows(headers.get("host")) or not self._same_site(headers):
                await send({"type": "websocket.close", "code": 1008})
                return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal:
            status, message = refusal
            log.info("refused %s %s: %s", scope["method"], scope["path"], message)
            await _send_error(send, status, message, scope["path"])
            return
        limit = self.limits.upload_bytes if scope["path"].startswith(UPLOAD_ROUTE) else self.limits.body_bytes
        if scope["path"].startswith(QUEUE_ROUTES):
            send = _queue_full_in_words(send)
        await self._with_body_limit(scope, receive, send, limit)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """Why this request may not go further (status, sentence), or None."""
        headers = Headers(scope=scope)
        path, method = scope["path"], scope["method"]
        if not self.hosts.allows(headers.get("host")):
            return 400, f"unknown host '{headers.get('host', '')}'; add it to allowed_hosts (RAG_ALLOWED_HOSTS) to serve it"
        if _fetches_url(path):
            return 403, "this server does not fetch URLs"
        if path in HIDDEN_ROUTES:
            return 404, "not found"
        if self.login and path.startswith(LOGIN_FREE_IN_GRADIO) and not _carries_login(headers):
            return 401, "authentication required"
        if method in SAFE_METHODS:
            return None
        if not self._same_site(headers):
            return 403, "requests from another site are refused"
        if path.startswith(JSON_ROUTES) and _media_type(headers) != "application/json":
            return 415, "send the body as JSON (Content-Type: application/json)"
        if path.startswith(UPLOAD_ROUTE) and self.upload_tokens and not upload_token_ok(headers):
            return 403, "the upload needs this page's upload token; reload the page"
        declared = headers.get("content-length")
        limit = self.limits.upload_bytes if path.startswith(UPLOAD_ROUTE) else self.limits.body_bytes
        if declared and declared.isdigit() and int(declared) > limit:
            return 413, f"the request body is over the {limit / 1e6:g} MB limit"
        if path.startswith(COSTLY_ROUTES) and self.limits.per_second > 0 and not self.rates.allow(_client(scope)):
            return 429, BUSY_MESSAGE
        return None

    @staticmethod
    def _same_site(headers: Headers) -> bool:
        """A request a browser sent from this app's own page, or one no browser sent at all."""
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        return origin is None or same_origin(origin, headers.get("host", ""))

    async def _with_body_limit(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass the request on, cutting off a body (however sent) once it passes `limit` bytes."""
        received = 0
        started = False
        too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await _send_error(send, 413, f"the request body is over the {limit / 1e6:g} MB limit", scope["path"])


def _queue_full_in_words(send: Send) -> Send:
    """Gradio's 503 for a full queue ("Queue is full. Max size is 64 and size is 64.") as a sentence to act on."""
    full = False

    async def send_busy(message: Message) -> None:
        nonlocal full
        if message["type"] == "http.response.start" and message["status"] == 503:
            full = True
            body = json.dumps({"detail": QUEUE_FULL_MESSAGE, "error": QUEUE_FULL_MESSAGE}).encode()
            headers = MutableHeaders(scope=message)
            del headers["content-encoding"]
            headers["content-length"] = str(len(body))
            headers["retry-after"] = "60"
            await send(message)
            await send({"type": "http.response.body", "body": body})
            return
        if full:  # Gradio's own body, replaced above
            return
        await send(message)

    return send_busy


def _fetches_url(path: str) -> bool:
    """Would Gradio fetch another server for this path (`/file=https://…`, `/proxy=…`)?"""
    lowered = path.lower()
    if "/proxy=" in lowered:
        return True
    _, file_route, target = lowered.partition("/file=")
    return bool(file_route) and ("://" in target or target.startswith("//"))


def _carries_login(headers: Headers) -> bool:
    """Gradio's login cookie or HTTP Basic credentials are present (Gradio or the API checks them)."""
    if headers.get("authorization", "").lower().startswith("basic "):
        return True
    return any(part.strip().startswith("access-token") for part in headers.get("cookie", "").split(";"))


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


# The OpenAI-compatible routes refuse in OpenAI's error shape, which their clients read.
OPENAI_ROUTES = "/v1/"
_OPENAI_TYPES = {403: "permission_error", 429: "rate_limit_error"}
_OPENAI_CODES = {
    400: "unknown_host", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    413: "body_too_large", 415: "unsupported_media_type", 429: "rate_limited",
}


def error_body(status: int, message: str, path: str = "") -> dict:
    """`{"error": sentence}`, or on the OpenAI-compatible routes `{"error": {"message", "type", "param", "code"}}`."""
    if not path.startswith(OPENAI_ROUTES):
        return {"error": message}
    kind = _OPENAI_TYPES.get(status, "invalid_request_error")
    return {"error": {"message": message[:1].upper() + message[1:] + ".", "type": kind, "param": None, "code": _OPENAI_CODES.get(status)}}


async def _send_error(send: Send, status: int, message: str, path: str = "") -> None:
    body = json.dumps(error_body(status, message, path)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 429:
        headers.append((b"retry-after", b"5"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def new_upload_token() -> str:
    return secrets.token_urlsafe(24)


def upload_token_ok(headers: Headers) -> bool:
    """Double-submit check: a browser upload carries the page's token both as a cookie and a header.

    Another site can make the browser send the cookie (it is SameSite=Strict, so not even that),
    but it cannot read it to copy it into the header. Clients that are not browsers (no Origin,
    no Sec-Fetch-Site) cannot be driven by a web page and need no token.
    """
    if "origin" not in headers and "sec-fetch-site" not in headers:
        return True
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is a missing token
        return False
    given = headers.get(UPLOAD_HEADER, "")
    stored = cookie[UPLOAD_COOKIE].value if UPLOAD_COOKIE in cookie else ""
    return bool(given) and bool(stored) and secrets.compare_digest(given, stored)


_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])")


class SecurityHeaders:
    """ASGI middleware: a content security policy, `nosniff`, and no credentials for other origins.

    HTML responses are read whole (Gradio's page is 13 KB) to give each `<script>` the
    response's nonce. It also removes any CORS grant to another origin (Gradio's own server
    echoes them), turns Gradio's `SameSite=None` login cookie into `SameSite=Lax` so another
    site's requests do not carry the login, and gives the app's page the upload token cookie.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        request = Headers(scope=scope)
        served_file = any(route in path for route in FILE_ROUTES)
        needs_token = path == "/" and UPLOAD_COOKIE not in request.get("cookie", "")
        origin = request.get("origin")
        foreign = origin is not None and not same_origin(origin, request.get("host", ""))

        nonce = secrets.token_urlsafe(16)
        html: list[bytes] = []
        start: Message | None = None

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Content-Security-Policy"] = FILE_POLICY if served_file else PAGE_POLICY.format(nonce=nonce)
                if foreign:
                    for name in ("access-control-allow-origin", "access-control-allow-credentials"):
                        del headers[name]
                _lax_cookies(headers)
                if needs_token:
                    headers.append("Set-Cookie", f"{UPLOAD_COOKIE}={new_upload_token()}; Path=/; SameSite=Strict")
                html_page = headers.get("content-type", "").startswith("text/html")
                if html_page and not served_file and "content-encoding" not in headers:
                    start = message  # held until the body is complete
                    return
            elif start is not None and message["type"] == "http.response.body":
                html.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = _SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode() + b'"', b"".join(html))
                headers = MutableHeaders(scope=start)
                headers["content-length"] = str(len(body))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        if path == "/":  # the page must come uncompressed for its scripts to get the nonce
            scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k != b"accept-encoding"])
        await self.app(scope, receive, send_with_headers)


def _lax_cookies(headers: MutableHeaders) -> None:
    cookies = headers.getlist("set-cookie")
    if not any("samesite=none" in c.lower() for c in cookies):
        return
    del headers["set-cookie"]
    for cookie in cookies:
        parts = [p for p in (part.strip() for part in cookie.split(";")) if p.lower() != "samesite=none"]
        headers.append("Set-Cookie", "; ".join([*parts, "SameSite=Lax"]))
