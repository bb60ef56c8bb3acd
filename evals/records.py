"""One evaluated question (gold item + the system's Answer JSON) and the results.jsonl format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.gold import GoldItem, item_from_json

# Keys of the run bookkeeping added next to the Answer JSON on each results.jsonl line.
RECORD_KEYS = ("id", "choice", "error", "gold")


@dataclass(frozen=True)
class EvalRecord:
    """A gold item, the Answer JSON returned for it (`{}` on error) and the picked choice."""

    item: GoldItem
    answer: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    choice: str | None = None

    @property
    def refused(self) -> bool:
        return bool(self.answer.get("refused", False))

    @property
    def text(self) -> str:
        """The answer text, or '' when the question failed or was refused."""
        if self.error or self.refused:
            return ""
        return str(self.answer.get("answer", ""))

    @property
    def passages(self) -> list[Mapping[str, Any]]:
        return list(self.answer.get("passages") or [])

    @property
    def citations(self) -> list[Mapping[str, Any]]:
        return list(self.answer.get("citations") or [])

    def to_json(self) -> dict[str, Any]:
        """One results.jsonl line: the Answer JSON plus `id`, `choice`, `error` and `gold`."""
        line: dict[str, Any] = {"id": self.item.id}
        line.update(self.answer)
        if self.item.choices:
            line["choice"] = self.choice
        if self.error is not None:
            line["question"] = self.item.question
            line["error"] = self.error
        line["gold"] = self.item.to_json()
        return line

    @classmethod
    def from_json(cls, line: Mapping[str, Any]) -> EvalRecord:
        answer = {k: v for k, v in line.items() if k not in RECORD_KEYS}
        error = line.get("error")
        return cls(
            item=item_from_json(line["gold"]),
            answer={} if error else answer,
            error=error,
            choice=line.get("choice"),
        )


def append_record(path: Path, record: EvalRecord) -> None:
    """Append one results.jsonl line; written as we go, so an interrupted run keeps its lines."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


def read_records(path: Path) -> list[EvalRecord]:
    """Read a results.jsonl written by the runner."""
    with path.open(encoding="utf-8") as handle:
        return [EvalRecord.from_json(json.loads(line)) for line in handle if line.strip()]


def by_id(records: Iterable[EvalRecord]) -> dict[str, EvalRecord]:
    return {r.item.id: r for r in records}
