# Budget Pay: `make run` starts the server, `make test` runs the tests.
# Both create .venv and install the pinned requirements on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint demo check clean bench multi soak bench-jobs

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# The embedded default: SQLite and the in-memory channel layer, DEBUG on.
run: export DEBUG ?= true
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-missing
	$(BIN)/daphne -b $(HOST) -p $(PORT) budgetpay.asgi:application

# Reset the demo user (demo@budgetpay.local / demo-pass-2026) to a fresh six months of data.
demo: export DEBUG ?= true
demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo

# axe-core, which the browser tests run in each page (users/tests/test_phone.py): pinned, from
# the npm registry, once, into .venv/node (nothing is saved to a package.json).
AXE_CORE_VERSION := 4.10.3
AXE_STAMP := $(VENV)/node/.axe-core-$(AXE_CORE_VERSION)
# Without npm the accessibility checks are skipped on a laptop (they fail in CI, which has npm).
$(AXE_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --no-save --no-audit --no-fund --prefix $(VENV)/node axe-core@$(AXE_CORE_VERSION) && touch $(AXE_STAMP); \
	else echo "make: npm not found; the browser tests' axe-core checks will be skipped"; fi

# The code's habits, checked before the tests (docs/architecture.md): ruff's lint and format,
# and the layer contract in .importlinter.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint $(AXE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: export DEBUG ?= true
check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

# The benchmark against PostgreSQL and Redis on this machine (docs/performance.md):
# a table on stdout, JSON in bench/results/latest.json. BENCH_ARGS="--size small" for a quick one.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) bench/requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Not in `make test` or CI; each runs on a PostgreSQL cluster and a redis-server of its own
# (docs/performance.md). The soak: 100,000 notifications through every channel, a fault every
# 30 s, at most 45 minutes; JSON in bench/results/soak-<date>.json. SOAK_ARGS="--notifications
# 2000 --minutes 3" for a quick one.
soak: $(BENCH_STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# The morning fan-out for 10,000 people with 1 and 2 workers: jobs/s, deliveries/s per channel,
# the CPU split; JSON in bench/results/jobs-<date>.json. JOBS_ARGS="--people 500" for a quick one.
bench-jobs: $(BENCH_STAMP)
	$(BIN)/python -m bench.jobs $(JOBS_ARGS)

# N Daphne processes behind a local nginx, W job workers and beat, on PostgreSQL and Redis
# (docs/deployment.md).
PROCESSES ?= 2
WORKERS ?= 1
multi: $(STAMP)
	PROCESSES=$(PROCESSES) WORKERS=$(WORKERS) deploy/run-local.sh

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm .pytest_cache
