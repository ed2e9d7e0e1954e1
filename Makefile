# Two commands for a newcomer: `make run` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEFAULT_TEST_POSTGRES_URL := postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: install browser run migrate seed serve lint test test-sqlite test-postgres bench screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## browser: Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded)
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
		else \
			echo "The browser tests need Debian's Chromium. Run: sudo apt-get install chromium"; exit 1; \
		fi; \
	fi

## make run: create .venv, install, migrate, load the demo district if empty, serve on :8000
run: install
	$(BIN)/changxiao migrate
	$(BIN)/changxiao seed --demo --if-empty
	$(BIN)/changxiao serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check service jobs tests
	$(BIN)/ruff format --check service jobs tests
	$(BIN)/mypy service jobs

## make test: lint, then the whole suite on SQLite and (when it answers) on PostgreSQL
test: lint test-sqlite test-postgres

test-sqlite: install browser
	@echo "=== tests on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install browser
	@url="$${TEST_POSTGRES_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1)' 2>/dev/null; then \
		url="$(DEFAULT_TEST_POSTGRES_URL)"; fi; \
	if [ -z "$$url" ]; then \
		if [ -n "$${CHANGXIAO_REQUIRE_POSTGRES:-}" ]; then echo "PostgreSQL is required but does not answer"; exit 1; fi; \
		echo "=== PostgreSQL not reachable on 127.0.0.1:5432 and TEST_POSTGRES_URL unset: PostgreSQL run skipped ==="; \
		exit 0; fi; \
	echo "=== tests on PostgreSQL ($$url) ==="; \
	DATABASE_URL="$$url" $(BIN)/pytest $(PYTEST_ARGS)

## make bench: benchmarks (numbers go to docs/benchmarks.md)
bench: install
	$(BIN)/python -m tests.bench.run

## make screenshots: the browser tests on SQLite, saving each page to docs/screenshots/
screenshots: install browser
	env -u DATABASE_URL CHANGXIAO_SCREENSHOTS=1 $(BIN)/pytest tests/e2e -q

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
