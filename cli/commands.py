"""Handlers of the `rag` sub-commands: build the parts a command needs, print results, return an exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.output import EXIT_FAILED_INPUT, EXIT_OK, EXIT_USAGE, IngestBar, print_error, print_json, render_answer_text
from rag.config import Config


def _library(config: Config):
    from index.library import open_library

    return open_library(config.index)


def cmd_ingest(args: argparse.Namespace, config: Config) -> int:
    from index.library import open_library

    library = open_library(config.index, rebuild=args.rebuild)  # emptied before the spec check
    bar = IngestBar()
    try:
        report = library.ingest(args.paths, progress=bar)
    finally:
        bar.close()
    if args.json:
        print_json(report.to_json())
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"failed {len(report.failed)} ({report.chunks_written} chunks written in {report.seconds:.1f}s)",
        file=sys.stderr if args.json else sys.stdout,
    )
    for path, reason in report.failed:
        print(f"  failed: {path}: {reason}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED_INPUT


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    status = _library(config).status()
    if args.json:
        print_json(status)
    else:
        for key, value in status.items():
            print(f"{key:>18}: {value}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, config: Config) -> int:
    docs = _library(config).documents()
    if args.json:
        print_json([
            {"doc_id": d.doc_id, "title": d.title, "published": d.published, "url": d.url, "chunks": d.n_chunks, "source": d.source}
            for d in docs
        ])
        return EXIT_OK
    for d in docs:
        print(f"{d.doc_id}\t{d.published or '-'}\t{d.n_chunks} chunks\t{d.title}")
    return EXIT_OK


def cmd_search(args: argparse.Namespace, config: Config) -> int:
    from rag.retrieve import Retriever

    retriever = Retriever(_library(config), mode=args.mode, settings=config.retrieval)
    passages = retriever.retrieve(args.query, config.k)
    if args.json:
        print_json([p.to_json() for p in passages])
        return EXIT_OK
    if not passages:
        print("no passages found")
    for p in passages:
        head = f"[{p.n}] {p.title or p.doc_id} ({p.published or 'undated'}) score={p.score:.4f} relevance={p.relevance:.3f}"
        print(f"{head}\n    {p.doc_id} chars {p.start}-{p.end}\n    {' '.join(p.text.split())[:400]}\n")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, config: Config) -> int:
    if _library(config).remove(args.doc_id):
        print(f"removed {args.doc_id}")
        return EXIT_OK
    print_error(f"no document with id '{args.doc_id}' (see `rag list`)")
    return EXIT_USAGE


def _pipeline(config: Config):
    from rag.pipeline import Pipeline

    return Pipeline(config)


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    from rag.retrieve import as_filters
    from rag.types import Answer

    filters = as_filters(doc_ids=args.doc, as_of=args.as_of)
    if args.as_of and filters.as_of is None:
        print_error(f"--as-of '{args.as_of}' is not a date (use YYYY-MM-DD)")
        return EXIT_USAGE
    pipeline = _pipeline(config)
    if args.json:
        answer = pipeline.ask(args.question, filters=filters)
        for notice in answer.notices:
            print(f"note: {notice}", file=sys.stderr)
        print_json(answer.to_json())
        return EXIT_OK
    # A model that writes its answer is shown as it writes; the verified answer follows, short answer first.
    writes = config.answer_mode_for(config.backend) == "generate" and config.backend != "extractive"
    streamed = ""
    for event in pipeline.stream(args.question, filters=filters):
        if isinstance(event, Answer):
            print("\n" if streamed else "", end="")
            print(render_answer_text(event))
        elif isinstance(event, str) and writes:
            streamed += event
            print(event, end="", flush=True)
    return EXIT_OK


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    pipeline = _pipeline(config)
    history: list[tuple[str, str]] = []
    print("Ask about the articles; empty line or Ctrl-D to quit, /new to start over.")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            return EXIT_OK
        if not question:
            return EXIT_OK
        if question == "/new":
            history.clear()
            continue
        answer = pipeline.ask(question, history=history)
        print(render_answer_text(answer).lstrip("\n").replace("Verified answer: ", "", 1))
        history.append((question, answer.answer))


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from ui.app import serve

    if args.prepare_model and config.backend == "embedded":
        _prepare_model_in_background(config)
    serve(config, share=args.share, seed_dir=args.seed_if_empty)
    return EXIT_OK


def _prepare_model_in_background(config: Config) -> None:
    """Start the embedded model's set-up as a child (stopped with the server), unless it is done."""
    import atexit
    import threading

    from cli.llm_setup import log_path, start_in_background, stop

    child = start_in_background(config)
    if child is None:
        return
    threading.Thread(target=child.wait, name="model-setup-reaper", daemon=True).start()  # no zombie once done
    atexit.register(stop, child)
    print(
        f"preparing the local model in the background (progress in {log_path(config)}); "
        "until it is ready, answers are quoted from the articles.",
        file=sys.stderr,
        flush=True,
    )


def cmd_embed_serve(args: argparse.Namespace, config: Config) -> int:
    from index.embedding import make_embedder
    from index.settings import DEFAULT_VARIANT, EMBED_VARIANTS
    from index.embed_server import serve
    from rag.errors import ConfigError

    # Always this machine's model: a server that forwarded to another server would hide where vectors come from.
    index = config.index
    if index.embed_variant not in EMBED_VARIANTS:
        raise ConfigError(f"unknown embed_variant '{index.embed_variant}'; use one of {', '.join(EMBED_VARIANTS)}")
    # "auto" serves fp32: clients record a server's vectors as fp32 unless told otherwise (docs/scale.md).
    variant = DEFAULT_VARIANT if index.embed_variant == "auto" else index.embed_variant
    embedder = make_embedder(
        index.embed_model, index.embed_batch_size, variant, runtime=index.embed_runtime, cache_dir=config.cache_dir
    )
    serve(embedder, args.embed_host, args.embed_port, api_key=index.embed_api_key, verbose=args.verbose)
    return EXIT_OK


def cmd_model(args: argparse.Namespace, config: Config) -> int:
    from rag.backends.model_files import resolve_model_path

    if args.action == "prepare":
        from index.library import prepare_embedder

        status = _prepare_generator_model(config)
        print(prepare_embedder(config.index), file=sys.stderr)
        return status
    print(resolve_model_path(config))
    return EXIT_OK


def _prepare_generator_model(config: Config) -> int:
    """Assemble the default GGUF with a progress bar on stderr; the exit code says whether it is there."""
    from tqdm import tqdm

    from rag.backends.model_files import DEFAULT_MODEL, default_model_path, is_prepared, prepare_default_model
    from rag.errors import BackendUnavailable

    if config.model_path is not None:
        path = Path(config.model_path).expanduser()
        exists = path.is_file()
        print(f"model_path is set to {path} ({'found' if exists else 'NOT found'}); nothing to prepare.", file=sys.stderr)
        return EXIT_OK if exists else EXIT_FAILED_INPUT
    target = default_model_path(config.cache_dir)
    if is_prepared(target):
        print(f"the default model is ready: {target}", file=sys.stderr)
        return EXIT_OK
    print("assembling the default model (1.1 GB, once)...", file=sys.stderr)
    try:
        with tqdm(total=DEFAULT_MODEL.size, unit="B", unit_scale=True, file=sys.stderr) as bar:
            path = prepare_default_model(config.cache_dir, progress=bar.update)
    except BackendUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED_INPUT
    print(f"the default model is ready: {path}", file=sys.stderr)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from cli.evaluate import run_eval_command

    return run_eval_command(args, config)
