"""The login: credentials compared in constant time, and failed attempts slowed down.

One `Login` serves both doors of the server: HTTP Basic on the JSON API and Gradio's login form.
"""

from __future__ import annotations

import asyncio
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
