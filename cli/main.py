"""The `rag` command: ingest, status, search, remove, ask, chat, serve, mcp, embed-serve, eval, model.

Exit codes: 0 all fine; 1 some input failed (ingest) or a quality gate failed (eval);
2 usage or configuration error; 3 the index, store or back end cannot be used.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cli import commands
from cli.output import EXIT_INTERRUPTED, EXIT_UNAVAILABLE, EXIT_USAGE, print_error
from rag.backends import BACKENDS
from rag.config import Config, load_config
from rag.errors import (
    BackendUnavailable,
    ConfigError,
    EmbedderUnavailable,
    IndexBusy,
    IndexMismatchError,
    RagError,
    StoreUnavailable,
)

log = logging.getLogger("rag")

def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("index and configuration")
    group.add_argument("--config", type=Path, help="TOML config file (default: ./rag.toml when present)")
    group.add_argument("--data-dir", type=Path, help="where the index lives (default ./.rag; env RAG_DATA_DIR)")
    group.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000 (env RAG_CHROMA_URL)")
    group.add_argument(
        "--embed-url", help="use an OpenAI-compatible embedding server, e.g. http://127.0.0.1:8089/v1 (env RAG_EMBED_URL)"
    )
    group.add_argument("--collection", help="collection name (default 'news')")
    group.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")


def _answering(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=BACKENDS, help="answer generator (default: embedded)")
    parser.add_argument("-k", type=int, dest="k", help="number of passages to retrieve (default 6)")
    parser.add_argument("--model-path", type=Path, help="a GGUF file for the embedded back end")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Local, citation-first question answering over news articles.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add files, folders, web pages, feeds or sitemaps to the index")
    p.add_argument("paths", nargs="*", metavar="PATH|URL", help="files, folders, or http(s) URLs of pages, RSS/Atom feeds, sitemaps")
    p.add_argument("--urls", type=Path, metavar="FILE", help="also ingest the URLs listed in FILE, one per line")
    p.add_argument("--rebuild", action="store_true", help="drop the index first and build it anew")
    p.add_argument("--max-file-mb", type=float, help="skip files larger than this (default 50)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    _common(p)

    p = sub.add_parser("sources", help="follow feeds, sitemaps and pages: add, list, remove, import, export")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("add", help="follow a feed, sitemap or page (polled by `rag watch`)")
    a.add_argument("url", metavar="URL")
    a.add_argument("--every", default="30m", help="how often to poll it: 30m, 2h, 1d (default 30m)")
    _common(a)
    a = actions.add_parser("list", help="the followed sources: last poll, items, next poll, last error")
    a.add_argument("--json", action="store_true")
    _common(a)
    a = actions.add_parser("remove", help="stop following a source (its articles stay unless --purge)")
    a.add_argument("url", metavar="URL")
    a.add_argument("--purge", action="store_true", help="also remove the articles it brought")
    _common(a)
    a = actions.add_parser("import", help="follow every feed of an OPML file")
    a.add_argument("file", type=Path, metavar="FILE.opml")
    a.add_argument("--every", default="30m", help="how often to poll them (default 30m)")
    _common(a)
    a = actions.add_parser("export", help="print the followed sources as OPML")
    _common(a)

    p = sub.add_parser("watch", help="keep the index current: poll the sources when due, ingest changed files")
    p.add_argument("--folder", action="append", type=Path, default=[], metavar="DIR",
                   help="also watch this folder (repeatable; config: watch_folders)")
    p.add_argument("--once", action="store_true", help="poll every source and ingest the folders once, then stop")
    p.add_argument("--for", dest="duration", metavar="DURATION", help="stop after this long (e.g. 10m)")
    _common(p)

    p = sub.add_parser("prune", help="remove articles older than a given age")
    p.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 30d, 12h")
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    _common(p)

    p = sub.add_parser("status", help="documents, chunks, model and store of the index")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("list", help="list the documents in the index")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("search", help="show the top passages for a query (no answer generation)")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None)
    p.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("remove", help="remove a document and its chunks")
    p.add_argument("doc_id")
    _common(p)

    p = sub.add_parser("ask", help="answer one question with cited passages")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the Answer JSON on stdout")
    p.add_argument("--as-of", help="only use articles published up to this date (YYYY-MM-DD)")
    p.add_argument("--doc", action="append", default=[], help="restrict to this document id (repeatable)")
    p.add_argument("--outlet", action="append", default=[], help="restrict to articles of this outlet (site name; repeatable)")
    _answering(p)
    _common(p)

    p = sub.add_parser("chat", help="a conversation in the terminal, with follow-up questions")
    _answering(p)
    _common(p)

    p = sub.add_parser("serve", help="start the chat in the browser (Gradio)")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--auth", help="require USER:PASSWORD (needed to expose beyond this machine)")
    p.add_argument("--share", action="store_true", help="ask Gradio for a public share link")
    p.add_argument("--seed-if-empty", type=Path, metavar="DIR", help="ingest DIR first when the index is empty")
    p.add_argument("--watch", action="store_true", help="also poll the sources and watch folders in the background")
    p.add_argument(
        "--prepare-model", action="store_true",
        help="install the local model in the background when it is missing, answering from the articles "
        "meanwhile (what `make run` does)",
    )
    _answering(p)
    _common(p)

    p = sub.add_parser(
        "mcp",
        help="serve the library to an MCP client over stdin/stdout (tools: search, ask, list_documents, ingest)",
        description="Serve the library to an MCP client over stdin/stdout: only MCP messages go to stdout, logs "
        "to stderr. The same server runs at /mcp under `rag serve`. The ingest tool is off unless mcp_ingest = true.",
    )
    _answering(p)
    _common(p)

    p = sub.add_parser("eval", help="score the system against a gold Q&A set")
    p.add_argument("gold", nargs="?", type=Path, help="gold questions (.jsonl or .jsonl.gz)")
    p.add_argument("--corpus", type=Path, help="articles to index into a separate collection first")
    p.add_argument(
        "--gold-docs-only", action="store_true",
        help="index only the corpus articles that the gold questions' doc_ids name (a .jsonl or .jsonl.gz corpus)",
    )
    p.add_argument("--out", type=Path, default=None, help="output directory (default runs/<gold name>)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument(
        "--resume", action="store_true",
        help="keep the answers an interrupted (or shorter) run with the same settings wrote to --out; ask the rest",
    )
    p.add_argument(
        "--redo", action="append", default=[], metavar="ID",
        help="ask this question again (gold id; repeatable or comma-separated) and keep the rest of the run in --out",
    )
    p.add_argument("--retrieval", choices=("hybrid", "dense", "bm25"), default="hybrid")
    p.add_argument(
        "--choose", choices=("auto", "model", "words"), default="auto",
        help="how multiple-choice options are picked: the local model reading the passages, or word overlap "
        "(auto: the model when the back end is the embedded one)",
    )
    p.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE", help="fail below this value")
    p.add_argument(
        "--max", action="append", default=[], metavar="METRIC=VALUE",
        help="fail above this value (lower-is-better figures: answered_wrong, times in ms, n_errors)",
    )
    p.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"), help="compare two runs")
    _answering(p)
    _common(p)

    p = sub.add_parser("embed-serve", help="serve the local embedding model over the OpenAI-compatible /v1/embeddings API")
    p.add_argument("--host", dest="embed_host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", dest="embed_port", type=int, default=8089, help="port (default 8089)")
    p.add_argument("--config", type=Path, help="TOML config file (embed_model, embed_variant, embed_api_key)")
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")

    p = sub.add_parser("model", help="prepare the local models, or print the generator's model file")
    p.add_argument(
        "action",
        choices=("prepare", "path"),
        help="prepare: assemble the generator's model file and convert the embedding model's network for "
        "OpenVINO into the cache; path: print the generator's model file",
    )
    _common(p)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    cli = {
        "data_dir": getattr(args, "data_dir", None),
        "chroma_url": getattr(args, "chroma_url", None),
        "embed_url": getattr(args, "embed_url", None),
        "collection": getattr(args, "collection", None),
        "backend": getattr(args, "backend", None),
        "k": getattr(args, "k", None),
        "model_path": getattr(args, "model_path", None),
        "max_file_mb": getattr(args, "max_file_mb", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "auth": getattr(args, "auth", None),
    }
    return load_config(cli, config_file=getattr(args, "config", None))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("chromadb", "httpx", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING if args.verbose else logging.ERROR)

    handler: Callable[[argparse.Namespace, Config], int] = getattr(commands, f"cmd_{args.command.replace('-', '_')}")
    try:
        config = config_from_args(args)
        return handler(args, config)
    except (ConfigError, IndexMismatchError) as exc:
        print_error(str(exc))
        return EXIT_USAGE
    except (StoreUnavailable, BackendUnavailable, EmbedderUnavailable, IndexBusy) as exc:
        print_error(str(exc))
        return EXIT_UNAVAILABLE
    except RagError as exc:
        print_error(str(exc))
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
