# Verity: `make run` serves the console with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	VERITY_DEBUG=$${VERITY_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	VERITY_DEBUG=$${VERITY_DEBUG:-1} $(BIN)/python manage.py createcachetable
	VERITY_DEBUG=$${VERITY_DEBUG:-1} $(BIN)/python manage.py seed_demo
	VERITY_DEBUG=$${VERITY_DEBUG:-1} $(BIN)/python bin/run.py --host $(HOST) --port $(PORT)

# pytest exits 5 when it collects nothing: that is a failure here, not a pass.
# pytest-xdist: TEST_WORKERS processes (each its own test database and Redis database,
# tests/settings.py); TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Gateway vs. reference on four servers, propagation, fold, installation page: one table
# (BENCHMARKS.md). Needs wrk (Debian package) and Redis; uses its own database.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# ruff, then lint-imports: the apps stay layered and no module imports itself back.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
