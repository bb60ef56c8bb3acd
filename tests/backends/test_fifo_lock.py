"""The model's lock: one holder at a time, waiters served in arrival order, a timed-out waiter leaves the line."""

from __future__ import annotations

import threading
import time

import pytest

from rag.backends.fifo_lock import FifoLock

WAIT_S = 5.0


def wait_until(condition, timeout_s: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_waiters_get_the_lock_in_the_order_they_arrived() -> None:
    lock = FifoLock()
    order: list[int] = []
    lock.acquire()

    def take(i: int) -> None:
        with lock:
            order.append(i)

    threads = []
    for i in range(12):
        thread = threading.Thread(target=take, args=(i,))
        thread.start()
        threads.append(thread)
        assert wait_until(lambda: lock.waiting == i + 1)  # in line before the next one arrives
    lock.release()
    for thread in threads:
        thread.join(WAIT_S)
    assert order == list(range(12))
    assert not lock.locked() and lock.waiting == 0


def test_a_waiter_that_times_out_leaves_the_line_and_the_next_one_is_served() -> None:
    lock = FifoLock()
    lock.acquire()
    assert lock.acquire(timeout=0.05) is False
    served = threading.Event()
    later = threading.Thread(target=lambda: lock.acquire() and served.set())
    later.start()
    assert wait_until(lambda: lock.waiting == 1)
    lock.release()
    assert served.wait(WAIT_S) and lock.locked()
    lock.release()
    later.join(WAIT_S)


def test_releasing_an_unlocked_lock_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="unlocked"):
        FifoLock().release()
