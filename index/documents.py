"""The document record: one article, its metadata and a stable id."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Document:
    """One article as read from a file; `text` is what offsets index into."""

    doc_id: str
    text: str
    title: str = ""
    url: str = ""
    published: str = ""  # ISO date YYYY-MM-DD, or "" when unknown
    authors: tuple[str, ...] = ()
    source: str = ""
    content_hash: str = field(default="")
    updated: str = ""  # ISO date of the page's last update, when it says (fetched pages)
    site: str = ""  # the outlet: the page's site name, else its host (fetched pages)

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self))

    @property
    def version(self) -> str:
        """This content's version: the first 12 hex digits of `content_hash`, stored with every chunk."""
        return self.content_hash[:12]

    @property
    def published_key(self) -> int:
        """The published date as an orderable integer YYYYMMDD (0 when unknown)."""
        return date_key(self.published)


def content_hash(doc: Document) -> str:
    """Hash of everything that changes the stored chunks or their metadata."""
    fields: list[object] = [doc.text, doc.title, doc.url, doc.published, list(doc.authors)]
    if doc.updated or doc.site:  # only fetched pages have them: files keep the hashes they had
        fields += [doc.updated, doc.site]
    payload = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def id_from_url(url: str) -> str:
    return "url-" + hashlib.sha1(url.strip().encode("utf-8")).hexdigest()[:12]


# A slug: at least three words of letters or digits joined by '-' or '_' (the last '.ext' dropped).
_SLUG = re.compile(r"^(?=.*[^\W\d_])[^\W_]+(?:[-_][^\W_]+){2,}$")
SLUG_CHARS = 120


def title_from_url(url: str) -> str:
    """A headline read from a news URL's slug ('/2022/07/07/europe/boris-johnson-resignation/'), or "".

    Scraped articles often lose their headline, and the headline is what puts every chunk of an
    article in context for the embedder (`index.library.embedding_text`); citations show it too.
    """
    path = urlsplit(url.strip()).path
    for segment in reversed([s for s in path.split("/") if s]):
        stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", unquote(segment))
        if len(stem) <= SLUG_CHARS and _SLUG.match(stem):
            words = re.split(r"[-_]", stem)
            return " ".join([words[0].capitalize(), *words[1:]])
    return ""


_DATE_RE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def parse_date(value: object) -> date | None:
    """Read `YYYY/MM/DD`, `YYYY-MM-DD` or an ISO datetime; None when it is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    match = _DATE_RE.match(value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def normalize_date(value: object) -> str:
    parsed = parse_date(value)
    return parsed.isoformat() if parsed else ""


def date_key(value: object) -> int:
    parsed = parse_date(value)
    return parsed.year * 10000 + parsed.month * 100 + parsed.day if parsed else 0
