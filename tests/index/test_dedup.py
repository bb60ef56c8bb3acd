"""Near-duplicate articles become aliases of the first copy: indexed once, cited with every outlet."""

from __future__ import annotations


import pytest

from index.dedup import NearDuplicates
from index.fetch import FetchSettings
from index.library import Library
from index.settings import IndexSettings
from tests.support.news_site import NewsSite, article_html

FAST = FetchSettings(timeout_s=2.0, delay_s=0.0, retries=0, max_items=50)

WIRE = "\n\n".join(
    [
        "The port authority of Saltmere approved a 240 million euro plan on Tuesday to deepen the main shipping channel.",
        "Officials said dredging would start in March and last about two years, with night work limited near homes.",
        "Fishing crews warned that the silt could harm oyster beds, and asked for an independent study before work starts.",
        "The authority said the channel must take larger container ships, which now wait offshore for high tide.",
        "A council member called the timetable ambitious, while shipping firms welcomed the decision.",
    ]
)


@pytest.fixture()
def library(hash_settings: IndexSettings) -> Library:
    return Library(hash_settings)


def outlet_page(site: NewsSite, path: str, outlet: str, text: str = WIRE, title: str = "Saltmere to deepen channel") -> str:
    return site.route(path, article_html(f"{title} | {outlet}", text, site=outlet))


def test_wire_copy_becomes_an_alias_of_the_first_copy(site, library, assert_consistent):
    first = outlet_page(site, "/gazette/channel", "Harbor Gazette")
    copy = outlet_page(site, "/courier/channel", "Coast Courier", "(Wire) " + WIRE + "\n\nCopyright Wire Service.")
    report = library.ingest_urls([first, copy], allow_private=True, fetch=FAST)
    assert report.added == [first] and report.aliased == [copy] and report.ok
    assert library.status()["documents"] == 1 and library.status()["aliases"] == 1
    (alias,) = library.aliases()
    assert (alias.doc_id, alias.alias_of, alias.site) == (copy, first, "Coast Courier")
    assert {c.split("::")[0] for c in library.store.chunk_ids()} == {first}  # the copy is not indexed twice
    assert library.provenance([first])[first].also_in == (("Coast Courier", copy),)
    assert_consistent(library)


def test_alias_reingested_is_unchanged(site, library):
    first = outlet_page(site, "/a", "A")
    copy = outlet_page(site, "/b", "B")
    library.ingest_urls([first, copy], allow_private=True, fetch=FAST)
    again = library.ingest_urls([first, copy], allow_private=True, fetch=FAST)
    assert sorted(again.unchanged) == sorted([first, copy]) and again.aliased == [] and again.added == []


def test_different_stories_are_not_aliases(library, write_articles, tmp_path):
    write_articles(tmp_path / "in", range(12))
    report = library.ingest([tmp_path / "in"])
    assert len(report.added) == 12 and report.aliased == [] and library.aliases() == []


def test_updated_article_replaces_its_older_version_and_is_not_its_own_alias(site, library):
    url = outlet_page(site, "/live", "Gazette")
    library.ingest_urls([url], allow_private=True, fetch=FAST)
    outlet_page(site, "/live", "Gazette", WIRE + "\n\nUpdate: the study will be published in May.")
    report = library.ingest_urls([url], allow_private=True, fetch=FAST)
    assert report.updated == [url] and report.aliased == []
    assert "published in May" in library.document(url).text


def test_removing_the_first_copy_drops_its_aliases(site, library):
    first = outlet_page(site, "/one", "One")
    copy = outlet_page(site, "/two", "Two")
    library.ingest_urls([first, copy], allow_private=True, fetch=FAST)
    assert library.remove(first)
    assert library.aliases() == [] and library.documents() == []
    again = library.ingest_urls([copy], allow_private=True, fetch=FAST)
    assert again.added == [copy]  # no longer a copy of anything indexed


def test_signatures_are_rebuilt_for_an_index_that_had_none(site, hash_settings):
    first = outlet_page(site, "/old", "Old")
    Library(hash_settings).ingest_urls([first], allow_private=True, fetch=FAST)
    for path in (hash_settings.data_dir / "dedup").iterdir():
        path.unlink()  # as an index built before near-duplicates were tracked
    copy = outlet_page(site, "/new", "New")
    report = Library(hash_settings).ingest_urls([copy], allow_private=True, fetch=FAST)
    assert report.aliased == [copy]


def test_near_duplicates_can_be_turned_off(site, tmp_path):
    settings = IndexSettings(data_dir=tmp_path / "data", embed_model="hash-64", near_duplicate_jaccard=0)
    library = Library(settings)
    report = library.ingest_urls([outlet_page(site, "/x", "X"), outlet_page(site, "/y", "Y")], allow_private=True, fetch=FAST)
    assert len(report.added) == 2 and library.aliases() == []


def test_short_texts_are_never_called_copies():
    assert NearDuplicates.signature("Storm hits the coast.") is None
