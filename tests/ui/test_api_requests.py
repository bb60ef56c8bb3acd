"""Validation of `POST /api/ask` bodies and of HTTP Basic credentials."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from ui.api import BadRequest, basic_auth_ok, parse_ask


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
    ],
)
def test_bad_requests_are_refused_with_a_reason(body, message):
    with pytest.raises(BadRequest, match=message):
        parse_ask(body)


def _basic(user_password: str) -> str:
    return "Basic " + base64.b64encode(user_password.encode()).decode()


def test_basic_auth_accepts_only_the_configured_credentials():
    assert basic_auth_ok(_basic("alice:s3cr:et"), "alice:s3cr:et")
    assert basic_auth_ok(_basic("alice:s3cr:et").replace("Basic", "basic"), "alice:s3cr:et")
    for header in (None, "", _basic("alice:wrong"), _basic("bob:s3cr:et"), _basic("alice"), "Basic !!!", "Bearer x"):
        assert not basic_auth_ok(header, "alice:s3cr:et"), header
