"""The reply chat front ends show (Markdown, sources), read back as history; side requests; API access."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import pytest

from rag.types import Answer, Citation, Passage
from ui.auth import ApiAccess, Credentials, Login
from ui.chat_reply import answer_text, md_text, plain_text, reply_markdown, site_of
from ui.front_end_tasks import task_reply, title_for
from ui.render import TENTATIVE_NOTE

# Markdown that would act in a front end: an image or link, or HTML, not preceded by an escaping backslash.
LIVE_MARKDOWN = re.compile(r"(?<!\\)(?:\]\(|<)")
HOSTILE_TITLE = "Win ![pixel](https://evil.example/p.png?c=1) [click](https://evil.example) <img src=x onerror=alert(1)>"


def _citation(n: int = 1, quote: str = "The bridge cost 240 million euros.", title: str = "Bridge opens", url: str = "https://www.example.org/a") -> Citation:
    return Citation(n, "doc-1", "doc-1::v::0000", title, url, "2024-05-02", quote, 10, 10 + len(quote))


def _passage(n: int = 1, title: str = "Bridge opens", url: str = "https://www.example.org/a") -> Passage:
    return Passage(n, "doc-1", ("doc-1::v::0000",), title, "The bridge cost 240 million euros.", 0.5, 0, 34, url, "2024-05-02")


def _answer(text: str, citations: list[Citation], refused: bool = False, passages: list[Passage] | None = None) -> Answer:
    return Answer("q", text, refused, citations, passages or [_passage()], "extractive")


@pytest.mark.parametrize(
    "text",
    ["240 million euros [1]. The bridge cost 240 million euros [1].", HOSTILE_TITLE, r"a \ b * c _ d ` e ~ f [1](x) [2, 3]"],
)
def test_escaping_keeps_markers_and_reads_back_unchanged(text):
    escaped = md_text(text)
    assert plain_text(escaped) == text
    assert not LIVE_MARKDOWN.search(escaped)


def test_markers_stay_plain_in_the_reply():
    assert md_text("Holm said so [1]. Also [2, 3].") == "Holm said so [1]. Also [2, 3]."


def test_sources_list_title_link_site_date_and_quote():
    reply = reply_markdown(_answer("240 million euros [1].", [_citation()]))
    text, sources = reply.split("\n\n**Sources**\n\n")
    assert text == "240 million euros [1]."
    assert sources == "- [1] [Bridge opens](<https://www.example.org/a>) (example.org, 2024-05-02): “The bridge cost 240 million euros.”"


def test_article_markdown_is_inert_in_titles_and_quotes():
    reply = reply_markdown(_answer("It cost [1].", [_citation(title=HOSTILE_TITLE, quote=HOSTILE_TITLE, url="javascript:alert(1)")]))
    lines = reply.splitlines()
    assert not LIVE_MARKDOWN.search(lines[0]) and "javascript:" not in reply
    assert not LIVE_MARKDOWN.search(lines[-1].removeprefix("- [1] "))


def test_a_refusal_lists_the_closest_passages_and_no_quotes():
    reply = reply_markdown(_answer("The articles I have do not answer this question.", [], refused=True))
    assert reply.startswith("The articles I have do not answer this question.\n\n**Closest passages**")
    assert "“" not in reply


def test_an_earlier_reply_reads_back_as_the_answer_alone():
    answer = _answer("240 million *euros* [1].", [_citation()])
    assert answer_text(reply_markdown(answer)) == answer.answer
    assert answer_text("no sources here") == "no sources here"


def test_a_tentative_answer_says_to_read_the_passage_and_reads_back_without_that_line():
    answer = _answer("240 million euros [1].", [_citation()])
    answer.tentative = True
    reply = reply_markdown(answer)
    text, _ = reply.split("\n\n**Sources**\n\n")
    assert text == f"240 million euros [1].\n\n_{TENTATIVE_NOTE}_"
    assert answer_text(reply) == answer.answer
    assert TENTATIVE_NOTE not in reply_markdown(_answer("240 million euros [1].", [_citation()]))


def test_site_is_the_host_without_www_and_empty_for_unsafe_urls():
    assert (site_of("https://www.bbc.co.uk/news/1"), site_of("javascript:alert(1)"), site_of("")) == ("bbc.co.uk", "", "")


OPEN_WEBUI_TITLE = (
    "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n"
    '### Output:\nJSON format: { "title": "your concise title here" }\n'
    "### Chat History:\n<chat_history>\nUSER: Who opened the new harbor bridge in Norrvik?\nASSISTANT: Lena Holm [1].\n</chat_history>"
)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (OPEN_WEBUI_TITLE, {"title": "Who opened the new harbor bridge"}),
        ('### Task:\nGenerate tags.\n### Output:\nJSON format: { "tags": ["tag1"] }', {"tags": []}),
        ('### Task:\nSuggest follow-ups.\n### Output:\nJSON format: { "follow_ups": ["Q?"] }', {"follow_ups": []}),
        ('### Task:\nGenerate search queries.\n### Output:\nJSON format: { "queries": ["q"] }', {"queries": []}),
        ('### Task:\nYou are an autocompletion system.\n### Output:\n{ "text": "..." }', {"text": ""}),
    ],
)
def test_open_webui_side_requests_get_the_json_they_ask_for(prompt, expected):
    assert json.loads(task_reply(prompt)) == expected


def test_librechat_title_request_gets_a_plain_title():
    prompt = "Please generate a concise, 5-word-or-less title for the conversation.\n\nUser: What did the bridge cost?"
    assert task_reply(prompt) == "What did the bridge cost"


@pytest.mark.parametrize(
    "question",
    ["What is the title of the new law?", "Which task force did the minister set up?", "### What happened on Tuesday?"],
)
def test_questions_about_titles_and_tasks_are_not_side_requests(question):
    assert task_reply(question) is None


def test_a_title_without_words_falls_back():
    assert title_for("???") == "News question"


def _allows(access: ApiAccess, header: str | None, client: str = "127.0.0.1") -> bool:
    return asyncio.run(access.allows(header, client))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_without_key_or_login_only_loopback_clients_pass():
    access = ApiAccess()
    assert _allows(access, None) and _allows(access, "Bearer anything", "::1")
    assert not _allows(access, "Bearer anything", "192.168.1.20")


def test_a_key_is_required_when_one_is_configured():
    access = ApiAccess("k-123")
    assert _allows(access, "Bearer k-123") and _allows(access, "bearer  k-123 ")
    assert not _allows(access, None) and not _allows(access, "Bearer k-124") and not _allows(access, _basic("a", "k-123"))


def test_with_a_login_basic_and_bearer_user_password_pass():
    access = ApiAccess("", Login(Credentials("alice", "s3:cret"), first_delay_s=0.0))
    assert _allows(access, _basic("alice", "s3:cret")) and _allows(access, "Bearer alice:s3:cret")
    assert not _allows(access, "Bearer anything") and not _allows(access, None) and not _allows(access, "Basic !!!")
