# Caseway: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DATABASE_URL ?= sqlite:///$(CURDIR)/instance/caseway.sqlite3

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/caseway db upgrade
	$(BIN)/caseway deploy workflows/
	$(BIN)/caseway seed-demo
	$(BIN)/caseway serve --host 127.0.0.1 --port 5000

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

# All benchmark scenarios (~36 min on 2 cores; QUICK=1 for a short run under 2 min). Needs the
# PostgreSQL server of `make test`; writes bench/results/latest.json. Never fails on speed.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
