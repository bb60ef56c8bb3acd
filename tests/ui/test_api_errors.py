"""`POST /api/ask` on the real server: a body that does not fit gets 400 and one sentence, never 422."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

QUESTION = "How much did the harbor bridge cost?"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"question": ', "the body is not valid JSON"),
        (b"[]", "the body must be a JSON object with a 'question'"),
        (b"{}", "'question' must be a non-empty string"),
        (b'{"question": "  "}', "'question' must be a non-empty string"),
        (b'{"question": "q", "k": "3"}', "'k' must be a whole number from 1 to 50"),
        (b'{"question": "q", "k": true}', "'k' must be a whole number from 1 to 50"),
        (b'{"question": "q", "backend": "gpt-9"}', "unknown backend 'gpt-9'; choose one of embedded, ollama, openai, extractive"),
        (b'{"question": "q", "history": [["only one"]]}', "'history' must be a list of [question, answer] pairs of strings"),
        (b'{"question": "q", "filters": {"as_of": "soon"}}', "'filters.as_of' must be a date like 2024-05-31"),
        (b'{"question": "q", "filters": {"doc_ids": [1]}}', "'filters.doc_ids' must be a list of document ids"),
        (b'{"question": "q", "surprise": 1, "body": true}', "unknown field(s): body, surprise"),
        (b'{"question": "' + b"x" * 100_001 + b'"}', "'question' is longer than 100000 characters"),
    ],
)
def test_a_body_that_does_not_fit_gets_400_and_one_sentence(small_app, body, message):
    response = httpx.post(small_app.url + "api/ask", content=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_a_good_body_gets_the_answer_json(small_app):
    response = httpx.post(small_app.url + "api/ask", json={"question": QUESTION, "k": 2, "filters": {"doc_ids": ["harbor-2024"]}}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["citations"] and {p["doc_id"] for p in body["passages"]} == {"harbor-2024"}
