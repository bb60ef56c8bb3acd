from pathlib import Path

import pytest

from rag.config import load_config
from rag.errors import ConfigError


def test_precedence_is_defaults_then_file_then_env_then_cli(tmp_path):
    toml = tmp_path / "rag.toml"
    toml.write_text('backend = "ollama"\nk = 7\n[index]\ndata_dir = "from-file"\ncollection = "filecoll"\n')
    env = {"RAG_K": "8", "RAG_COLLECTION": "envcoll"}
    config = load_config({"collection": "clicoll"}, environ=env, config_file=toml)
    assert config.backend == "ollama"  # file beats default
    assert config.k == 8  # env beats file
    assert config.index.collection == "clicoll"  # cli beats env
    assert config.index.data_dir == Path("from-file")


def test_defaults_are_project_local_and_embedded(tmp_path):
    config = load_config({}, environ={"RAG_CONFIG": str(tmp_path / "none.toml")})
    assert config.index.data_dir == Path(".rag")
    assert config.backend == "embedded" and config.k >= 5
    assert config.host == "127.0.0.1"


@pytest.mark.parametrize("values", [{"backend": "gpt"}, {"k": 0}, {"k": "many"}, {"nonsense": 1}])
def test_invalid_values_raise_config_error(values, tmp_path):
    with pytest.raises(ConfigError):
        load_config(values, environ={"RAG_CONFIG": str(tmp_path / "none.toml")})


def test_broken_toml_is_reported_with_its_path(tmp_path):
    bad = tmp_path / "rag.toml"
    bad.write_text("k = = 3")
    with pytest.raises(ConfigError, match="rag.toml"):
        load_config({}, environ={}, config_file=bad)
