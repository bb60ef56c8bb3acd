"""The project's error hierarchy: typed errors, turned into one clear sentence at the edge."""

from __future__ import annotations

from index.errors import (
    ConfigError,
    EmbedderUnavailable,
    IndexBusy,
    IndexMismatchError,
    IngestError,
    NoSuchOutlet,
    RagError,
    StorageError,
    StoreUnavailable,
)


class BackendUnavailable(RagError):
    """The configured answer generator cannot be reached, loaded or timed out."""


__all__ = [
    "BackendUnavailable",
    "ConfigError",
    "EmbedderUnavailable",
    "IndexBusy",
    "IndexMismatchError",
    "IngestError",
    "NoSuchOutlet",
    "RagError",
    "StorageError",
    "StoreUnavailable",
]
