"""Uploaded files get safe names and stay inside the upload folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.uploads import safe_name, store_uploads

MB = 1_000_000


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("/abs/path/report.html", "report.html"),
        (".hidden.txt", "hidden.txt"),
        ("news feed (1).JSONL.GZ", "news_feed_1.jsonl.gz"),
        ("résumé  du jour.txt", "résumé_du_jour.txt"),
        ("新闻 报道.txt", "新闻_报道.txt"),
        ("tab\there\x00.txt", "tab_here.txt"),
        ("..", "upload"),
        ("", "upload"),
    ],
)
def test_safe_name_keeps_only_a_plain_file_name(given: str, expected: str):
    assert safe_name(given) == expected


def test_safe_name_is_bounded_and_keeps_the_suffix():
    name = safe_name("a" * 500 + ".jsonl.gz")
    assert len(name) <= 120 and name.endswith(".jsonl.gz")


def test_hostile_names_are_never_written_outside_the_upload_folder(tmp_path: Path):
    source = tmp_path / "incoming.txt"
    source.write_text("An article.", encoding="utf-8")
    uploads = tmp_path / "data" / "uploads"
    names = ["../../escape.txt", "/tmp/abs.txt", "..\\..\\win.txt", "sub/dir/nested.txt"]
    stored, rejected = store_uploads([(source, n) for n in names], uploads, MB)
    assert not rejected and len(stored) == 4
    assert all(p.parent == uploads.resolve() for p in stored)
    assert sorted(p.name for p in uploads.iterdir()) == ["abs.txt", "escape.txt", "nested.txt", "win.txt"]
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "data" / "escape.txt").exists()


def test_unsupported_empty_and_oversized_uploads_are_rejected_with_a_reason(tmp_path: Path):
    exe, empty, big = tmp_path / "tool.exe", tmp_path / "empty.txt", tmp_path / "big.txt"
    exe.write_bytes(b"MZ")
    empty.write_bytes(b"")
    big.write_bytes(b"x" * 2048)
    stored, rejected = store_uploads([(exe, "tool.exe"), (empty, "empty.txt"), (big, "big.txt")], tmp_path / "up", 1024)
    assert stored == []
    reasons = {r.name: r.reason for r in rejected}
    assert "unsupported file type '.exe'" in reasons["tool.exe"]
    assert reasons["empty.txt"] == "empty file"
    assert "over the" in reasons["big.txt"]


def test_two_uploads_with_one_name_are_both_kept(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("first", encoding="utf-8")
    b.write_text("second", encoding="utf-8")
    stored, _ = store_uploads([(a, "x/story.txt"), (b, "y/story.txt")], tmp_path / "up", MB)
    assert [p.name for p in stored] == ["story.txt", "story-2.txt"]
    assert [p.read_text() for p in stored] == ["first", "second"]


def test_uploading_a_name_again_replaces_the_earlier_file(tmp_path: Path):
    src = tmp_path / "src.txt"
    src.write_text("old", encoding="utf-8")
    store_uploads([(src, "story.txt")], tmp_path / "up", MB)
    src.write_text("new", encoding="utf-8")
    stored, _ = store_uploads([(src, "story.txt")], tmp_path / "up", MB)
    assert stored[0].read_text() == "new" and len(list((tmp_path / "up").iterdir())) == 1
