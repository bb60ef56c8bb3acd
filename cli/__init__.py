"""The composition root: the `rag` command reads the configuration, builds the parts of every layer and wires them.

It sits above `index/`, `rag/`, `ui/` and `evals/`; none of them imports it.
"""
