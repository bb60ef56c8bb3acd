"""How well a yes/no check on the short answer separates right from wrong answers, per answered question.

Reads a finished `rag eval` run (its results.jsonl) and the gold set it ran, asks the default local
model one check about each answered question, and prints for a few thresholds how many right and
wrong answers would be kept. Use it on tuning sets only.

- `confirm`: CONFIRM (question, the longest cited quote, the short answer): does the sentence say
  that this is the answer?
- `kind`: KIND (question and short answer, no evidence): is the answer the kind of thing asked
  for? Only for questions that ask for a person, place or named thing (`question_kind`).

    python benchmarks/check_calibration.py runs/seed evals/gold/seed.jsonl --check kind [--out beliefs.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.gold import load_gold  # noqa: E402
from evals.metrics.answer import answer_contained  # noqa: E402
from rag.backends import make_generator  # noqa: E402
from rag.config import load_config  # noqa: E402
from rag.pipeline import KIND_CHECKED, yes_share  # noqa: E402
from rag.prompts import CONFIRM, KIND, format_sentence  # noqa: E402
from rag.short_answer import question_kind  # noqa: E402

THRESHOLDS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


def beliefs(run: Path, gold: Path, check: str) -> list[dict]:
    """One row per answered question checked: its belief and whether the answer holds a gold answer."""
    items = {g.id: g for g in load_gold(gold)}
    model = make_generator("embedded", load_config())
    rows = []
    for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r.get("refused") or not r.get("short_answer") or r["short_answer"] in ("Yes", "No"):
            continue
        item = items[r["id"]]
        question = r.get("standalone_question") or item.question
        if check == "kind":
            if question_kind(question) not in KIND_CHECKED:
                continue
            messages = KIND.render(question=question, answer=r["short_answer"])
        else:
            sentence = max((c["quote"] for c in r["citations"]), key=len, default="")
            messages = CONFIRM.render(sentence=format_sentence(sentence), question=question, answer=r["short_answer"])
        right = item.answerable and bool(answer_contained(r["answer"], item.answers))
        rows.append({"id": r["id"], "short_answer": r["short_answer"], "belief": yes_share(model, messages), "right": right})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--check", choices=("confirm", "kind"), default="confirm")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = beliefs(args.run, args.gold, args.check)
    right = [r["belief"] for r in rows if r["right"]]
    wrong = [r["belief"] for r in rows if not r["right"]]
    print(f"{args.check}: {len(right)} right and {len(wrong)} wrong answers")
    print("threshold  right kept  wrong kept")
    for t in THRESHOLDS:
        print(f"{t:9.2f}  {sum(b >= t for b in right):10d}  {sum(b >= t for b in wrong):10d}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
