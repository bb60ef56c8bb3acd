"""The side requests chat front ends send to the chat model, recognised and answered without retrieval.

Open WebUI asks the model for a chat title, tags, follow-up suggestions, search queries and
autocompletions, each with a prompt that starts "### Task:" and asks for a JSON object
(`{"title": …}`, `{"tags": […]}`, `{"follow_ups": […]}`, `{"queries": […]}`, `{"text": …}`).
LibreChat asks for a title "in 5 words or less". Searching the articles for such a prompt would
cost an answer and produce nonsense; each gets a cheap reply of the shape asked for instead:
a title made of the first question's words, and empty lists otherwise.
"""

from __future__ import annotations

import json
import re

TITLE_WORDS = 6
DEFAULT_TITLE = "News question"
_TASK = re.compile(r"^\s*#{2,4}\s*Task\s*:", re.IGNORECASE)
_JSON_KEY = re.compile(r"""\{\s*["'](title|tags|follow_ups|queries|text|emoji)["']\s*:""")
_LIBRECHAT_TITLE = re.compile(r"\b(?:5|five)[- ]words?[- ]or[- ]less\b", re.IGNORECASE)
_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.DOTALL | re.IGNORECASE)
_FIRST_USER = re.compile(r"^\s*USER:\s*(.+)$", re.MULTILINE | re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def task_reply(prompt: str) -> str | None:
    """The reply to a front end's side request, or None when `prompt` is a question for the articles."""
    if _TASK.match(prompt):
        key = _JSON_KEY.search(prompt)
        if key is None:
            return None
        kind = key.group(1)
        if kind == "title":
            return json.dumps({"title": title_for(_first_question(prompt))})
        if kind == "text":
            return json.dumps({"text": ""})
        if kind == "emoji":
            return "📰"
        return json.dumps({kind: []})
    if _LIBRECHAT_TITLE.search(prompt) and re.search(r"\btitle\b", prompt, re.IGNORECASE):
        return title_for(_first_question(prompt))
    return None


def _first_question(prompt: str) -> str:
    """The first user message quoted in the prompt's chat history ("" when there is none)."""
    history = _HISTORY.search(prompt)
    found = _FIRST_USER.search(history.group(1) if history else prompt)
    return found.group(1) if found else ""


def title_for(question: str) -> str:
    """A short title from the question's first words ("Who opened the harbor bridge")."""
    words = _WORD.findall(question)[:TITLE_WORDS]
    if not words:
        return DEFAULT_TITLE
    title = " ".join(words)
    return title[0].upper() + title[1:]
