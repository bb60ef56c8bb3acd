"""Load: concurrent chat sessions through `POST /api/ask` against one `rag serve` on loopback.

Each session holds its own conversation about its own made-up article (a question, then a
follow-up sent with the session's history), again and again for `--duration` seconds; every reply
is checked (HTTP 200, the Answer JSON, its own question, the expected fact cited to the session's
article with a quote found at its offsets, the follow-up read with this session's history). The
server is a separate process (`python -m cli serve`), once per back end: `extractive`, and
`openai` pointed at a stand-in OpenAI-compatible server in this process that answers instantly
from the prompt, so the figures are the app's own cost (a real model's time adds to them).
A single session run first on the same server is the baseline of the ratio.

    python benchmarks/load.py                               # 20 sessions, 30 s per back end, MiniLM
    python benchmarks/load.py --duration 10 --embed-model hash-256   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import machine  # noqa: E402
from tests.support.llm_standin import StandIn, running_stand_in  # noqa: E402
from tests.support.load import LoadResult, Session, article_texts, run_load, sessions  # noqa: E402
from tests.support.servers import free_port, stop_process, wait_until_up  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "load.json"
START_TIMEOUT_S = 180.0
SHOWN_FAILURES = 10


def server_env(data_dir: Path, embed_model: str, stand_in: StandIn) -> dict[str, str]:
    """Offline, no stray RAG_* settings; the index and the stand-in as the OpenAI-compatible endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False",
        TOKENIZERS_PARALLELISM="false", RAG_DATA_DIR=str(data_dir), RAG_EMBED_MODEL=embed_model,
        RAG_OPENAI_BASE_URL=stand_in.url + "/v1", RAG_OPENAI_MODEL="reader", RAG_CLIENT_PER_S="0",
    )
    return env


def ingest(corpus: Path, env: dict[str, str], workdir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cli", "ingest", str(corpus)], cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ingest failed:\n{done.stderr[-2000:]}")


@contextmanager
def rag_server(backend: str, env: dict[str, str], workdir: Path) -> Iterator[str]:
    """`rag serve --backend BACKEND` on a free port; yields its URL once it answers."""
    port = free_port()
    log = (workdir / f"serve-{backend}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--backend", backend, "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            wait_until_up(url, process, START_TIMEOUT_S)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        yield url
    finally:
        stop_process(process)
        log.close()


def measure(url: str, chats: Sequence[Session], duration_s: float, baseline_s: float) -> tuple[LoadResult, LoadResult]:
    """A warm-up question, one session alone (the baseline), then all sessions at once."""
    httpx.post(url + "api/ask", json={"question": chats[0].turns[0].question}, timeout=120)
    texts = article_texts(chats)
    return run_load(url, chats[:1], baseline_s, texts=texts), run_load(url, chats, duration_s, texts=texts)


def report_row(backend: str, alone: LoadResult, loaded: LoadResult) -> dict:
    single, many = alone.summary(), loaded.summary()
    ratio = many["p50_ms"] / single["p50_ms"] if single["p50_ms"] else 0.0
    return {
        "backend": backend,
        "load": many,
        "one_session": single,
        "p50_ratio_to_one_session": round(ratio, 2),
        "failures": [
            {"session": o.session, "turn": o.turn, "status": o.status, "problems": list(o.problems)}
            for o in (loaded.failed + alone.failed)[:SHOWN_FAILURES]
        ],
    }


def print_table(rows: Sequence[dict], sessions_n: int) -> None:
    head = f"{'backend':<11} {'sessions':>8} {'requests':>8} {'failed':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50 / 1 session':>16}"
    print(head)
    print("-" * len(head))
    for row in rows:
        one, load = row["one_session"], row["load"]
        print(
            f"{row['backend']:<11} {1:>8} {one['requests']:>8} {one['failed']:>6} {one['requests_per_s']:>7.1f} "
            f"{one['p50_ms']:>8.0f} {one['p95_ms']:>8.0f} {one['max_ms']:>8.0f} {'1.00':>16}"
        )
        print(
            f"{'':<11} {sessions_n:>8} {load['requests']:>8} {load['failed']:>6} {load['requests_per_s']:>7.1f} "
            f"{load['p50_ms']:>8.0f} {load['p95_ms']:>8.0f} {load['max_ms']:>8.0f} {row['p50_ratio_to_one_session']:>16.2f}"
        )
        for failure in row["failures"][:3]:
            print(f"    failed: session {failure['session']} turn {failure['turn']}: {failure['problems']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (at most 72)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per back end")
    parser.add_argument("--baseline", type=float, default=8.0, help="seconds of the one-session baseline")
    parser.add_argument("--backends", nargs="+", default=["extractive", "openai"], choices=["extractive", "openai"])
    parser.add_argument("--embed-model", default="all-MiniLM-L6-v2", help="embedder of the index (hash-256 for a quick run)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    chats = sessions(args.sessions)
    load_before = os.getloadavg()[0]  # other work on the machine slows every figure down
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsrag-load-") as tmp, running_stand_in() as stand_in:
        workdir = Path(tmp)
        corpus = workdir / "trams.jsonl"
        corpus.write_text("\n".join(json.dumps(c.article) for c in chats) + "\n", encoding="utf-8")
        env = server_env(workdir / "data", args.embed_model, stand_in)
        ingest(corpus, env, workdir)
        for backend in args.backends:
            with rag_server(backend, env, workdir) as url:
                rows.append(report_row(backend, *measure(url, chats, args.duration, args.baseline)))
    print_table(rows, args.sessions)
    result = {
        "benchmark": "load",
        "settings": {
            "sessions": args.sessions, "duration_s": args.duration, "baseline_s": args.baseline,
            "embed_model": args.embed_model, "turns_per_conversation": len(chats[0].turns),
            "server": "python -m cli serve (separate process), loopback", "stand_in": "tests/support/llm_standin.py model 'reader'",
        },
        "machine": machine(),
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "runs": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 1 if any(row["failures"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
