"""`rag embed-serve`'s app: the OpenAI embeddings shape, and bad requests as 4xx JSON errors.

Served here over a hash embedder in-process; tests/index/test_remote_embedding.py runs the real
command with MiniLM.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.embedding import HashEmbedder
from index.embed_server import MAX_INPUTS, build_app

MODEL = "hash-64"


@pytest.fixture()
def client() -> TestClient:
    return TestClient(build_app(HashEmbedder(64)))


def test_embeddings_answer_in_the_openai_shape_in_input_order(client) -> None:
    texts = ["harbor authority", "apple growers", "railway company"]
    response = client.post("/v1/embeddings", json={"model": MODEL, "input": texts})
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list" and body["model"] == MODEL
    assert [item["index"] for item in body["data"]] == [0, 1, 2]
    vectors = np.array([item["embedding"] for item in body["data"]], dtype=np.float32)
    np.testing.assert_array_equal(vectors, HashEmbedder(64).encode_documents(texts))
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] == 3 * (2 + 2)


def test_a_single_string_and_base64_encoding_give_the_same_vector(client) -> None:
    as_float = client.post("/v1/embeddings", json={"model": MODEL, "input": "harbor"}).json()["data"][0]["embedding"]
    packed = client.post("/v1/embeddings", json={"model": MODEL, "input": "harbor", "encoding_format": "base64"})
    decoded = np.frombuffer(base64.b64decode(packed.json()["data"][0]["embedding"]), dtype="<f4")
    np.testing.assert_array_equal(decoded, np.array(as_float, dtype=np.float32))


def test_models_lists_the_one_model_served(client) -> None:
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == [MODEL]


@pytest.mark.parametrize(
    "body, status, says",
    [
        (b"{not json", 400, "the body is not valid JSON"),
        ({"model": MODEL}, 400, "input: Field required"),
        ({"model": MODEL, "input": [[101, 2054]]}, 400, "input: "),
        ({"model": MODEL, "input": []}, 400, "input is empty"),
        ({"model": MODEL, "input": ["x"] * (MAX_INPUTS + 1)}, 400, f"at most {MAX_INPUTS} inputs"),
        ({"model": MODEL, "input": "x", "dimensions": 32}, 400, "makes 64-dimensional vectors, not 32"),
        ({"model": MODEL, "input": "x", "encoding_format": "int8"}, 400, "encoding_format: "),
        ({"model": "gpt-embed", "input": "x"}, 404, "the model 'gpt-embed' is not served here; use 'hash-64'"),
    ],
)
def test_bad_requests_get_a_json_error_not_a_traceback(client, body, status, says) -> None:
    if isinstance(body, bytes):
        response = client.post("/v1/embeddings", content=body, headers={"content-type": "application/json"})
    else:
        response = client.post("/v1/embeddings", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert says in error["message"]
    assert error["type"] == "invalid_request_error"
    assert "Traceback" not in response.text


def test_with_an_api_key_requests_without_the_bearer_token_are_refused() -> None:
    client = TestClient(build_app(HashEmbedder(64), api_key="k3y"))
    body = {"model": MODEL, "input": "x"}
    assert client.post("/v1/embeddings", json=body).status_code == 401
    assert client.post("/v1/embeddings", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/v1/embeddings", json=body, headers={"Authorization": "Bearer k3y"}).status_code == 200


def test_an_unknown_route_is_a_json_404(client) -> None:
    response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Not Found"
