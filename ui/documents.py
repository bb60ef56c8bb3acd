"""The documents tab's event handlers: upload and ingest, list, remove."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from index.library import Library, Progress
from rag.errors import RagError
from ui.render import documents_html, ingest_report_html, toast
from ui.uploads import store_uploads

log = logging.getLogger(__name__)


def choice_label(record) -> str:
    """How a document is named in the pickers: its title and date."""
    return f"{record.title or record.doc_id} ({record.published or 'undated'})"


class DocumentHandlers:
    """Upload, list and remove articles in the `library`; uploads are kept in `upload_dir`."""

    def __init__(self, library: Library, upload_dir: Path, max_bytes: int) -> None:
        self.library = library
        self.upload_dir = upload_dir
        self.max_bytes = max_bytes

    def ingest(self, files: list[str] | None, progress=gr.Progress()) -> dict[str, Any]:
        """Store the uploaded files under safe names and index them; returns the report as JSON."""
        if not files:
            gr.Info("Choose one or more files first (.txt .md .html .htm .pdf .json .jsonl .jsonl.gz).")
            return {"added": 0, "updated": 0, "unchanged": 0, "failed": []}
        sources = [(Path(f), Path(f).name) for f in files]
        progress(0, desc="Saving the uploads…")
        try:
            stored, rejected = store_uploads(sources, self.upload_dir, self.max_bytes)
        except OSError as exc:
            message = f"Could not save the uploads in {self.upload_dir}: {exc.strerror or exc}."
            gr.Warning(toast(message))
            return {"error": message}
        failed = [{"path": r.name, "reason": r.reason} for r in rejected]
        if not stored:
            return {"added": 0, "updated": 0, "unchanged": 0, "failed": failed}

        def on_progress(event: Progress) -> None:
            doing = f"Indexing {Path(event.current).name}" if event.current else "Indexed"
            progress((event.files_done, event.files_total), desc=f"{doing} ({event.chunks} chunks so far)", unit="files")

        progress((0, len(stored)), desc="Indexing…", unit="files")
        try:
            report = self.library.ingest(stored, progress=on_progress)
        except RagError as exc:
            gr.Warning(toast(exc))
            return {"error": str(exc), "failed": failed}
        result = report.to_json()
        # Name failed inputs by file name (and line), not by their place on the server.
        result["failed"] = failed + [{"path": Path(p).name, "reason": r} for p, r in report.failed]
        if result["failed"]:
            gr.Warning(f"{len(result['failed'])} file(s) could not be added; see the list below.")
        return result

    def refresh(self, report: dict[str, Any] | None = None):
        """Report, document table, the two document pickers and the outlet picker, after any change."""
        table, choices = self._table_and_choices()
        return (
            ingest_report_html(report or {}),
            table,
            gr.update(choices=choices, value=None) if choices is not None else gr.skip(),
            gr.update(choices=choices) if choices is not None else gr.skip(),
            None,
            self._outlet_picker(),
        )

    def listing(self):
        """On page load: the document table and the pickers (documents, then outlets)."""
        table, choices = self._table_and_choices()
        picker = gr.update(choices=choices) if choices is not None else gr.skip()
        return table, picker, picker, self._outlet_picker()

    def _outlet_picker(self):
        try:
            return gr.update(choices=self.library.outlets())
        except RagError:
            return gr.skip()  # the document table already says what is wrong

    def _table_and_choices(self) -> tuple[str, list[tuple[str, str]] | None]:
        try:
            records = self.library.documents()
        except RagError as exc:
            gr.Warning(toast(exc))
            return documents_html([], error=str(exc)), None
        return documents_html(records), [(choice_label(r), r.doc_id) for r in records]

    def remove_selected(self, doc_id: str | None, confirmed: bool = True):
        """Remove the chosen document once the user confirmed (and its uploaded file)."""
        if not doc_id:
            gr.Info("Choose a document to remove first.")
            return self.refresh({})
        if not confirmed:
            return (gr.skip(),) * 6
        try:
            result = self.remove_document(doc_id)
        except RagError as exc:
            gr.Warning(toast(exc))
            return self.refresh({"error": str(exc)})
        message = f"Removed “{result['title']}”." if result["removed"] else f"No document with id '{doc_id}'."
        (gr.Info if result["removed"] else gr.Warning)(toast(message))
        return self.refresh({"error": message} if not result["removed"] else {"message": message})

    # ---- JSON endpoints (gr.api) ---------------------------------------------------------------
    def list_documents(self) -> list[dict]:
        """Every document in the library: doc_id, title, published, url, chunks."""
        try:
            records = self.library.documents()
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return [
            {"doc_id": r.doc_id, "title": r.title, "published": r.published, "url": r.url, "chunks": r.n_chunks}
            for r in records
        ]

    def remove(self, doc_id: str) -> dict:
        """Remove one document by id; returns {"doc_id", "removed", "title"}."""
        try:
            return self.remove_document(doc_id)
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    def remove_document(self, doc_id: str) -> dict[str, Any]:
        record = self.library.document(doc_id)
        removed = self.library.remove(doc_id)
        if removed and record is not None:
            self._forget_upload(record.source)
        return {"doc_id": doc_id, "removed": removed, "title": (record.title or doc_id) if record else doc_id}

    def _forget_upload(self, source: str) -> None:
        """Delete an uploaded file once no remaining document came from it."""
        if not source:
            return
        path = Path(source).resolve()
        root = self.upload_dir.resolve()
        if path.parent != root or any(r.source == source for r in self.library.documents()):
            return
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete the uploaded file %s: %s", path, exc)
