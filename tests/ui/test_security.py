"""The perimeter's parts on their own: trusted host names, same-origin checks, the rate limiter."""

from __future__ import annotations

import pytest

from rag.errors import ConfigError
from ui.security import RateLimiter, TrustedHosts, host_name, parse_allowed_hosts, same_origin


@pytest.mark.parametrize(
    ("header", "name"),
    [("127.0.0.1:7860", "127.0.0.1"), ("LOCALHOST", "localhost"), ("[::1]:7860", "::1"), ("news.example.org.", "news.example.org"), ("", "")],
)
def test_host_names_are_read_without_port_case_or_trailing_dot(header, name):
    assert host_name(header) == name


def test_a_loopback_server_answers_only_to_loopback_names_and_configured_ones():
    hosts = TrustedHosts.for_server("127.0.0.1", ["news.example.org", ".corp.example"])
    for header in ("127.0.0.1:7860", "localhost", "[::1]:1", "news.example.org", "wiki.corp.example:443"):
        assert hosts.allows(header), header
    for header in ("rebind.attacker.example", "192.168.1.5", "corp.example.evil", "", None, "example.org"):
        assert not hosts.allows(header), header


def test_a_server_on_all_interfaces_also_answers_to_ip_addresses_but_not_to_other_names():
    hosts = TrustedHosts.for_server("0.0.0.0")
    assert hosts.allows("192.168.1.5:7860") and hosts.allows("[fe80::1]:7860")
    assert not hosts.allows("rebind.attacker.example")


def test_allowed_hosts_are_names_not_patterns():
    assert parse_allowed_hosts("a.example, b.example  .c.example") == ["a.example", "b.example", ".c.example"]
    with pytest.raises(ConfigError, match=r"\*.example.org"):
        parse_allowed_hosts("*.example.org")


@pytest.mark.parametrize(
    ("origin", "ok"),
    [("http://127.0.0.1:7860", True), ("https://127.0.0.1:7860", True), ("http://127.0.0.1:7861", False),
     ("http://localhost:7860", False), ("null", False), ("file://", False), ("http://127.0.0.1:7860.evil.example", False)],
)
def test_same_origin_means_the_same_host_and_port(origin, ok):
    assert same_origin(origin, "127.0.0.1:7860") is ok


def test_the_rate_limiter_allows_a_burst_then_the_rate_per_client():
    limiter = RateLimiter(burst=3, per_second=2.0)
    assert [limiter.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", now=0.0)  # another client has its own bucket
    assert not limiter.allow("a", now=0.2) and limiter.allow("a", now=0.5)
    assert [limiter.allow("a", now=10.0) for _ in range(4)] == [True, True, True, False]  # never more than the burst
