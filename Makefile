# One target per task; every target installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help install demo test test-postgres fuzz lint bench screenshots clean

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)  ## Create the virtual environment and install Carrefour

demo: $(STAMP)  ## Start the whole network (SQLite, simulated sources) and print how to use it
	$(BIN)/carrefour demo

TEST_WORKERS ?= 2

test: $(STAMP)  ## Run the test suite on TEST_WORKERS processes (PostgreSQL when CARREFOUR_TEST_DATABASE_URL is set)
	$(BIN)/pytest -q -n $(TEST_WORKERS)

test-postgres: $(STAMP)  ## Run the test suite on the local PostgreSQL
	CARREFOUR_TEST_DATABASE_URL=$${CARREFOUR_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1/test} $(BIN)/pytest -q -n $(TEST_WORKERS)

fuzz: $(STAMP)  ## Only the fuzz run of the API (part of make test; CARREFOUR_FUZZ_EXAMPLES=20)
	$(BIN)/pytest -q -m fuzz

lint: $(STAMP)  ## Ruff and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

SOAK_MINUTES ?= 3

bench: $(STAMP)  ## Benchmarks: hub against direct source, deliveries, catalogue, auth flood, soak (docs/benchmarks.md)
	$(BIN)/python -m bench.consultations
	$(BIN)/python -m bench.deliveries
	$(BIN)/python -m bench.catalogue --fan-out
	$(BIN)/python -m bench.auth_flood
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES)
	@if [ -n "$$CARREFOUR_BENCH_DATABASE_URL" ]; then \
		$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES) --database-url "$$CARREFOUR_BENCH_DATABASE_URL"; \
	else echo "Soak on PostgreSQL skipped: set CARREFOUR_BENCH_DATABASE_URL (an empty database; it is emptied)"; fi

screenshots: $(STAMP)  ## The console's screenshots in docs/console/ (its browser tests, Chromium)
	CARREFOUR_SCREENSHOTS=docs/console $(BIN)/pytest -q -p no:cacheprovider tests/console/test_browser.py

clean:  ## Remove the virtual environment and local data
	rm -rf $(VENV) var
