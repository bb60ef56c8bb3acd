"""Start-up: how long `rag serve` takes to answer its first question over an existing index.

The index of `seeds/` is built first (not timed). Then `rag serve` starts as a user would start it
and the clock runs until (1) the HTTP port accepts connections and (2) `POST /api/ask` returns a
cited answer. Each back end is started `--repeat` times; the baseline, timed the same way in the
same run, is a bare Python process importing the CLI module (the floor any start-up pays).

    python benchmarks/startup.py                          # embedded default and extractive
    python benchmarks/startup.py --backends extractive --repeat 1
    python benchmarks/startup.py --runtimes torch openvino   # the embedder's runtime (RAG_EMBED_RUNTIME; default auto)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import machine  # noqa: E402
from index.settings import EMBED_RUNTIMES  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "startup.json"
GOAL_S = 10.0
QUESTION = "Who is the Ukrainian president named in the article?"  # seed-01 of evals/gold/seed.jsonl
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
               GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False", RAG_DATA_DIR=str(data_dir))
    return env


def time_serve(backend: str, env: dict[str, str], timeout_s: float = 180.0) -> dict[str, float]:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "rag"), "serve", "--port", str(port), "--backend", backend],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listening = answered = None
    try:
        while time.perf_counter() - started < timeout_s:
            if proc.poll() is not None:
                raise RuntimeError(f"rag serve exited with {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    listening = listening or time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
                continue
            reply = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": QUESTION}, timeout=timeout_s)
            if reply.status_code == 200 and reply.json().get("citations"):
                answered = time.perf_counter() - started
                break
            time.sleep(0.1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    if answered is None:
        raise RuntimeError(f"no cited answer from rag serve --backend {backend} within {timeout_s:.0f} s")
    return {"listening_s": round(listening or answered, 2), "first_answer_s": round(answered, 2)}


def time_import(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import cli.main"], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["embedded", "extractive"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runtimes", nargs="+", default=["auto"], choices=list(EMBED_RUNTIMES))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rag-bench-startup-") as tmp:
        env = environment(Path(tmp) / "data")
        subprocess.run([str(BIN / "rag"), "ingest", str(ROOT / "seeds")], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        baseline = [time_import(env) for _ in range(args.repeat)]
        runs = {
            (b, r): [time_serve(b, env | {"RAG_EMBED_RUNTIME": r}) for _ in range(args.repeat)]
            for b in args.backends
            for r in args.runtimes
        }

    rows = {"import cli.main (baseline)": {"listening_s": None, "first_answer_s": round(float(np.median(baseline)), 2)}}
    for (backend, runtime), timings in runs.items():
        name = f"rag serve --backend {backend}" + (f" ({runtime})" if len(args.runtimes) > 1 else "")
        rows[name] = {
            key: round(float(np.median([t[key] for t in timings])), 2) for key in ("listening_s", "first_answer_s")
        } | {"runs": timings}
    payload = {"goal_s": GOAL_S, "rows": rows, "machine": machine(), "load_average": os.getloadavg(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"{'':44}{'port open (s)':>15}{'first cited answer (s)':>24}   (median of {args.repeat})")
    for name, row in rows.items():
        print(f"{name:44}{str(row['listening_s'] or '-'):>15}{row['first_answer_s']:>24}")
    print(f"goal: a cited answer within {GOAL_S:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
