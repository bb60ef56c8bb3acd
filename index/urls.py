"""Web addresses: which ones may be fetched, and the one canonical form an article is known by."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from index.errors import BadInput

SCHEMES = ("http", "https")


class UnsafeURL(BadInput):
    """A URL that may not be fetched: not http(s), or (for untrusted callers) a private address."""


def is_url(text: str) -> bool:
    """Does `text` look like an http(s) address (rather than a file path)?"""
    return text.strip().lower().startswith(("http://", "https://"))


def canonical_url(url: str) -> str:
    """The address an article is known by: courlan-normalised (lower-case host, default port dropped,
    tracking parameters such as utm_*, ref, fbclid and gclid removed, the rest sorted), no fragment."""
    from courlan import normalize_url

    try:
        cleaned = normalize_url(url.strip(), strict=False)
    except (ValueError, TypeError):
        cleaned = url.strip()
    parts = urlsplit(cleaned)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def site_key(url: str) -> str:
    """scheme://host[:port], the unit of robots.txt and of the rate limit."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def trusted_canonical(fetched_url: str, declared: str) -> str:
    """The page's own rel=canonical when it stays on the fetched host, else the fetched URL; canonicalised.

    A page may not name another site's address as its own: it would replace that site's article.
    """
    if declared and is_url(declared) and host_of(declared) == host_of(fetched_url):
        return canonical_url(declared)
    return canonical_url(fetched_url)


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeURL(f"only http and https addresses can be fetched, not '{scheme or url}'")
    if not urlsplit(url).hostname:
        raise UnsafeURL("the address has no host")


def check_public(url: str) -> None:
    """Refuse a host that is, or resolves to, a loopback, private, link-local or reserved address.

    Every address the name resolves to is checked (a name with one public and one private address is
    refused). The check is repeated by the fetcher at each redirect, and again when it connects
    (`public_addresses`), so a name that resolves elsewhere by then is refused too.
    """
    parts = urlsplit(url)
    public_addresses(parts.hostname or "", parts.port or (443 if url.lower().startswith("https") else 80))


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, all public; raises `UnsafeURL` if any is not, `BadInput` if none."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"cannot resolve host '{host}' ({exc})") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _private(address):
            raise UnsafeURL(f"'{host}' is a private or local address ({address}); such addresses may not be fetched here")
        addresses.append(str(address))
    return list(dict.fromkeys(addresses))


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )
