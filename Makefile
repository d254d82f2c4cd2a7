# hub-booking: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
# Every set-up step lives here, so a fresh clone needs nothing installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL pass: "required" (CI), "off", or unset = run it when a server answers.
HUB_BOOKING_TEST_POSTGRES ?=
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=
FUZZ_REPORT ?= var/fuzz_report.md

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite test-postgres test-fuzz lint format typecheck bench i18n chromium screenshots vendor-axe clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) ## create .venv and install the app with its test tools

run: $(STAMP) ## migrate, load the demo data into SQLite and serve on http://127.0.0.1:8000
	$(BIN)/hub-booking migrate
	$(BIN)/hub-booking seed-demo
	$(BIN)/hub-booking serve --host $(HOST) --port $(PORT)

chromium: ## install Debian's chromium for the browser tests (never a downloaded browser)
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium: run 'apt-get install chromium' as root" >&2; exit 1; }; }

test: $(STAMP) chromium ## the whole suite on SQLite and on PostgreSQL, the two passes side by side
	@mkdir -p var; rm -f var/test-sqlite.log var/test-postgres.log; \
	HUB_BOOKING_TEST_DATABASE=sqlite $(BIN)/pytest $(PYTEST_ARGS) > var/test-sqlite.log 2>&1 & sqlite=$$!; \
	pg=; if [ "$(HUB_BOOKING_TEST_POSTGRES)" = "off" ]; then \
	  echo "PostgreSQL pass skipped (HUB_BOOKING_TEST_POSTGRES=off)"; \
	elif [ "$(HUB_BOOKING_TEST_POSTGRES)" = "required" ] || $(BIN)/python -c "import asyncio, asyncpg; asyncio.run(asyncpg.connect('$(PG_URL)', timeout=3))" 2>/dev/null; then \
	  HUB_BOOKING_TEST_DATABASE=postgres HUB_BOOKING_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS) > var/test-postgres.log 2>&1 & pg=$$!; \
	else \
	  echo "PostgreSQL pass skipped: no server at $(PG_URL) (set HUB_BOOKING_TEST_POSTGRES=required to insist)"; \
	fi; \
	wait $$sqlite; s1=$$?; s2=0; if [ -n "$$pg" ]; then wait $$pg; s2=$$?; fi; \
	echo "===== SQLite pass ====="; cat var/test-sqlite.log; \
	if [ -n "$$pg" ]; then echo "===== PostgreSQL pass ====="; cat var/test-postgres.log; fi; \
	echo "SQLite pass: exit $$s1; PostgreSQL pass: exit $$s2"; \
	[ $$s1 -eq 0 ] && [ $$s2 -eq 0 ]

test-sqlite: $(STAMP) ## the suite on SQLite only
	HUB_BOOKING_TEST_DATABASE=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) ## the suite on PostgreSQL only
	HUB_BOOKING_TEST_DATABASE=postgres HUB_BOOKING_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

test-fuzz: $(STAMP) ## the OpenAPI fuzzer alone on both engines, past every failure: all in var/fuzz_report.md
	@mkdir -p $(dir $(FUZZ_REPORT)); rm -f $(FUZZ_REPORT); status=0; \
	HUB_BOOKING_TEST_DATABASE=sqlite HUB_BOOKING_FUZZ_REPORT=$(abspath $(FUZZ_REPORT)) \
	  $(BIN)/pytest -m fuzz tests/fuzz $(PYTEST_ARGS) || status=1; \
	if [ "$(HUB_BOOKING_TEST_POSTGRES)" != "off" ] && { [ "$(HUB_BOOKING_TEST_POSTGRES)" = "required" ] || $(BIN)/python -c "import asyncio, asyncpg; asyncio.run(asyncpg.connect('$(PG_URL)', timeout=3))" 2>/dev/null; }; then \
	  HUB_BOOKING_TEST_DATABASE=postgres HUB_BOOKING_TEST_POSTGRES_URL=$(PG_URL) \
	  HUB_BOOKING_FUZZ_REPORT=$(abspath $(FUZZ_REPORT)) $(BIN)/pytest -m fuzz tests/fuzz $(PYTEST_ARGS) || status=1; \
	else echo "PostgreSQL pass of the fuzzer skipped: no server at $(PG_URL)"; fi; \
	if [ -s $(FUZZ_REPORT) ]; then echo "fuzzer findings: $(FUZZ_REPORT)"; fi; exit $$status

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## ruff format and fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP) ## mypy on hub_booking/
	$(BIN)/mypy hub_booking

bench: $(STAMP) ## benchmarks, figures written to bench/results/
	@if ls bench/*.py >/dev/null 2>&1; then \
	  for b in bench/*.py; do $(BIN)/python $$b || exit 1; done; \
	else echo "no benchmarks yet (they come with the booking engine)"; fi

screenshots: $(STAMP) chromium ## pictures of the pages (demo data, real server, chromium) into docs/screenshots/
	$(BIN)/python tests/e2e/screenshots.py --out docs/screenshots

vendor-axe: ## refresh tests/e2e/vendor/axe.min.js (axe-core 4.x from npm; for the browser tests only, never served)
	@tmp=$$(mktemp -d) && (cd "$$tmp" && npm pack --silent axe-core@4 >/dev/null && tar xzf axe-core-*.tgz) \
	  && cp "$$tmp/package/axe.min.js" tests/e2e/vendor/axe.min.js \
	  && cp "$$tmp/package/LICENSE" tests/e2e/vendor/axe.LICENSE \
	  && grep -E '"(version|license)"' "$$tmp/package/package.json" | head -2 \
	  && sha256sum tests/e2e/vendor/axe.min.js && rm -rf "$$tmp"

i18n: $(STAMP) ## extract messages and update the ar/fr/en catalogs
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o hub_booking/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i hub_booking/locale/messages.pot -d hub_booking/locale --no-fuzzy-matching --ignore-obsolete

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var
