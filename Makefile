# ecocast: the two set-up commands are `make demo` and `make test`.
# Each creates a local virtual environment (.venv) and installs ecocast from this checkout.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= data
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## The main job on the bundled real sample, with the embedded store.
demo: $(STAMP)
	$(BIN)/ecocast demo --data-dir $(DATA_DIR)

## The whole test suite (lint, type checks, tests).
test: $(STAMP)
	bash scripts/lint.sh
	bash scripts/test.sh

lint: $(STAMP)
	bash scripts/lint.sh

bench: $(STAMP)
	for f in benchmarks/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .mypy_cache .ruff_cache
