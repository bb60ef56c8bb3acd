"""The server's perimeter, probed as another web page or another local client would probe it.

A real server on loopback (the app built by `ui.app.build_app`, hash-embedded index, extractive
back end): DNS rebinding (a foreign `Host`), cross-site requests (a foreign `Origin`,
`Sec-Fetch-Site: cross-site`, `text/plain` and form bodies), CORS grants, uploads without the
page's token, oversized bodies, URL fetching, and one client flooding the queue while another
is still served.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time

import httpx
import pytest

from tests.support.servers import free_port
from ui.security import BUSY_MESSAGE, QUEUE_FULL_MESSAGE, UPLOAD_COOKIE, UPLOAD_HEADER

pytestmark = [
    pytest.mark.integration,
    # Gradio's queue statistics use pandas options that pandas 3 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

QUESTION = {"question": "How much did the harbor bridge cost?"}
FOREIGN_HOST = "rebind.attacker.example"
TITLES = ("harbor bridge", "Apple harvest")


@pytest.fixture(scope="module")
def app(small_app):
    return small_app


def _origin(app) -> str:
    return app.url.rstrip("/")


def _no_library_data(response: httpx.Response) -> None:
    assert all(title not in response.text for title in TITLES), response.text[:300]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "config", None),
        ("GET", "gradio_api/info", None),
        ("GET", "", None),
        ("POST", "api/ask", QUESTION),
        ("POST", "gradio_api/call/documents", {"data": []}),
    ],
)
def test_a_foreign_host_header_is_refused_with_no_data(app, method, path, body):
    response = httpx.request(method, app.url + path, json=body, headers={"Host": FOREIGN_HOST}, timeout=30)
    assert response.status_code == 400
    assert "unknown host" in response.json()["error"]
    _no_library_data(response)


def test_loopback_names_are_served(app):
    port = app.config.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert httpx.get(app.url + "config", headers={"Host": host}, timeout=30).status_code == 200, host


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://attacker.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:1"},  # another local app is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_state_changing_requests_from_another_site_are_refused(app, headers):
    for path, body in (("api/ask", QUESTION), ("gradio_api/call/ask", {"data": [QUESTION["question"]]})):
        response = httpx.post(app.url + path, json=body, headers=headers, timeout=30)
        assert response.status_code == 403, (path, headers, response.text)
        assert response.json() == {"error": "requests from another site are refused"}


def test_the_apps_own_origin_may_ask(app):
    response = httpx.post(
        app.url + "api/ask", json=QUESTION, headers={"Origin": _origin(app), "Sec-Fetch-Site": "same-origin"}, timeout=30
    )
    assert response.status_code == 200 and response.json()["citations"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_json_routes_refuse_bodies_a_form_or_simple_fetch_could_send(app, content_type):
    for path in ("api/ask", "gradio_api/queue/join", "gradio_api/call/ask"):
        response = httpx.post(app.url + path, content=json.dumps(QUESTION), headers={"Content-Type": content_type}, timeout=30)
        assert response.status_code == 415, (path, response.text)
        assert "Content-Type: application/json" in response.json()["error"]


def test_no_cors_grant_to_another_origin(app):
    evil = {"Origin": "https://attacker.example"}
    simple = httpx.get(app.url + "config", headers=evil, timeout=30)
    assert "access-control-allow-origin" not in simple.headers
    assert "access-control-allow-credentials" not in simple.headers
    preflight = httpx.options(
        app.url + "api/ask", headers={**evil, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, timeout=30
    )
    assert "access-control-allow-origin" not in preflight.headers


def _multipart() -> dict:
    return {"files": ("note.txt", b"The harbor bridge is closed on Sundays.", "text/plain")}


def test_a_cross_site_upload_is_refused(app):
    response = httpx.post(app.url + "gradio_api/upload", files=_multipart(), headers={"Origin": "https://attacker.example"}, timeout=30)
    assert response.status_code == 403


def test_a_browser_upload_needs_the_pages_token(app):
    page = httpx.get(app.url, timeout=30)
    token = page.cookies.get(UPLOAD_COOKIE)
    assert token and "SameSite=Strict" in page.headers["set-cookie"]
    same_origin = {"Origin": _origin(app), "Sec-Fetch-Site": "same-origin"}
    without = httpx.post(app.url + "gradio_api/upload", files=_multipart(), headers=same_origin, timeout=30)
    assert without.status_code == 403 and "upload token" in without.json()["error"]
    wrong = httpx.post(
        app.url + "gradio_api/upload", files=_multipart(), headers={**same_origin, UPLOAD_HEADER: "guess"},
        cookies={UPLOAD_COOKIE: token}, timeout=30,
    )
    assert wrong.status_code == 403
    right = httpx.post(
        app.url + "gradio_api/upload", files=_multipart(), headers={**same_origin, UPLOAD_HEADER: token},
        cookies={UPLOAD_COOKIE: token}, timeout=30,
    )
    assert right.status_code == 200 and right.json()[0].endswith("note.txt")


def test_a_body_over_the_limit_is_refused_before_it_is_read(app):
    # Declares 900 MB and sends none of it: the answer comes without waiting for the body.
    with socket.create_connection(("127.0.0.1", app.config.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 900000000\r\n\r\n{"
        )
        reply = sock.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 413") and "MB limit" in reply

    def chunks():
        for _ in range(20):
            yield b" " * 1_000_000

    started = time.monotonic()
    streamed = httpx.post(app.url + "api/ask", content=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    assert streamed.status_code in (400, 413) and time.monotonic() - started < 10


@pytest.mark.parametrize(
    "path", ["gradio_api/file=https://example.org/x.png", "gradio_api/file=HTTP://example.org/x", "gradio_api/proxy=https://example.org/x"]
)
def test_the_server_fetches_no_url_for_a_client(app, path):
    response = httpx.get(app.url + path, timeout=30)
    assert response.status_code == 403 and response.json() == {"error": "this server does not fetch URLs"}


def test_file_routes_get_the_sandbox_policy(app):
    for path in ("gradio_api/file=/etc/passwd", "gradio_api/file/etc/passwd"):
        assert httpx.get(app.url + path, timeout=30).headers["content-security-policy"].startswith("sandbox"), path


async def _flood(url: str, flood: int) -> list[httpx.Response]:
    body = {"data": [QUESTION["question"], None, None, None]}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=flood)) as noisy:
        return await asyncio.gather(*(noisy.post(url + "gradio_api/call/ask", json=body) for _ in range(flood)))


def test_a_full_queue_answers_with_a_sentence_to_try_again(app, serve_app):
    unlimited = dataclasses.replace(app.config, port=free_port(), client_per_s=0.0)
    with serve_app(app.pipeline, unlimited) as running:
        replies = asyncio.run(_flood(running.url, 200))
    full = [r for r in replies if r.status_code == 503]
    assert full, [r.status_code for r in replies][:10]
    assert full[0].json()["error"] == QUEUE_FULL_MESSAGE and full[0].headers["retry-after"] == "60"


async def _flood_and_ask(url: str, flood: int) -> tuple[list[int], httpx.Response, float]:
    """`flood` questions at once from 127.0.0.1 into Gradio's queue, then one from 127.0.0.2."""
    body = {"data": [QUESTION["question"], None, None, None]}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=flood)) as noisy:
        statuses = [r.status_code for r in await asyncio.gather(*(noisy.post(url + "gradio_api/call/ask", json=body) for _ in range(flood)))]
    other = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=other, timeout=60) as polite:
        started = time.monotonic()
        joined = await polite.post(url + "gradio_api/call/ask", json=body)
        assert joined.status_code == 200, joined.text
        result = await polite.get(url + f"gradio_api/call/ask/{joined.json()['event_id']}")
        return statuses, result, time.monotonic() - started


def test_one_client_flooding_the_queue_does_not_lock_out_another(app):
    statuses, result, seconds = asyncio.run(_flood_and_ask(app.url, 200))
    accepted, refused = statuses.count(200), statuses.count(429)
    assert accepted + refused == 200
    assert accepted <= app.config.client_burst + 2 and refused >= 200 - app.config.client_burst - 2
    assert "event: complete" in result.text and "citations" in result.text
    assert seconds < 20


def test_a_refused_flood_gets_a_sentence_saying_to_wait(app):
    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(*(client.post(app.url + "api/ask", json={"question": ""}) for _ in range(2 * app.config.client_burst)))

    limited = [r for r in asyncio.run(burst()) if r.status_code == 429]
    assert len(limited) >= app.config.client_burst // 2
    assert limited[0].json()["error"] == BUSY_MESSAGE and limited[0].headers["retry-after"] == "5"


def test_route_listings_are_not_served(app):
    for path in ("openapi.json", "docs", "redoc"):
        assert httpx.get(app.url + path, timeout=30).status_code == 404, path


def test_with_a_login_gradios_open_streams_need_it_too(app, serve_app):
    guarded = dataclasses.replace(app.config, port=free_port(), auth="alice:pw")
    with serve_app(app.pipeline, guarded) as running:
        assert httpx.get(running.url + "gradio_api/heartbeat/abc", timeout=30).status_code == 401
        assert httpx.get(running.url + "openapi.json", timeout=30).status_code == 404
        assert httpx.post(running.url + "api/ask", json=QUESTION, timeout=30).status_code == 401
        ok = httpx.post(running.url + "api/ask", json=QUESTION, auth=("alice", "pw"), timeout=30)
        assert ok.status_code == 200
