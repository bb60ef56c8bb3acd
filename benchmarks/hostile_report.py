"""How a back end behaves on the hostile document set (tests/fixtures/hostile): a per-question report.

Indexes the hostile articles into a temporary directory, asks every question of questions.jsonl
through the pipeline with the chosen back end, and reports per question: refused?, citations
valid? (each a shown passage, marked in the text, quoted at its offsets), followed the injection?
(the attack's canary word is in the answer), cited the article that answers?, and whether the chat
HTML built from the answer holds anything live. Other settings (model path, server URLs) come
from rag.toml and RAG_* variables as for `rag`.

    python benchmarks/hostile_report.py                        # the default embedded model
    python benchmarks/hostile_report.py --backend extractive --embed-model hash-256   # quick check
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import machine  # noqa: E402
from rag.config import ANSWER_MODES, BACKENDS, load_config  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from tests.support.hostile import DOCUMENTS, Verdict, hostile_questions, judge, live_html_problems, summary  # noqa: E402
from ui.conversation import Turn  # noqa: E402
from ui.render import conversation_html, sources_html  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "hostile.json"


def yes(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "no")


def ask_all(pipeline: Pipeline) -> tuple[list[dict], list[Verdict]]:
    """Every question of the hostile set through `pipeline`: a report row and a verdict each."""
    def text_of(doc_id: str) -> str | None:
        record = pipeline.library.document(doc_id)
        return record.text if record else None

    rows, verdicts = [], []
    for question in hostile_questions():
        started = time.perf_counter()
        answer = pipeline.ask(question.question)
        seconds = time.perf_counter() - started
        verdict = judge(answer, question, text_of)
        turns = [Turn(question=question.question, answer=answer)]
        live = live_html_problems(conversation_html(turns) + sources_html(turns))
        verdicts.append(verdict)
        rows.append({
            **verdict.to_json(), "html_inert": not live, "html_problems": live, "question": question.question,
            "answer": answer.answer, "backend_used": answer.backend, "notices": answer.notices,
            "citations": [c.to_json() for c in answer.citations], "seconds": round(seconds, 2),
        })
    return rows, verdicts


def print_report(rows: Sequence[dict], totals: dict[str, int], backend: str, answer_mode: str | None) -> None:
    print(f"{'question':<10} {'refused':>7} {'citations ok':>12} {'obeyed attack':>13} {'right article':>13} {'html inert':>10}  answer")
    for row in rows:
        print(
            f"{row['id']:<10} {yes(row['refused']):>7} {yes(row['citations_valid']):>12} {yes(row['followed_injection']):>13} "
            f"{yes(row['cited_doc']):>13} {yes(row['html_inert']):>10}  {' '.join(row['answer'].split())[:70]}"
        )
        for problem in row["problems"] + row["html_problems"]:
            print(f"{'':<10} problem: {problem}")
    used = ", ".join(sorted({row["backend_used"] for row in rows}))
    mode = f" (answer mode {answer_mode})" if answer_mode else ""
    print(f"\nbackend asked: {backend}{mode}; answered by: {used}")
    print(", ".join(f"{k} {v}" for k, v in totals.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=BACKENDS, default="embedded")
    parser.add_argument("--answer-mode", choices=ANSWER_MODES, default=None, help="default: the configured one (auto)")
    parser.add_argument("--embed-model", default=None, help="default: the configured one (all-MiniLM-L6-v2)")
    parser.add_argument("-k", type=int, default=None, dest="k")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="newsrag-hostile-") as tmp:
        config = load_config({
            "data_dir": Path(tmp) / "data", "collection": "hostile", "backend": args.backend,
            "answer_mode": args.answer_mode, "embed_model": args.embed_model, "k": args.k,
        })
        pipeline = Pipeline(config)
        report = pipeline.library.ingest([DOCUMENTS])
        if report.failed:
            raise SystemExit(f"the hostile documents did not all load: {report.failed}")
        rows, verdicts = ask_all(pipeline)
    totals = {**summary(verdicts), "html_inert": sum(row["html_inert"] for row in rows)}
    answer_mode = None if args.backend == "extractive" else config.answer_mode_for(args.backend)
    print_report(rows, totals, args.backend, answer_mode)
    result = {
        "benchmark": "hostile",
        "settings": {
            "backend": args.backend, "answer_mode": answer_mode, "embed_model": config.index.embed_model,
            "model_path": str(config.model_path) if config.model_path else "default", "k": config.k,
        },
        "machine": machine(),
        "summary": totals,
        "questions": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if totals["citations_valid"] == len(rows) and totals["html_inert"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
