"""The fetched-URL cache (`fetched.json`): two ingests saving at once keep each other's entries."""

from __future__ import annotations

import threading

from index.validators import Seen, Validators


def test_two_runs_that_save_one_after_the_other_keep_both_their_entries(tmp_path):
    Validators(tmp_path).save()  # nothing changed: no file
    assert not (tmp_path / "fetched.json").exists()
    first, second = Validators(tmp_path), Validators(tmp_path)  # both loaded the same (empty) state
    first.put("https://a.example/1", Seen(etag='"a"', doc_id="a1", kind="page"))
    second.put("https://b.example/2", Seen(etag='"b"', doc_id="b2", kind="page"))
    first.save()
    second.save()
    again = Validators(tmp_path)
    assert again.get("https://a.example/1") == Seen(etag='"a"', doc_id="a1", kind="page")
    assert again.get("https://b.example/2").doc_id == "b2"


def test_a_forgotten_url_stays_forgotten_when_another_run_saves_later(tmp_path):
    setup = Validators(tmp_path)
    setup.put("https://a.example/1", Seen(doc_id="a1", kind="page"))
    setup.put("https://a.example/2", Seen(doc_id="a2", kind="page"))
    setup.save()
    pruning, fetching = Validators(tmp_path), Validators(tmp_path)
    pruning.forget(["https://a.example/1"])
    fetching.put("https://a.example/2", Seen(etag='"new"', doc_id="a2", kind="page"))
    pruning.save()
    fetching.save()  # it loaded a.example/1 too, but did not change it: the forget holds
    again = Validators(tmp_path)
    assert again.get("https://a.example/1") is None and again.get("https://a.example/2").etag == '"new"'


def test_many_threads_saving_at_once_lose_nothing(tmp_path):
    runs = [Validators(tmp_path) for _ in range(8)]
    for i, run in enumerate(runs):
        run.put(f"https://site.example/{i}", Seen(doc_id=f"d{i}", kind="page"))
    threads = [threading.Thread(target=run.save) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    again = Validators(tmp_path)
    assert sorted(again.get(f"https://site.example/{i}").doc_id for i in range(8)) == [f"d{i}" for i in range(8)]
