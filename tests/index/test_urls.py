"""Canonical URLs and the address checks of the fetcher."""

from __future__ import annotations

import pytest

from index.urls import UnsafeURL, canonical_url, check_public, check_scheme, is_url, trusted_canonical


@pytest.mark.parametrize(
    "variant",
    [
        "https://News.Example.org/world/story?utm_source=tw&utm_medium=social",
        "https://news.example.org:443/world/story?ref=home",
        "https://news.example.org/world/story?fbclid=abc#comments",
        "https://news.example.org/world/story?gclid=1",
    ],
)
def test_tracking_variants_share_one_canonical_url(variant):
    assert canonical_url(variant) == "https://news.example.org/world/story"


def test_canonical_url_keeps_parameters_that_name_the_article():
    assert canonical_url("https://e.org/a?id=7&utm_source=x") == "https://e.org/a?id=7"


def test_rel_canonical_on_another_host_is_ignored():
    fetched = "https://a.example/x?utm_source=1"
    assert trusted_canonical(fetched, "https://a.example/story") == "https://a.example/story"
    assert trusted_canonical(fetched, "https://b.example/story") == "https://a.example/x"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://e.org/x", "javascript:alert(1)", "http:///nohost"])
def test_only_http_and_https_with_a_host(url):
    with pytest.raises(UnsafeURL):
        check_scheme(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
def test_private_and_local_addresses_are_refused(url):
    with pytest.raises(UnsafeURL):
        check_public(url)


def test_public_address_is_allowed():
    check_public("http://93.184.216.34/article")  # an address literal: no DNS needed


def test_is_url_tells_urls_from_paths():
    assert is_url("https://e.org/x") and is_url("HTTP://e.org") and not is_url("news/https-story.html")
