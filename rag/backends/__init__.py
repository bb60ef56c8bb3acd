"""Answer generators behind one protocol; `make_generator` picks one by its configured name."""

from __future__ import annotations

from rag.backends.base import ChatMessage, Generator
from rag.backends.embedded import EmbeddedGenerator
from rag.backends.ollama import OllamaGenerator
from rag.backends.openai_compat import OpenAICompatGenerator
from rag.config import Config
from rag.errors import ConfigError

LLM_BACKENDS = ("embedded", "ollama", "openai")


def make_generator(name: str, config: Config) -> Generator:
    """Build the LLM generator called `name` ("embedded", "ollama" or "openai") from `config`."""
    if name == "embedded":
        return EmbeddedGenerator(config)
    if name == "ollama":
        return OllamaGenerator.from_config(config)
    if name == "openai":
        return OpenAICompatGenerator.from_config(config)
    raise ConfigError(f"unknown LLM backend '{name}'; choose one of {', '.join(LLM_BACKENDS)}")


__all__ = [
    "LLM_BACKENDS",
    "ChatMessage",
    "EmbeddedGenerator",
    "Generator",
    "OllamaGenerator",
    "OpenAICompatGenerator",
    "make_generator",
]
