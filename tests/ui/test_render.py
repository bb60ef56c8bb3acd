"""HTML and Markdown built by `ui.render`: escaping, citation links, exact highlights, the export."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.types import Answer, Citation, Passage, TokenUsage
from ui.conversation import Turn
from ui.render import (
    TENTATIVE_NOTE,
    bold,
    conversation_html,
    conversation_markdown,
    documents_html,
    highlight,
    ingest_report_html,
    safe_url,
    source_card,
    short_answer_date,
    sources_html,
    text_html,
)

HOSTILE = '<script>window.__pwned=1</script> <img src=http://127.0.0.1:9/beacon.png onerror="alert(1)">'


def passage(n: int = 1, text: str = "The bridge cost 240 million euros. It opened on Tuesday.", start: int = 100, **kw) -> Passage:
    fields = dict(doc_id="harbor", chunk_ids=(f"harbor::{n}",), title="Harbor bridge", score=1.0, url="https://example.org/h", published="2024-05-02")
    fields.update(kw)
    return Passage(n=n, text=text, start=start, end=start + len(text), **fields)


def cite(p: Passage, quote: str, occurrence: int = 0) -> Citation:
    at = -1
    for _ in range(occurrence + 1):
        at = p.text.index(quote, at + 1)
    return Citation(
        n=p.n, doc_id=p.doc_id, chunk_id=p.chunk_id, title=p.title, url=p.url, published=p.published,
        quote=quote, start=p.start + at, end=p.start + at + len(quote),
    )


def answered(text: str, passages: list[Passage], citations: list[Citation], refused: bool = False) -> Turn:
    answer = Answer(
        question="How much did the bridge cost?", answer=text, refused=refused, citations=citations,
        passages=passages, backend="extractive", timings_ms={"retrieve": 12.0, "first_token": 40.0, "total": 1500.0},
    )
    return Turn(question=answer.question, answer=answer)


def test_model_text_with_script_and_img_tags_is_shown_as_text():
    html = text_html(HOSTILE)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=http://127.0.0.1:9/beacon.png onerror=&quot;alert(1)&quot;&gt;" in html


def test_markdown_images_and_links_in_model_text_are_not_rendered():
    html = text_html("See ![chart](http://127.0.0.1:9/chart.png) and [here](javascript:alert(1)).")
    assert "<img" not in html and "<a" not in html
    assert "![chart](http://127.0.0.1:9/chart.png)" in html


def test_safe_formatting_is_kept_after_escaping():
    html = text_html("**Bold** and `code`\n\n- one\n- two <b>")
    assert "<strong>Bold</strong>" in html and "<code>code</code>" in html
    assert "<ul><li>one</li><li>two &lt;b&gt;</li></ul>" in html


def test_only_http_and_https_urls_are_linkable():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("http://example.org") == "http://example.org"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>", "//evil.example", "/etc/passwd",
                "https://ex ample.org", 'https://e.org/"onmouseover="x', "vbscript:x", "file:///etc/passwd", ""):
        assert safe_url(bad) == "", bad


def test_source_link_opens_without_opener_and_javascript_urls_make_no_link():
    good = source_card(0, passage())
    assert re.search(r'<a class="source-link" href="https://example.org/h" target="_blank" rel="noopener noreferrer nofollow"', good)
    bad = source_card(0, passage(url="javascript:alert(1)"))
    assert "javascript:" not in bad and "<a " not in bad


def test_document_title_and_text_are_escaped_in_source_cards():
    card = source_card(0, passage(title=HOSTILE, text=HOSTILE, doc_id='x" onclick="y'))
    assert "<script" not in card and "<img" not in card
    assert 'onclick="y' not in card and "&quot; onclick=&quot;y" in card


def test_citation_markers_link_to_the_source_card_of_their_turn():
    p1, p2 = passage(1), passage(2, text="Mayor Lena Holm spoke.", doc_id="mayor")
    turn = answered("It cost 240 million euros [1].", [p1, p2], [cite(p1, "The bridge cost 240 million euros.")])
    chat = conversation_html([Turn("earlier question", stopped=True), turn])
    link = re.search(r'<a class="cite" href="#src-1-1" data-turn="1" data-n="1"[^>]*>1</a>', chat)
    assert link, chat
    panel = sources_html([Turn("earlier question", stopped=True), turn])
    assert 'id="src-1-1"' in panel and 'class="turn-sources current" data-turn="1"' in panel


def test_markers_without_a_verified_citation_are_not_links():
    p1 = passage(1)
    turn = answered("It cost 240 million euros [1][7].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    chat = conversation_html([turn])
    assert 'href="#src-0-7"' not in chat
    assert '<span class="cite cite-plain">7</span>' in chat


def test_highlight_marks_exactly_the_cited_offsets():
    text = "a < b. The bridge cost 240 million euros. & more"
    start = text.index("The bridge")
    end = text.index(" & more")
    assert highlight(text, [(start, end)]) == "a &lt; b. <mark>The bridge cost 240 million euros.</mark> &amp; more"


def test_highlight_merges_overlapping_spans():
    assert highlight("abcdefgh", [(1, 4), (3, 6), (7, 8)]) == "a<mark>bcdef</mark>g<mark>h</mark>"


def test_highlight_follows_the_citation_offsets_not_the_first_occurrence():
    p = passage(text="Prices fell. Growers met. Prices fell.", start=50)
    card = source_card(0, p, [cite(p, "Prices fell.", occurrence=1)], cited=True)
    assert "Prices fell. Growers met. <mark>Prices fell.</mark>" in card


def test_quote_outside_the_shown_passage_is_still_shown_marked():
    p = passage()
    stray = Citation(n=1, doc_id="harbor", chunk_id="x", title="t", url="", published="", quote="Not in the passage <b>", start=0, end=21)
    card = source_card(0, p, [stray], cited=True)
    assert '<blockquote class="quote"><mark>Not in the passage &lt;b&gt;</mark></blockquote>' in card


def test_long_passage_is_cut_around_the_quote():
    text = "filler words here. " * 60 + "The key sentence is this one." + " more filler text." * 60
    p = passage(text=text, start=0)
    card = source_card(0, p, [cite(p, "The key sentence is this one.")], cited=True)
    assert "<mark>The key sentence is this one.</mark>" in card
    assert card.count("filler") < 40 and "… " in card and " …" in card


def test_refusal_shows_the_refusal_and_the_closest_passages():
    p1 = passage(1)
    turn = answered("The articles do not answer this question.", [p1], [], refused=True)
    chat, panel = conversation_html([turn]), sources_html([turn])
    assert "msg assistant refused" in chat and "do not answer this question" in chat
    assert "Closest passages found" in panel and 'id="src-0-1"' in panel


def test_a_tentative_answer_shows_the_caution_in_the_chat_and_the_export_and_a_plain_one_does_not():
    p1 = passage(1)
    turn = answered("240 million euros [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    assert "tentative-label" not in conversation_html([turn]) and TENTATIVE_NOTE not in conversation_markdown([turn])
    turn.answer.tentative = True
    chat = conversation_html([turn])
    assert f'<p class="tentative-label">{TENTATIVE_NOTE}</p>' in chat and "msg assistant answered" in chat
    assert f"_{TENTATIVE_NOTE}_" in conversation_markdown([turn])
    turn.answer.refused = True  # a refusal is never cautioned, whatever its flag says
    assert "tentative-label" not in conversation_html([turn]) and TENTATIVE_NOTE not in conversation_markdown([turn])


def test_a_follow_up_shows_the_question_it_was_read_as_in_the_chat_and_the_export():
    p1 = passage(1)
    turn = answered("240 million euros [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    turn.answer.standalone_question = "How much did the bridge cost?"  # the same question: nothing to show
    assert "read-as" not in conversation_html([turn]) and "Read as" not in conversation_markdown([turn])
    turn.answer.question = "And what did <it> cost?"
    turn.answer.standalone_question = "How much did the <Norrvik> harbor bridge cost?"
    chat = conversation_html([turn])
    assert '<p class="read-as">Read as: “How much did the &lt;Norrvik&gt; harbor bridge cost?”</p>' in chat
    assert "_Read as: How much did the <Norrvik> harbor bridge cost?_" in conversation_markdown([turn])


def test_answer_shows_its_timings():
    p1 = passage(1)
    chat = conversation_html([answered("It cost a lot [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])])
    assert "retrieval 12 ms · first token 40 ms · total 1.5 s" in chat
    assert "model call" not in chat  # the extractive back end asks none


def test_answer_shows_the_models_work_when_a_model_was_asked():
    p1 = passage(1)
    turn = answered("It cost a lot [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    turn.answer.usage = TokenUsage(prompt_tokens=1180, completion_tokens=24, model_calls=3)
    assert "total 1.5 s · extractive · 3 model calls, 1,204 tokens" in conversation_html([turn])


def test_streaming_turn_shows_partial_text_escaped():
    turn = Turn("q", partial="Partial <script>x</script>", passages=[passage(1)])
    chat = conversation_html([turn], streaming=True)
    assert "msg assistant streaming" in chat and "Partial &lt;script&gt;" in chat


def test_markdown_export_holds_questions_answers_and_quoted_sources():
    p1 = passage(1)
    turn = answered("It cost 240 million euros [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    md = conversation_markdown([turn], now=datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc))
    assert "## 1. How much did the bridge cost?" in md
    assert "It cost 240 million euros [1]." in md
    assert "1. **Harbor bridge** (2024-05-02) — <https://example.org/h>" in md
    assert "   > The bridge cost 240 million euros." in md
    assert "Exported from newsrag on 2025-01-02 03:04 UTC." in md


def test_markdown_export_leaves_out_unsafe_urls():
    p1 = passage(1, url="javascript:alert(1)")
    md = conversation_markdown([answered("It cost [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])])
    assert "javascript:" not in md


def test_documents_table_escapes_titles_and_links_only_http_urls():
    from index.store import DocumentRecord

    records = [
        DocumentRecord("d1", HOSTILE, "javascript:alert(1)", "2024-01-01", (), "", "h", "v", 3),
        DocumentRecord("d2", "Plain", "https://example.org/p", "", (), "", "h", "v", 2),
    ]
    html = documents_html(records)
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert 'href="https://example.org/p"' in html and "2 documents, 5 chunks" in html


def test_ingest_report_names_each_failed_file_and_reason():
    html = ingest_report_html({"added": 1, "updated": 0, "unchanged": 0, "failed": [{"path": "bad<1>.pdf", "reason": "corrupt PDF"}]})
    assert "Added 1" in html and "<b>bad&lt;1&gt;.pdf</b>: corrupt PDF" in html


BOLD_RULE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="*a \n\t", max_size=24))
def test_bold_follows_the_regex_rule(text):
    assert bold(text) == BOLD_RULE.sub(r"<strong>\1</strong>", text)


@pytest.mark.parametrize("unit", ["**a ", "*a ", "`a ", "[1, ", "** a", "a**", "&lt;**"])
def test_100_kb_of_markup_renders_in_linear_time(unit):
    text = unit * (100_000 // len(unit))
    started = time.monotonic()
    html = text_html(text)
    assert time.monotonic() - started < 0.5
    assert "<script" not in html and len(html) >= len(text) // 2


def test_the_short_answer_is_shown_first_and_bold_with_its_citation_link():
    p1 = passage(1)
    turn = answered("240 million euros [1]. The bridge cost 240 million euros [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    turn.answer.short_answer = "240 million euros"
    chat = conversation_html([turn])
    lead = chat.index('<p class="short-answer"><strong>240 million euros</strong>')
    assert lead < chat.index("The bridge cost 240 million euros")
    assert chat[lead:].split("</p>", 1)[0].count('href="#src-0-1"') == 1  # the lead's marker links to its source
    md = conversation_markdown([turn])
    assert "**240 million euros** [1]." in md and "The bridge cost 240 million euros [1]." in md


def test_a_short_answer_made_of_markup_is_shown_as_text():
    p1 = passage(1)
    turn = answered(f"{HOSTILE} [1]. The bridge cost 240 million euros [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    turn.answer.short_answer = HOSTILE
    chat = conversation_html([turn])
    assert "<script>" not in chat and "<img" not in chat and "&lt;script&gt;" in chat


def test_the_short_answer_says_as_of_when_from_the_newest_source_its_line_cites():
    old = passage(1, published="2018-08-20")  # newer, but the short answer's line does not cite it
    new = passage(2, text="The death toll rose to 259. Rescuers reached the north.", doc_id="lombok-2", published="2018-08-09", updated="2018-08-10")
    cited = dataclasses.replace(cite(new, "The death toll rose to 259."), updated=new.updated)
    turn = answered("259 [2]. The death toll rose to 259 [2].", [old, new], [cite(old, "The bridge cost 240 million euros."), cited])
    turn.answer.short_answer = "259"
    assert short_answer_date(turn.answer) == "2018-08-10"  # the cited article's update, not its publication
    chat = conversation_html([turn])
    assert chat[chat.index('<p class="short-answer">') :].split("</p>", 1)[0].endswith('<span class="as-of">as of 2018-08-10</span>')
    assert "**259** [2]. (as of 2018-08-10)" in conversation_markdown([turn])


def test_an_undated_short_answer_shows_no_date():
    p1 = passage(1, published="")
    turn = answered("240 million euros [1]. The bridge cost 240 million euros [1].", [p1], [cite(p1, "The bridge cost 240 million euros.")])
    turn.answer.short_answer = "240 million euros"
    assert short_answer_date(turn.answer) == ""
    assert "as-of" not in conversation_html([turn])
