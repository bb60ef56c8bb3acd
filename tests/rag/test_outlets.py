"""Passages and citations name their outlet, their update and the other outlets with the same text."""

from __future__ import annotations


import pytest

from index.fetch import FetchSettings
from index.library import Library
from index.settings import IndexSettings
from rag.citations import verify_sentence
from rag.retrieve import Retriever
from rag.types import Answer, Citation, Outlet
from tests.support.news_site import article_html, rss

WIRE = "\n\n".join(
    [
        "The port authority of Saltmere approved a 240 million euro plan on Tuesday to deepen the main shipping channel.",
        "Officials said dredging would start in March and last about two years, with night work limited near homes.",
        "Fishing crews warned that the silt could harm oyster beds, and asked for an independent study first.",
        "The authority said the channel must take larger container ships, which now wait offshore for high tide.",
    ]
)


def test_citation_lists_the_other_outlets_carrying_the_same_text(site, tmp_path):
    library = Library(IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64"))
    first = site.route("/g", article_html("Saltmere channel", WIRE, site="Harbor Gazette", modified="2022-07-04"))
    copy = site.route("/c", article_html("Saltmere channel plan", WIRE, site="Coast Courier"))
    library.ingest_urls([first, copy], allow_private=True, fetch=FetchSettings(delay_s=0, retries=0))
    passages = Retriever(library).retrieve("How much will deepening the Saltmere channel cost?", 4)
    assert {p.doc_id for p in passages} == {first}  # the copy is not a second passage
    top = passages[0]
    assert (top.outlet, top.updated, top.also_in) == ("Harbor Gazette", "2022-07-04", (Outlet("Coast Courier", copy),))
    verified = verify_sentence("The plan costs 240 million euros [1].", passages)
    (citation,) = verified.citations
    data = citation.to_json()
    assert data["outlet"] == "Harbor Gazette" and data["also_in"] == [{"outlet": "Coast Courier", "url": copy}]
    assert Citation.from_json(data) == citation


def test_old_answer_json_without_the_new_keys_still_reads():
    old = {"n": 1, "doc_id": "d", "chunk_id": "d::v::0", "title": "T", "url": "", "published": "", "quote": "q", "start": 0, "end": 1}
    citation = Citation.from_json(old)
    assert (citation.outlet, citation.updated, citation.also_in) == ("", "", ())
    answer = Answer.from_json({"question": "q", "answer": "a", "refused": False, "citations": [old], "passages": []})
    assert answer.citations == [citation]


@pytest.mark.slow
def test_fetched_feed_with_the_real_embedder_answers_from_the_first_copy(site, tmp_path, minilm):
    library = Library(IndexSettings(data_dir=tmp_path / "data"), embedder=minilm)
    first = site.route("/g", article_html("Saltmere channel", WIRE, site="Harbor Gazette"))
    copy = site.route("/c", article_html("Saltmere plan", "(Wire) " + WIRE, site="Coast Courier"))
    other = site.route("/o", article_html("Orchard harvest", "Apple growers in the Kessel valley picked 12,000 tonnes this year, a record. " * 5, site="Valley News"))
    feed = site.route("/feed", rss([(first, "x"), (copy, "x"), (other, "x")]), content_type="application/rss+xml")
    report = library.ingest_urls([feed], allow_private=True, fetch=FetchSettings(delay_s=0, retries=0))
    assert sorted(report.added) == sorted([first, other]) and report.aliased == [copy]
    passages = Retriever(library).retrieve("When does the dredging of the shipping channel start?", 3)
    assert passages[0].doc_id == first and passages[0].also_in == (Outlet("Coast Courier", copy),)
    assert copy not in {p.doc_id for p in passages}
