"""Read files and folders of articles into `Document`s, reporting each bad input by name and reason."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from index.documents import Document, id_from_url, normalize_date, title_from_url
from index.errors import BadInput
from index.parse_worker import ParseFailed, ParseWorker

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".json", ".jsonl", ".jsonl.gz"}

# Bounds on what one hostile file can cost. A .jsonl.gz counts its decompressed bytes against
# max_file_mb (100 MB of newlines compress to 97 KB); a JSON Lines file may hold this many lines.
MAX_JSONL_LINES = 200_000
# A PDF may have this many pages, this much text (characters per allowed byte of file), and
# this long for its text to be extracted; an empty page costs pypdf about as much as a full one.
MAX_PDF_PAGES = 5_000
MAX_PDF_SECONDS = 60.0
_GZIP_CHUNK = 1 << 20


@dataclass(frozen=True)
class LoadFailure:
    """An input that could not be read: where (path, maybe `:line`) and why."""

    path: str
    reason: str


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    return ".jsonl.gz" if name.endswith(".jsonl.gz") else path.suffix.lower()


def discover(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[LoadFailure]]:
    """Expand folders (recursively, sorted, hidden entries skipped) into (file, root) pairs."""
    files: list[tuple[Path, Path]] = []
    failures: list[LoadFailure] = []

    def unreadable(exc: OSError) -> None:  # os.walk would skip such a folder without a word
        failures.append(LoadFailure(str(exc.filename), f"cannot read: {exc.strerror or exc}"))

    for given in paths:
        if not given.exists():
            failures.append(LoadFailure(str(given), "no such file or folder"))
        elif given.is_dir():
            for dirpath, dirnames, filenames in os.walk(given, onerror=unreadable):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    if not name.startswith(".") and suffix_of(path) in SUPPORTED_SUFFIXES:
                        files.append((path, given))
        elif suffix_of(given) not in SUPPORTED_SUFFIXES:
            failures.append(
                LoadFailure(str(given), f"unsupported file type '{suffix_of(given) or given.name}'")
            )
        else:
            files.append((given, given.parent))
    return files, failures


def load_file(
    path: Path, root: Path, max_bytes: int, worker: ParseWorker | None = None
) -> Iterator[Document | LoadFailure]:
    """Yield the documents in one file, or failures naming the file (and line) and the reason.

    With a `worker`, PDF and HTML are parsed in its child process, under its time and memory limits.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield LoadFailure(str(path), f"file is {size / 1e6:.2f} MB, over the {max_bytes / 1e6:g} MB limit (max_file_mb)")
            return
        raw = path.read_bytes()
    except OSError as exc:
        yield LoadFailure(str(path), f"cannot read: {exc.strerror or exc}")
        return
    if not raw.strip():
        yield LoadFailure(str(path), "empty file")
        return
    relative = _relative_id(path, root)
    suffix = suffix_of(path)
    try:
        if suffix in TEXT_SUFFIXES:
            yield _text_document(path, relative, _decode(raw), markdown=suffix != ".txt")
        elif suffix in HTML_SUFFIXES:
            yield _parse(worker, read_html, path, relative, _decode(raw))
        elif suffix == ".pdf":
            yield _parse(worker, read_pdf, path, relative, raw, max_bytes)
        elif suffix == ".json":
            yield from _json_documents(path, relative, _decode(raw))
        else:
            yield from _jsonl_documents(path, relative, raw, gz=suffix == ".jsonl.gz", max_bytes=max_bytes)
    except BadInput as exc:
        yield LoadFailure(str(path), str(exc))
    except RecursionError:  # a structure nested deeper than Python's stack, anywhere in a parser
        yield LoadFailure(str(path), "nested too deeply to read")


def _parse(worker: ParseWorker | None, parser: Callable[..., Document], *args: object) -> Document:
    if worker is None:
        return parser(*args)
    try:
        return worker.run(parser, *args)
    except ParseFailed as exc:
        raise BadInput(str(exc)) from None


def _relative_id(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise BadInput("binary data, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"not valid UTF-8 (byte {exc.start})") from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 8192):
        raise BadInput("binary data, not text")
    return text


def _require_text(text: str, what: str) -> str:
    if not text.strip():
        raise BadInput(f"no text found in {what}")
    return text


def _text_document(path: Path, doc_id: str, text: str, *, markdown: bool) -> Document:
    _require_text(text, "file")
    return Document(doc_id=doc_id, text=text, title=_guess_title(text, path, markdown), source=str(path))


_HEADING = re.compile(r"^\s{0,3}#{1,2}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _guess_title(text: str, path: Path, markdown: bool) -> str:
    if markdown and (match := _HEADING.search(text[:2000])):
        return match[1].strip()
    first = text.strip().splitlines()[0].strip()
    if len(first) <= 120 and not first.endswith((".", "!", "?", "”", '"')):
        return first
    # No headline: the opening words of the first sentence say more than a file name.
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0].rstrip(".!?")
    if len(sentence) <= 90:
        return sentence
    return sentence[:90].rsplit(" ", 1)[0] + "…"


def _extract_html(html: str | bytes) -> dict:
    import trafilatura

    # Without the pruning, a page of menus alone comes back as its link texts.
    result = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        favor_recall=True,
        prune_xpath=["//nav", "//footer"],
    )
    data = result.as_dict() if hasattr(result, "as_dict") else (result or {})
    _require_text(data.get("text") or "", "HTML (no article text)")
    return data


def _authors(data: dict) -> tuple[str, ...]:
    return tuple(a.strip() for a in (data.get("author") or "").split(";") if a.strip())


def read_html(path: Path, doc_id: str, html: str) -> Document:
    data = _extract_html(html)
    url = data.get("url") or ""
    return Document(
        doc_id=id_from_url(url) if url else doc_id,
        text=data["text"],
        title=(data.get("title") or "").strip() or title_from_url(url) or path.stem,
        url=url,
        published=normalize_date(data.get("date")),
        authors=_authors(data),
        source=str(path),
    )


def read_web_page(fetched_url: str, body: bytes, charset: str) -> Document:
    """A fetched HTML page as a Document whose id is its canonical URL (`index.urls.trusted_canonical`).

    The declared charset is used when it decodes the page; otherwise trafilatura guesses from the bytes.
    """
    from htmldate import find_date

    from index.urls import host_of, trusted_canonical

    html: str | bytes = body  # no charset declared: trafilatura reads the page's own <meta charset>
    if charset:
        html = _decode_declared(body, charset)
    data = _extract_html(html)
    canonical = trusted_canonical(fetched_url, data.get("url") or "")
    published = normalize_date(data.get("date"))
    try:
        updated = normalize_date(find_date(html, original_date=False, extensive_search=False, url=fetched_url))
    except Exception:  # noqa: BLE001 - a date guess must not cost the article
        updated = ""
    return Document(
        doc_id=canonical,
        text=data["text"],
        title=(data.get("title") or "").strip() or title_from_url(canonical) or canonical,
        url=canonical,
        published=published or updated,
        authors=_authors(data),
        source=fetched_url,
        updated=updated if updated and updated != published else "",
        site=(data.get("sitename") or "").strip() or host_of(canonical),
    )


def _decode_declared(body: bytes, charset: str) -> str:
    """The declared charset when it fits; else UTF-8, else Windows-1252 (what a wrong label usually hides)."""
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return body.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("latin-1")


def read_web_pdf(fetched_url: str, body: bytes, max_chars: int) -> Document:
    """A fetched PDF through the PDF loader, known by its canonical URL."""
    from urllib.parse import urlsplit

    from index.urls import canonical_url, host_of

    canonical = canonical_url(fetched_url)
    name = Path(urlsplit(canonical).path).name or "document.pdf"
    doc = read_pdf(Path(name), canonical, body, max_chars)
    return Document(
        doc_id=canonical, text=doc.text, title=doc.title, url=canonical, source=fetched_url, site=host_of(canonical)
    )


def read_pdf(path: Path, doc_id: str, raw: bytes, max_chars: int) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadInput("encrypted PDF (needs a password)")
        pages = _pdf_pages(reader, max_chars)
        title = (reader.metadata.title if reader.metadata else None) or path.stem
    except BadInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise BadInput(f"corrupt PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many kinds on hostile files; none may escape
        raise BadInput(f"unreadable PDF ({type(exc).__name__})") from None
    text = _require_text("\n\n".join(p.strip() for p in pages if p.strip()), "PDF (scanned images only?)")
    return Document(doc_id=doc_id, text=text, title=str(title), source=str(path))


def _pdf_pages(reader, max_chars: int) -> list[str]:
    """The text of each page, within the page, text and time caps."""
    tree = reader.trailer["/Root"]["/Pages"]
    declared = tree.get("/Count", 0)
    if isinstance(declared, int) and declared > MAX_PDF_PAGES:
        raise BadInput(f"PDF has {declared:,} pages, over the {MAX_PDF_PAGES:,}-page limit")
    if _has_more_pages(tree, MAX_PDF_PAGES):  # the declared count can lie; pypdf would list them all
        raise BadInput(f"PDF has over {MAX_PDF_PAGES:,} pages, the limit")
    deadline = time.monotonic() + MAX_PDF_SECONDS
    pages: list[str] = []
    chars = 0
    for number, page in enumerate(reader.pages, start=1):
        if number > MAX_PDF_PAGES:  # the declared count can lie
            raise BadInput(f"PDF has over {MAX_PDF_PAGES:,} pages, the limit")
        text = page.extract_text() or ""
        chars += len(text)
        if chars > max_chars:
            raise BadInput(f"PDF holds more than {max_chars:,} characters of text (max_file_mb)")
        if time.monotonic() > deadline:
            raise BadInput(f"reading the PDF's text took over {MAX_PDF_SECONDS:g} s (stopped at page {number})")
        pages.append(text)
    return pages


def _has_more_pages(tree, limit: int) -> bool:
    """Does the page tree hold more than `limit` pages? Reads at most `limit` + 1 page objects."""
    stack, seen, pages = [tree], set(), 0
    while stack:
        ref = stack.pop()
        key = getattr(ref, "idnum", None)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        node = ref.get_object()
        kids = node.get("/Kids") if hasattr(node, "get") else None
        if kids is None:
            pages += 1
            if pages > limit:
                return True
        else:
            stack.extend(reversed(list(kids)))
    return False


def _article(obj: object, where: str, fallback_id: str, source: str) -> Document:
    if not isinstance(obj, dict):
        raise BadInput(f"{where}: expected an article object, got {type(obj).__name__}")
    text = obj.get("text") or obj.get("body") or obj.get("content") or ""
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"{where}: article has no 'text'")
    url = str(obj.get("url") or "")
    doc_id = str(obj.get("id") or "") or (id_from_url(url) if url else fallback_id)
    authors = obj.get("authors") or ()
    if isinstance(authors, str):
        authors = [authors]
    return Document(
        doc_id=doc_id,
        text=text,
        title=str(obj.get("title") or "").strip() or title_from_url(url),
        url=url,
        published=normalize_date(obj.get("published") or obj.get("date")),
        authors=tuple(str(a) for a in authors),
        source=source,
    )


def _json_documents(path: Path, doc_id: str, text: str) -> Iterator[Document | LoadFailure]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise BadInput("JSON nested too deeply to read") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BadInput("empty JSON list")
    for i, obj in enumerate(items):
        fallback = doc_id if len(items) == 1 else f"{doc_id}#{i}"
        try:
            yield _article(obj, f"item {i}", fallback, str(path))
        except BadInput as exc:
            yield LoadFailure(str(path), str(exc))


def _jsonl_documents(
    path: Path, doc_id: str, raw: bytes, *, gz: bool, max_bytes: int
) -> Iterator[Document | LoadFailure]:
    stream = _checked_lines(raw, gz, max_bytes)
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line.decode("utf-8"))
            yield _article(obj, f"line {lineno}", f"{doc_id}#{lineno}", str(path))
        except UnicodeDecodeError:
            yield LoadFailure(where, "not valid UTF-8")
        except json.JSONDecodeError as exc:
            yield LoadFailure(where, f"invalid JSON ({exc.msg})")
        except RecursionError:
            yield LoadFailure(where, "JSON nested too deeply to read")
        except BadInput as exc:
            yield LoadFailure(where, str(exc).split(": ", 1)[-1])


def _checked_lines(raw: bytes, gz: bool, max_bytes: int) -> IO[bytes]:
    """A stream of the file's lines, once its (decompressed) size and line count are within the caps.

    A .jsonl.gz is decompressed twice, a megabyte at a time: once to measure it, keeping nothing,
    then line by line while reading. Nothing is read before the file is known to fit.
    """
    if not gz:
        _check_lines(raw.count(b"\n"))
        return io.BytesIO(raw)
    size = lines = 0
    text = False
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
            while chunk := fh.read(_GZIP_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise BadInput(
                        f"decompresses to more than {max_bytes / 1e6:g} MB, the limit (max_file_mb); split it into smaller files"
                    )
                lines += chunk.count(b"\n")
                _check_lines(lines)
                text = text or bool(chunk.strip())
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInput(f"corrupt gzip data ({exc})") from None
    if not text:  # the plain-file check saw only the compressed bytes
        raise BadInput("empty file (after decompressing)")
    return gzip.GzipFile(fileobj=io.BytesIO(raw))


def _check_lines(lines: int) -> None:
    if lines > MAX_JSONL_LINES:
        raise BadInput(f"more than {MAX_JSONL_LINES:,} lines, the limit for one file; split it into smaller files")
