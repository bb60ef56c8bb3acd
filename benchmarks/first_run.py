"""First run: how long a fresh clone's `make run` takes to answer, and to switch to the local model.

Clones the repository into a new folder, points the user's cache at an empty folder
(XDG_CACHE_HOME: pip's cache, the compiled runtime and the model file all start empty) and runs
`make run` (which makes a new .venv) as a user would. The clock runs until (1) `POST /api/ask`
returns a cited answer (extractive while the model is prepared in the background) and (2) an
answer comes from the embedded model. The server is then stopped as Ctrl-C stops it, and
`make run` is started again in the same clone: (3) the time to its first answer. What else was
running (load average, the busiest processes) is recorded alongside, with the set-up's steps.

    python benchmarks/first_run.py --repo . --workdir /tmp/fresh-boot --cache /tmp/empty-cache
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "first_run.json"
QUESTION = "Who ruled out US soldiers on the ground?"
POLL_S = 3.0
SNAPSHOT_S = 180.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load() -> dict:
    """The load average and the busiest processes now."""
    ps = subprocess.run(["ps", "-eo", "pcpu,etime,args", "--sort=-pcpu"], capture_output=True, text=True).stdout
    return {"uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
            "busiest": [line[:160] for line in ps.splitlines()[1:9]]}


def ask(url: str) -> dict | None:
    try:
        reply = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=120)
    except httpx.HTTPError:
        return None
    if reply.status_code != 200:
        return None
    answer = reply.json()
    if answer.get("refused") or not answer.get("citations"):
        return None
    return answer


def status(cache: Path) -> dict | None:
    try:
        return json.loads((cache / "newsrag" / "llm-setup" / "status.json").read_text())
    except (OSError, ValueError):
        return None


def start(workdir: Path, cache: Path, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") and k != "PYTHONPATH"}
    env.update(XDG_CACHE_HOME=str(cache), RAG_PORT=str(port))
    return subprocess.Popen(["make", "run"], cwd=workdir, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(make: subprocess.Popen) -> float:
    """Ctrl-C for `make run`'s process group; SIGKILL after 60 s. Returns the seconds it took."""
    started = time.monotonic()
    os.killpg(make.pid, signal.SIGINT)
    try:
        make.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(make.pid, signal.SIGKILL)
        make.wait()
    return round(time.monotonic() - started, 1)


def first_run(args, port: int) -> dict:
    url = f"http://127.0.0.1:{port}"
    result: dict = {"load_at_start": load(), "steps": [], "snapshots": []}
    started = time.monotonic()
    make = start(args.workdir, args.cache, port, args.workdir / "make-run-1.log")
    last_step, last_snapshot = None, started
    try:
        while time.monotonic() - started < args.cap_s:
            elapsed = round(time.monotonic() - started, 1)
            state = status(args.cache)
            if state and (state["state"], state["step"]) != last_step:
                last_step = (state["state"], state["step"])
                result["steps"].append({"at_s": elapsed, "state": state["state"], "step": state["step"], "label": state["label"]})
            answer = ask(url)
            if answer is not None and "first_answer_s" not in result:
                result.update(first_answer_s=elapsed, first_backend=answer["backend"], first_notices=answer["notices"],
                              load_at_first_answer=load())
                print(f"first answer after {elapsed:.0f} s ({answer['backend']})", flush=True)
            if answer is not None and answer["backend"] == "embedded":
                result.update(switch_s=elapsed, switched_answer=answer["answer"], load_at_switch=load())
                print(f"switched to the local model after {elapsed:.0f} s", flush=True)
                break
            if time.monotonic() - last_snapshot > SNAPSHOT_S:
                last_snapshot = time.monotonic()
                result["snapshots"].append({"at_s": elapsed, "status": state, **load()})
            time.sleep(POLL_S)
        result["status_at_end"] = status(args.cache)
    finally:
        result["stop_s"] = stop(make)
    return result


def second_run(args, port: int) -> dict:
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    make = start(args.workdir, args.cache, port, args.workdir / "make-run-2.log")
    try:
        while time.monotonic() - started < 300:
            answer = ask(url)
            if answer is not None:
                return {"first_answer_s": round(time.monotonic() - started, 1), "backend": answer["backend"], "load": load()}
            time.sleep(0.5)
        return {"first_answer_s": None}
    finally:
        stop(make)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--workdir", type=Path, required=True, help="a new folder for the clone (removed first)")
    parser.add_argument("--cache", type=Path, required=True, help="an empty user cache (removed first)")
    parser.add_argument("--cap-s", type=float, default=900.0, help="stop waiting for the switch after this long")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for folder in (args.workdir, args.cache):
        shutil.rmtree(folder, ignore_errors=True)
    args.cache.mkdir(parents=True)
    subprocess.run(["git", "clone", "--quiet", str(args.repo), str(args.workdir)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.workdir, capture_output=True, text=True).stdout.strip()
    port = free_port()
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit, "command": "make run",
              "question": QUESTION, "cores": os.cpu_count(), "first_run": first_run(args, port)}
    result["second_run"] = second_run(args, port)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result["first_run"].get(k) for k in ("first_answer_s", "switch_s")} | {"second": result["second_run"].get("first_answer_s")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
