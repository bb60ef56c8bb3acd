"""The login: credentials compared in constant time, and failed attempts slowed down.

One `Login` serves both doors of the server: HTTP Basic on the JSON API and Gradio's login form;
`ApiAccess` adds the API key that programs send to `/v1` and `/mcp`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import time
from dataclasses import dataclass, field

from rag.errors import ConfigError

FIRST_DELAY_S = 0.25  # after the first failure; doubles with each further one ...
MAX_DELAY_S = 4.0  # ... up to this
FORGET_AFTER_S = 900.0  # failures older than this no longer count


@dataclass(frozen=True)
class Credentials:
    """The one user the server knows."""

    user: str
    password: str = field(repr=False)

    @classmethod
    def parse(cls, value: str) -> Credentials:
        """`USER:PASSWORD` (the password may hold colons)."""
        user, _, password = value.partition(":")
        if not user or not password:
            raise ConfigError("--auth must look like USER:PASSWORD (both parts non-empty)")
        if not value.isascii() or not value.isprintable():
            # HTTP Basic has no agreed character set; FastAPI's reader takes ASCII only.
            raise ConfigError("--auth: use ASCII letters, digits and punctuation in USER:PASSWORD")
        return cls(user, password)

    def match(self, user: str, password: str) -> bool:
        user_ok = secrets.compare_digest(user.encode(), self.user.encode())
        password_ok = secrets.compare_digest(password.encode(), self.password.encode())
        return user_ok and password_ok


@dataclass
class _Failures:
    count: int
    last: float


class Login:
    """Checks credentials; each failure from one source makes the next answer to it wait longer.

    The wait (0.25 s, 0.5 s, 1 s … 4 s) happens before the answer, so guessing costs time per
    attempt; a success clears the source's count.
    """

    def __init__(self, credentials: Credentials, first_delay_s: float = FIRST_DELAY_S, max_delay_s: float = MAX_DELAY_S) -> None:
        self.credentials = credentials
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.failures: dict[str, _Failures] = {}

    def delay_for(self, source: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        failed = self.failures.get(source)
        if failed is None or now - failed.last > FORGET_AFTER_S:
            return 0.0
        return min(self.max_delay_s, self.first_delay_s * 2 ** (failed.count - 1))

    async def check(self, source: str, user: str, password: str) -> bool:
        """Are these the credentials? Waits first when `source` failed recently."""
        wait = self.delay_for(source)
        if wait:
            await asyncio.sleep(wait)
        if self.credentials.match(user, password):
            self.failures.pop(source, None)
            return True
        now = time.monotonic()
        if len(self.failures) > 10_000:
            self.failures = {s: f for s, f in self.failures.items() if now - f.last < FORGET_AFTER_S}
        failed = self.failures.setdefault(source, _Failures(0, now))
        failed.count += 1
        failed.last = now
        return False

    def gradio_auth(self):
        """The `auth` callable for Gradio's login form (it passes no client, so all share one count)."""

        async def auth(user: str, password: str) -> bool:
            return await self.check("login-form", user, password)

        return auth


LOOPBACK_CLIENTS = frozenset({"127.0.0.1", "::1", "localhost"})


class ApiAccess:
    """Who may use the routes programs call (`/v1/...`, `/mcp`).

    - `Authorization: Bearer <api_key>` when the server has an `api_key`;
    - with a login (`--auth USER:PASSWORD`): HTTP Basic with it, or `Bearer USER:PASSWORD`
      (a chat front end can only send a bearer token);
    - with neither: any client on this machine, whatever token it sends (a front end insists on
      one), and no other client.

    Failed keys are slowed down like failed logins.
    """

    def __init__(self, api_key: str = "", login: Login | None = None) -> None:
        self.key = Login(Credentials("api-key", api_key)) if api_key else None
        self.login = login

    @property
    def open_on_loopback(self) -> bool:
        return self.key is None and self.login is None

    async def allows(self, authorization: str | None, client: str) -> bool:
        """May a request with this `Authorization` header from address `client` pass?"""
        scheme, _, value = (authorization or "").strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if self.open_on_loopback:
            return client in LOOPBACK_CLIENTS
        if scheme == "bearer" and value:
            if self.key is not None and await self.key.check(client, "api-key", value):
                return True
            user, colon, password = value.partition(":")
            return bool(colon) and self.login is not None and await self.login.check(client, user, password)
        if scheme == "basic" and self.login is not None:
            user, password = _basic(value)
            return user is not None and await self.login.check(client, user, password)
        return False

    def refusal(self) -> str:
        """The sentence a refused request gets."""
        if self.open_on_loopback:
            return "this server answers programs on this machine only; set api_key (RAG_API_KEY) to allow others"
        return "authentication required: send Authorization: Bearer <api_key>" + (
            " (or the --auth USER:PASSWORD)" if self.login is not None else ""
        )


def _basic(value: str) -> tuple[str | None, str]:
    """User and password of HTTP Basic credentials; (None, "") when they are malformed."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, ""
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else (None, "")
