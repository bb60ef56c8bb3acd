"""The running app through its APIs: gradio_client endpoints, POST /api/ask, auth, file access.

The server is the real one (`ui.app.build_app` under uvicorn) over `seeds/` embedded with the
real MiniLM model and the extractive back end.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file


pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Gradio's queue statistics use pandas options that pandas 3 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

SEED_QUESTION = "What does Zelenski require before agreeing to a peace deal with Russia?"
ANSWER_KEYS = {
    "question", "answer", "refused", "citations", "passages", "backend", "timings_ms", "notices", "standalone_question", "short_answer",
    "confidence", "tentative", "usage",
}
TRAM_ARTICLE = (
    "# Quillton opens its first tram line\n\n"
    "The town of Quillton opened its first tram line on Saturday. "
    "The new line 9 runs 14 kilometres from the harbour to the university campus. "
    "Mayor Ida Ruud said the tram would carry 20,000 passengers a day.\n"
)
TRAM_QUESTION = "How long is the new tram line 9 in Quillton?"
AUTH = "alice:s3cret:pw"


@pytest.fixture(scope="module")
def app(tmp_path_factory, seeded_app):
    with seeded_app(tmp_path_factory.mktemp("api")) as running:
        yield running


@pytest.fixture(scope="module")
def client(app) -> Client:
    return Client(app.url, verbose=False)


def document_text(app, doc_id: str) -> str:
    record = app.pipeline.library.document(doc_id)
    assert record is not None, doc_id
    return record.text


def test_ask_endpoint_returns_answer_json_with_a_verified_citation(app, client):
    answer = client.predict(SEED_QUESTION, api_name="/ask")
    assert set(answer) == ANSWER_KEYS
    assert not answer["refused"] and answer["citations"]
    for citation in answer["citations"]:
        assert document_text(app, citation["doc_id"])[citation["start"] : citation["end"]] == citation["quote"]
        assert f"[{citation['n']}]" in answer["answer"]


def test_ask_endpoint_takes_optional_k_and_backend(client):
    answer = client.predict(SEED_QUESTION, k=2, backend="extractive", api_name="/ask")
    assert len(answer["passages"]) <= 2 and answer["backend"] == "extractive"


def test_ask_endpoint_refuses_an_empty_question_with_a_message(client):
    with pytest.raises(Exception, match="'question' must be a non-empty string"):
        client.predict("   ", api_name="/ask")


def test_upload_makes_an_article_answerable_and_remove_takes_it_away(app, client, tmp_path: Path):
    before = client.predict(api_name="/documents")
    path = tmp_path / "tram_line.md"
    path.write_text(TRAM_ARTICLE, encoding="utf-8")

    report = client.predict([handle_file(str(path))], api_name="/ingest")
    assert report["added"] == 1 and report["failed"] == []
    after = client.predict(api_name="/documents")
    assert len(after) == len(before) + 1
    new_id = ({d["doc_id"] for d in after} - {d["doc_id"] for d in before}).pop()
    assert new_id == "tram_line.md"

    answer = client.predict(TRAM_QUESTION, api_name="/ask")
    cited = [c for c in answer["citations"] if c["doc_id"] == new_id]
    assert cited and "14 kilometres" in cited[0]["quote"]
    assert document_text(app, new_id)[cited[0]["start"] : cited[0]["end"]] == cited[0]["quote"]

    removed = client.predict(new_id, api_name="/remove")
    assert removed["removed"] is True
    assert {d["doc_id"] for d in client.predict(api_name="/documents")} == {d["doc_id"] for d in before}
    again = client.predict(TRAM_QUESTION, api_name="/ask")
    assert all(c["doc_id"] != new_id for c in again["citations"])
    assert all(p["doc_id"] != new_id for p in again["passages"])


def test_post_api_ask_returns_the_answer_json(app, client):
    response = httpx.post(app.url + "api/ask", json={"question": SEED_QUESTION, "k": 4}, timeout=60)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ANSWER_KEYS and body["citations"] and len(body["passages"]) <= 4
    assert body["answer"] == client.predict(SEED_QUESTION, k=4, api_name="/ask")["answer"]


def test_post_api_ask_uses_the_history_for_a_follow_up(app):
    first = httpx.post(app.url + "api/ask", json={"question": SEED_QUESTION}, timeout=60).json()
    follow = httpx.post(
        app.url + "api/ask",
        json={"question": "And what did he say about it?", "history": [[SEED_QUESTION, first["answer"]]]},
        timeout=60,
    ).json()
    assert follow["standalone_question"] != "And what did he say about it?"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"question": ""}, "non-empty"),
        ({"question": "Who?", "k": 500}, "'k'"),
        ({"question": "Who?", "backend": "skynet"}, "unknown backend"),
        ({"history": []}, "non-empty"),
    ],
)
def test_post_api_ask_answers_bad_input_with_400_and_a_reason(app, body, needle):
    response = httpx.post(app.url + "api/ask", json=body, timeout=30)
    assert response.status_code == 400
    assert needle in response.json()["error"]


def test_post_api_ask_rejects_a_body_that_is_not_json(app):
    response = httpx.post(app.url + "api/ask", content=b"question=hi", timeout=30)
    assert response.status_code == 415 and "Content-Type: application/json" in response.json()["error"]
    response = httpx.post(app.url + "api/ask", content=b"question=hi", headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400 and response.json() == {"error": "the body is not valid JSON"}


def test_gradio_serves_no_file_outside_its_own_cache(app):
    data = app.config.index.data_dir.resolve()
    secret_file = data / "ui-secret"
    assert secret_file.exists()
    targets = ["/etc/passwd", str(secret_file), str(data / "uploads" / ".." / "ui-secret"), str(Path(__file__).resolve())]
    targets += [str(p) for p in (data / "chroma").glob("*.sqlite3")]
    for target in targets:
        response = httpx.get(f"{app.url}gradio_api/file={target}", timeout=30)
        assert response.status_code in (403, 404), (target, response.status_code)


def test_pages_carry_a_policy_that_forbids_loading_from_other_origins(app):
    policy = httpx.get(app.url, timeout=30).headers["content-security-policy"]
    assert "img-src 'self' data: blob:" in policy and "connect-src 'self'" in policy
    assert "default-src 'self'" in policy


@pytest.fixture(scope="module")
def auth_app(tmp_path_factory, seeded_app):
    with seeded_app(tmp_path_factory.mktemp("auth"), auth=AUTH) as running:
        yield running


def test_with_auth_api_ask_requires_the_credentials(auth_app):
    url = auth_app.url + "api/ask"
    assert httpx.post(url, json={"question": SEED_QUESTION}, timeout=30).status_code == 401
    assert httpx.post(url, json={"question": SEED_QUESTION}, auth=("alice", "wrong"), timeout=30).status_code == 401
    ok = httpx.post(url, json={"question": SEED_QUESTION}, auth=("alice", "s3cret:pw"), timeout=60)
    assert ok.status_code == 200 and ok.json()["citations"]


def test_with_auth_the_app_and_its_endpoints_require_login(auth_app):
    page = httpx.get(auth_app.url, timeout=30)
    assert '"auth_required":true' in page.text.replace(" ", "") and "Ask your news articles" not in page.text
    for path in ("config", "gradio_api/info", "gradio_api/file=/etc/passwd"):
        assert httpx.get(auth_app.url + path, timeout=30).status_code == 401, path
    with pytest.raises(Exception):
        Client(auth_app.url, verbose=False).predict(SEED_QUESTION, api_name="/ask")
    answer = Client(auth_app.url, auth=("alice", "s3cret:pw"), verbose=False).predict(SEED_QUESTION, api_name="/ask")
    assert answer["citations"]
