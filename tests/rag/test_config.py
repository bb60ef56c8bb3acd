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


def test_embedding_server_settings_come_from_file_env_and_the_embed_url_flag_and_the_key_stays_hidden(tmp_path):
    from cli.main import build_parser, config_from_args

    toml = tmp_path / "rag.toml"
    toml.write_text('[index]\nembed_url = "http://file-host:8089/v1"\nembed_api_model = "all-minilm"\n')
    env = {"RAG_EMBED_API_KEY": "k3y-from-env", "RAG_EMBED_TIMEOUT_S": "5", "RAG_CONFIG": str(toml)}
    config = load_config({}, environ=env)
    assert (config.index.embed_url, config.index.embed_api_model) == ("http://file-host:8089/v1", "all-minilm")
    assert (config.index.embed_api_key, config.index.embed_timeout_s) == ("k3y-from-env", 5.0)
    assert "k3y-from-env" not in repr(config)

    args = build_parser().parse_args(["search", "q", "--embed-url", "http://cli-host:8089/v1", "--config", str(toml)])
    assert config_from_args(args).index.embed_url == "http://cli-host:8089/v1"


def test_server_limits_and_host_names_come_from_the_environment():
    config = load_config({}, environ={"RAG_ALLOWED_HOSTS": "news.example.org", "RAG_CLIENT_BURST": "5", "RAG_CLIENT_PER_S": "0", "RAG_AUTH": "a:b"})
    assert (config.allowed_hosts, config.client_burst, config.client_per_s, config.auth) == ("news.example.org", 5, 0.0, "a:b")
    for env, message in (({"RAG_CLIENT_BURST": "0"}, "client_burst"), ({"RAG_CLIENT_PER_S": "-1"}, "client_per_s")):
        with pytest.raises(ConfigError, match=message):
            load_config({}, environ=env)


def test_retrieval_settings_come_from_the_retrieval_section_and_the_environment(tmp_path):
    toml = tmp_path / "rag.toml"
    toml.write_text("[retrieval]\nrrf_k = 60\nper_document = 1\nbm25_weight = 2.5\n")
    config = load_config({}, environ={"RAG_CANDIDATES": "80", "RAG_RRF_K": "10"}, config_file=toml)
    assert (config.retrieval.rrf_k, config.retrieval.per_document) == (10, 1)  # the environment wins
    assert (config.retrieval.candidates, config.retrieval.bm25_weight) == (80, 2.5)
    assert config.retrieval.recency_half_life_days == 7.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"candidates": 0}, "candidates must be between 1 and 1000"),
        ({"duplicate_jaccard": 1.5}, "duplicate_jaccard must be between 0.0 and 1.0"),
        ({"recency_half_life_days": 0}, "recency_half_life_days must be above 0"),
        ({"rrf_k": "many"}, "setting 'rrf_k' has an invalid value"),
    ],
)
def test_bad_retrieval_settings_are_refused_with_their_name(values, message):
    with pytest.raises(ConfigError, match=message):
        load_config(values, environ={})


def test_the_pipeline_builds_its_retriever_from_the_configured_settings(tmp_path, library):
    from cli.main import build_parser, config_from_args
    from rag.pipeline import Pipeline

    toml = tmp_path / "rag.toml"
    toml.write_text("[retrieval]\ncandidates = 12\n")
    config = config_from_args(build_parser().parse_args(["search", "q", "--config", str(toml)]))
    assert Pipeline(config, library=library).retriever.settings.candidates == 12
