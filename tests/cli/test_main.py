"""The command line: its help is pinned byte for byte, and errors become one sentence and an exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import build_parser, main

HELP = Path(__file__).resolve().parents[1] / "fixtures" / "help"
COMMANDS = (
    "ingest", "sources", "watch", "prune", "status", "list", "search", "remove", "ask", "chat", "serve", "mcp", "eval",
    "embed-serve", "model",
)


def _help(command: str | None) -> str:
    parser = build_parser()
    if command is None:
        return parser.format_help()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return sub.choices[command].format_help()


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_flag_and_its_help_stay_as_they_were(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert _help(command) == (HELP / f"{command or 'root'}.txt").read_text(encoding="utf-8")


def test_an_unknown_backend_in_the_environment_is_one_sentence_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_BACKEND", "gpt")
    assert main(["search", "anything", "--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rag: error: unknown backend 'gpt'; choose one of embedded, ollama, openai, extractive")
    assert "Traceback" not in err


def test_model_prepare_with_a_missing_model_file_says_so_and_exits_1(monkeypatch, tmp_path, capsys):
    from cli.commands import _prepare_generator_model
    from rag.config import Config

    assert _prepare_generator_model(Config(model_path=tmp_path / "none.gguf")) == 1
    assert "none.gguf (NOT found); nothing to prepare." in capsys.readouterr().err


def test_eval_redo_takes_ids_repeated_or_comma_separated_and_an_unknown_one_is_one_sentence(monkeypatch, tmp_path, capsys):
    import evals.runner

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "q1", "question": "Who?", "answers": ["A"]}\n', encoding="utf-8")
    seen = {}

    def recorded(items, ask, out_dir, **kwargs):
        seen.update(kwargs)
        raise evals.runner.ConfigError("the gold set has no question with id q3")

    monkeypatch.setattr(evals.runner, "run_eval", recorded)
    argv = ["eval", str(gold), "--out", str(tmp_path / "run"), "--backend", "extractive", "--data-dir", str(tmp_path / "data")]
    code = main([*argv, "--redo", "q1, q2", "--redo", "q3"])
    err = capsys.readouterr().err
    assert seen["redo"] == ["q1", "q2", "q3"]
    assert code == 2 and "the gold set has no question with id q3" in err and "Traceback" not in err


def test_an_interrupted_eval_says_how_far_it_got_and_how_to_go_on(monkeypatch, tmp_path, capsys):
    import evals.runner

    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"id": "q1", "question": "Who?", "answers": ["A"]}\n{"id": "q2", "question": "Where?", "answers": ["B"]}\n',
        encoding="utf-8",
    )
    out = tmp_path / "run"

    def stopped(items, ask, out_dir, **kwargs):
        (out_dir / "results.jsonl").parent.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.jsonl").write_text('{"id": "q1"}\n', encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(evals.runner, "run_eval", stopped)
    code = main(["eval", str(gold), "--out", str(out), "--backend", "extractive", "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == 130
    assert "interrupted after 1 of 2 questions; the same command with --resume goes on from there" in err
    assert "Traceback" not in err
