"""The MCP server through the SDK's own client: `rag mcp` over stdio, and /mcp of the running app.

Both serve two made-up articles, hash-embedded, with the extractive back end (no model).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from index.library import Library
from tests.support.small_corpus import APPLES, BRIDGE, serve_small, small_library

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
API_KEY = "mcp-key-41c9"
QUESTION = "What did the bridge cost?"
TRAM = (
    "# Quillton opens its first tram line\n\n"
    "The town of Quillton opened its first tram line on Saturday. "
    "The new line 9 runs 14 kilometres from the harbour to the university campus.\n"
)
STDIO_TIMEOUT_S = 120


def _text(result) -> str:
    assert not result.is_error, result.content
    return "".join(block.text for block in result.content)


async def exercise_tools(client: Client, library: Library) -> dict:
    """Call search, ask and list_documents and check their values; returns what was seen."""
    tools = {t.name for t in (await client.list_tools()).tools}

    found = await client.call_tool("search", {"query": "harbor bridge cost", "k": 2})
    passages = found.structured_content["passages"]
    assert passages and passages[0]["doc_id"] == "harbor-2024" and "240 million euros" in passages[0]["text"]
    for p in passages:
        assert library.document(p["doc_id"]).text[p["start"] : p["end"]] == p["text"]
        assert {"doc_id", "title", "published", "start", "end", "text"} <= set(p)

    answer = json.loads(_text(await client.call_tool("ask", {"question": QUESTION})))
    assert not answer["refused"] and "240 million euros" in answer["answer"] and answer["citations"]
    by_n = {p["n"]: p for p in answer["passages"]}
    for c in answer["citations"]:
        passage = by_n[c["n"]]
        assert c["doc_id"] == passage["doc_id"] and passage["start"] <= c["start"] < c["end"] <= passage["end"]
        assert library.document(c["doc_id"]).text[c["start"] : c["end"]] == c["quote"]

    follow = await client.call_tool(
        "ask", {"question": "Who said it would cut commuting times?", "history": [[QUESTION, answer["answer"]]]}
    )
    followed = json.loads(_text(follow))
    assert "bridge" in followed["standalone_question"].lower() and "Lena Holm" in followed["answer"]

    listed = (await client.call_tool("list_documents", {})).structured_content["result"]
    assert {d["doc_id"] for d in listed} == {"harbor-2024", "orchard-2024"}
    assert {d["title"] for d in listed} == {BRIDGE["title"], APPLES["title"]}

    bad = await client.call_tool("search", {"query": "bridge", "k": 0})
    assert bad.is_error and "greater than or equal to 1" in bad.content[0].text
    unknown = await client.call_tool("ask", {"question": QUESTION, "backend": "gpt"})
    assert unknown.is_error and "unknown backend 'gpt'" in unknown.content[0].text
    return {"tools": tools}


# ---- stdio ----------------------------------------------------------------------------------------


def _stdio_env() -> dict[str, str]:
    return {
        "PYTHONPATH": str(REPO),
        "RAG_EMBED_MODEL": "hash-256",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }


def test_rag_mcp_over_stdio_serves_the_tools(tmp_path):
    library = small_library(tmp_path)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "cli", "mcp", "--data-dir", str(tmp_path / "data"), "--backend", "extractive"],
        env=_stdio_env(),
        cwd=str(tmp_path),
    )

    async def run() -> dict:
        with anyio.fail_after(STDIO_TIMEOUT_S):
            async with Client(params) as client:
                return await exercise_tools(client, library)

    seen = anyio.run(run)
    assert seen["tools"] == {"search", "ask", "list_documents"}, "ingest is off unless mcp_ingest is set"


def test_rag_mcp_writes_only_mcp_messages_on_stdout(tmp_path):
    small_library(tmp_path)
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search", "arguments": {"query": "apples"}}},
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "mcp", "-v", "--data-dir", str(tmp_path / "data"), "--backend", "extractive"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, **_stdio_env()}, cwd=tmp_path,
    )
    try:
        process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        process.stdin.flush()
        replies = []
        while not replies or replies[-1].get("id") != 2:  # stdin stays open until the search has answered
            line = process.stdout.readline()
            assert line, "the server closed stdout before answering"
            replies.append(json.loads(line))  # every line is a JSON-RPC message
        process.stdin.close()
        rest = process.stdout.read()
        assert process.wait(timeout=STDIO_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert rest == "" and all(r["jsonrpc"] == "2.0" for r in replies)
    assert [r.get("id") for r in replies if "id" in r] == [1, 2]
    assert replies[-1]["result"]["structuredContent"]["passages"][0]["doc_id"] == "orchard-2024"


# ---- streamable HTTP under `rag serve` --------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with serve_small(tmp_path_factory.mktemp("mcp-http"), api_key=API_KEY, mcp_ingest=True) as running:
        yield running


def _http_client(app, key: str = API_KEY) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
    return Client(streamable_http_client(f"{app.url}mcp", http_client=http))


def test_mcp_over_http_serves_the_tools_and_ingests_files(app, tmp_path):
    article = tmp_path / "tram.md"
    article.write_text(TRAM, encoding="utf-8")

    async def run() -> tuple[dict, dict, dict]:
        async with _http_client(app) as client:
            seen = await exercise_tools(client, app.pipeline.library)
            report = (await client.call_tool("ingest", {"paths_or_urls": [str(article), "https://example.org/news", "tram.md"]}))
            found = await client.call_tool("search", {"query": "Quillton tram line kilometres", "k": 1})
            return seen, report.structured_content, found.structured_content

    seen, report, found = anyio.run(run)
    assert seen["tools"] == {"search", "ask", "list_documents", "ingest"}
    assert report["added"] == 1 and report["chunks_written"] >= 1
    reasons = {f["path"]: f["reason"] for f in report["failed"]}
    assert "live-news" in reasons["https://example.org/news"] and "absolute path" in reasons["tram.md"]
    assert "14 kilometres" in found["passages"][0]["text"]


def test_mcp_over_http_needs_the_key(app):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    refused = httpx.post(f"{app.url}mcp", json=initialize, headers=headers, timeout=30)
    assert refused.status_code == 401 and "api_key" in refused.json()["error"]
    wrong = httpx.post(f"{app.url}mcp", json=initialize, headers={**headers, "Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401
    accepted = httpx.post(f"{app.url}mcp", json=initialize, headers={**headers, "Authorization": f"Bearer {API_KEY}"}, timeout=30)
    assert accepted.status_code == 200 and accepted.json()["result"]["serverInfo"]["name"] == "newsrag"


def test_mcp_over_http_refuses_another_site_and_an_unknown_host(app):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json, text/event-stream"}
    foreign = httpx.post(f"{app.url}mcp", json=body, headers={**headers, "Origin": "https://evil.example"}, timeout=30)
    assert foreign.status_code == 403
    rebound = httpx.post(f"{app.url}mcp", json=body, headers={**headers, "Host": "evil.example"}, timeout=30)
    assert rebound.status_code == 400
