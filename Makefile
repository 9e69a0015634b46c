# Two commands matter: `make demo` and `make test`. Each sets up what it needs by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when the project's metadata changes; the stamps record the last installs:
# RUNTIME for the library alone (make demo), STAMP for the library and the test tools.
SUM     := $(shell cksum < pyproject.toml | cut -d' ' -f1)
RUNTIME := $(VENV)/.runtime-$(SUM)
STAMP   := $(VENV)/.test-$(SUM)

.PHONY: demo test deps bench format graphviz clean

demo: $(RUNTIME) graphviz
	$(BIN)/python -m nn train

test: $(STAMP) graphviz
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# Everything make test needs, without running it (.ci/run adds torch in between).
deps: $(STAMP) graphviz

# One thread for NumPy's BLAS, as for PyTorch (torch.set_num_threads(1)): the same machine for all.
bench: $(STAMP) $(VENV)/.bench-installed
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/run.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed; found: $$($(PYTHON) --version 2>&1)." \
		       "Run 'make PYTHON=python3.11 ...' to choose another interpreter."; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "venv is missing; installing python3-venv with apt-get"; \
			apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && \
			$(PYTHON) -m venv $(VENV); \
		else \
			echo "Cannot create a virtual environment: install Python's venv module" \
			     "(on Debian: sudo apt-get install python3-venv) and run make again."; exit 1; \
		fi; }

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.runtime-*
	touch $@

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.test-*
	touch $@

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# Graphviz's `dot` renders the drawings; it is a system program, not a Python package.
graphviz:
	@command -v dot >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Graphviz's dot is missing; installing it with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz's dot program is missing. Install it and run make again:"; \
		echo "  Debian/Ubuntu: sudo apt-get install graphviz"; \
		echo "  macOS:         brew install graphviz"; \
		exit 1; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis out build *.egg-info
