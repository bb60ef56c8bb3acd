"""Files -> chunks in Chroma: loading, chunking, embedding, storing, lexical search."""

from index.offline import apply_offline_defaults

apply_offline_defaults()
