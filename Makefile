# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
# The port `make run` serves the app on: `make run PORT=8600`
PORT ?= 8501
# `make run TORCH_INDEX=https://download.pytorch.org/whl/cpu`: the venv gets requirements.txt's torch from
# that index first (a CPU-only build, not pip's default CUDA one); then the rest of requirements.txt
TORCH_INDEX ?=
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench e2e

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(if $(TORCH_INDEX),$(BIN)/pip install --quiet "$$(grep '^torch==' requirements.txt)" --index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# MALLOC_ARENA_MAX=2: glibc otherwise keeps a heap per thread that simulated, and the server's memory
# creeps up with every new session (bench/soak.py measured both).
run: $(VENV)/.runtime
	MALLOC_ARENA_MAX=2 $(BIN)/streamlit run app.py --server.port $(PORT)

# `make serve REPLICAS=N`: N replicas of the app behind HAProxy on PORT, cookie session affinity
# and, for more than one replica, a Redis of its own for class mode's rooms (deploy/serve.py installs
# the Debian haproxy and redis-server packages when they are missing; README "For teachers")
REPLICAS ?= 2
.PHONY: serve
serve: $(VENV)/.runtime
	MALLOC_ARENA_MAX=2 $(BIN)/python -m deploy.serve --replicas $(REPLICAS) --port $(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

e2e: $(VENV)/.dev  # only the real-browser tests (system Chromium; also part of `make test`)
	$(BIN)/python -m pytest tests/e2e

bench: $(VENV)/.dev
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/train.py
	$(BIN)/python bench/app_latency.py

# Rebuild static/plotly-<version>-lab2.min.js (the plotly.js version the installed plotly package ships)
# and its checksum build/plotly/bundle.sha256; needs node, npm and the npm registry (build/plotly/README.md).
.PHONY: plotly-js
plotly-js: $(VENV)/.runtime
	PLOTLY_PYTHON=$(BIN)/python bash build/plotly/build_plotly.sh
