"""A small real HTTP server that speaks the Ollama and OpenAI-compatible chat protocols, on 127.0.0.1.

The model name in a request picks the behaviour: "ok" streams TOKENS; "gated" waits for `gate`
after the first piece; "stall" stops sending; "boom" answers HTTP 500; "garbage" sends a malformed
stream; "cut" ends before the final event; "missing" is an unknown Ollama model; "reader" answers
from the prompt it was sent, like a model that reads well (see `reader_reply`).
Used by the back-end tests, the load test and `benchmarks/load.py`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKENS = ["The ", "bridge ", "cost ", "240 million", " euros [1]."]
GATE_WAIT_S = 5.0
_WORD = re.compile(r"\w+")
_PASSAGE = re.compile(r"^\[(\d+)\] (?:\([^)]*\) )?(.*)$")
_NUMBERED = re.compile(r"^(\d+)\. (.*)$")


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received."""

    path: str
    headers: dict[str, str]
    body: dict


class StandIn(ThreadingHTTPServer):
    """The server; `seen` lists the requests, `delay_s` slows every streamed piece down."""

    daemon_threads = True
    request_queue_size = 64  # socketserver's 5 drops connections when many sessions ask at once

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[Seen] = []
        self.gate = threading.Event()
        self.stop = threading.Event()
        self.delay_s = delay_s

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> StandIn:
        threading.Thread(target=self.serve_forever, name="llm-stand-in", daemon=True).start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.shutdown()
        self.server_close()


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 3}


def _best(question: str, candidates: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The (label, text) sharing the most words with the question; the first of equals.

    Words in brackets (what a rewritten follow-up carries over from the conversation) only break ties.
    """
    own = _words(re.sub(r"\([^)]*\)", " ", question))
    carried = _words(question) - own
    scored = [
        (len(own & _words(text)), len(carried & _words(text)), -i, label, text) for i, (label, text) in enumerate(candidates)
    ]
    best = max(scored, default=None)
    return (best[3], best[4]) if best and best[0] + best[1] > 0 else None


def _after(prompt: str, label: str) -> str:
    found = re.findall(rf"^{label}:\s*(.*)$", prompt, re.MULTILINE)
    return found[-1].strip() if found else ""


def reader_reply(prompt: str) -> str:
    """What the "reader" model says to the prompts of `rag.prompts` (ANSWER, SELECT, CONDENSE).

    ANSWER: the passage sentence that shares most words with the question, with its [n].
    SELECT: the number of that sentence. CONDENSE: the last question, then the previous one in brackets.
    Only the prompt of the request is read, so a reply that belongs to another request shows up.
    """
    lines = prompt.splitlines()
    if prompt.rstrip().endswith("Standalone question:"):
        previous = [line[len("User: "):] for line in lines if line.startswith("User: ")]
        last = _after(prompt, "Last question")
        return f"{last} ({previous[-1]})" if previous else last
    question = _after(prompt, "Question")
    if prompt.rstrip().endswith("Number:"):
        numbered = [(m[1], m[2]) for m in map(_NUMBERED.match, lines) if m]
        best = _best(question, numbered)
        return best[0] if best else "0"
    sentences = [
        (m[1], s.strip())
        for m in map(_PASSAGE.match, lines)
        if m
        for s in re.split(r"(?<=[.!?])\s+", m[2])
        if s.strip()
    ]
    best = _best(question, sentences)
    if best is None:
        return "The articles I have do not answer this question."
    n, sentence = best
    return f"{sentence.rstrip('.!?')} [{n}]."


def ollama_line(text: str, done: bool = False, counts: tuple[int, int] | None = None) -> bytes:
    event: dict = {"model": "m", "message": {"role": "assistant", "content": text}, "done": done}
    if counts is not None:
        event.update(prompt_eval_count=counts[0], eval_count=counts[1])
    return (json.dumps(event) + "\n").encode()


def prompt_words(body: dict) -> int:
    """The stand-in's token count for a prompt: its words."""
    return sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))


def openai_event(text: str | None, finish: str | None = None) -> bytes:
    delta = {} if text is None else {"content": text}
    event = {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(event)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    server: StandIn

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        self.server.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        is_ollama = self.path == "/api/chat"
        if self.path not in ("/api/chat", "/v1/chat/completions"):
            return self._plain(404, b"no such path")
        try:
            self._behave(body, is_ollama)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def _behave(self, body: dict, is_ollama: bool) -> None:
        model = body["model"]
        self._prompt_tokens, self._written = prompt_words(body), 0
        self._include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if model == "boom":
            return self._plain(500, b'{"error": "out of memory"}')
        if model == "missing" and is_ollama:
            return self._plain(404, b'{"error": "model \\"missing\\" not found, try pulling it first"}')
        self._start(is_ollama)
        if model == "garbage":
            return self._send(b"<html>this is not a stream</html>\n" if is_ollama else b"data: {not json\n\n")
        if model == "reader":
            prompt = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
            words = reader_reply(prompt).split(" ")
            return self._stream([w if i == 0 else " " + w for i, w in enumerate(words)], is_ollama)
        self._send(self._piece(TOKENS[0], is_ollama))
        if model == "stall":
            self.server.stop.wait(GATE_WAIT_S)
            return
        if model == "gated" and not self.server.gate.wait(GATE_WAIT_S):
            return self._send(self._piece("LATE", is_ollama))
        self._stream(TOKENS[1:], is_ollama, finish=model != "cut")

    def _stream(self, pieces: list[str], is_ollama: bool, finish: bool = True) -> None:
        for text in pieces:
            if self.server.delay_s:
                time.sleep(self.server.delay_s)
            self._send(self._piece(text, is_ollama))
        if finish:
            self._finish(is_ollama)

    def _start(self, is_ollama: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson" if is_ollama else "text/event-stream")
        self.end_headers()

    def _piece(self, text: str, is_ollama: bool) -> bytes:
        self._written += 1  # one piece, one token
        return ollama_line(text) if is_ollama else openai_event(text)

    def _finish(self, is_ollama: bool) -> None:
        counts = (self._prompt_tokens, self._written)
        if is_ollama:
            return self._send(ollama_line("", done=True, counts=counts))
        usage = b""
        if self._include_usage:
            report = {"id": "c1", "object": "chat.completion.chunk", "choices": [],
                      "usage": {"prompt_tokens": counts[0], "completion_tokens": counts[1], "total_tokens": sum(counts)}}
            usage = f"data: {json.dumps(report)}\n\n".encode()
        self._send(b": keep-alive comment\n\n" + openai_event(None, finish="stop") + usage + b"data: [DONE]\n\n")

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _plain(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self._send(data)


@contextmanager
def running_stand_in(delay_s: float = 0.0) -> Iterator[StandIn]:
    """A started stand-in, closed when the block ends."""
    stand_in = StandIn(delay_s).start()
    try:
        yield stand_in
    finally:
        stand_in.close()
