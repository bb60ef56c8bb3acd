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
    from index.library import IngestReport, open_library
    from index.urls import is_url

    urls = [p for p in args.paths if is_url(p)]
    paths = [Path(p) for p in args.paths if not is_url(p)]
    if args.urls is not None:
        urls += _read_url_list(args.urls)
    if not urls and not paths:
        print_error("nothing to ingest: give files, folders or URLs (or --urls FILE)")
        return EXIT_USAGE
    library = open_library(config.index, rebuild=args.rebuild)  # emptied before the spec check
    report = IngestReport()
    bar = IngestBar()
    try:
        if paths or not urls:
            report = library.ingest(paths, progress=bar)
        if urls:  # the command line's own URLs: loopback and private addresses are allowed
            report = report.merge(library.ingest_urls(urls, allow_private=True, progress=bar))
    finally:
        bar.close()
    print_ingest_report(report, as_json=args.json)
    return EXIT_OK if report.ok else EXIT_FAILED_INPUT


def _read_url_list(path: Path) -> list[str]:
    from rag.errors import ConfigError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the URL list {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def print_ingest_report(report, *, as_json: bool) -> None:
    """The one-line summary (on stderr under --json, which prints the report itself), then each failure."""
    if as_json:
        print_json(report.to_json())
    extra = f", duplicates {len(report.duplicates)}" if report.duplicates else ""
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}{extra}, "
        f"failed {len(report.failed)} ({report.chunks_written} chunks written in {report.seconds:.1f}s)",
        file=sys.stderr if as_json else sys.stdout,
    )
    for path, reason in report.failed:
        print(f"  failed: {path}: {reason}", file=sys.stderr)


def cmd_sources(args: argparse.Namespace, config: Config) -> int:
    from index.sources import Sources, parse_duration

    sources = Sources(config.index.data_dir)
    if args.action == "add":
        source, new = sources.add(args.url, parse_duration(args.every))
        print(f"{'following' if new else 'now polling'} {source.url} every {_every(source)}; `rag watch` polls it")
    elif args.action == "list":
        _print_sources(sources.all(), as_json=args.json)
    elif args.action == "remove":
        return _remove_source(sources, args, config)
    elif args.action == "import":
        added, known = sources.import_opml(args.file, parse_duration(args.every))
        print(f"following {added} new source(s) from {args.file} ({known} already followed)")
    else:
        sys.stdout.write(sources.export_opml())
    return EXIT_OK


def _every(source) -> str:
    from index.sources import format_duration

    return format_duration(source.every_s)


def _remove_source(sources, args: argparse.Namespace, config: Config) -> int:
    if sources.get(args.url) is None:
        print_error(f"'{args.url}' is not a followed source (see `rag sources list`)")
        return EXIT_USAGE
    purged: list[str] = []
    if args.purge:
        from index.watch import purge_source

        purged = purge_source(_library(config), args.url)
    sources.remove(args.url)
    kept = f"removed {len(purged)} of its article(s)" if args.purge else "its articles stay in the index"
    print(f"stopped following {args.url}; {kept}")
    return EXIT_OK


def _print_sources(sources, *, as_json: bool) -> None:
    from datetime import datetime

    def when(stamp: float) -> str:
        return datetime.fromtimestamp(stamp).isoformat(timespec="seconds") if stamp else ""

    rows = [
        {
            "url": s.url, "every": _every(s), "title": s.title, "last_poll": when(s.last_poll), "last_ok": when(s.last_ok),
            "items": s.items, "item_errors": s.item_errors, "next_poll": when(s.next_poll) or "now", "error": s.error,
        }
        for s in sources
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        print("no sources; add one with `rag sources add URL`")
    for r in rows:
        state = f"error: {r['error']}" if r["error"] else f"{r['items']} items" + (f", {r['item_errors']} failed" if r["item_errors"] else "")
        print(f"{r['url']}\tevery {r['every']}\tlast {r['last_poll'] or 'never'}\tnext {r['next_poll']}\t{state}")


def _watcher(config: Config, library, folders: list[Path], on_report=None):
    from index.sources import Sources
    from index.watch import Watcher

    folders = [*folders, *(Path(f.strip()) for f in config.index.watch_folders.split(",") if f.strip())]
    return Watcher(
        library, Sources(config.index.data_dir), folders,
        retention_s=config.index.retention_days * 86400, on_report=on_report,
    )


def cmd_watch(args: argparse.Namespace, config: Config) -> int:
    import threading

    from index.sources import parse_duration
    from index.watch import poll_sources

    library = _library(config)

    def report(label: str, rep) -> None:
        if rep.removed:
            print(f"{label}: removed {len(rep.removed)} ({', '.join(rep.removed)})", flush=True)
        if rep.added or rep.updated or rep.failed:
            print(f"{label}: added {len(rep.added)}, updated {len(rep.updated)}, failed {len(rep.failed)}", flush=True)
        for path, reason in rep.failed:
            print(f"  failed: {path}: {reason}", file=sys.stderr, flush=True)

    watcher = _watcher(config, library, args.folder, report)
    if args.once:
        failed = False
        if watcher.folders:
            rep = library.ingest(watcher.folders)
            report("folders", rep)
            failed = not rep.ok
            watcher.remove_deleted()
        for poll in poll_sources(library, watcher.sources, due_only=False):
            report(poll.source.url, poll.report)
            failed = failed or bool(poll.error)
        return EXIT_FAILED_INPUT if failed else EXIT_OK
    stop = threading.Event()
    if args.duration:
        timer = threading.Timer(parse_duration(args.duration), stop.set)
        timer.daemon = True
        timer.start()
    print(f"watching {len(watcher.sources.all())} source(s) and {len(watcher.folders)} folder(s); Ctrl-C stops", file=sys.stderr)
    try:
        watcher.run(stop)
    except KeyboardInterrupt:
        stop.set()
    return EXIT_OK


def cmd_prune(args: argparse.Namespace, config: Config) -> int:
    from index.sources import parse_duration
    from index.watch import older_than, prune

    seconds = parse_duration(args.older_than)
    library = _library(config)
    if args.dry_run:
        print(f"would remove {len(older_than(library, seconds))} article(s) older than {args.older_than}")
        return EXIT_OK
    removed = prune(library, seconds)
    print(f"removed {len(removed)} article(s) older than {args.older_than} (undated articles stay)")
    return EXIT_OK


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    status = _library(config).status()
    if args.json:
        print_json(status)
    else:
        for key, value in status.items():
            print(f"{key:>18}: {value}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, config: Config) -> int:
    library = _library(config)
    docs = library.documents()
    aliases = library.aliases()
    if args.json:
        rows = [
            {"doc_id": d.doc_id, "title": d.title, "published": d.published, "url": d.url, "chunks": d.n_chunks, "source": d.source}
            | ({"outlet": d.site, "updated": d.updated} if d.site or d.updated else {})
            for d in docs
        ]
        rows += [
            {"doc_id": a.doc_id, "title": a.title, "published": a.published, "url": a.url, "chunks": 0, "source": a.source,
             "outlet": a.site, "updated": a.updated, "alias_of": a.alias_of}
            for a in aliases
        ]
        print_json(rows)
        return EXIT_OK
    for d in docs:
        print(f"{d.doc_id}\t{d.published or '-'}\t{d.n_chunks} chunks\t{d.title}")
    for a in aliases:
        print(f"{a.doc_id}\t{a.published or '-'}\talias of {a.alias_of}\t{a.title}")
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
    from index.errors import NoSuchOutlet
    from rag.retrieve import as_filters
    from rag.types import Answer

    filters = as_filters(doc_ids=args.doc, as_of=args.as_of)
    if args.as_of and filters.as_of is None:
        print_error(f"--as-of '{args.as_of}' is not a date (use YYYY-MM-DD)")
        return EXIT_USAGE
    pipeline = _pipeline(config)
    try:
        filters = pipeline.library.restrict_to_outlets(filters, args.outlet)
    except NoSuchOutlet as exc:
        print_error(f"{exc} (outlets are the site names `rag list --json` shows)")
        return EXIT_USAGE
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

    if args.watch:  # the watcher writes through its own library, under the same writer lock as uploads
        import threading

        watcher = _watcher(config, _library(config), [])
        threading.Thread(target=watcher.run, args=(threading.Event(),), name="newsrag-watch", daemon=True).start()
    if args.prepare_model and config.backend == "embedded":
        _prepare_model_in_background(config)
    serve(config, share=args.share, seed_dir=args.seed_if_empty)
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace, config: Config) -> int:
    from ui.mcp_server import serve_stdio

    serve_stdio(config, lambda: _pipeline(config))
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
