"""Chroma, embedded or server: chunks with vectors, document records and a small state record."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

import numpy as np

from index.chunking import Chunk
from index.documents import Document
from index.errors import IndexMismatchError, RagError, StorageError, StoreUnavailable, write_failure
from index.filters import Filters
from index.settings import IndexSettings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_PAGE = 2000  # ids per get/delete request
_WRITE_BATCH = 1000


@dataclass(frozen=True)
class IndexSpec:
    """What produced the vectors and chunks; an index only opens with the same spec."""

    embed_model: str
    embed_dim: int
    embed_variant: str
    chunk_size: int
    chunk_overlap: int
    chunker_version: int

    def as_metadata(self) -> dict[str, Any]:
        return {**self.__dict__, "schema": SCHEMA_VERSION}


@dataclass(frozen=True)
class DocumentRecord:
    """A committed document as the store holds it."""

    doc_id: str
    title: str
    url: str
    published: str
    authors: tuple[str, ...]
    source: str
    content_hash: str
    version: str
    n_chunks: int
    text: str = ""
    updated: str = ""
    site: str = ""

    @property
    def published_key(self) -> int:
        from index.documents import date_key

        return date_key(self.published)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk read back from the store with its metadata (and a similarity when searched)."""

    chunk_id: str
    doc_id: str
    version: str
    text: str
    start: int
    end: int
    title: str
    url: str
    published: str
    score: float = 0.0


def chunk_metadata(doc: Document, chunk: Chunk) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "version": doc.version,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "title": doc.title,
        "url": doc.url,
        "published": doc.published,
        "published_key": doc.published_key,
    }


def _stored(chunk_id: str, text: str, meta: dict[str, Any], score: float = 0.0) -> StoredChunk:
    return StoredChunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        version=str(meta["version"]),
        text=text or "",
        start=int(meta["start"]),
        end=int(meta["end"]),
        title=str(meta.get("title") or ""),
        url=str(meta.get("url") or ""),
        published=str(meta.get("published") or ""),
        score=score,
    )


def connect(settings: IndexSettings):
    """A Chroma client: a server when `chroma_url` is set, else files under the data directory."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
            return client
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:
        reason = write_failure(exc)
        if reason and not settings.chroma_url:  # Chroma writes to its files even to open them for reading
            raise StorageError(
                f"cannot open the index in {settings.data_dir}: {reason}; Chroma needs to write there even to "
                "search, so make the directory writable (or free some space) and try again"
            ) from exc
        if isinstance(exc, OSError):
            raise StoreUnavailable(f"cannot use the data directory {settings.data_dir}: {exc.strerror or exc}") from exc
        raise StoreUnavailable(_unavailable_message(settings, exc)) from exc


def recorded_spec(settings: IndexSettings) -> dict[str, Any] | None:
    """The spec an existing chunks collection was built with, or None when there is none yet."""
    if not settings.chroma_url and not settings.chroma_dir.exists():
        return None
    client = connect(settings)
    try:
        return dict(client.get_collection(settings.collection, embedding_function=None).metadata or {})
    except Exception as exc:
        if _is_connection_error(exc):
            raise StoreUnavailable(_unavailable_message(settings, exc)) from exc
        return None  # no such collection


def _unavailable_message(settings: IndexSettings, exc: Exception) -> str:
    if settings.chroma_url:
        return f"the Chroma server at {settings.chroma_url} is not reachable ({type(exc).__name__}); start it or fix chroma_url"
    return f"the index in {settings.chroma_dir} cannot be opened ({exc})"


class ChromaStore:
    """Three collections: `<name>` (chunks), `<name>-docs` (records), `<name>-state` (journal, generation)."""

    def __init__(self, settings: IndexSettings, spec: IndexSpec, *, create: bool = True, reset: bool = False) -> None:
        self.settings = settings
        self.spec = spec
        self._client = connect(settings)
        self._guard(lambda: self._open(create, reset))

    def _guard(self, fn):
        with self.guarded():
            return fn()

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """Turn a lost Chroma server, or a full or read-only disk, at any step inside, into one sentence.

        The steps may be Chroma's or the BM25 side's; a write that fails leaves the last commit intact.
        """
        try:
            yield
        except RagError:  # already one sentence: an embedding server's failure is not the store's
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise StoreUnavailable(_unavailable_message(self.settings, exc)) from exc
            reason = write_failure(exc)
            if reason:
                raise StorageError(
                    f"cannot write to the index in {self.settings.data_dir}: {reason}; free some space or make it "
                    "writable and run the command again (what was indexed before is unchanged and still answers)"
                ) from exc
            raise

    def _open(self, create: bool, reset: bool = False) -> None:
        name = self.settings.collection
        if reset:  # before the spec check: a rebuild is how a mismatched index is replaced
            self._drop()
        existing = {c if isinstance(c, str) else c.name for c in self._client.list_collections()}
        if name in existing:
            self.chunks = self._client.get_collection(name, embedding_function=None)
            self._check_spec(self.chunks.metadata or {})
            self._set_ef_search()
        elif create:
            self.chunks = self._client.create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": self.settings.hnsw_ef_search}},
                metadata=self.spec.as_metadata(),
            )
        else:
            self.chunks = None
        self.docs = self._aux(f"{name}-docs")
        self.state = self._aux(f"{name}-state")

    def _set_ef_search(self) -> None:
        """Give an existing collection the configured HNSW search breadth.

        Only before anything has searched it: Chroma goes on searching an index it has loaded with
        the value it was loaded with, so a change made later takes effect when the index next opens.
        """
        wanted = self.settings.hnsw_ef_search
        current = ((self.chunks.configuration or {}).get("hnsw") or {}).get("ef_search")
        if current == wanted:
            return
        try:
            self.chunks.modify(configuration={"hnsw": {"ef_search": wanted}})
        except Exception as exc:  # an older server: the index still answers, with its own breadth
            if _is_connection_error(exc):
                raise
            log.warning("could not set HNSW ef_search of '%s' to %d: %s", self.settings.collection, wanted, exc)
            return
        if self.settings.chroma_url:  # measured: a server keeps a loaded index's breadth until it restarts
            log.warning(
                "HNSW ef_search of '%s' set from %s to %d; the Chroma server at %s applies it to a collection "
                "it has already searched only once it restarts",
                self.settings.collection, current, wanted, self.settings.chroma_url,
            )
        else:
            log.info("HNSW ef_search of '%s' set from %s to %d", self.settings.collection, current, wanted)

    def _aux(self, name: str):
        return self._client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def _check_spec(self, stored: dict[str, Any]) -> None:
        wanted = self.spec.as_metadata()
        diffs = [f"{k}={stored.get(k)!r} (now {v!r})" for k, v in wanted.items() if stored.get(k) != v]
        if diffs:
            raise IndexMismatchError(
                f"the index at {self.settings.store_label} (collection '{self.settings.collection}') was built with "
                + ", ".join(diffs)
                + "; rebuild it with `rag ingest --rebuild PATH...` or point --data-dir/--collection elsewhere"
            )

    # ---- state: generation counter and write-ahead journal -------------------------------
    def _state(self) -> dict[str, Any]:
        got = self.state.get(ids=["state"], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else {"generation": 0, "journal": "[]"}

    def _write_state(self, state: dict[str, Any]) -> None:
        self.state.upsert(ids=["state"], embeddings=[[1.0]], metadatas=[state])

    def generation(self) -> int:
        return int(self._guard(self._state).get("generation", 0))

    def journal(self) -> list[str]:
        return json.loads(self._state().get("journal") or "[]")

    def begin(self, doc_ids: Sequence[str]) -> None:
        """Record the documents about to change, before anything of them is written."""
        state = self._state()
        pending = sorted(set(json.loads(state.get("journal") or "[]")) | set(doc_ids))
        state["journal"] = json.dumps(pending)
        self._write_state(state)

    def commit(self) -> int:
        """Clear the journal and bump the generation; returns the new generation."""
        state = self._state()
        state["journal"] = "[]"
        state["generation"] = int(state.get("generation", 0)) + 1
        self._write_state(state)
        return state["generation"]

    # ---- chunks ---------------------------------------------------------------------------
    def add_chunks(self, batch: Sequence[tuple[Document, Sequence[Chunk]]], vectors: np.ndarray) -> None:
        """Write the chunks of several documents; few large requests, as each one costs a transaction."""
        rows = [(doc, chunk) for doc, chunks in batch for chunk in chunks]
        for lo in range(0, len(rows), _WRITE_BATCH):
            part = rows[lo : lo + _WRITE_BATCH]
            self.chunks.upsert(
                ids=[c.chunk_id for _, c in part],
                embeddings=vectors[lo : lo + _WRITE_BATCH],
                documents=[c.text for _, c in part],
                metadatas=[chunk_metadata(d, c) for d, c in part],
            )

    def chunk_ids(self, where: dict[str, Any] | None = None) -> list[str]:
        ids: list[str] = []
        offset = 0
        while True:
            got = self.chunks.get(where=where, include=[], limit=_PAGE, offset=offset)
            ids.extend(got["ids"])
            if len(got["ids"]) < _PAGE:
                return ids
            offset += _PAGE

    def get_chunks(self, ids: Sequence[str]) -> Iterator[StoredChunk]:
        for lo in range(0, len(ids), _PAGE):
            got = self.chunks.get(ids=list(ids[lo : lo + _PAGE]), include=["documents", "metadatas"])
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                yield _stored(cid, text, meta)

    def delete_chunks(self, ids: Sequence[str]) -> None:
        for lo in range(0, len(ids), _PAGE):
            self.chunks.delete(ids=list(ids[lo : lo + _PAGE]))

    def stale_chunk_ids(self, doc_id: str, keep_version: str | None) -> list[str]:
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_version:
            where = {"$and": [{"doc_id": doc_id}, {"version": {"$ne": keep_version}}]}
        return self.chunk_ids(where)

    def count(self) -> int:
        return self._guard(lambda: self.chunks.count() if self.chunks is not None else 0)

    def query(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[StoredChunk]:
        """The `n` nearest chunks with their text and metadata, `score` their cosine similarity."""
        nearest = self.nearest(vector, n, filters)
        found = self._guard(lambda: {c.chunk_id: c for c in self.get_chunks([cid for cid, _ in nearest])})
        return [replace(found[cid], score=score) for cid, score in nearest if cid in found]

    def nearest(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks that pass `filters`; reading their
        text costs twice the search itself, so callers that have it elsewhere skip it."""
        if self.chunks is None or n <= 0:
            return []
        where = _where(filters) if filters else None

        def run() -> list[tuple[str, float]]:
            got = self.chunks.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n, where=where, include=["distances"]
            )
            return [(cid, 1.0 - float(dist)) for cid, dist in zip(got["ids"][0], got["distances"][0])]

        return self._guard(run)

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (absent ids are left out)."""
        if self.chunks is None or not ids:
            return {}
        got = self._guard(lambda: self.chunks.get(ids=list(ids), include=["embeddings"]))
        return dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))

    # ---- document records -----------------------------------------------------------------
    def put_records(self, docs: Sequence[Document], n_chunks: Sequence[int]) -> None:
        self.docs.upsert(
            ids=[d.doc_id for d in docs],
            embeddings=[[1.0]] * len(docs),
            documents=[d.text for d in docs],
            metadatas=[
                {
                    "title": d.title,
                    "url": d.url,
                    "published": d.published,
                    "published_key": d.published_key,
                    "authors": json.dumps(list(d.authors), ensure_ascii=False),
                    "source": d.source,
                    "content_hash": d.content_hash,
                    "version": d.version,
                    "n_chunks": n,
                    "updated": d.updated,
                    "site": d.site,
                }
                for d, n in zip(docs, n_chunks)
            ],
        )

    def delete_record(self, doc_id: str) -> None:
        self.docs.delete(ids=[doc_id])

    def records(self, ids: Sequence[str] | None = None, *, with_text: bool = False) -> list[DocumentRecord]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        out: list[DocumentRecord] = []
        offset = 0
        while True:
            if ids is not None:
                got = self._guard(lambda: self.docs.get(ids=list(ids), include=include))
            else:
                got = self._guard(lambda: self.docs.get(include=include, limit=_PAGE, offset=offset))
            texts = got.get("documents") or [""] * len(got["ids"])
            for doc_id, meta, text in zip(got["ids"], got["metadatas"], texts):
                out.append(_record(doc_id, meta, text if with_text else ""))
            if ids is not None or len(got["ids"]) < _PAGE:
                return out
            offset += _PAGE

    def reset(self) -> None:
        """Drop everything of this collection (for `--rebuild`)."""
        self._open(create=True, reset=True)

    def _drop(self) -> None:
        name = self.settings.collection
        for coll in (name, f"{name}-docs", f"{name}-state"):
            try:
                self._client.delete_collection(coll)
            except Exception as exc:  # absent collections are fine here
                if _is_connection_error(exc):
                    raise
                log.debug("collection %s absent on reset", coll)


def _where(filters: Filters) -> dict[str, Any] | None:
    """`filters` in Chroma's metadata syntax (None: no restriction)."""
    clauses: list[dict[str, Any]] = []
    if filters.doc_ids:
        clauses.append({"doc_id": {"$in": list(filters.doc_ids)}})
    lo, hi = filters.key_range()
    if lo:
        clauses.append({"published_key": {"$gte": lo}})
    if hi:
        clauses.append({"published_key": {"$lte": hi}})
        clauses.append({"published_key": {"$gt": 0}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _record(doc_id: str, meta: dict[str, Any], text: str) -> DocumentRecord:
    return DocumentRecord(
        doc_id=doc_id,
        title=str(meta.get("title") or ""),
        url=str(meta.get("url") or ""),
        published=str(meta.get("published") or ""),
        authors=tuple(json.loads(meta.get("authors") or "[]")),
        source=str(meta.get("source") or ""),
        content_hash=str(meta.get("content_hash") or ""),
        version=str(meta.get("version") or ""),
        n_chunks=int(meta.get("n_chunks") or 0),
        text=text or "",
        updated=str(meta.get("updated") or ""),
        site=str(meta.get("site") or ""),
    )


def _is_connection_error(exc: Exception) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    text = str(exc).lower()
    return bool(
        names & {"ConnectError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError", "ConnectionError"}
        or "could not connect" in text
        or "connection refused" in text
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
