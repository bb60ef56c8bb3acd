"""Concurrent chat sessions against `POST /api/ask`: made-up towns, scripted conversations, checked answers.

Each session talks about its own article (a town with a tram line): a question, then a follow-up
that only makes sense with the session's history. Every reply is checked against the session's
own article, so an answer that belongs to another conversation is caught. Used by
`tests/ui/test_load.py` and `benchmarks/load.py`.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from rag.types import Answer

_PREFIXES = ("Ar", "Bel", "Cor", "Dun", "El", "Fen", "Gal", "Hol", "Is", "Jor", "Kel", "Lun")
_SUFFIXES = ("vik", "holm", "by", "stad", "berg", "mark")
_FIRST = ("Ada", "Ivo", "Lena", "Mira", "Otto", "Rune", "Siv", "Tove", "Ulf", "Vera")
_LAST = ("Brink", "Holt", "Lind", "Moss", "Nygard", "Roos", "Strand", "Vik", "Wall", "Yde")


@dataclass(frozen=True)
class Turn:
    """One question of a session and the words its answer must contain."""

    question: str
    expect: str
    follow_up: bool = False


@dataclass(frozen=True)
class Session:
    """A conversation about one article: the article, the town it is about, and the turns."""

    number: int
    article: dict[str, Any]
    town: str
    turns: tuple[Turn, ...]

    @property
    def doc_id(self) -> str:
        return str(self.article["id"])


def town_name(i: int) -> str:
    """A made-up town name, different for every i below 72."""
    return _PREFIXES[i % len(_PREFIXES)] + _SUFFIXES[(i // len(_PREFIXES)) % len(_SUFFIXES)]


def sessions(n: int) -> list[Session]:
    """`n` sessions (at most 72), each with its own article; towns, lengths and mayors all differ."""
    out = []
    for i in range(n):
        town = town_name(i)
        km, riders = 7 + i, 11_000 + 350 * i
        mayor = f"{_FIRST[i % 10]} {_LAST[(i + 3 * (i // 10)) % 10]}"  # no two alike below 100
        text = (
            f"The town of {town} opened its first tram line on Saturday after four years of work. "
            f"The tram line in {town} is {km} kilometres long and ends at the harbour. "
            f"Mayor {mayor} of {town} said the trams would carry {riders:,} passengers a day. "
            "Critics said the project cost too much, and shop owners complained about the building works."
        )
        article = {
            "id": f"tram-{i:02d}",
            "title": f"{town} opens its first tram line",
            "url": f"https://news.example.org/trams/{i}",
            "published": f"2024-05-{1 + i % 28:02d}",
            "text": text,
        }
        turns = (
            Turn(f"How long is the tram line in {town}?", f"{km} kilometres"),
            Turn("Who is the mayor there?", mayor, follow_up=True),
        )
        out.append(Session(i, article, town, turns))
    return out


@dataclass(frozen=True)
class Outcome:
    """One request: which session and turn, how it went, and what was wrong with the reply."""

    session: int
    turn: int
    status: int
    seconds: float
    problems: tuple[str, ...]


def check_reply(session: Session, turn: Turn, status: int, body: Any, texts: Mapping[str, str]) -> list[str]:
    """What is wrong with a reply to `turn` of `session` (empty when it is a correct, cited answer).

    `texts` maps every article id to its text. The answer must lead with this session's article and
    cite the expected fact to it; a second sentence from another article is allowed, if its quote is real.
    """
    if status != 200:
        return [f"HTTP {status}: {body}"]
    try:
        answer = Answer.from_json(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"not the Answer JSON ({exc})"]
    problems = []
    if set(body) != set(answer.to_json()):
        problems.append(f"unexpected keys {sorted(set(body) ^ set(answer.to_json()))}")
    if answer.question != turn.question:
        problems.append(f"answered another question: {answer.question!r}")
    if answer.notices:  # e.g. the back end failed and the answer is extractive instead
        problems.append(f"notices: {answer.notices}")
    if turn.follow_up and session.town not in answer.standalone_question:
        problems.append(f"follow-up not read with this session's history: {answer.standalone_question!r}")
    if answer.refused or not answer.citations:
        return problems + [f"no cited answer: {answer.answer!r}"]
    if answer.citations[0].doc_id != session.doc_id:
        problems.append(f"leads with another article, {answer.citations[0].doc_id}: {answer.answer!r}")
    if not any(c.doc_id == session.doc_id and turn.expect in c.quote for c in answer.citations):
        problems.append(f"{turn.expect!r} is not cited to {session.doc_id}: {answer.answer!r}")
    shown = {p.n for p in answer.passages}
    for c in answer.citations:
        if texts.get(c.doc_id, "")[c.start : c.end] != c.quote:
            problems.append(f"quote of [{c.n}] is not at {c.start}:{c.end} of {c.doc_id}")
        if c.n not in shown:
            problems.append(f"cites [{c.n}], which was not among the passages")
    return problems


def run_session(
    client: httpx.Client,
    session: Session,
    until: float,
    texts: Mapping[str, str],
    record: Callable[[Outcome], None],
) -> None:
    """Hold conversations (each starting afresh) until `until`; record every request."""
    while time.monotonic() < until:
        history: list[list[str]] = []
        for index, turn in enumerate(session.turns):
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            try:
                response = client.post("api/ask", json={"question": turn.question, "history": history})
                status, body = response.status_code, response.json()
            except (httpx.HTTPError, ValueError) as exc:
                status, body = 0, f"{type(exc).__name__}: {exc}"
            seconds = time.perf_counter() - started
            record(Outcome(session.number, index, status, seconds, tuple(check_reply(session, turn, status, body, texts))))
            if status != 200 or not isinstance(body, dict):
                break
            history.append([turn.question, str(body.get("answer", ""))])


@dataclass
class LoadResult:
    """All requests of one run and the wall time they took."""

    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problems]

    def percentile_ms(self, q: float) -> float:
        latencies = sorted(o.seconds for o in self.outcomes)
        if not latencies:
            return 0.0
        if len(latencies) == 1:
            return latencies[0] * 1000
        return statistics.quantiles(latencies, n=100, method="inclusive")[round(q) - 1] * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.outcomes),
            "failed": len(self.failed),
            "sessions": len({o.session for o in self.outcomes}),
            "seconds": round(self.seconds, 2),
            "requests_per_s": round(len(self.outcomes) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(self.percentile_ms(50), 1),
            "p95_ms": round(self.percentile_ms(95), 1),
            "max_ms": round(max((o.seconds for o in self.outcomes), default=0.0) * 1000, 1),
        }


def article_texts(chats: Sequence[Session]) -> dict[str, str]:
    return {chat.doc_id: str(chat.article["text"]) for chat in chats}


def run_load(
    base_url: str,
    chats: Sequence[Session],
    duration_s: float,
    *,
    texts: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
) -> LoadResult:
    """Run every session in its own thread, with its own connection, for `duration_s` seconds.

    `texts` holds the text of every article in the index (default: the sessions' own), to check quotes.
    """
    outcomes: list[Outcome] = []  # list.append is atomic: the sessions' threads share it
    texts = texts if texts is not None else article_texts(chats)
    clients = [httpx.Client(base_url=base_url, timeout=timeout_s) for _ in chats]  # before the clock: each costs ~50 ms
    started = time.monotonic()
    until = started + duration_s
    threads = [
        threading.Thread(target=run_session, args=(client, chat, until, texts, outcomes.append), name=f"session-{chat.number}")
        for client, chat in zip(clients, chats)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for client in clients:
            client.close()
    return LoadResult(outcomes, time.monotonic() - started)
