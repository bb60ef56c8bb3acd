"""The documents tab: uploads are indexed with progress, failures are named, removal cleans up."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.documents import DocumentHandlers


class RecordingProgress:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, progress, desc=None, total=None, unit="steps"):
        self.calls.append((progress, desc))


@pytest.fixture()
def docs(small_library, tmp_path: Path) -> DocumentHandlers:
    return DocumentHandlers(small_library, small_library.settings.data_dir / "uploads", 1_000_000)


def upload(tmp_path: Path, name: str, content: bytes) -> str:
    """A file as Gradio hands it over: a temporary folder holding the original name."""
    folder = tmp_path / "gradio-tmp" / str(abs(hash(name)))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return str(path)


def test_uploaded_article_is_indexed_with_progress_and_kept_under_the_data_dir(docs, small_library, tmp_path):
    progress = RecordingProgress()
    before = len(small_library.documents())
    path = upload(tmp_path, "tram.md", b"# Tram line opens\n\nThe new tram line 9 opened in Norrvik on Monday.\n")
    report = docs.ingest([path], progress=progress)
    assert report["added"] == 1 and report["failed"] == []
    assert len(small_library.documents()) == before + 1
    assert (small_library.settings.data_dir / "uploads" / "tram.md").is_file()
    assert progress.calls[-1][0] == (1, 1)
    assert any("tram.md" in (desc or "") for _, desc in progress.calls)


def test_failed_uploads_are_named_by_file_with_their_reason(docs, tmp_path):
    files = [
        upload(tmp_path, "broken.pdf", b"%PDF-1.4 this is not really a pdf"),
        upload(tmp_path, "tool.exe", b"MZ\x00"),
        upload(tmp_path, "empty.txt", b""),
    ]
    with pytest.warns(UserWarning, match="3 file"):
        report = docs.ingest(files, progress=RecordingProgress())
    reasons = {f["path"]: f["reason"] for f in report["failed"]}
    assert set(reasons) == {"broken.pdf", "tool.exe", "empty.txt"}
    assert "PDF" in reasons["broken.pdf"] and "unsupported file type" in reasons["tool.exe"]
    assert not any("/" in name for name in reasons)  # no server paths shown


def test_removing_an_uploaded_document_deletes_its_file(docs, small_library, tmp_path):
    docs.ingest([upload(tmp_path, "tram.txt", b"Tram line opens\n\nThe new tram line 9 opened on Monday.\n")], progress=RecordingProgress())
    stored = small_library.settings.data_dir / "uploads" / "tram.txt"
    assert stored.is_file()
    result = docs.remove_document("tram.txt")
    assert result == {"doc_id": "tram.txt", "removed": True, "title": "Tram line opens"}
    assert not stored.exists() and "tram.txt" not in {r.doc_id for r in small_library.documents()}


def test_removing_an_unknown_document_says_so(docs):
    assert docs.remove_document("no-such-doc")["removed"] is False


def test_refresh_renders_the_list_and_updates_both_pickers(docs):
    report_html, table, remove_choice, doc_filter, files, outlet_filter = docs.refresh({"added": 1, "failed": []})
    assert "Added 1" in report_html and "City opens new harbor bridge" in table
    assert ("City opens new harbor bridge (2024-05-02)", "harbor-2024") in remove_choice["choices"]
    assert doc_filter["choices"] == remove_choice["choices"] and files is None


def test_remove_without_confirmation_keeps_the_document(docs, small_library):
    outputs = docs.remove_selected("harbor-2024", False)
    assert all(o == {"__type__": "update"} for o in outputs)
    assert "harbor-2024" in {r.doc_id for r in small_library.documents()}


def test_a_removed_documents_title_reaches_the_toast_as_text(docs, small_library, tmp_path, monkeypatch):
    import gradio as gr

    shown: list[str] = []
    monkeypatch.setattr(gr, "Info", shown.append)
    path = upload(tmp_path, "evil.md", b"# <img src=x onerror=alert(1)>\n\nThe harbor ferry sails at noon on Sundays.\n")
    assert docs.ingest([path], progress=RecordingProgress())["added"] == 1
    docs.remove_selected("evil.md", True)
    assert shown == ["Removed “&lt;img src=x onerror=alert(1)&gt;”."]
