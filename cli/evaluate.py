"""`rag eval`: run a gold set through the real pipeline, write the report, apply quality gates."""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import sys
from pathlib import Path

from cli.output import EXIT_FAILED_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, IngestBar, print_error
from index.library import Library
from rag.config import Config
from rag.errors import BackendUnavailable, ConfigError
from rag.types import Filters


def corpus_collection(corpus: Path) -> str:
    """A collection name of its own per corpus path, reused while the corpus is unchanged."""
    digest = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:8]
    stem = "".join(ch if ch.isalnum() else "-" for ch in corpus.name.split(".")[0])[:40].strip("-") or "corpus"
    return f"eval-{stem}-{digest}"


def _fingerprint(path: Path) -> str:
    """Changes when any file of the corpus changes (size and modification time)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    h = hashlib.sha1()
    for f in files:
        st = f.stat()
        h.update(f"{f}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


def prepare_corpus(
    config: Config, corpus: Path, collection: str | None = None, only_ids: frozenset[str] = frozenset()
) -> Config:
    """Index `corpus` into its own collection (skipped when unchanged since the last run).

    With `only_ids`, only the articles of a JSON Lines corpus with those ids are indexed (a gold set
    about a few articles of a large shared corpus, read where it lies and never copied).
    """
    if not corpus.exists():
        raise ConfigError(f"corpus {corpus} does not exist")
    ids_digest = hashlib.sha1("\n".join(sorted(only_ids)).encode()).hexdigest()[:8] if only_ids else ""
    name = collection or corpus_collection(corpus) + (f"-{ids_digest}" if ids_digest else "")
    # An eval corpus is indexed as given: a gold question names its article by id, and a near-duplicate
    # recorded as an alias has no chunks of its own to be found by (index/dedup.py).
    config = config.with_overrides(collection=name, near_duplicate_jaccard=0)
    marker = config.index.data_dir / f"{config.index.collection}.fingerprint"
    fingerprint = _fingerprint(corpus) + ids_digest
    library = Library(config.index)
    if marker.exists() and marker.read_text() == fingerprint and library.status()["documents"] > 0:
        print(f"reusing the index of {corpus} (collection {config.index.collection})", file=sys.stderr)
        return config
    source = _subset(corpus, only_ids, config.index.data_dir / f"{name}.jsonl") if only_ids else corpus
    bar = IngestBar()
    try:
        report = library.ingest([source], progress=bar)
    finally:
        bar.close()
    print(f"indexed {corpus}: added {len(report.added)}, updated {len(report.updated)}, "
          f"unchanged {len(report.unchanged)}, failed {len(report.failed)}", file=sys.stderr)
    marker.write_text(fingerprint)
    return config


def _subset(corpus: Path, ids: frozenset[str], out: Path) -> Path:
    """The lines of a JSON Lines corpus (.jsonl or .jsonl.gz) whose article id is in `ids`, written to `out`."""
    if corpus.is_dir() or not corpus.name.endswith((".jsonl", ".jsonl.gz")):
        raise ConfigError(f"--gold-docs-only needs a JSON Lines corpus (.jsonl or .jsonl.gz), not {corpus}")
    opener = gzip.open if corpus.name.endswith(".gz") else open
    found: set[str] = set()
    out.parent.mkdir(parents=True, exist_ok=True)
    with opener(corpus, "rt", encoding="utf-8") as lines, out.open("w", encoding="utf-8") as kept:
        for line in lines:
            try:
                article = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(article, dict) and article.get("id") in ids:
                kept.write(line if line.endswith("\n") else line + "\n")
                found.add(article["id"])
    missing = sorted(ids - found)
    if missing:
        raise ConfigError(f"the corpus {corpus} has no article with id {', '.join(missing[:5])}")
    return out


def run_eval_command(args: argparse.Namespace, config: Config) -> int:
    from evals.gold import load_gold
    from evals.runner import check_thresholds, compare_runs, parse_thresholds, run_eval
    from rag.pipeline import Pipeline
    from rag.retrieve import Retriever

    if args.compare:
        print(compare_runs(*args.compare))
        return EXIT_OK
    if args.gold is None:
        print_error("give a gold file (GOLD.jsonl) or --compare RUN_A RUN_B")
        return EXIT_USAGE
    thresholds = parse_thresholds(args.min, args.max)
    items = load_gold(args.gold)
    if args.limit:
        items = items[: args.limit]
    if args.corpus:
        only = frozenset(d for item in items for d in item.doc_ids) if args.gold_docs_only else frozenset()
        config = prepare_corpus(config, args.corpus, args.collection, only)
    library = Library(config.index)
    retriever = Retriever(library, mode=args.retrieval, settings=config.retrieval)
    pipeline = Pipeline(config, library=library, retriever=retriever)
    out = args.out or Path("runs") / args.gold.name.split(".")[0]

    def ask(item):
        filters = Filters(as_of=item.date) if item.date else None
        return pipeline.ask(item.question, history=item.history, filters=filters)

    pick, choose = _picker(args.choose, pipeline, items)

    settings = {
        "gold": str(args.gold), "corpus": str(args.corpus or ""), "gold_docs_only": bool(args.gold_docs_only), "backend": config.backend, "k": config.k,
        "retrieval": args.retrieval, "collection": config.index.collection, "choose": choose,
        "config": {k: str(v) for k, v in dataclasses.asdict(config).items() if k not in ("auth", "openai_api_key")},
    }
    try:
        redo = [qid.strip() for value in args.redo for qid in value.split(",") if qid.strip()]
        metrics = run_eval(items, ask, out, settings=settings, pick=pick, resume=args.resume, redo=redo)
    except KeyboardInterrupt:
        done = _lines(out / "results.jsonl")
        print_error(f"interrupted after {done} of {len(items)} questions; the same command with --resume goes on from there")
        return EXIT_INTERRUPTED
    _print_summary(metrics, out)
    failures = check_thresholds(metrics, thresholds)
    for failure in failures:
        print(f"quality gate failed: {failure}", file=sys.stderr)
    return EXIT_FAILED_INPUT if failures else EXIT_OK


def _lines(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return 0


def _picker(choose: str, pipeline, items) -> tuple:
    """How options are picked ("model" or "words") and the function that does it."""
    from evals.runner import pick_by_words
    from rag.backends import REGISTRY
    from rag.backends.base import ChoiceScorer
    from rag.choose import choose_option
    from rag.types import Passage

    if choose == "words" or not any(item.choices for item in items):
        return pick_by_words, "words"
    backend = pipeline.config.backend
    if choose == "model" and REGISTRY[backend].factory is None:
        backend = "embedded"  # answers quoted without a model, options picked by the local model
    try:
        scorer = pipeline.generator(backend) if REGISTRY[backend].factory is not None else None
    except BackendUnavailable:
        if choose == "model":
            raise
        scorer = None
    if not isinstance(scorer, ChoiceScorer):
        if choose == "model":
            raise ConfigError(f"the {backend} back end cannot score options; use --choose words")
        return pick_by_words, "words"

    def pick(item, answer):
        passages = [Passage.from_json(p) for p in answer.get("passages") or ()]
        picked = choose_option(scorer, item.question, item.choices, passages)
        return item.choices[picked[0]] if picked else pick_by_words(item, answer)

    return pick, "model"


def _print_summary(metrics, out: Path) -> None:
    from evals.scoring import GATED
    from evals.uncertainty import INTERVALS_JSON, read_intervals

    spans = read_intervals(out / INTERVALS_JSON)
    print(f"results in {out}/ (report.md, report.html, results.jsonl, metrics.json, {INTERVALS_JSON})")
    for key in GATED:
        if key in metrics and metrics[key] is not None:
            value = metrics[key]
            if not isinstance(value, float):
                print(f"  {key:<32} {value}")
                continue
            span = spans.get(key)
            detail = f"  (95% interval {span}, {span.questions} questions)" if span else ""
            print(f"  {key:<32} {value:.3f}{detail}")
