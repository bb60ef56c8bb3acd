"""The hybrid retriever as a llama-index `BaseRetriever`, for use in llama-index query engines."""

from __future__ import annotations

from llama_index.core.callbacks import CallbackManager
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.retrieve import Retriever
from rag.types import Filters, Passage


class NewsRetriever(BaseRetriever):
    """Wraps `rag.retrieve.Retriever`; each node carries the passage's document offsets."""

    def __init__(self, retriever: Retriever, k: int = 6, filters: Filters | None = None) -> None:
        super().__init__(callback_manager=CallbackManager([]))
        self._retriever = retriever
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self._retriever.retrieve(query_bundle.query_str, self._k, self._filters)
        return [NodeWithScore(node=passage_node(p), score=p.score) for p in passages]


def passage_node(p: Passage) -> TextNode:
    return TextNode(
        id_=p.chunk_id,
        text=p.text,
        start_char_idx=p.start,
        end_char_idx=p.end,
        metadata={"doc_id": p.doc_id, "title": p.title, "url": p.url, "published": p.published, "n": p.n},
    )
