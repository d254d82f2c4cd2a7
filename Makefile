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

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite test-postgres lint format typecheck bench i18n chromium clean

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

test: $(STAMP) chromium ## the whole suite on SQLite, then on PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	@if [ "$(HUB_BOOKING_TEST_POSTGRES)" = "off" ]; then \
	  echo "PostgreSQL pass skipped (HUB_BOOKING_TEST_POSTGRES=off)"; \
	elif [ "$(HUB_BOOKING_TEST_POSTGRES)" = "required" ] || $(BIN)/python -c "import asyncio, asyncpg; asyncio.run(asyncpg.connect('$(PG_URL)', timeout=3))" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else \
	  echo "PostgreSQL pass skipped: no server at $(PG_URL) (set HUB_BOOKING_TEST_POSTGRES=required to insist)"; \
	fi

test-sqlite: $(STAMP) ## the suite on SQLite only
	HUB_BOOKING_TEST_DATABASE=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) ## the suite on PostgreSQL only
	HUB_BOOKING_TEST_DATABASE=postgres HUB_BOOKING_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

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

i18n: $(STAMP) ## extract messages and update the ar/fr/en catalogs
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o hub_booking/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i hub_booking/locale/messages.pot -d hub_booking/locale --no-fuzzy-matching --ignore-obsolete

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var
