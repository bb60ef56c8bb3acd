"""run_eval with a fake `ask`: files written, errors recorded, choices picked, report escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.runner import run_eval
from evals.scoring import LATENCY_METRICS, QUALITY_METRICS

ARTICLE = "White House spokesman Caroline Levit told reporters. <script>alert(1)</script>"


@pytest.fixture
def items(make_item):
    return [
        make_item("q1", "Who is the spokesman?", ["Caroline Levit", "Levit"], doc_ids=["doc-a"]),
        make_item("q2", "What did Zelenski's wife say?", [], answerable=False),
        make_item("q3", "Which army is largest?", ["Poland"], choices=["Germany", "Poland"]),
        make_item("q4", "Who leads the committee?", ["Mark Rubio"]),
    ]


@pytest.fixture
def ask(make_answer, make_passage, make_citation):
    passage = make_passage(1, ARTICLE)

    def fake(item):
        if item.id == "q4":
            raise ConnectionError("backend went away")
        if not item.answerable:
            return make_answer("The articles do not say.", refused=True, passages=[passage])
        if item.choices:
            return make_answer("Germany, I think.", passages=[passage])
        cite = make_citation(passage, "White House spokesman Caroline Levit told reporters.")
        text = "The spokesman is Caroline Levit [1]."
        return make_answer(text, passages=[passage], citations=[cite])

    return fake


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_run_writes_results_metrics_and_reports(tmp_path: Path, items, ask) -> None:
    metrics = run_eval(items, ask, tmp_path / "run", progress=False)
    run = tmp_path / "run"
    for name in ("results.jsonl", "metrics.json", "run.json", "report.md", "report.html"):
        assert (run / name).is_file(), name
    assert json.loads((run / "metrics.json").read_text()) == metrics
    assert set(QUALITY_METRICS) | set(LATENCY_METRICS) | {"n_questions"} <= metrics.keys()
    assert [line["id"] for line in read_lines(run / "results.jsonl")] == ["q1", "q2", "q3", "q4"]


def test_result_lines_are_the_answer_json_plus_id_gold_and_choice(
    tmp_path: Path, items, ask
) -> None:
    run_eval(items, ask, tmp_path, progress=False)
    q1, q2, q3, _ = read_lines(tmp_path / "results.jsonl")
    assert q1["answer"] == "The spokesman is Caroline Levit [1]."
    assert q1["passages"][0]["n"] == 1 and q1["citations"][0]["n"] == 1
    assert q1["gold"]["answers"] == ["Caroline Levit", "Levit"]
    assert "choice" not in q1
    assert q2["refused"] is True
    assert q3["choice"] == "Germany"


def test_a_failing_question_becomes_an_error_line(tmp_path: Path, items, ask) -> None:
    metrics = run_eval(items, ask, tmp_path, progress=False)
    q4 = read_lines(tmp_path / "results.jsonl")[3]
    assert q4["error"] == "ConnectionError: backend went away"
    assert q4["question"] == "Who leads the committee?"
    assert metrics["n_errors"] == 1
    assert metrics["n_questions"] == 4


def test_metrics_of_the_fake_run(tmp_path: Path, items, ask) -> None:
    metrics = run_eval(items, ask, tmp_path, progress=False)
    assert metrics["answer_contained"] == pytest.approx(1 / 3)  # q1 right, q3 wrong, q4 failed
    assert metrics["answered_with_verified_citation"] == pytest.approx(1 / 3)
    assert metrics["mc_accuracy"] == 0.0
    assert metrics["refusal_recall"] == 1.0 and metrics["refusal_precision"] == 1.0
    assert metrics["citation_precision"] == 1.0
    assert metrics["hit@1"] == 1.0 and metrics["n_retrieval"] == 1
    assert metrics["latency_p50_ms"] == 200.0


def test_ask_may_return_an_object_with_to_json(tmp_path: Path, make_item, make_answer) -> None:
    class Answer:
        def to_json(self) -> dict:
            return make_answer("Levit")

    items = [make_item(answers=["Levit"])]
    metrics = run_eval(items, lambda item: Answer(), tmp_path, progress=False)
    assert metrics["answer_em"] == 1.0 and metrics["n_errors"] == 0


def test_a_non_answer_return_value_is_an_error(tmp_path: Path, make_item) -> None:
    metrics = run_eval([make_item()], lambda item: "Levit", tmp_path, progress=False)
    assert metrics["n_errors"] == 1
    assert "not an Answer JSON" in read_lines(tmp_path / "results.jsonl")[0]["error"]


def test_reports_escape_article_text_and_embed_plots(tmp_path: Path, items, ask) -> None:
    run_eval(items, ask, tmp_path, progress=False, settings={"backend": "fake", "k": 6})
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<script>" not in markdown
    assert page.count("data:image/png;base64,") == 2
    assert (tmp_path / "metrics.png").stat().st_size > 0
    assert (tmp_path / "latency.png").stat().st_size > 0
    assert "backend: fake" in markdown


def test_the_worst_questions_section_lists_failures_with_passages(
    tmp_path: Path, items, ask
) -> None:
    run_eval(items, ask, tmp_path, progress=False)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    worst = markdown.split("## Worst questions", 1)[1]
    assert "q3: wrong" in worst and "q4: error" in worst
    assert "q1:" not in worst and "q2:" not in worst
    assert "Germany, I think." in worst and "Caroline Levit told reporters" in worst


def test_progress_bar_goes_to_stderr_only_when_asked(tmp_path: Path, items, ask, capsys) -> None:
    run_eval(items, ask, tmp_path / "a", progress=True)
    shown = capsys.readouterr()
    run_eval(items, ask, tmp_path / "b", progress=False)
    hidden = capsys.readouterr()
    assert "4/4" in shown.err and shown.out == ""
    assert "4/4" not in hidden.err


def test_a_given_pick_function_chooses_the_option(tmp_path: Path, items, ask) -> None:
    asked = []

    def pick_last(item, answer):
        asked.append((item.id, answer["answer"]))
        return item.choices[-1]

    run_eval(items, ask, tmp_path, progress=False, pick=pick_last)
    lines = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert asked == [("q3", "Germany, I think.")]
    assert next(r for r in lines if r["id"] == "q3")["choice"] == "Poland"


def test_a_failing_pick_is_that_questions_error_only(tmp_path: Path, items, ask) -> None:
    def broken(item, answer):
        raise RuntimeError("model crashed")

    metrics = run_eval(items, ask, tmp_path, progress=False, pick=broken)
    lines = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert "model crashed" in next(r for r in lines if r["id"] == "q3")["error"]
    assert metrics["n_errors"] == 2  # q3's pick and q4's ask
    assert len(lines) == len(items)


def test_resume_keeps_the_answers_of_an_interrupted_run_and_asks_only_the_rest(tmp_path: Path, items, ask) -> None:
    asked: list[str] = []

    def stops_at_q3(item):
        if item.id == "q3":
            raise KeyboardInterrupt
        asked.append(item.id)
        return ask(item)

    with pytest.raises(KeyboardInterrupt):
        run_eval(items, stops_at_q3, tmp_path, progress=False, settings={"backend": "fake"})
    assert [line["id"] for line in read_lines(tmp_path / "results.jsonl")] == ["q1", "q2"]
    assert json.loads((tmp_path / "run.json").read_text())["complete"] is False

    def counting(item):
        asked.append(item.id)
        return ask(item)

    metrics = run_eval(items, counting, tmp_path, progress=False, settings={"backend": "fake"}, resume=True)
    assert asked == ["q1", "q2", "q3", "q4"]  # q1 and q2 were not asked again
    assert [line["id"] for line in read_lines(tmp_path / "results.jsonl")] == ["q1", "q2", "q3", "q4"]
    fresh = run_eval(items, ask, tmp_path / "fresh", progress=False, settings={"backend": "fake"})
    assert {k: v for k, v in metrics.items() if "ms" not in k} == {k: v for k, v in fresh.items() if "ms" not in k}
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["complete"] is True and info["resumed"] == 2


def test_resume_asks_failed_questions_again_and_drops_a_line_cut_short(tmp_path: Path, items, ask) -> None:
    run_eval(items, ask, tmp_path, progress=False, settings={"backend": "fake"})  # q4 fails
    with (tmp_path / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "q9", "answer": "cut sh')
    asked: list[str] = []

    def recovered(item):
        asked.append(item.id)
        return ask(item) if item.id != "q4" else ask(items[0])

    metrics = run_eval(items, recovered, tmp_path, progress=False, settings={"backend": "fake"}, resume=True)
    assert asked == ["q4"]
    assert metrics["n_errors"] == 0
    assert len(read_lines(tmp_path / "results.jsonl")) == 4


def test_resume_refuses_a_run_made_with_other_settings(tmp_path: Path, items, ask) -> None:
    from rag.errors import ConfigError

    run_eval(items, ask, tmp_path, progress=False, settings={"backend": "fake", "k": 6})
    with pytest.raises(ConfigError, match=r"other settings \(k\)"):
        run_eval(items, ask, tmp_path, progress=False, settings={"backend": "fake", "k": 8}, resume=True)
    assert len(read_lines(tmp_path / "results.jsonl")) == 4  # nothing of the earlier run was lost


def test_resume_does_not_keep_an_answer_whose_gold_question_changed(tmp_path: Path, items, ask, make_item) -> None:
    run_eval(items, ask, tmp_path, progress=False)
    changed = [make_item("q1", "Who is the White House spokesman?", ["Caroline Levit"]), *items[1:]]
    asked: list[str] = []

    def counting(item):
        asked.append(item.id)
        return ask(item)

    run_eval(changed, counting, tmp_path, progress=False, resume=True)
    assert asked == ["q1", "q4"]
    assert read_lines(tmp_path / "results.jsonl")[0]["gold"]["question"] == "Who is the White House spokesman?"


def test_redo_asks_only_the_named_questions_again_and_keeps_the_rest_of_the_run(tmp_path: Path, items, ask, make_answer) -> None:
    first = run_eval(items, ask, tmp_path, progress=False, settings={"backend": "fake"})
    asked: list[str] = []

    def now_answers_q2(item):
        asked.append(item.id)
        return make_answer("Olena Zelenska said nothing.") if item.id == "q2" else ask(item)

    metrics = run_eval(items, now_answers_q2, tmp_path, progress=False, settings={"backend": "fake"}, redo=["q2"])
    assert asked == ["q2", "q4"]  # the named question, and the one that had failed
    lines = read_lines(tmp_path / "results.jsonl")
    assert [line["id"] for line in lines] == ["q1", "q2", "q3", "q4"]
    assert lines[1]["answer"] == "Olena Zelenska said nothing." and lines[1]["refused"] is False
    assert metrics["refusal_recall"] == 0.0 and first["refusal_recall"] == 1.0
    assert json.loads((tmp_path / "run.json").read_text())["resumed"] == 2


def test_redo_refuses_an_unknown_question_or_a_missing_run_and_loses_nothing(tmp_path: Path, items, ask) -> None:
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="no earlier run"):
        run_eval(items, ask, tmp_path / "none", progress=False, redo=["q1"])
    run_eval(items, ask, tmp_path, progress=False)
    before = (tmp_path / "results.jsonl").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="no question with id q7"):
        run_eval(items, ask, tmp_path, progress=False, redo=["q1", "q7"])
    assert (tmp_path / "results.jsonl").read_text(encoding="utf-8") == before


def test_the_report_counts_outcomes_by_the_kind_of_answer_each_question_asks_for(tmp_path: Path, items, ask) -> None:
    from evals.outcome import Outcome

    run_eval(items, ask, tmp_path, progress=False)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    section = markdown.split("## Outcomes by kind of question", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0]: dict(zip(["questions"] + [o.value for o in Outcome], map(int, cells[1:])))
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("| "))
        if cells[0] != "kind"
    }
    # q1 and q4 ask who (one answered right, one failed with an error); q3 asks which army (answered wrong)
    assert rows["person"]["questions"] == 2 and rows["person"]["correct"] == 1 and rows["person"]["error"] == 1
    assert list(rows)[0] == "person"  # most questions first
    assert sum(r["questions"] for r in rows.values()) == len(items)
    assert sum(r["wrong"] for r in rows.values()) == 1 and sum(r["declined-unanswerable"] for r in rows.values()) == 1
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Outcomes by kind of question</h2>" in page and "<td>person</td><td class=num>2</td>" in page
