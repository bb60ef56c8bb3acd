"""A lock that serves its waiters in the order they arrived (`threading.Lock` promises no order)."""

from __future__ import annotations

import threading


class FifoLock:
    """A mutual-exclusion lock handed over first come, first served; a waiter that times out leaves the line."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._next_ticket = 0
        self._serving = 0  # the ticket whose turn it is
        self._held = False
        self._gave_up: set[int] = set()

    def acquire(self, timeout: float = -1) -> bool:
        """Wait for this caller's turn (at most `timeout` seconds when >= 0); False when it timed out."""
        with self._changed:
            ticket = self._next_ticket
            self._next_ticket += 1
            my_turn = self._changed.wait_for(
                lambda: self._serving == ticket and not self._held, timeout=None if timeout < 0 else timeout
            )
            if not my_turn:
                self._gave_up.add(ticket)
                self._skip_gone()
                self._changed.notify_all()
                return False
            self._held = True
            return True

    def release(self) -> None:
        with self._changed:
            if not self._held:
                raise RuntimeError("release of an unlocked FifoLock")
            self._held = False
            self._serving += 1
            self._skip_gone()
            self._changed.notify_all()

    def locked(self) -> bool:
        return self._held

    @property
    def waiting(self) -> int:
        """Callers in line for the lock (not counting the holder)."""
        with self._changed:
            return self._next_ticket - self._serving - len(self._gave_up) - int(self._held)

    def _skip_gone(self) -> None:
        while self._serving in self._gave_up:
            self._gave_up.discard(self._serving)
            self._serving += 1

    def __enter__(self) -> FifoLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
