"""Loading gold sets: formats, defaults, dates and errors that name the line."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from evals.gold import GoldFormatError, GoldItem, load_gold, parse_date
from rag.errors import RagError

REALTIMEQA = Path(__file__).resolve().parents[3] / "shared/benchmarks/realtimeqa-dev/gold.jsonl.gz"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**fields) -> str:
    base = {"id": "q1", "question": "Who?", "answers": ["Levit"]}
    base.update(fields)
    return json.dumps(base, ensure_ascii=False)


def test_jsonl_and_gzipped_jsonl_load_the_same_items(tmp_path: Path) -> None:
    lines = [line(), line(id="q2", answers=[], answerable=False)]
    plain = write_lines(tmp_path / "g.jsonl", lines)
    packed = tmp_path / "g.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    assert load_gold(plain) == load_gold(packed)
    assert [i.id for i in load_gold(packed)] == ["q1", "q2"]


def test_optional_fields_default_and_unknown_fields_are_ignored(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "g.jsonl", [line(source="CNN", extra={"a": 1})])
    (item,) = load_gold(path)
    assert item == GoldItem(id="q1", question="Who?", answers=("Levit",))
    assert item.answerable is True and item.date is None and item.choices == ()


def test_blank_lines_are_skipped_but_line_numbers_still_count_them(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "g.jsonl", [line(), "", "   ", "{not json"])
    with pytest.raises(GoldFormatError) as caught:
        load_gold(path)
    assert caught.value.line == 4
    assert "g.jsonl, line 4" in str(caught.value)


@pytest.mark.parametrize(
    "raw", ["2022/06/16", "2022-06-16", "2022-06-16T09:30:00"], ids=["slashes", "iso", "iso-time"]
)
def test_date_accepts_slashes_and_iso(raw: str, tmp_path: Path) -> None:
    assert parse_date(raw) == dt.date(2022, 6, 16)
    (item,) = load_gold(write_lines(tmp_path / "g.jsonl", [line(date=raw)]))
    assert item.date == dt.date(2022, 6, 16)


def test_an_impossible_date_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "g.jsonl", [line(), line(id="q2", date="2022/13/40")])
    with pytest.raises(GoldFormatError, match=r"line 2: date '2022/13/40'"):
        load_gold(path)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "g.jsonl", [line(), line(id="q2"), line()])
    with pytest.raises(GoldFormatError, match=r"line 3: duplicate id 'q1' \(first on line 1\)"):
        load_gold(path)


def test_a_follow_up_carries_the_turns_it_depends_on(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "g.jsonl", [line(question="And when?", history=[["Who won?", "Albanese won."]])])
    (item,) = load_gold(path)
    assert item.history == (("Who won?", "Albanese won."),)
    assert item.to_json()["history"] == [["Who won?", "Albanese won."]]


@pytest.mark.parametrize("name", ["heldout.jsonl", "heldout-b.jsonl", "heldout-c.jsonl"])
def test_each_held_out_set_has_follow_ups_unanswerable_questions_and_no_evidence_quotes(name) -> None:
    items = load_gold(Path(__file__).resolve().parents[2] / "evals/gold" / name)
    assert len(items) >= 80
    assert sum(not i.answerable for i in items) >= 0.2 * len(items)
    assert any(i.history for i in items)
    assert len({d for i in items for d in i.doc_ids}) >= 8
    assert all(not i.evidence for i in items)  # the corpus's text stays in ../shared
    if REALTIMEQA.exists():  # articles no benchmark question names
        named = {d for i in load_gold(REALTIMEQA) for d in i.doc_ids}
        assert not named & {d for i in items for d in i.doc_ids}


GOLD_DIR = Path(__file__).resolve().parents[2] / "evals/gold"
OVER_REALTIMEQA = sorted(p.name for p in GOLD_DIR.glob("*.jsonl") if p.name.startswith(("tuning", "heldout")))


@pytest.mark.parametrize("name", OVER_REALTIMEQA)
def test_sets_over_realtimeqa_articles_keep_their_articles_apart_and_their_text_out(name) -> None:
    items = load_gold(GOLD_DIR / name)
    own = {d for i in items for d in i.doc_ids}
    assert own and all(not i.evidence for i in items)
    # A tuning set and a held-out set never share an article, nor do two sets.
    others = {d for other in OVER_REALTIMEQA if other != name for i in load_gold(GOLD_DIR / other) for d in i.doc_ids}
    assert not own & others
    if REALTIMEQA.exists():
        assert not own & {d for i in load_gold(REALTIMEQA) for d in i.doc_ids}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": 7}, "'id' must be a non-empty string"),
        ({"question": ""}, "'question' must be a non-empty string"),
        ({"answers": "Levit"}, "'answers' must be a list of strings"),
        ({"answers": []}, "needs at least one entry in 'answers'"),
        ({"answerable": False}, "must have empty 'answers'"),
        ({"answerable": "yes"}, "'answerable' must be true or false"),
        ({"choices": ["A", "B"]}, "none of 'answers' is one of 'choices'"),
        ({"history": [["only a question"]]}, "'history' must be a list of [question, answer] pairs"),
        ({"history": "Who won?"}, "'history' must be a list of [question, answer] pairs"),
    ],
)
def test_invalid_fields_are_reported_with_line_and_reason(
    tmp_path: Path, fields: dict, reason: str
) -> None:
    path = write_lines(tmp_path / "g.jsonl", [line(id="ok"), line(**fields)])
    with pytest.raises(GoldFormatError) as caught:
        load_gold(path)
    assert caught.value.line == 2
    assert reason in caught.value.reason


def test_a_line_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(GoldFormatError, match="line 1: expected a JSON object"):
        load_gold(write_lines(tmp_path / "g.jsonl", ['["q1", "Who?"]']))


def test_missing_and_empty_files_are_gold_format_errors(tmp_path: Path) -> None:
    with pytest.raises(GoldFormatError, match="file not found"):
        load_gold(tmp_path / "absent.jsonl")
    with pytest.raises(GoldFormatError, match="contains no questions"):
        load_gold(write_lines(tmp_path / "empty.jsonl", [""]))


def test_gold_format_error_is_both_a_value_error_and_a_project_error() -> None:
    error = GoldFormatError("g.jsonl", 3, "bad")
    assert isinstance(error, ValueError) and isinstance(error, RagError)
    assert str(error) == "g.jsonl, line 3: bad"


@pytest.mark.skipif(not REALTIMEQA.exists(), reason="shared RealTime QA benchmark not present")
def test_the_realtimeqa_benchmark_gold_file_loads_with_dates_and_choices() -> None:
    items = load_gold(REALTIMEQA)
    assert len(items) == 209
    assert all(i.date is not None and i.choices for i in items)
    assert sum(bool(i.doc_ids) for i in items) == 66
