"""Answer generators behind one protocol, registered by name: the one list of back ends.

Each entry says what the back end is, how it answers when `answer_mode` is "auto", and how to build
its generator from the configuration. Adding a back end is one `register` call here; `Config`
validates names against this registry, and the CLI's `--backend` choices and the UI read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.backends.base import ChatMessage, Generator
from rag.errors import ConfigError

if TYPE_CHECKING:
    from rag.config import Config


@dataclass(frozen=True)
class Backend:
    """A registered back end: its name, one line for people, its default answer mode and its factory."""

    name: str
    description: str
    # How its model answers under answer_mode "auto"; None for a back end without a model.
    answer_mode: str | None
    # Builds the LLM generator from the configuration; None: answers are quoted from the evidence alone.
    factory: Callable[[Config], Generator] | None


REGISTRY: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Add `backend` to the registry (its name must be new)."""
    if backend.name in REGISTRY:
        raise ValueError(f"a back end named {backend.name!r} is already registered")
    REGISTRY[backend.name] = backend
    return backend


# The factories import their module when called: `Config` reads this registry at every start, and
# the HTTP clients and llama.cpp cost 0.1 s and more to import.
def _embedded(config: Config) -> Generator:
    from rag.backends.embedded import EmbeddedGenerator
    from rag.backends.setup_status import require_ready

    # Not built (nor cached by the pipeline) while `make run` still prepares the model in the
    # background: each request asks again, and the first one after the set-up gets the model.
    require_ready(config)

    return EmbeddedGenerator(config)


def _ollama(config: Config) -> Generator:
    from rag.backends.ollama import OllamaGenerator

    return OllamaGenerator.from_config(config)


def _openai(config: Config) -> Generator:
    from rag.backends.openai_compat import OpenAICompatGenerator

    return OpenAICompatGenerator.from_config(config)


register(Backend("embedded", "local model", "verify", _embedded))
register(Backend("ollama", "an Ollama server", "generate", _ollama))
register(Backend("openai", "an OpenAI-compatible server", "generate", _openai))
register(Backend("extractive", "quotes only, no model", None, None))

BACKENDS = tuple(REGISTRY)  # in registration order, the order of `--backend`'s choices
LLM_BACKENDS = tuple(name for name, b in REGISTRY.items() if b.factory is not None)


def make_generator(name: str, config: Config) -> Generator:
    """Build the LLM generator registered as `name` from `config`."""
    backend = REGISTRY.get(name)
    if backend is None or backend.factory is None:
        raise ConfigError(f"unknown LLM backend '{name}'; choose one of {', '.join(LLM_BACKENDS)}")
    return backend.factory(config)


__all__ = [
    "BACKENDS",
    "LLM_BACKENDS",
    "REGISTRY",
    "Backend",
    "ChatMessage",
    "Generator",
    "make_generator",
    "register",
]
