"""Question -> cited answer over the articles held by `index/`."""

from rag.config import apply_offline_defaults

apply_offline_defaults()
