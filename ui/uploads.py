"""Uploaded files: safe names, kept under `<data_dir>/uploads/`, never written anywhere else."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from index.loaders import SUPPORTED_SUFFIXES, suffix_of

MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class Rejected:
    """An upload that was not stored: the name the user gave and why."""

    name: str
    reason: str


def safe_name(name: str) -> str:
    """A file name without directories, odd characters or a leading dot; the type suffix is kept."""
    base = PurePosixPath(unicodedata.normalize("NFKC", name or "").replace("\\", "/")).name
    suffix = suffix_of(Path(base)) if base else ""
    stem = base[: len(base) - len(suffix)] if suffix else base
    stem = _UNSAFE.sub("_", stem).strip("._-") or "upload"
    suffix = _UNSAFE.sub("_", suffix.lower())
    return stem[: MAX_NAME_CHARS - len(suffix)] + suffix


def store_uploads(sources: Sequence[tuple[Path, str]], upload_dir: Path, max_bytes: int) -> tuple[list[Path], list[Rejected]]:
    """Copy (temporary path, original name) pairs into `upload_dir` under safe names.

    A file with the same safe name replaces the earlier upload (so re-uploading an edited article
    updates it); two files of one batch that map to the same name are kept apart.
    """
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    stored: list[Path] = []
    rejected: list[Rejected] = []
    taken: set[str] = set()
    for source, original in sources:
        shown = PurePosixPath((original or source.name).replace("\\", "/")).name or "upload"
        name = safe_name(original or source.name)
        problem = _problem(source, name, max_bytes)
        if problem:
            rejected.append(Rejected(shown, problem))
            continue
        name = _unique(name, taken)
        target = (root / name).resolve()
        if target.parent != root:  # cannot happen with a safe name; refuse rather than trust it
            rejected.append(Rejected(shown, "invalid file name"))
            continue
        _copy_atomically(source, target)
        stored.append(target)
    return stored, rejected


def _problem(source: Path, name: str, max_bytes: int) -> str:
    suffix = suffix_of(Path(name))
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return f"unsupported file type '{suffix or 'none'}' (use one of {kinds})"
    try:
        size = source.stat().st_size
    except OSError as exc:
        return f"cannot read the upload: {exc.strerror or exc}"
    if size == 0:
        return "empty file"
    if size > max_bytes:
        return f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit"
    return ""


def _unique(name: str, taken: set[str]) -> str:
    candidate, i = name, 2
    suffix = suffix_of(Path(name))
    stem = name[: len(name) - len(suffix)]
    while candidate in taken:
        candidate = f"{stem}-{i}{suffix}"
        i += 1
    taken.add(candidate)
    return candidate


def _copy_atomically(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
