"""Handlers of the `rag` sub-commands: parse nothing, print results, return an exit code."""

from __future__ import annotations

import argparse
import sys

from rag.cli import EXIT_FAILED_INPUT, EXIT_OK, EXIT_USAGE, print_json
from rag.config import Config


def _library(config: Config):
    from index.library import open_library

    return open_library(config.index)


class _Bar:
    """A tqdm bar on stderr fed by ingest progress events (files, chunks, chunks/s)."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._bar = None

    def __call__(self, event) -> None:
        if self._bar is None:
            self._bar = self._tqdm(total=event.files_total, unit="file", file=sys.stderr, dynamic_ncols=True)
        rate = event.chunks / event.elapsed if event.elapsed > 0 else 0.0
        self._bar.set_postfix_str(f"{event.chunks} chunks, {rate:.1f} chunks/s", refresh=False)
        self._bar.update(event.files_done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def cmd_ingest(args: argparse.Namespace, config: Config) -> int:
    library = _library(config)
    bar = _Bar()
    try:
        report = library.ingest(args.paths, rebuild=args.rebuild, progress=bar)
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

    passages = Retriever(_library(config), mode=args.mode).retrieve(args.query, args.k or config.k)
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
    print(f"rag: error: no document with id '{args.doc_id}' (see `rag list`)", file=sys.stderr)
    return EXIT_USAGE
