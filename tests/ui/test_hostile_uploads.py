"""Hostile uploads through the running app: named in the report, the good file added, the server answering."""

from __future__ import annotations

import time

import httpx
import pytest
from gradio_client import Client, handle_file

from tests.support.bombs import deep_json, empty_pages_pdf, gzip_bomb

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

TRAM = "# Quillton opens its first tram line\n\nThe new line 9 in Quillton runs 14 kilometres from the harbour.\n"


def test_a_gzip_bomb_a_page_bomb_and_deep_json_are_named_while_the_rest_goes_in(small_app, tmp_path):
    files = [
        gzip_bomb(tmp_path / "bomb.jsonl.gz", 1_000_000_000),
        empty_pages_pdf(tmp_path / "pages.pdf", 100_000),
        tmp_path / "deep.json",
        tmp_path / "tram.md",
    ]
    files[2].write_text(deep_json(100_000))
    files[3].write_text(TRAM)
    # The report names files under "path", which gradio_client would otherwise try to download.
    client = Client(small_app.url, verbose=False, download_files=False)
    started = time.monotonic()
    report = client.predict([handle_file(str(f)) for f in files], api_name="/ingest")
    seconds = time.monotonic() - started
    reasons = {item["path"]: item["reason"] for item in report["failed"]}
    assert set(reasons) == {"bomb.jsonl.gz", "pages.pdf", "deep.json"}
    assert "more than 200,000 lines" in reasons["bomb.jsonl.gz"] and "page" in reasons["pages.pdf"]
    assert report["added"] == 1 and seconds < 30
    answer = httpx.post(small_app.url + "api/ask", json={"question": "How long is tram line 9 in Quillton?"}, timeout=30).json()
    assert any(c["doc_id"] == "tram.md" and "14 kilometres" in c["quote"] for c in answer["citations"])
