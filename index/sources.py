"""The sources a person follows (feeds, sitemaps, pages), each with its schedule and last poll.

Kept in `data_dir/sources.json`, replaced atomically under a small lock of its own (the watcher and
`rag sources` may write it at once). A poll that fails keeps the source's last good figures and
shows the error; OPML import and export carry the list to and from feed readers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from xml.sax.saxutils import quoteattr

from index.atomic import read_json_records, write_json_atomic
from index.errors import ConfigError
from index.locking import writer_lock
from index.urls import canonical_url, check_scheme, is_url

FILE_NAME = "sources.json"
DEFAULT_EVERY_S = 30 * 60
MIN_EVERY_S = 60
MAX_OPML_BYTES = 5_000_000

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """'45s', '30m', '2h', '30d', '1w' (a bare number is seconds) as seconds; ConfigError otherwise."""
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"'{text}' is not a duration; write it like 30m, 2h or 30d")
    return float(match[1]) * _UNITS[match[2].lower()]


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


@dataclass(frozen=True)
class Source:
    """One followed URL and what its last poll found."""

    url: str
    every_s: float = DEFAULT_EVERY_S
    title: str = ""
    added_at: float = 0.0
    last_poll: float = 0.0  # when it was last polled (good or not)
    last_ok: float = 0.0  # when a poll last succeeded
    items: int = 0  # documents the last good poll found (new, updated or unchanged)
    item_errors: int = 0  # items of the last good poll that failed
    error: str = ""  # why the last poll failed ("" when it did not)

    @property
    def next_poll(self) -> float:
        return self.last_poll + self.every_s if self.last_poll else 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_poll


class Sources:
    """The list in `data_dir/sources.json`; every change is read, applied and written under a lock."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / FILE_NAME

    def all(self) -> list[Source]:
        return list(self._read().values())

    def get(self, url: str) -> Source | None:
        return self._read().get(canonical_url(url))

    def add(self, url: str, every_s: float = DEFAULT_EVERY_S, title: str = "") -> tuple[Source, bool]:
        """Follow `url` (a new schedule for one already followed); (the source, whether it is new)."""
        url = url.strip()
        if not is_url(url):
            raise ConfigError(f"'{url}' is not an http(s) URL")
        check_scheme(url)
        if every_s < MIN_EVERY_S:
            raise ConfigError(f"a source may be polled at most every {format_duration(MIN_EVERY_S)}")
        with self._changing() as entries:
            key = canonical_url(url)
            old = entries.get(key)
            entries[key] = replace(old, every_s=every_s, title=title or old.title) if old else Source(
                url=url, every_s=every_s, title=title, added_at=time.time()
            )
            return entries[key], old is None

    def remove(self, url: str) -> Source | None:
        with self._changing() as entries:
            return entries.pop(canonical_url(url), None)

    def record(self, url: str, *, items: int, item_errors: int, error: str) -> None:
        """What a poll found; a failed poll keeps the last good figures."""
        now = time.time()
        with self._changing() as entries:
            key = canonical_url(url)
            old = entries.get(key)
            if old is None:  # removed while it was being polled
                return
            if error:
                entries[key] = replace(old, last_poll=now, error=error)
            else:
                entries[key] = replace(old, last_poll=now, last_ok=now, items=items, item_errors=item_errors, error="")

    # ---- OPML ------------------------------------------------------------------------------
    def import_opml(self, path: Path, every_s: float = DEFAULT_EVERY_S) -> tuple[int, int]:
        """Follow every feed of an OPML file; (added, already followed)."""
        added = known = 0
        for url, title in read_opml(path):
            _, new = self.add(url, every_s, title)
            added, known = added + new, known + (not new)
        return added, known

    def export_opml(self) -> str:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<opml version="2.0">',
            "  <head><title>newsrag sources</title></head>",
            "  <body>",
        ]
        for source in self.all():
            text = quoteattr(source.title or source.url)
            lines.append(f'    <outline type="rss" text={text} title={text} xmlUrl={quoteattr(source.url)}/>')
        lines += ["  </body>", "</opml>"]
        return "\n".join(lines) + "\n"

    # ---- storage ---------------------------------------------------------------------------
    def _read(self) -> dict[str, Source]:
        try:
            return read_json_records(self.path, Source)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"cannot read the sources list {self.path}: {exc}") from None

    @contextmanager
    def _changing(self) -> Iterator[dict[str, Source]]:
        with writer_lock(self.data_dir / "sources.lock", wait=True):
            entries = self._read()
            yield entries
            self._write(entries)

    def _write(self, entries: dict[str, Source]) -> None:
        write_json_atomic(self.path, {key: asdict(s) for key, s in entries.items()}, indent=1)


def read_opml(path: Path) -> list[tuple[str, str]]:
    """(xmlUrl, title) of every outline with a feed URL, nested folders included."""
    from lxml import etree

    try:
        if path.stat().st_size > MAX_OPML_BYTES:
            raise ConfigError(f"{path} is over {MAX_OPML_BYTES / 1e6:g} MB; an OPML list is much smaller")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{path} is not valid OPML XML ({exc})") from None
    found = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if is_url(url):
            found.append((url, (outline.get("title") or outline.get("text") or "").strip()))
    if not found:
        raise ConfigError(f"{path} lists no feeds (no <outline xmlUrl=...>)")
    return found
