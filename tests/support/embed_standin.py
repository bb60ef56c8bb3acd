"""A small real HTTP server speaking the OpenAI-compatible `/v1/embeddings` API with hash vectors.

Vectors are `HashEmbedder(dim)` ones scaled by 2.5 (so clients must normalise), returned in reverse
order with their `index` (so clients must reorder). `script` queues what the next requests get: an
HTTP status (answered with an OpenAI-style JSON error), "drop" (connection closed, no answer) or
"slow" (answered after SLOW_S); once it is empty, requests are answered at once. `seen` lists every request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from index.embedding import HashEmbedder

SCALE = 2.5
SLOW_S = 1.0


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received."""

    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class Behaviour:
    dim: int = 384
    script: list[int | str] = field(default_factory=list)


class EmbedStandIn(ThreadingHTTPServer):
    """The server; change `behaviour` between requests, read `seen` after them."""

    daemon_threads = True

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour or Behaviour()
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def next_action(self) -> int | str | None:
        with self.lock:
            return self.behaviour.script.pop(0) if self.behaviour.script else None

    def vectors(self, texts: list[str]) -> list[list[float]]:
        return (HashEmbedder(self.behaviour.dim).encode_documents(texts) * SCALE).tolist()


class _Handler(BaseHTTPRequestHandler):
    server: EmbedStandIn

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        action = self.server.next_action()
        if action == "drop":
            self.close_connection = True
            return
        if action == "slow":
            time.sleep(SLOW_S)
        if isinstance(action, int):
            self._json(action, {"error": {"message": f"scripted failure {action}", "type": "server_error"}})
            return
        if self.path != "/v1/embeddings":
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(self.server.vectors(texts))]
        self._json(200, {"object": "list", "data": data[::-1], "model": body.get("model")})

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def running_embed_stand_in(behaviour: Behaviour | None = None) -> Iterator[EmbedStandIn]:
    """Serve the stand-in in a thread until the block ends."""
    server = EmbedStandIn(behaviour)
    thread = threading.Thread(target=server.serve_forever, name="embed-stand-in", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
