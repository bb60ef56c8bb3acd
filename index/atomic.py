"""Small files written whole or not at all: a temporary file in the same folder, synced, renamed over."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def write_json_atomic(path: Path, data: Any, *, indent: int | None = None) -> None:
    """Write `data` as JSON to `path`; a crash leaves the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=indent)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json_records(path: Path, make: Callable[..., T]) -> dict[str, T]:
    """A JSON object of objects, each made into `make(**value)`; {} when the file is missing.

    Raises OSError, ValueError or TypeError for a file that cannot be read as such: the caller says
    what losing it means."""
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {key: make(**value) for key, value in raw.items()}
