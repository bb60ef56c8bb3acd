"""Hostile files that cost little to make and much to read: a gzip bomb, a PDF of empty pages, deep JSON."""

from __future__ import annotations

import gzip
from pathlib import Path

_MEMBER_BYTES = 10_000_000


def gzip_bomb(path: Path, decompressed_bytes: int, line: bytes = b"\n") -> Path:
    """A .jsonl.gz of `line` repeated to `decompressed_bytes`: concatenated gzip members of 10 MB each."""
    member = gzip.compress(line * (_MEMBER_BYTES // len(line)), compresslevel=9)
    path.write_bytes(member * max(1, decompressed_bytes // _MEMBER_BYTES))
    return path


def empty_pages_pdf(path: Path, pages: int, declared: int | None = None) -> Path:
    """A valid PDF with `pages` empty pages in one flat page tree, written directly (pypdf is too slow).

    `declared` is the page count the tree claims (a lie when it differs from `pages`).
    """
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects.append(b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages if declared is None else declared, kids))
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def deep_json(depth: int) -> str:
    """An article object whose text field holds lists nested `depth` deep."""
    return '{"id": "deep", "text": ' + "[" * depth + "]" * depth + "}"


def endless_parser(*_args: object) -> None:
    """A parser that never returns (as pypdf or lxml might on a crafted file)."""
    while True:
        pass


def greedy_parser(*_args: object) -> bytearray:
    """A parser that asks for 4 GB at once."""
    return bytearray(4 * 1024**3)
