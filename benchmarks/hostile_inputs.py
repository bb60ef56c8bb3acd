"""What hostile inputs cost the server: bombs, deep JSON, a markup flood, one client flooding the queue.

Each file is read by `index.loaders.load_file` in a fresh child process, so its peak memory is its
own (the import-only baseline is printed next to it). The old bold-markup regex is timed on a
smaller input to show the quadratic growth the new renderer removed. The flood starts the real
app on loopback (hash embedder, extractive back end), sends 200 questions at once from 127.0.0.1
into Gradio's queue and, while they wait, one from 127.0.0.2, and times that one; with the
per-address limit and without it. About 40 s in all.

    python benchmarks/hostile_inputs.py          # prints the figures, writes benchmarks/results/hostile_inputs.json
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import machine  # noqa: E402
from tests.support.bombs import deep_json, empty_pages_pdf, gzip_bomb  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "hostile_inputs.json"
LIMIT = 50_000_000  # the default max_file_mb
CHILD = """
import json, resource, sys, time
from pathlib import Path
from index.loaders import load_file
path = Path(sys.argv[1])
started = time.monotonic()
out = [getattr(o, "reason", "document") for o in load_file(path, path.parent, int(sys.argv[2]))] if path.name != "-" else []
print(json.dumps({"seconds": round(time.monotonic() - started, 3),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "result": out[:2]}))
"""


def read_in_child(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(LIMIT)], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout)


def files(folder: Path) -> dict[str, dict]:
    (folder / "deep.json").write_text(deep_json(100_000))
    made = {
        "import only (baseline)": folder / "-",
        "1 GB of newlines as a 1 MB .jsonl.gz": gzip_bomb(folder / "newlines.jsonl.gz", 1_000_000_000),
        "1 GB of one line as a 2 MB .jsonl.gz": gzip_bomb(folder / "line.jsonl.gz", 1_000_000_000, b'{"text": "' + b"a" * 999),
        "PDF, 100,000 empty pages": empty_pages_pdf(folder / "pages.pdf", 100_000),
        "PDF, 100,000 empty pages, /Count says 1": empty_pages_pdf(folder / "liar.pdf", 100_000, declared=1),
        "JSON nested 100,000 deep": folder / "deep.json",
    }
    return {name: read_in_child(path) for name, path in made.items()}


def markup() -> dict[str, float]:
    from ui.render import text_html

    old = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
    figures = {}
    for size in (10_000, 20_000):
        text = "**a " * (size // 4)
        started = time.monotonic()
        old.sub(r"<strong>\1</strong>", text)
        figures[f"old regex, {size // 1000} KB of '**a ' (s)"] = round(time.monotonic() - started, 3)
    text = "**a " * 25_000
    started = time.monotonic()
    text_html(text)
    figures["text_html now, 100 KB of '**a ' (s)"] = round(time.monotonic() - started, 4)
    return figures


async def _flood(url: str) -> dict:
    import httpx

    body = {"data": ["How much did the harbor bridge cost?", None, None, None]}

    async def other_client() -> tuple[str, float]:
        await asyncio.sleep(0.3)  # while the flood is in the queue
        async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2"), timeout=120) as other:
            started = time.monotonic()
            joined = await other.post(url + "gradio_api/call/ask", json=body)
            if joined.status_code != 200:
                return f"refused: {joined.status_code} {joined.text[:120]}", time.monotonic() - started
            result = await other.get(url + f"gradio_api/call/ask/{joined.json()['event_id']}")
            return "answered" if "event: complete" in result.text else "failed", time.monotonic() - started

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=200)) as noisy:
        replies, (answered, seconds) = await asyncio.gather(
            asyncio.gather(*(noisy.post(url + "gradio_api/call/ask", json=body) for _ in range(200))), other_client()
        )
    statuses = [r.status_code for r in replies]
    return {
        "flood accepted": statuses.count(200), "flood refused (429)": statuses.count(429),
        "flood refused (queue full, 503)": statuses.count(503),
        "other client": answered, "other client's wait (s)": round(seconds, 2),
    }


def flood(folder: Path) -> dict:
    """The flood against the app as configured (30 at once, then 2/s per address) and without the limit."""
    from index.library import Library
    from index.settings import IndexSettings
    from rag.config import Config
    from rag.pipeline import Pipeline
    from tests.support.servers import free_port, serve_in_thread
    from tests.ui.conftest import APPLES, BRIDGE

    corpus = folder / "articles.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in (BRIDGE, APPLES)) + "\n", encoding="utf-8")
    library = Library(IndexSettings(data_dir=folder / "data", embed_model="hash-256"))
    library.ingest([corpus])
    figures = {}
    for label, per_s in (("per-address limit", 2.0), ("no per-address limit", 0.0)):
        config = Config(
            index=library.settings, backend="extractive", refusal_threshold=0.0, host="127.0.0.1", port=free_port(), client_per_s=per_s
        )
        with serve_in_thread(Pipeline(config, library=library), config) as app:
            figures[label] = asyncio.run(_flood(app.url))
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result = {
            "machine": machine(), "date": time.strftime("%Y-%m-%d"), "command": "python benchmarks/hostile_inputs.py",
            "files": files(folder), "markup": markup(), "flood": flood(folder),
        }
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
