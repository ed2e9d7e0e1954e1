# Two commands for a newcomer: `make run` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEFAULT_TEST_POSTGRES_URL := postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: install browser pdf-deps pdf-test-deps bench-documents run migrate seed serve lint test test-sqlite test-postgres soak bench screenshots clean

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

## pdf-deps: what WeasyPrint needs for readable, fast PDFs on Debian: a CJK font (else every
## Chinese character is a box) and HarfBuzz subsetting (else seconds per document).
## Installed when run as root; otherwise stop with the one command to run.
PDF_PACKAGES := fonts-noto-cjk libharfbuzz-subset0
PDF_TEST_PACKAGES := $(PDF_PACKAGES) poppler-utils
define need_debian_packages
	@if command -v dpkg >/dev/null 2>&1; then \
		missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then \
			if [ "$$(id -u)" = 0 ]; then \
				echo "installing$$missing (PDF documents)"; \
				apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
			else \
				echo "PDF documents need$$missing. Run: sudo apt-get install$$missing"; exit 1; \
			fi; \
		fi; \
	else \
		echo "not a Debian machine: install a CJK font (Noto Sans CJK) and HarfBuzz's subset library yourself"; \
	fi
endef

pdf-deps:
	$(call need_debian_packages,$(PDF_PACKAGES))

pdf-test-deps:
	$(call need_debian_packages,$(PDF_TEST_PACKAGES))

## make run: create .venv, install, migrate, load the demo district if empty, serve on :8000
run: install pdf-deps
	$(BIN)/changxiao migrate
	$(BIN)/changxiao seed --demo --if-empty
	$(BIN)/changxiao serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check service jobs tests
	$(BIN)/ruff format --check service jobs tests
	$(BIN)/mypy service jobs

## make test: lint, then the whole suite on SQLite and (when it answers) on PostgreSQL
test: lint test-sqlite test-postgres

test-sqlite: install browser pdf-test-deps
	@echo "=== tests on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install browser pdf-test-deps
	@url="$${TEST_POSTGRES_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1)' 2>/dev/null; then \
		url="$(DEFAULT_TEST_POSTGRES_URL)"; fi; \
	if [ -z "$$url" ]; then \
		if [ -n "$${CHANGXIAO_REQUIRE_POSTGRES:-}" ]; then echo "PostgreSQL is required but does not answer"; exit 1; fi; \
		echo "=== PostgreSQL not reachable on 127.0.0.1:5432 and TEST_POSTGRES_URL unset: PostgreSQL run skipped ==="; \
		exit 0; fi; \
	echo "=== tests on PostgreSQL ($$url) ==="; \
	DATABASE_URL="$$url" $(BIN)/pytest $(PYTEST_ARGS)

## make soak: the long versions of the edge suites (authorization matrix, schemathesis
## with every role on both engines and a larger budget, fault suite, seed kill), on
## SQLite and (when it answers) PostgreSQL
SOAK_SUITES := tests/auth/test_authorization_matrix.py tests/contract tests/faults tests/test_request_decoding.py
soak: install
	CHANGXIAO_SCHEMATHESIS_ALL=1 CHANGXIAO_SCHEMATHESIS_SECONDS=$${CHANGXIAO_SCHEMATHESIS_SECONDS:-120} \
	CHANGXIAO_SCHEMATHESIS_EXAMPLES=$${CHANGXIAO_SCHEMATHESIS_EXAMPLES:-200} \
	$(MAKE) test-sqlite test-postgres PYTEST_ARGS="$(SOAK_SUITES)"

## make bench: benchmarks (numbers go to docs/benchmarks.md)
bench: install pdf-deps
	$(BIN)/python -m tests.bench.run
	$(MAKE) bench-documents

## bench-documents: the yearly statement's time and size, and the 126-statement batch, on a
## freshly seeded demo district (SQLite under var/); numbers go to docs/benchmarks.md by hand
BENCH_DOCS_DB := var/bench-documents.sqlite3
bench-documents: install pdf-deps
	rm -f $(BENCH_DOCS_DB)*
	DATABASE_URL=sqlite:///$(BENCH_DOCS_DB) $(BIN)/changxiao migrate
	DATABASE_URL=sqlite:///$(BENCH_DOCS_DB) $(BIN)/changxiao seed --demo
	DATABASE_URL=sqlite:///$(BENCH_DOCS_DB) $(BIN)/python -m tests.bench.documents --workers 2

## make screenshots: the browser tests on SQLite, saving each page to docs/screenshots/
screenshots: install browser
	env -u DATABASE_URL CHANGXIAO_SCREENSHOTS=1 $(BIN)/pytest tests/e2e -q

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
