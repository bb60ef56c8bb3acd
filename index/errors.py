"""Typed errors of the index layer; the CLI and UI turn them into one sentence."""

from __future__ import annotations

import errno
from collections.abc import Iterator


class RagError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(RagError):
    """A configuration value is missing or invalid."""


class IndexMismatchError(RagError):
    """The index on disk was built with another model, dimension or chunking."""


class IngestError(RagError):
    """An input could not be read; carries the path and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreUnavailable(RagError):
    """The vector store (Chroma server or data directory) cannot be reached or written."""


class StorageError(StoreUnavailable):
    """The data directory cannot be written: the disk is full, read-only or not ours to write."""


# Errors of the disk seen through SQLite (Chroma's and ours) and through the OS, in their own words.
_WRITE_FAILURES = (
    ("database or disk is full", "the disk is full"),
    ("no space left", "the disk is full"),
    ("readonly database", "it is read-only"),
    ("read-only file system", "it is read-only"),
    ("disk i/o error", "writing to the disk failed"),
)
_ERRNO_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "it is read-only",
    errno.EACCES: "it may not be written (permission denied)",
    errno.EPERM: "it may not be written (permission denied)",
    errno.EFBIG: "a file reached the size limit",
    errno.EIO: "writing to the disk failed",
}


def write_failure(exc: BaseException) -> str | None:
    """Why a write failed when it failed for lack of space or permission (else None), as a few words."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[cause.errno]
        text = str(cause).lower()
        for needle, reason in _WRITE_FAILURES:
            if needle in text:
                return reason
    return None


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    for _ in range(10):
        if exc is None:
            return
        yield exc
        exc = exc.__cause__ or exc.__context__


class NoSuchOutlet(RagError):
    """An outlet filter that leaves no article to search; the message says which."""


class IndexBusy(RagError):
    """Another process is writing to the same index."""


class EmbedderUnavailable(RagError):
    """The embedder cannot run: its server cannot be reached, keeps failing or answers with something other
    than embeddings, or the runtime asked for cannot load the local model."""


class BadInput(Exception):
    """A file that cannot be read; the message is the reason shown with its name."""
