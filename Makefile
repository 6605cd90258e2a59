# Caseway: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export DATABASE_URL ?= sqlite:///$(CURDIR)/instance/caseway.sqlite3
# The tiers `make test-fast` leaves out; `make test` runs everything.
FAST := not browser and not ops and not slow

.PHONY: install run test test-fast lint lint-all format bench clean

# `make run` needs only the runtime; the test tools come with `make test`.
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/caseway db upgrade
	$(BIN)/caseway deploy workflows/
	$(BIN)/caseway seed-demo
	$(BIN)/caseway serve --host $(HOST) --port $(PORT)

lint-all: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint-all
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The inner loop: everything but the browser, multi-process and multi-second tests (~3 min).
test-fast: lint-all
	$(BIN)/python -m pytest -q -m "$(FAST)" $(PYTEST_ARGS)

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

# All benchmark scenarios (~36 min on 2 cores; QUICK=1 for a short run under 2 min). Needs the
# PostgreSQL server of `make test`; writes bench/results/latest.json. Never fails on speed.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: lint-all

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
