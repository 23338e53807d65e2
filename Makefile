# The placements portal. `make run` serves it with demo data; `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export FLASK_APP := wsgi
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/portal_test

.PHONY: install run test test-postgres lint assets clean bench

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Migrate the embedded SQLite database, load the demo data once, then serve the portal on
# http://127.0.0.1:5000 with the scheduler running beside it (stop both with Ctrl+C).
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/flask scheduler run & \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .

# Every test, browser tests included, on SQLite.
test: install
	VENV=$(VENV) scripts/ensure-test-tools
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

# The same suite against PostgreSQL (a server on 127.0.0.1:5432 by default).
test-postgres: install
	VENV=$(VENV) scripts/ensure-test-tools
	TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest -n 2 --dist loadfile

# The benchmark: generate the data once (BENCH_SCALE=1 for national scale; DATABASE_URL=postgresql+psycopg://... for
# PostgreSQL), then drive each role's main page on the portal and on a bare floor app, and time the jobs.
# BENCH_ARGS passes options to bench.run, e.g. BENCH_ARGS="--seconds 5 --pages referrals,audit --no-jobs".
BENCH_SCALE ?= 0.1
BENCH_ARGS ?=
BENCH_MANIFEST ?= instance/bench/manifest.json
export BENCH_SCALE BENCH_MANIFEST

bench: install
	test -f $(BENCH_MANIFEST) || $(BIN)/python -m bench.generate --scale $(BENCH_SCALE) --manifest $(BENCH_MANIFEST)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Rebuild the committed stylesheet and script from GOV.UK Frontend (needs Node.js and npm).
assets:
	cd frontend && npm install --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) instance
