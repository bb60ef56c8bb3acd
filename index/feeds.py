"""What a fetched body is (page, PDF, feed, sitemap), and the item links of a feed or sitemap."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from urllib.parse import urljoin

from index.errors import BadInput
from index.urls import is_url

HTML_TYPES = {"text/html", "application/xhtml+xml"}
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
XML_TYPES = {"application/xml", "text/xml"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}

_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF|urlset|sitemapindex|html)\b")


@dataclass(frozen=True)
class Item:
    """One entry of a feed or sitemap: its link and what the listing says about its freshness."""

    url: str
    stamp: str = ""  # the entry's updated or published value, as written


@dataclass
class Listing:
    """The items of a feed or sitemap (child sitemaps for a sitemap index) and the entries without a link."""

    kind: str  # feed | sitemap | sitemapindex
    items: list[Item] = field(default_factory=list)
    missing_links: list[int] = field(default_factory=list)  # 1-based positions of entries with no usable link
    fault: str = ""  # what was wrong with a listing that could still be read in part


def kind_of(content_type: str, body: bytes) -> str:
    """page | pdf | feed | sitemap | other, from the content type and the first bytes."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if content_type in PDF_TYPES or head.startswith(b"%PDF-"):
        return "pdf"
    root = _ROOT.search(head)
    tag = root[1].decode() if root else ""
    if content_type in FEED_TYPES or content_type in XML_TYPES or head.startswith(b"<?xml"):
        if tag in ("urlset", "sitemapindex"):
            return "sitemap"
        if tag in ("rss", "feed", "RDF") or content_type in FEED_TYPES:
            return "feed"
        if tag == "html" or content_type == "application/xhtml+xml":
            return "page"
        return "feed" if content_type in XML_TYPES else "other"
    if content_type in HTML_TYPES or (not content_type and tag == "html"):
        return "page"
    return "other"


def read_feed(body: bytes, base_url: str, max_items: int) -> Listing:
    """The item links of an RSS or Atom feed (at most `max_items`); `BadInput` when it is not one."""
    import feedparser

    with warnings.catch_warnings():  # feedparser's notice about its updated/published mapping
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
        return _listing(parsed, base_url, max_items)


def _listing(parsed, base_url: str, max_items: int) -> Listing:
    import feedparser

    fault = ""
    error = parsed.get("bozo_exception")
    if parsed.bozo and not isinstance(error, feedparser.CharacterEncodingOverride):
        reason = error.getMessage() if hasattr(error, "getMessage") else str(error)
        fault = f"malformed feed XML ({reason})"
        if not parsed.entries:
            raise BadInput(fault)
    if not parsed.entries and not parsed.get("version"):
        raise BadInput("not an RSS or Atom feed")
    listing = Listing("feed", fault=fault)
    for position, entry in enumerate(parsed.entries[:max_items], start=1):
        link = entry.get("link") or _first_link(entry)
        url = urljoin(base_url, link.strip()) if link else ""
        if not is_url(url):
            listing.missing_links.append(position)
            continue
        listing.items.append(Item(url, str(entry.get("updated") or entry.get("published") or "")))
    return listing


def _first_link(entry) -> str:
    for link in entry.get("links") or ():
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            return link["href"]
    guid = entry.get("id") or ""
    return guid if entry.get("guidislink") or is_url(guid) else ""


def read_sitemap(body: bytes, base_url: str, max_items: int) -> Listing:
    """The page links of a (news) sitemap, or the child sitemaps of a sitemap index."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise BadInput(f"malformed sitemap XML ({exc})") from None
    name = etree.QName(root).localname
    if name not in ("urlset", "sitemapindex"):
        raise BadInput(f"not a sitemap (root element <{name}>)")
    listing = Listing("sitemap" if name == "urlset" else "sitemapindex")
    entries = [e for e in root if isinstance(e.tag, str) and etree.QName(e).localname in ("url", "sitemap")]
    for position, entry in enumerate(entries[:max_items], start=1):
        texts = {etree.QName(e).localname: (e.text or "").strip() for e in entry.iter() if isinstance(e.tag, str)}
        url = urljoin(base_url, texts.get("loc", ""))
        if not texts.get("loc") or not is_url(url):
            listing.missing_links.append(position)
            continue
        listing.items.append(Item(url, texts.get("lastmod") or texts.get("publication_date") or ""))
    return listing
