"""`ui.app.serve`: seeds an empty index, prints the URL, warns when exposed without auth."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from index.library import Library
from index.settings import IndexSettings
from rag.config import Config
from rag.errors import ConfigError
from ui import app as ui_app


@pytest.fixture()
def served(monkeypatch):
    """Replace uvicorn.run so that `serve` returns; records how it would have served."""
    calls = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: calls.append((app, host, port)))
    return calls


@pytest.fixture()
def seed_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for i in range(2):
        (folder / f"a{i}.json").write_text(json.dumps({"id": f"a{i}", "title": f"Article {i}", "text": f"Text number {i} about harbors."}))
    return folder


def config_for(tmp_path: Path, **values) -> Config:
    return Config(index=IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64"), backend="extractive", port=7999, **values)


def test_serve_seeds_an_empty_index_and_prints_the_local_url(tmp_path, seed_dir, served, capsys):
    ui_app.serve(config_for(tmp_path), seed_dir=seed_dir)
    out, err = capsys.readouterr()
    assert "http://127.0.0.1:7999/" in out
    assert "indexed 2 document(s)" in err and "warning" not in err
    assert [(host, port) for _, host, port in served] == [("127.0.0.1", 7999)]
    assert len(Library(IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64")).documents()) == 2


def test_serve_does_not_seed_an_index_that_has_documents(tmp_path, seed_dir, served, capsys):
    ui_app.serve(config_for(tmp_path), seed_dir=seed_dir)
    capsys.readouterr()
    (seed_dir / "a2.json").write_text(json.dumps({"id": "a2", "title": "New", "text": "More text."}))
    ui_app.serve(config_for(tmp_path), seed_dir=seed_dir)
    assert "indexing" not in capsys.readouterr().err
    assert len(Library(IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64")).documents()) == 2


def test_binding_beyond_this_machine_without_auth_prints_a_warning(tmp_path, served, capsys):
    ui_app.serve(config_for(tmp_path, host="0.0.0.0"))
    assert "warning: serving on 0.0.0.0 without --auth" in capsys.readouterr().err
    ui_app.serve(config_for(tmp_path, host="0.0.0.0", auth="alice:pw"))
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize(("host", "local"), [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_only_loopback_addresses_count_as_local(host, local):
    assert ui_app.is_loopback(host) is local


@pytest.mark.parametrize("auth", ["nopassword", ":pw", "alice:"])
def test_malformed_auth_is_a_config_error(tmp_path, served, auth):
    with pytest.raises(ConfigError, match="USER:PASSWORD"):
        ui_app.serve(config_for(tmp_path, auth=auth))
    assert served == []


def test_share_without_auth_is_refused_before_anything_starts(tmp_path, served):
    with pytest.raises(ConfigError, match=r"^--share publishes your library .* add --auth USER:PASSWORD \(or set RAG_AUTH\)"):
        ui_app.serve(config_for(tmp_path), share=True)
    assert served == [] and not (tmp_path / "data").exists()


def test_rag_share_without_auth_exits_with_one_sentence(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DATA_DIR=str(tmp_path / "data"), GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH=str(Path(ui_app.__file__).parents[1]))
    done = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--share", "--port", "7999"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("rag: error: --share publishes your library")
    assert "Traceback" not in done.stderr


def test_auth_from_the_environment_allows_share(tmp_path, monkeypatch):
    from rag.config import load_config

    config = load_config({}, environ={"RAG_AUTH": "alice:pw"}, config_file=None)
    assert config.auth == "alice:pw"
    ui_app.check_exposure(config, share=True)  # no error


def test_serve_keeps_uploads_in_a_folder_only_this_user_can_open(tmp_path, served, monkeypatch):
    import os
    import stat

    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    ui_app.serve(config_for(tmp_path))
    [(app, _, _)] = served
    folder = Path(os.environ["GRADIO_TEMP_DIR"])
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert folder != Path(tempfile.gettempdir()) / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "mine"))
    assert ui_app.use_private_upload_cache(os.environ) is None  # the user's own choice stands


def test_ctrl_c_stops_the_server_within_seconds_while_a_browser_tab_holds_a_stream_open(tmp_path, free_port):
    """An open tab keeps Gradio's heartbeat stream open; Ctrl+C still ends `rag serve` quickly and quietly."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    import httpx

    from tests.support.servers import wait_until_up

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_DATA_DIR=str(tmp_path / "data"), RAG_EMBED_MODEL="hash-64", RAG_BACKEND="extractive",
        GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH=str(Path(ui_app.__file__).parents[1]),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    opened = threading.Event()

    def browser_tab() -> None:
        try:
            with httpx.stream("GET", f"{url}/gradio_api/heartbeat/tab-1", timeout=120) as response:
                opened.set()
                for _ in response.iter_bytes():
                    pass
        except httpx.HTTPError:
            pass

    try:
        wait_until_up(f"{url}/config", server, timeout_s=120)
        threading.Thread(target=browser_tab, daemon=True).start()
        assert opened.wait(30)
        server.send_signal(signal.SIGINT)
        started = time.monotonic()
        assert server.wait(timeout=30) == 0
        assert time.monotonic() - started < ui_app.STOP_GRACE_S + 10
        output = server.stdout.read()
        assert "Traceback" not in output and "ERROR" not in output, output
    finally:
        server.kill()
        server.wait(timeout=30)
