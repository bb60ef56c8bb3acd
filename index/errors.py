"""Typed errors of the index layer; the CLI and UI turn them into one sentence."""

from __future__ import annotations


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


class IndexBusy(RagError):
    """Another process is writing to the same index."""
