"""Validation of `POST /api/ask` bodies and of HTTP Basic credentials."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest

from rag.errors import ConfigError
from ui.api import BadRequest, parse_ask
from ui.auth import Credentials, Login


def test_a_minimal_request_needs_only_the_question():
    request = parse_ask({"question": "Who won?"})
    assert (request.question, request.history, request.k, request.backend, request.filters) == ("Who won?", (), None, None, None)


def test_history_k_backend_and_filters_are_read():
    request = parse_ask(
        {"question": "And then?", "history": [["Who won?", "Ada [1]."]], "k": 3, "backend": "extractive",
         "filters": {"doc_ids": ["a"], "published_from": "2024-01-01"}}
    )
    assert request.history == (("Who won?", "Ada [1]."),) and request.k == 3 and request.backend == "extractive"
    assert request.filters.doc_ids == ("a",) and request.filters.published_from == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": "   "}, "non-empty"),
        ({}, "non-empty"),
        ([], "JSON object"),
        ({"question": 5}, "non-empty"),
        ({"question": "q", "k": 0}, "'k'"),
        ({"question": "q", "k": 51}, "'k'"),
        ({"question": "q", "k": True}, "'k'"),
        ({"question": "q", "k": "3"}, "'k'"),
        ({"question": "q", "backend": "gpt-9"}, "unknown backend"),
        ({"question": "q", "history": [["only one"]]}, "'history'"),
        ({"question": "q", "history": "text"}, "'history'"),
        ({"question": "q", "filters": {"published_to": "yesterday"}}, "published_to"),
        ({"question": "q", "surprise": 1}, "unknown field"),
        ({"question": "x" * 100_001}, "longer than"),
        ({"question": "q", "filters": {"doc_ids": "a"}}, "filters.doc_ids"),
        ({"question": "q", "filters": {"colour": "red"}}, "'filters' may hold"),
        ({"question": "q", "filters": []}, "'filters' may hold"),
        ({"question": "q", "history": [["q", 5]]}, "'history'"),
        ({"question": "q", "k": 2.0}, "'k'"),
        ({"question": "q", "a": 1, "b": 2}, r"unknown field\(s\): a, b"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(body, message):
    with pytest.raises(BadRequest, match=message):
        parse_ask(body)


def test_credentials_match_only_the_configured_user_and_password():
    credentials = Credentials.parse("alice:s3cr:et")
    assert credentials.match("alice", "s3cr:et")
    for user, password in (("alice", "wrong"), ("bob", "s3cr:et"), ("alice", ""), ("", "s3cr:et")):
        assert not credentials.match(user, password)


@pytest.mark.parametrize("value", ["nopassword", ":pw", "alice:", "alice:pässwort", "alice:pw\n"])
def test_credentials_need_a_user_and_an_ascii_password(value):
    with pytest.raises(ConfigError, match="USER:PASSWORD"):
        Credentials.parse(value)


def test_each_failed_login_makes_the_next_attempt_from_that_source_wait_longer():
    login = Login(Credentials.parse("alice:pw"), first_delay_s=0.01, max_delay_s=0.16)
    delays = []
    for _ in range(6):
        assert not asyncio.run(login.check("10.0.0.9", "alice", "guess"))
        delays.append(login.delay_for("10.0.0.9"))
    assert delays == [0.01, 0.02, 0.04, 0.08, 0.16, 0.16]
    assert login.delay_for("10.0.0.8") == 0.0  # another source is not slowed
    started = time.monotonic()
    assert asyncio.run(login.check("10.0.0.9", "alice", "pw"))
    assert time.monotonic() - started >= 0.16
    assert login.delay_for("10.0.0.9") == 0.0  # a success clears the count
