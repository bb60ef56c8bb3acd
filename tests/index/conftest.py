"""Helpers for the index tests: made-up articles, the `rag` CLI as a subprocess, index invariants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from index.library import Library
from tests.support.unprivileged import unprivileged

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
CLI_TIMEOUT_S = 300

_TOPICS = [
    ("harbor", "The harbor authority of Norrvik"),
    ("orchard", "Apple growers in the Kessel valley"),
    ("railway", "The regional railway company"),
    ("election", "Voters in the northern district"),
    ("museum", "The city museum"),
    ("fishery", "Fishing crews along the coast"),
]


def marker(i: int, revision: int = 0) -> str:
    """A word found in one article revision only (for BM25 look-ups)."""
    return f"ref{i:03d}x{revision}"


def article(i: int, *, paragraphs: int = 6, revision: int = 0) -> dict:
    """A made-up news article, different for every `i` (and every `revision` of it)."""
    key, subject = _TOPICS[i % len(_TOPICS)]
    body = [f"{subject} opened case file {marker(i, revision)} this week."]
    for p in range(paragraphs):
        body.append(
            f"{subject} reported item {i} in paragraph {p} (revision {revision}). "
            f"Officials said the {key} plan number {i * 31 + p} would be reviewed again in {2020 + p % 5}. "
            f"Residents asked why costs rose by {p + i % 7} percent, and the spokesperson promised answers by Friday. "
            f"A council member called the {key} decision premature, while local traders welcomed it."
        )
    return {
        "id": f"art-{i:03d}",
        "title": f"{subject} plans change {i}",
        "url": f"https://news.example.org/{key}/{i}",
        "published": f"2022/06/{1 + i % 28:02d}",
        "authors": [f"Reporter {i % 5}"],
        "text": "\n\n".join(body),
    }


@pytest.fixture()
def write_articles() -> Callable[..., list[dict]]:
    """Write articles as one JSON file each into a folder; returns what was written."""

    def write(folder: Path, ids: Sequence[int], *, revision: int = 0, paragraphs: int = 6) -> list[dict]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for i in ids:
            art = article(i, paragraphs=paragraphs, revision=revision)
            (folder / f"{art['id']}.json").write_text(json.dumps(art), encoding="utf-8")
            written.append(art)
        return written

    return write


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a `rag` subprocess: offline, hash embedder, no stray RAG_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
        RAG_EMBED_MODEL="hash-64",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def rag_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty directory to run `rag` in, so no stray rag.toml is read."""
    return tmp_path_factory.mktemp("cwd")


# `rag` in a process whose files may not grow past a size: writes beyond it fail with EFBIG, like a full disk.
_SIZE_LIMITED_RAG = (
    "import resource, sys; limit = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); "
    "from cli.main import main; sys.exit(main(sys.argv[2:]))"
)


@pytest.fixture(scope="session")
def run_rag(rag_workdir: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run `python -m cli ARGS...` to its end; `env` adds to `cli_env()`; `file_size_limit` caps file sizes (bytes);
    `as_unprivileged` runs it without root's power over file modes."""
    workdir = rag_workdir

    def run(
        *args: str | Path,
        env: dict[str, str] | None = None,
        timeout: float = CLI_TIMEOUT_S,
        file_size_limit: int | None = None,
        as_unprivileged: bool = False,
    ):
        command = [sys.executable, "-m", "cli"]
        if file_size_limit is not None:
            command = [sys.executable, "-c", _SIZE_LIMITED_RAG, str(file_size_limit)]
        if as_unprivileged:  # file modes apply even when the suite runs as root
            command = unprivileged(command)
        return subprocess.run(
            [*command, *map(str, args)],
            cwd=workdir,
            env=cli_env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="session")
def start_rag(rag_workdir: Path) -> Callable[..., subprocess.Popen]:
    """Start `python -m cli ARGS...` in the background (output discarded); returns the process."""

    def start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", *map(str, args)],
            cwd=rag_workdir,
            env=cli_env(**(env or {})),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return start


def assert_consistent(library: Library) -> None:
    """The invariants every finished operation leaves: BM25 == Chroma, records match chunks, no journal."""
    chroma_ids = set(library.store.chunk_ids())
    assert library.lexical.count() == library.store.count() == len(chroma_ids)
    assert library.lexical.chunk_ids() == chroma_ids
    assert library.store.journal() == []
    records = library.store.records()
    assert sum(r.n_chunks for r in records) == len(chroma_ids)
    for record in records:
        prefix = f"{record.doc_id}::{record.version}::"
        assert sum(1 for cid in chroma_ids if cid.startswith(prefix)) == record.n_chunks


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def minimal_pdf(lines: Sequence[str], title: str = "") -> bytes:
    """A valid one-page PDF showing `lines` in Helvetica, written object by object."""
    stream = "BT\n/F1 12 Tf\n14 TL\n72 720 Td\n" + "".join(f"({_pdf_string(line)}) Tj T*\n" for line in lines) + "ET\n"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}endstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({_pdf_string(title)}) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypted_pdf(lines: Sequence[str], password: str = "secret") -> bytes:
    """The same PDF, encrypted by pypdf with a user password (RC4, needs no extra library)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf(lines))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def pdf_factory():
    """Builders of test PDFs: `.plain(lines, title)` and `.encrypted(lines)`."""

    class Pdfs:
        plain = staticmethod(minimal_pdf)
        encrypted = staticmethod(encrypted_pdf)

    return Pdfs


@pytest.fixture(scope="session")
def make_article() -> Callable[..., dict]:
    """`article(i, paragraphs=6, revision=0)`: a made-up article as a dict."""
    return article


@pytest.fixture(scope="session")
def article_marker() -> Callable[..., str]:
    """`marker(i, revision=0)`: a word found in that article revision only."""
    return marker


@pytest.fixture(scope="session", name="assert_consistent")
def assert_consistent_fixture() -> Callable[[Library], None]:
    """`assert_consistent(library)`: BM25 == Chroma, records match chunks, empty journal."""
    return assert_consistent
