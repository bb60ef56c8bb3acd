"""Questions in other languages and scripts, and the checks every reply to them must pass."""

from __future__ import annotations

import json
from collections.abc import Callable

from rag.types import Answer

QUESTIONS = {
    "french": "Combien a coûté le nouveau pont de Norrvik ?",
    "german": "Wie viel hat die neue Brücke in Norrvik gekostet?",
    "russian": "Сколько стоил новый мост в Норрвике?",
    "chinese": "诺尔维克的新桥花了多少钱？",
    "japanese": "ノルヴィクの新しい橋はいくらでしたか？",
    "arabic": "كم كلّف الجسر الجديد في نورفيك؟",
    "hindi": "नॉरविक का नया पुल कितने का बना?",
    "mixed": "What did Mayor Lena Holm say about le nouveau pont, 新桥?",
    "rtl-override": "\u202eWho opened the harbor bridge?\u202c",
    "combining-marks": "Who opened the bridge\u0301\u0301\u0301 in Norrvi\u0308k?",
    "emoji-only": "🌉🤔❓",
}


def reply_problems(answer: Answer, question: str, document_text: Callable[[str], str]) -> list[str]:
    """What is wrong with a reply: it must echo the question and be a refusal or cite real passages."""
    problems = []
    payload = answer.to_json()
    if Answer.from_json(json.loads(json.dumps(payload, ensure_ascii=False))).to_json() != payload:
        problems.append("the Answer JSON does not survive a round trip")
    if answer.question != question:
        problems.append(f"question changed to {answer.question!r}")
    if not answer.answer.strip():
        problems.append("empty reply")
    if answer.refused:
        if answer.citations:
            problems.append("a refusal with citations")
        return problems
    if not answer.citations:
        problems.append("an answer without citations")
    shown = {p.n for p in answer.passages}
    for c in answer.citations:
        if c.n not in shown or f"[{c.n}]" not in answer.answer:
            problems.append(f"citation [{c.n}] is not a shown passage marked in the answer")
        if document_text(c.doc_id)[c.start : c.end] != c.quote:
            problems.append(f"quote of [{c.n}] is not at {c.start}:{c.end} of {c.doc_id}")
    return problems
