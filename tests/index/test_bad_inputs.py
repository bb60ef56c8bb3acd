"""Bad inputs: each is reported by name and reason, the rest still goes in, no traceback, exit 1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index.loaders import discover, load_file
from tests.support.unprivileged import run_python_unprivileged

GOOD_TEXT = "Ferry crews return to work\n\nThe ferry strike in Norrvik ended on Monday after a pay deal.\n"
GOOD_JSON = {"id": "good-json", "title": "Council budget", "text": "The council raised the school budget by four percent."}
NAV_ONLY_PAGE = """<!DOCTYPE html><html><head><title>Norrvik Daily</title>
<script>var tracking = "abc";</script></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<footer><p>Norrvik Daily. All rights reserved.</p></footer></body></html>"""

# file (relative to the inbox) -> words its failure reason must contain
EXPECTED_FAILURES = {
    "empty.txt": "empty file",
    "blank.md": "empty file",
    "binary.txt": "binary data",
    "latin1.txt": "not valid UTF-8",
    "lines.jsonl:2": "invalid JSON",
    "nav-only.html": "no text",
    "corrupt.pdf": "corrupt PDF",
    "locked.pdf": "encrypted PDF",
    "big.txt": "over the 0.05 MB limit",
    "dangling.txt": "cannot read",
}
GOOD_IDS = ["good-json", "good.txt", "line-1", "line-3"]


def build_inbox(folder: Path, pdfs) -> None:
    folder.mkdir(parents=True)
    (folder / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (folder / "good.json").write_text(json.dumps(GOOD_JSON), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("  \n\n \t\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "latin1.txt").write_bytes("Caf\u00e9 prices rose again in Norrvik this spring.".encode("latin-1"))
    (folder / "lines.jsonl").write_text(
        json.dumps({"id": "line-1", "text": "The first line is a fine article."})
        + '\n{"id": "line-2", "text": "this line is cut off\n'
        + json.dumps({"id": "line-3", "text": "The third line is fine as well."})
        + "\n",
        encoding="utf-8",
    )
    (folder / "nav-only.html").write_text(NAV_ONLY_PAGE, encoding="utf-8")
    (folder / "corrupt.pdf").write_bytes(pdfs.plain(["Some text."])[:180])
    (folder / "locked.pdf").write_bytes(pdfs.encrypted(["A secret report."]))
    (folder / "big.txt").write_text("Large but otherwise fine text. " * 3000, encoding="utf-8")
    (folder / "dangling.txt").symlink_to(folder / "no-such-target.txt")


@pytest.fixture(scope="module")
def bad_ingest(tmp_path_factory, run_rag, pdf_factory):
    """One `rag ingest --json` over a folder of good and bad inputs plus two bad explicit paths."""
    root = tmp_path_factory.mktemp("bad-inputs")
    inbox = root / "inbox"
    build_inbox(inbox, pdf_factory)
    missing = root / "missing.txt"
    unsupported = root / "notes.docx"
    unsupported.write_bytes(b"PK\x03\x04 not really a docx")
    data_dir = root / "data"
    result = run_rag("ingest", inbox, missing, unsupported, "--data-dir", data_dir, "--max-file-mb", "0.05", "--json")
    listed = run_rag("list", "--json", "--data-dir", data_dir)
    return {"inbox": inbox, "missing": missing, "unsupported": unsupported, "result": result, "listed": listed}


def failures_of(bad_ingest) -> dict[str, str]:
    report = json.loads(bad_ingest["result"].stdout)
    return {f["path"]: f["reason"] for f in report["failed"]}


def test_ingest_with_bad_inputs_exits_1_without_traceback(bad_ingest) -> None:
    result = bad_ingest["result"]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_json_summary_is_the_only_thing_on_stdout(bad_ingest) -> None:
    report = json.loads(bad_ingest["result"].stdout)
    assert report["added"] == len(GOOD_IDS)
    assert report["updated"] == report["unchanged"] == 0


@pytest.mark.parametrize("name, reason", sorted(EXPECTED_FAILURES.items()))
def test_each_bad_file_is_reported_by_path_and_reason(bad_ingest, name: str, reason: str) -> None:
    path = str(bad_ingest["inbox"] / name)
    failures = failures_of(bad_ingest)
    assert path in failures, sorted(failures)
    assert reason in failures[path]
    assert f"failed: {path}: {failures[path]}" in bad_ingest["result"].stderr


def test_nonexistent_path_is_reported(bad_ingest) -> None:
    assert failures_of(bad_ingest)[str(bad_ingest["missing"])] == "no such file or folder"


def test_unsupported_extension_given_by_name_is_reported(bad_ingest) -> None:
    assert failures_of(bad_ingest)[str(bad_ingest["unsupported"])] == "unsupported file type '.docx'"


def test_nothing_else_fails(bad_ingest) -> None:
    assert len(failures_of(bad_ingest)) == len(EXPECTED_FAILURES) + 2


def test_good_inputs_next_to_bad_ones_are_all_ingested(bad_ingest) -> None:
    listed = bad_ingest["listed"]
    assert listed.returncode == 0, listed.stderr
    assert sorted(d["doc_id"] for d in json.loads(listed.stdout)) == GOOD_IDS


# Run without root's power over file modes, so that these hold in CI, which runs as root.
_LOAD_FILE = (
    "import json, sys; from pathlib import Path; from index.loaders import load_file; "
    "print(json.dumps([[f.path, f.reason] for f in load_file(Path(sys.argv[1]), Path(sys.argv[2]), 10_000_000)]))"
)
_DISCOVER = (
    "import json, sys; from pathlib import Path; from index.loaders import discover; "
    "files, failures = discover([Path(sys.argv[1])]); print(json.dumps([[str(f) for f in files], [f.path for f in failures]]))"
)


def test_file_without_read_permission_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("You cannot read me.", encoding="utf-8")
    path.chmod(0)
    try:
        ((failed_path, reason),) = run_python_unprivileged(_LOAD_FILE, path, tmp_path)
    finally:
        path.chmod(0o644)
    assert failed_path == str(path)
    assert "cannot read" in reason and "ermission" in reason


def test_folder_without_read_permission_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "inbox" / "private"
    locked.mkdir(parents=True)
    (locked / "a.txt").write_text("hidden", encoding="utf-8")
    locked.chmod(0)
    try:
        files, failures = run_python_unprivileged(_DISCOVER, tmp_path / "inbox")
    finally:
        locked.chmod(0o755)
    assert files == []
    assert failures == [str(locked)]


def test_folder_that_cannot_be_listed_is_reported_not_skipped(tmp_path: Path, monkeypatch) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "private").mkdir(parents=True)
    (inbox / "private" / "a.txt").write_text("hidden", encoding="utf-8")
    (inbox / "b.txt").write_text("visible", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(inbox / "private"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, failures = discover([inbox])
    assert [p.name for p, _ in files] == ["b.txt"]
    assert [(f.path, f.reason) for f in failures] == [(str(inbox / "private"), "cannot read: Permission denied")]


def test_malformed_json_line_keeps_the_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": "first"}\n{oops}\n\n{"id": "c", "text": "fourth"}\n', encoding="utf-8")
    items = list(load_file(path, tmp_path, 10_000_000))
    assert [getattr(i, "doc_id", None) for i in items] == ["a", None, "c"]
    assert items[1].path == f"{path}:2"
