"""Streaming POST for the HTTP back ends: transport failures become one `BackendUnavailable` sentence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx

from rag.errors import BackendUnavailable


def post_stream(
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
    """POST `body` and yield the text pieces `pieces` reads from the response lines.

    `server` names the server in messages ("Ollama at URL"); `start_hint` says how to start it.
    """
    try:
        with httpx.Client(timeout=timeout_s) as client:
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
