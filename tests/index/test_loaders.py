"""Loading each supported format into Documents: text, title, id rules and metadata."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from index.documents import Document, content_hash, id_from_url, title_from_url
from index.loaders import LoadFailure, discover, load_file

MAX_BYTES = 10_000_000

ARTICLE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Harbor bridge opens after four years | Norrvik Daily</title>
  <link rel="canonical" href="https://news.example.org/2024/03/05/harbor-bridge-opens">
  <meta property="og:title" content="Harbor bridge opens after four years">
  <meta name="author" content="Lena Holm">
  <meta property="article:published_time" content="2024-03-05T09:30:00+00:00">
  <script>window.dataLayer = [{"page": "article", "trackingId": "SCRIPT-IN-HEAD"}];</script>
  <style>.menu { color: red; }</style>
</head>
<body>
  <header>
    <nav class="main-menu">
      <ul>
        <li><a href="/">Home</a></li>
        <li><a href="/world">World</a></li>
        <li><a href="/business">Business</a></li>
        <li><a href="/subscribe">Subscribe to our newsletter</a></li>
      </ul>
    </nav>
  </header>
  <main>
    <article>
      <h1>Harbor bridge opens after four years</h1>
      <p>The city of Norrvik opened its new harbor bridge on Tuesday, four years after construction began and two years later than planned.</p>
      <p>The bridge cost 240 million euros, most of it paid by the regional government. Mayor Lena Holm said it would cut commuting times between the two halves of the city by half.</p>
      <p>Critics argued that the money should have gone to schools and hospitals. The opposition leader, Piet Vann, called the project a vanity plan and promised an audit of its costs.</p>
    </article>
    <aside class="related">
      <h2>Related stories</h2>
      <ul><li><a href="/a">Ferry operators fear for their jobs</a></li><li><a href="/b">Tolls to start in May</a></li></ul>
    </aside>
  </main>
  <footer>
    <p>Copyright Norrvik Daily. All rights reserved.</p>
    <a href="/privacy">Privacy policy</a> | <a href="/cookies">Cookie settings</a>
  </footer>
  <script>document.write("SCRIPT-IN-BODY");</script>
</body>
</html>
"""

ARTICLE = {
    "id": "rtqa-0123456789ab",
    "title": "Apple harvest breaks record",
    "url": "https://news.example.org/apples",
    "published": "2022/06/17",
    "authors": ["Ada Brink", "Piet Vann"],
    "text": "Farmers in the Kessel valley picked a record 81,000 tonnes of apples.\n\nPrices fell by ten percent.",
}


def only_document(path: Path, root: Path | None = None) -> Document:
    items = list(load_file(path, root or path.parent, MAX_BYTES))
    assert len(items) == 1 and isinstance(items[0], Document), items
    return items[0]


def test_txt_keeps_the_whole_text_and_uses_the_file_name_as_id(tmp_path: Path) -> None:
    text = "Harbor bridge opens\n\nThe city opened its bridge on Tuesday.\nIt cost 240 million euros.\n"
    path = tmp_path / "bridge.txt"
    path.write_text(text, encoding="utf-8")
    doc = only_document(path)
    assert doc.text == text
    assert doc.doc_id == "bridge.txt"
    assert doc.title == "Harbor bridge opens"
    assert doc.source == str(path)


def test_txt_title_is_the_first_sentence_when_there_is_no_headline(tmp_path: Path) -> None:
    path = tmp_path / "city_news.txt"
    path.write_text("The city opened its bridge on Tuesday.\nMore follows.", encoding="utf-8")
    assert only_document(path).title == "The city opened its bridge on Tuesday"


def test_long_first_sentence_is_cut_at_a_word_for_the_title(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    words = " ".join(f"word{i}" for i in range(40))
    path.write_text(words + ".\nMore.", encoding="utf-8")
    title = only_document(path).title
    assert title.endswith("…") and len(title) <= 91 and words.startswith(title[:-1])


def test_markdown_title_comes_from_the_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    path.write_text("Posted by the desk\n\n# Ferry strike ends\n\nCrews went back to work on Monday.\n", encoding="utf-8")
    doc = only_document(path)
    assert doc.title == "Ferry strike ends"
    assert "Crews went back to work on Monday." in doc.text


def test_html_keeps_the_article_text_without_navigation_scripts_or_footer(tmp_path: Path) -> None:
    path = tmp_path / "bridge.html"
    path.write_text(ARTICLE_PAGE, encoding="utf-8")
    doc = only_document(path)
    assert "opened its new harbor bridge on Tuesday" in doc.text
    assert "promised an audit of its costs" in doc.text
    for boilerplate in ("Subscribe to our newsletter", "Business", "SCRIPT-IN-HEAD", "SCRIPT-IN-BODY", "All rights reserved", "Cookie settings", "color: red"):
        assert boilerplate not in doc.text, boilerplate
    assert doc.title == "Harbor bridge opens after four years"


def test_html_metadata_gives_url_id_date_and_author(tmp_path: Path) -> None:
    path = tmp_path / "bridge.html"
    path.write_text(ARTICLE_PAGE, encoding="utf-8")
    doc = only_document(path)
    assert doc.url == "https://news.example.org/2024/03/05/harbor-bridge-opens"
    assert doc.doc_id == id_from_url(doc.url)
    assert doc.published == "2024-03-05"
    assert doc.authors == ("Lena Holm",)


def test_pdf_text_and_title_are_extracted(tmp_path: Path, pdf_factory) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_factory.plain(["The harbor bridge opened on Tuesday.", "It cost 240 million euros."], title="Harbor report"))
    doc = only_document(path)
    assert "The harbor bridge opened on Tuesday." in doc.text
    assert "It cost 240 million euros." in doc.text
    assert doc.title == "Harbor report"
    assert doc.doc_id == "report.pdf"


def test_json_object_keeps_id_and_all_metadata(tmp_path: Path) -> None:
    path = tmp_path / "apples.json"
    path.write_text(json.dumps(ARTICLE), encoding="utf-8")
    doc = only_document(path)
    assert doc.doc_id == ARTICLE["id"]
    assert doc.text == ARTICLE["text"]
    assert doc.title == ARTICLE["title"]
    assert doc.url == ARTICLE["url"]
    assert doc.published == "2022-06-17"
    assert doc.authors == ("Ada Brink", "Piet Vann")
    assert doc.source == str(path)
    assert doc.content_hash == content_hash(doc) and len(doc.content_hash) == 64


def test_article_without_title_takes_its_headline_from_the_url_slug(tmp_path: Path) -> None:
    untitled = {**ARTICLE, "title": "", "url": "https://news.example/2022/07/07/europe/harbor-bridge-opens-after-delay/index.html"}
    path = tmp_path / "untitled.json"
    path.write_text(json.dumps(untitled), encoding="utf-8")
    assert only_document(path).title == "Harbor bridge opens after delay"


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://news.example/story/money/2022/06/15/ford-recall-2022/7632001/", "Ford recall 2022"),
        ("https://news.example/live-news/russia-ukraine-war-07-12-22/h_c164ac931cc8414108b8bbae8f859e65", "Russia ukraine war 07 12 22"),
        ("https://news.example/a/caf%C3%A9-owners-strike-again.html", "Café owners strike again"),
        ("https://news.example/click?token=abc-def-ghi", ""),  # no slug in the path, only a query
        ("https://news.example/2022-07-01/", ""),  # a date is not a headline
        ("https://news.example/en/two-words/", ""),
        ("", ""),
    ],
)
def test_url_slug_title_needs_three_words_with_letters(url: str, title: str) -> None:
    assert title_from_url(url) == title


def test_json_list_yields_every_article(tmp_path: Path) -> None:
    second = {**ARTICLE, "id": "second", "text": "Another article entirely."}
    path = tmp_path / "two.json"
    path.write_text(json.dumps([ARTICLE, second]), encoding="utf-8")
    docs = list(load_file(path, tmp_path, MAX_BYTES))
    assert [d.doc_id for d in docs] == [ARTICLE["id"], "second"]
    assert docs[1].text == "Another article entirely."


def test_jsonl_and_jsonl_gz_yield_the_same_documents(tmp_path: Path) -> None:
    lines = [ARTICLE, {**ARTICLE, "id": "b", "text": "Second line article."}]
    payload = "\n".join(json.dumps(a) for a in lines) + "\n"
    plain = tmp_path / "corpus.jsonl"
    plain.write_text(payload, encoding="utf-8")
    packed = tmp_path / "corpus.jsonl.gz"
    packed.write_bytes(gzip.compress(payload.encode("utf-8")))
    from_plain = list(load_file(plain, tmp_path, MAX_BYTES))
    from_gz = list(load_file(packed, tmp_path, MAX_BYTES))
    assert [d.doc_id for d in from_plain] == [ARTICLE["id"], "b"]
    assert [(d.doc_id, d.text, d.content_hash) for d in from_gz] == [(d.doc_id, d.text, d.content_hash) for d in from_plain]


def test_id_is_derived_from_url_when_the_article_has_no_id(tmp_path: Path) -> None:
    path = tmp_path / "no-id.json"
    path.write_text(json.dumps({k: v for k, v in ARTICLE.items() if k != "id"}), encoding="utf-8")
    doc = only_document(path)
    assert doc.doc_id == id_from_url(ARTICLE["url"])
    assert doc.doc_id.startswith("url-") and len(doc.doc_id) == len("url-") + 12


def test_id_is_the_path_relative_to_the_folder_given_when_there_is_no_id_or_url(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "2024" / "may").mkdir(parents=True)
    (folder / "2024" / "may" / "note.txt").write_text("The ferry strike ended.", encoding="utf-8")
    (folder / "bare.jsonl").write_text(json.dumps({"text": "No id and no url here."}) + "\n", encoding="utf-8")
    files, failures = discover([folder])
    assert failures == []
    ids = sorted(d.doc_id for path, root in files for d in load_file(path, root, MAX_BYTES))
    assert ids == ["2024/may/note.txt", "bare.jsonl#1"]


def test_same_input_gets_the_same_id_wherever_the_folder_lives(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "story.md").write_text("# Title\n\nBody text of the story.", encoding="utf-8")
    (folder / "list.json").write_text(json.dumps([{"text": "first"}, {"text": "second"}]), encoding="utf-8")
    copy = tmp_path / "elsewhere" / "renamed"
    shutil.copytree(folder, copy)

    def ids_and_hashes(root: Path) -> list[tuple[str, str]]:
        files, _ = discover([root])
        return sorted((d.doc_id, d.content_hash) for path, r in files for d in load_file(path, r, MAX_BYTES))

    first = ids_and_hashes(folder)
    assert first == ids_and_hashes(folder) == ids_and_hashes(copy)
    assert [i for i, _ in first] == ["list.json#0", "list.json#1", "sub/story.md"]


def test_content_hash_follows_content_not_location(tmp_path: Path) -> None:
    for name in ("one.json", "two.json"):
        (tmp_path / name).write_text(json.dumps(ARTICLE), encoding="utf-8")
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({**ARTICLE, "text": ARTICLE["text"] + " Updated."}), encoding="utf-8")
    one, two, three = (only_document(tmp_path / n) for n in ("one.json", "two.json", "changed.json"))
    assert one.content_hash == two.content_hash
    assert three.content_hash != one.content_hash


def test_published_dates_are_normalised_to_iso(tmp_path: Path) -> None:
    rows = [
        {"id": "slash", "text": "a", "published": "2022/6/7"},
        {"id": "iso", "text": "b", "published": "2022-06-07T10:00:00Z"},
        {"id": "date-key", "text": "c", "date": "2022.06.07"},
        {"id": "junk", "text": "d", "published": "last Tuesday"},
    ]
    path = tmp_path / "dates.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    got = {d.doc_id: d.published for d in load_file(path, tmp_path, MAX_BYTES)}
    assert got == {"slash": "2022-06-07", "iso": "2022-06-07", "date-key": "2022-06-07", "junk": ""}


def test_folders_skip_hidden_and_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text("ref", encoding="utf-8")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    (tmp_path / "kept.txt").write_text("kept", encoding="utf-8")
    files, failures = discover([tmp_path])
    assert [p.name for p, _ in files] == ["kept.txt"]
    assert failures == []


def test_unsupported_file_given_by_name_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04")
    files, failures = discover([path])
    assert files == []
    assert failures == [LoadFailure(str(path), "unsupported file type '.docx'")]
