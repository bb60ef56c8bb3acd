"""`POST /api/ask` with questions in other languages and scripts: 200 and the Answer JSON, never an error."""

from __future__ import annotations

import httpx
import pytest

from rag.types import Answer
from tests.support.languages import QUESTIONS, reply_problems

pytestmark = pytest.mark.integration


def test_questions_in_other_languages_get_the_answer_json_with_real_citations_or_a_refusal(
    small_pipeline, small_config, serve_app, free_port
) -> None:
    config = small_config.with_overrides(host="127.0.0.1", port=free_port())
    library = small_pipeline.library
    problems: dict[str, list[str]] = {}
    refused: dict[str, bool] = {}
    with serve_app(small_pipeline, config) as app, httpx.Client(base_url=app.url, timeout=60) as client:
        for name, question in QUESTIONS.items():
            response = client.post("api/ask", json={"question": question})
            if response.status_code != 200 or not response.headers["content-type"].startswith("application/json"):
                problems[name] = [f"HTTP {response.status_code} {response.headers['content-type']}: {response.text[:200]}"]
                continue
            answer = Answer.from_json(response.json())
            refused[name] = answer.refused
            found = reply_problems(answer, question, lambda doc_id: library.document(doc_id).text)
            if found:
                problems[name] = found
    assert problems == {}
    assert refused["emoji-only"] and not refused["rtl-override"]  # no words to search for; English under the marks
