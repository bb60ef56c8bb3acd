"""Streaming POST for the HTTP back ends: transport failures become one `BackendUnavailable` sentence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx

from rag.errors import BackendUnavailable


def http_client(timeout_s: float) -> httpx.Client:
    """The client a back end keeps for all its requests (thread-safe, keeps connections open).

    A new client per request would build a TLS context each time: about 50 ms of CPU that
    serialised concurrent questions (measured with benchmarks/load.py).
    """
    return httpx.Client(timeout=timeout_s)


def post_stream(
    client: httpx.Client,
    endpoint: str,
    body: dict[str, Any],
    *,
    timeout_s: float,
    server: str,
    start_hint: str,
    check_status: Callable[[httpx.Response], None],
    pieces: Callable[[Iterator[str]], Iterator[str]],
    headers: dict[str, str] | None = None,
) -> Iterator[str]:
    """POST `body` with `client` and yield the text pieces `pieces` reads from the response lines.

    `server` names the server in messages ("Ollama at URL"); `start_hint` says how to start it.
    """
    try:
        with client.stream("POST", endpoint, json=body, headers=headers) as response:
            check_status(response)
            yield from pieces(response.iter_lines())
    except httpx.TimeoutException as exc:
        raise BackendUnavailable(
            f"{server} did not answer within {timeout_s:g} s; check that it is not overloaded or raise `llm_timeout_s`."
        ) from exc
    except httpx.ConnectError as exc:
        raise BackendUnavailable(f"cannot reach {server}; {start_hint}.") from exc
    except httpx.HTTPError as exc:
        raise BackendUnavailable(
            f"the connection to {server} failed ({type(exc).__name__}: {exc}); retry or check the server log."
        ) from exc
