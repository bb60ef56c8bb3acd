"""Gold question sets: the `GoldItem` record and a strict JSONL(.gz) loader."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
import datetime as dt
from pathlib import Path
from typing import Any

from rag.errors import RagError

log = logging.getLogger(__name__)


class GoldFormatError(RagError, ValueError):
    """A gold file cannot be read or one of its lines is malformed; names the file and line."""

    def __init__(self, path: str | Path, line: int | None, reason: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class GoldItem:
    """One gold question; `answers` is empty exactly when the question is unanswerable."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    answerable: bool = True
    doc_ids: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    date: dt.date | None = None
    history: tuple[tuple[str, str], ...] = ()  # earlier (question, answer) turns a follow-up depends on

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "answerable": self.answerable,
            "doc_ids": list(self.doc_ids),
            "evidence": list(self.evidence),
            "choices": list(self.choices),
            "date": self.date.isoformat() if self.date else None,
            "history": [list(turn) for turn in self.history],
        }


def parse_date(value: str) -> dt.date:
    """Parse `YYYY/MM/DD` or an ISO date (`YYYY-MM-DD`, optionally with a time part)."""
    text = value.strip()
    try:
        if "/" in text:
            return dt.datetime.strptime(text, "%Y/%m/%d").date()
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(f"date {value!r} is neither YYYY/MM/DD nor ISO YYYY-MM-DD") from None


def item_from_json(data: Mapping[str, Any]) -> GoldItem:
    """Build a validated `GoldItem` from one decoded gold line; ValueError says what is wrong."""
    item_id = data.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        raise ValueError("'id' must be a non-empty string")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    answerable = data.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError("'answerable' must be true or false")
    answers = _strings(data, "answers")
    choices = _strings(data, "choices")
    if answerable and not answers:
        raise ValueError("an answerable question needs at least one entry in 'answers'")
    if not answerable and answers:
        raise ValueError("an unanswerable question must have empty 'answers'")
    if choices and answers and not set(answers) & set(choices):
        raise ValueError("none of 'answers' is one of 'choices'")
    raw_date = data.get("date")
    if raw_date is not None and not isinstance(raw_date, str):
        raise ValueError("'date' must be a string (YYYY/MM/DD or ISO)")
    return GoldItem(
        id=item_id,
        question=question,
        answers=answers,
        answerable=answerable,
        doc_ids=_strings(data, "doc_ids"),
        evidence=_strings(data, "evidence"),
        choices=choices,
        date=parse_date(raw_date) if raw_date else None,
        history=_history(data.get("history")),
    )


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a `.jsonl` or `.jsonl.gz` gold set; blank lines skipped, unknown fields ignored."""
    path = Path(path)
    items: list[GoldItem] = []
    first_line: dict[str, int] = {}
    for lineno, line in _lines(path):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFormatError(path, lineno, f"not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise GoldFormatError(path, lineno, "expected a JSON object")
        try:
            item = item_from_json(data)
        except ValueError as exc:
            raise GoldFormatError(path, lineno, str(exc)) from None
        if item.id in first_line:
            raise GoldFormatError(
                path, lineno, f"duplicate id {item.id!r} (first on line {first_line[item.id]})"
            )
        first_line[item.id] = lineno
        items.append(item)
    if not items:
        raise GoldFormatError(path, None, "contains no questions")
    log.info("loaded %d gold questions from %s", len(items), path)
    return items


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return tuple(value)


def _history(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(turn, list) and len(turn) == 2 and all(isinstance(x, str) for x in turn) for turn in value
    ):
        raise ValueError("'history' must be a list of [question, answer] pairs of strings")
    return tuple((q, a) for q, a in value)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except FileNotFoundError:
        raise GoldFormatError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldFormatError(path, None, f"cannot be read ({exc})") from None
