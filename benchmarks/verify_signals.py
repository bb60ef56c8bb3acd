"""Do cheap signals, or the question's likelihood, tell answering sentences apart better than VERIFY alone?

Verify mode takes a sentence when the model's belief that it states the answer (the VERIFY prompt)
reaches a threshold. This script asks whether a learned mix of that belief with signals that cost
no model call (the sentence's retrieval rank, how many of the question's words it holds, alone and
with the sentence before it, whether a pattern finds a phrase of the kind asked) or one more
forward pass (the question's likelihood given the sentence against without it, per token: the
"what question does this sentence answer" reading) separates them better.

Two steps, so the slow one runs once:

    # the sentences verify mode asks about, with their beliefs (about 1 s each; the text stays local)
    python benchmarks/verify_signals.py collect evals/gold/seed.jsonl=seeds \\
        evals/gold/tuning.jsonl=../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz ... \\
        --data-dir /tmp/verify-signals --rows /tmp/verify-signals/rows.json [--query-likelihood]
    # a logistic regression fitted on all sets but one, scored on that one, for each set in turn
    python benchmarks/verify_signals.py fit --rows /tmp/verify-signals/rows.json --out benchmarks/results/verify_signals.json

Use tuning sets only. The rows hold the articles' sentences, so they are written outside the
repository; `--out` keeps the figures only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from rag.short_answer import question_kind, short_answer_for  # noqa: E402

# Words that say nothing about what a sentence is about.
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for by with from and or but is are was were be been being do does did has have had "
    "what who whom whose which when where why how many much that this these those it its their his her he she they "
    "as about after before into than then there here not no yes will would could should can may might said says "
    "according".split()
)
SIGNALS = ("belief", "rank", "question words", "question words with the sentence before", "pattern phrase")
LIKELIHOOD = "question likelihood"
# The question-likelihood prompt: the sentence first, then the question the model is asked to write.
_LIKELIHOOD_HEAD = (
    "<|im_start|>system\nYou write the question a news sentence answers.<|im_end|>\n<|im_start|>user\n"
    "Sentence: {sentence}\nWrite one question that this sentence answers.<|im_end|>\n<|im_start|>assistant\n"
)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _FUNCTION_WORDS}


def signals(row: dict) -> list[float]:
    """The signals of one candidate sentence, in the order of `SIGNALS` (and `LIKELIHOOD` when read)."""
    question, sentence, before = row["question"], row["sentence"], row.get("before") or ""
    asked, said, said_before = _stems(question), _stems(sentence), _stems(before)
    belief = min(max(row["belief"], 1e-4), 1 - 1e-4)
    phrase = short_answer_for(question, question_kind(question), sentence, f"{before} {sentence}".strip(), None)
    values = [
        math.log(belief / (1 - belief)),
        float(row["rank"]),
        len(asked & said) / max(1, len(asked)),
        len(asked & (said | said_before)) / max(1, len(asked)),
        float(phrase is not None),
    ]
    if "likelihood" in row:
        values.append(row["likelihood"])
    return values


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Weights (the intercept last) of a logistic regression on standardised columns (Newton steps, L2 penalty)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + penalty * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        w -= np.linalg.solve(hess, grad)
    return np.concatenate([w[:-1] / scale, [w[-1] - (w[:-1] * mean / scale).sum()]])


def predict(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ weights[:-1] + weights[-1])))


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The probability that a sentence holding the answer scores above one that does not (ties half)."""
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def trade(rows: list[dict], scores: np.ndarray, labels: np.ndarray, shares=(0.2, 0.3, 0.4, 0.5)) -> list[tuple[int, int]]:
    """(right, wrong) when each question takes its best-scored sentence, refusing the lowest `share` of questions."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[(row["set"], row["id"])].append(i)
    best = np.array([max(g, key=lambda i: scores[i]) for g in groups.values()])
    out = []
    for share in shares:
        taken = best[scores[best] >= np.quantile(scores[best], share)]
        out.append((int(labels[taken].sum()), int((~labels[taken]).sum())))
    return out


def collect(args: argparse.Namespace) -> None:
    from rag.backends import make_generator
    from rag.config import load_config
    from rag.pipeline import yes_share
    from rag.prompts import VERIFY, format_sentence
    from verify_prompts import candidates_of

    rows = candidates_of(args.sets, args.data_dir)
    model = make_generator("embedded", load_config())
    for row in rows:
        row["belief"] = yes_share(model, VERIFY.render(question=row["question"], sentence=format_sentence(row["sentence"])))
    if args.query_likelihood:
        _read_likelihoods(rows, load_config())
    args.rows.parent.mkdir(parents=True, exist_ok=True)
    args.rows.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


def _read_likelihoods(rows: list[dict], config) -> None:
    """Each row's `likelihood`: log P(question | sentence) - log P(question | no sentence), per question token."""
    import llama_cpp

    from rag.backends.model_files import resolve_model_path

    llm = llama_cpp.Llama(model_path=str(resolve_model_path(config)), n_ctx=1024, n_threads=config.llm_threads,
                          n_threads_batch=config.llm_threads, logits_all=True, verbose=False)

    def log_p(sentence: str, question: str) -> tuple[float, int]:
        head = llm.tokenize(_LIKELIHOOD_HEAD.format(sentence=" ".join(sentence.split())).encode(), add_bos=False, special=True)
        asked = llm.tokenize(question.encode(), add_bos=False, special=False)
        llm.reset()
        llm.eval(head + asked)
        logits = np.array(llm.scores[len(head) - 1 : len(head) + len(asked) - 1])
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return float(log_probs[np.arange(len(asked)), asked].sum()), len(asked)

    without: dict[str, float] = {}
    for row in rows:
        question = row["question"]
        if question not in without:
            without[question] = log_p("(none)", question)[0]
        with_it, n = log_p(row["sentence"], question)
        row["likelihood"] = (with_it - without[question]) / n


def fit(args: argparse.Namespace) -> None:
    rows = json.loads(args.rows.read_text(encoding="utf-8"))
    names = list(SIGNALS) + ([LIKELIHOOD] if all("likelihood" in r for r in rows) else [])
    x = np.array([signals(r) for r in rows])
    labels = np.array([bool(r["holds_answer"]) for r in rows])
    sets = np.array([r["set"] for r in rows])
    if len(set(sets)) < 2:
        sys.exit("fit: the rows come from one gold set; each set is scored by a fit on the others, so collect two or more.")
    print(f"{len(rows)} sentences, {labels.sum()} holding a gold answer, sets: {', '.join(sorted(set(sets)))}")
    alone = {n: auc(-x[:, i] if n == "rank" else x[:, i], labels) for i, n in enumerate(names)}
    for name, value in alone.items():
        print(f"  {name:42s} AUC alone {value:.3f}")
    mixes = {"belief": [0], "belief + cheap signals": list(range(len(SIGNALS)))}
    if LIKELIHOOD in names:
        mixes["belief + question likelihood"] = [0, len(SIGNALS)]
        mixes["belief + all"] = list(range(len(names)))
    report: dict = {"sentences": len(rows), "holding_answer": int(labels.sum()), "auc_alone": alone, "mixes": {}}
    for mix, columns in mixes.items():
        scores = np.zeros(len(rows))
        for held in sorted(set(sets)):  # fitted without the set it is scored on
            train = sets != held
            weights = fit_logistic(x[train][:, columns], labels[train].astype(float))
            scores[~train] = predict(weights, x[~train][:, columns])
        per_set = {s: auc(scores[sets == s], labels[sets == s]) for s in sorted(set(sets))}
        trades = trade(rows, scores, labels)
        report["mixes"][mix] = {"auc": auc(scores, labels), "auc_by_held_out_set": per_set, "right_wrong_refusing_20_30_40_50pc": trades}
        cells = "  ".join(f"{s} {v:.3f}" for s, v in per_set.items())
        print(f"{mix:30s} AUC {auc(scores, labels):.3f}  by held-out set: {cells}\n{'':30s} (right, wrong) refusing 20/30/40/50% of questions: {trades}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    c = steps.add_parser("collect", help="candidate sentences and their beliefs (slow)")
    c.add_argument("sets", nargs="+", help="GOLD=CORPUS pairs (a folder of articles or a JSON Lines corpus)")
    c.add_argument("--data-dir", type=Path, required=True, help="where the eval indexes are kept (reused)")
    c.add_argument("--rows", type=Path, required=True, help="where the rows go (outside the repository: they hold text)")
    c.add_argument("--query-likelihood", action="store_true", help="also read the question's likelihood (about 2 s a sentence)")
    f = steps.add_parser("fit", help="leave-one-set-out logistic regressions of the signals")
    f.add_argument("--rows", type=Path, required=True)
    f.add_argument("--out", type=Path)
    args = parser.parse_args()
    collect(args) if args.step == "collect" else fit(args)


if __name__ == "__main__":
    main()
