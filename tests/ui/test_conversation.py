"""The conversation kept in the browser: a faithful round trip, and tolerance of bad stored data."""

from __future__ import annotations

from rag.types import Answer, Citation, Passage
from ui.conversation import MAX_TURNS, Turn, dump_turns, history_pairs, load_turns


def _answer() -> Answer:
    p = Passage(n=1, doc_id="d", chunk_ids=("d::0",), title="T", text="Some text.", score=0.5, start=3, end=13, url="https://e.org", published="2024-01-02", relevance=0.7)
    c = Citation(n=1, doc_id="d", chunk_id="d::0", title="T", url="https://e.org", published="2024-01-02", quote="Some text.", start=3, end=13)
    return Answer("Q?", "Some text [1].", False, [c], [p], "extractive", {"retrieve": 1.5, "total": 9.0}, ["note"], "Q?")


def test_turns_survive_the_json_round_trip():
    turns = [Turn("Q?", answer=_answer()), Turn("half", partial="Some", stopped=True)]
    again = load_turns(dump_turns(turns))
    assert again[0].answer.to_json() == turns[0].answer.to_json()
    assert (again[1].partial, again[1].stopped, again[1].answer) == ("Some", True, None)


def test_unreadable_stored_turns_are_dropped_not_fatal():
    stored = [{"question": "ok"}, "junk", {"question": "x", "answer": {"citations": [{"no": "n"}]}}, None]
    assert [t.question for t in load_turns(stored)] == ["ok"]
    assert load_turns({"not": "a list"}) == [] and load_turns(None) == []


def test_only_the_latest_turns_are_kept():
    stored = [{"question": f"q{i}"} for i in range(MAX_TURNS + 5)]
    turns = load_turns(stored)
    assert len(turns) == MAX_TURNS and turns[0].question == "q5"


def test_history_holds_only_answered_turns():
    turns = [Turn("Q?", answer=_answer()), Turn("failed", error="boom")]
    assert history_pairs(turns) == [("Q?", "Some text [1].")]
