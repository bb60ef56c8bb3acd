"""One writer per data directory: a second ingest is told so; a dead writer's lock blocks nobody."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.errors import IndexBusy
from index.library import Library

HOLD_LOCK = """
import sys, time
from pathlib import Path
from index.locking import writer_lock
with writer_lock(Path(sys.argv[1]) / "ingest.lock"):
    print("locked", flush=True)
    time.sleep(300)
"""


@pytest.fixture()
def lock_holder(hash_settings):
    """A process that holds the writer lock of `hash_settings.data_dir` until killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(hash_settings.data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "locked"
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


def wait_until_locked_by(process: subprocess.Popen, data_dir: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    lock = data_dir / "ingest.lock"
    while not (lock.exists() and lock.read_text().strip() == str(process.pid)):
        assert process.poll() is None and time.monotonic() < deadline, "ingest never took the lock"
        time.sleep(0.005)


def test_ingest_while_another_process_writes_raises_index_busy_naming_it(
    hash_settings, lock_holder, write_articles, tmp_path
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(2))
    library = Library(hash_settings)  # opening to read needs no lock
    with pytest.raises(IndexBusy) as caught:
        library.ingest([folder])
    assert f"another ingest (pid {lock_holder.pid}) is writing to this index" in str(caught.value)
    assert "wait for it to finish and try again" in str(caught.value)
    with pytest.raises(IndexBusy):
        library.remove("art-000")
    assert library.status()["documents"] == 0


def test_second_ingest_during_a_running_ingest_is_refused_and_the_first_completes(
    hash_settings, write_articles, tmp_path, start_rag, assert_consistent
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(80), paragraphs=30)
    first = start_rag("ingest", folder, "--data-dir", hash_settings.data_dir)
    try:
        wait_until_locked_by(first, hash_settings.data_dir)
        # Paused, the first ingest cannot finish before the second tries, however slow the machine is.
        first.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(IndexBusy, match=f"pid {first.pid}"):
                Library(hash_settings).ingest([folder])
        finally:
            first.send_signal(signal.SIGCONT)
        assert first.wait(timeout=600) == 0
    finally:
        first.kill()
        first.wait(timeout=30)
    library = Library(hash_settings)
    report = library.ingest([folder])
    assert (len(report.added), len(report.unchanged)) == (0, 80)
    assert_consistent(library)


def test_rag_ingest_while_locked_exits_3_with_one_clear_sentence(hash_settings, lock_holder, run_rag, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(1))
    result = run_rag("ingest", folder, "--data-dir", hash_settings.data_dir)
    assert result.returncode == 3
    assert "Traceback" not in result.stdout + result.stderr
    assert f"rag: error: another ingest (pid {lock_holder.pid}) is writing to this index" in result.stderr


def test_lock_left_by_a_sigkilled_ingest_does_not_block_the_next_run(
    hash_settings, write_articles, tmp_path, start_rag, run_rag
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(60), paragraphs=30)
    killed = start_rag("ingest", folder, "--data-dir", hash_settings.data_dir)
    wait_until_locked_by(killed, hash_settings.data_dir)
    killed.kill()
    killed.wait(timeout=30)
    assert (hash_settings.data_dir / "ingest.lock").read_text().strip() == str(killed.pid)  # the stale file stays

    result = run_rag("ingest", folder, "--data-dir", hash_settings.data_dir, "--json")
    assert result.returncode == 0, result.stderr
    status = run_rag("status", "--json", "--data-dir", hash_settings.data_dir)
    assert '"documents": 60' in status.stdout


def test_lock_of_a_killed_holder_is_released_at_once(hash_settings, write_articles, tmp_path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, range(2))
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(hash_settings.data_dir)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    library = Library(hash_settings)
    with pytest.raises(IndexBusy):
        library.ingest([folder])
    holder.kill()
    holder.wait(timeout=30)
    assert len(library.ingest([folder]).added) == 2
