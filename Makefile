# Two promises: `make run` sets everything up and serves the platform; `make test` passes.
# Both work on a machine with nothing but Python 3.11 (embedded defaults: SQLite, no Redis).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# A development server shows tracebacks and skips HTTPS redirects unless told otherwise.
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run install install-dev migrate seed serve test e2e-deps backup-deps proxy-deps observability-deps lint format worker beat bench bench-scale bench-deps clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(RUN_ENV) $(BIN)/python manage.py import_curriculum --report-conflicts
	$(RUN_ENV) $(BIN)/python manage.py seed_demo $(SEED_ARGS)
	$(RUN_ENV) $(BIN)/python manage.py setup_schedules

serve:
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

run: seed serve

# The suite runs in parallel processes (pytest-xdist), one per core up to four; each process
# gets its own test database and Redis database. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: install-dev e2e-deps backup-deps proxy-deps observability-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest --numprocesses=$(PYTEST_WORKERS) --maxprocesses=4 $(PYTEST_ARGS)

# What the browser journeys (tests/e2e) need besides Python: axe-core from the npm registry
# and Debian's Chromium (Playwright's own browser download cannot work here; see docs/testing.md).
E2E_CHROMIUM ?= /usr/bin/chromium
e2e-deps: node_modules/axe-core/axe.min.js
	@if [ ! -x "$(E2E_CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Chromium for the browser journeys."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; \
	  else \
	    echo "Chromium ($(E2E_CHROMIUM)) is missing and this is not root: the browser journeys in tests/e2e will fail."; \
	    echo "Install it with: sudo apt-get install -y chromium   (or run: pytest -m 'not e2e')"; \
	  fi; \
	fi

# The backup/restore test runs pg_dump and pg_restore (PostgreSQL's client tools, Debian's
# postgresql-client; its major version must not be older than the server's).
backup-deps:
	@if ! command -v pg_dump >/dev/null || ! command -v pg_restore >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing postgresql-client for the backup/restore test."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-client \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-client; }; \
	  else \
	    echo "pg_dump/pg_restore are missing and this is not root: tests/courseplatform/test_backup_restore.py will fail."; \
	    echo "Install them with: sudo apt-get install -y postgresql-client"; \
	  fi; \
	fi

# The scale-out tests (tests/scaleout, tests/e2e/test_scaleout_proxy.py) run deploy/haproxy.cfg
# with Debian's HAProxy in front of two gunicorn instances (docs/deployment.md).
HAPROXY ?= /usr/sbin/haproxy
proxy-deps:
	@if [ ! -x "$(HAPROXY)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing HAProxy for the scale-out tests."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy; }; \
	  else \
	    echo "HAProxy ($(HAPROXY)) is missing and this is not root: the scale-out tests will fail."; \
	    echo "Install it with: sudo apt-get install -y haproxy"; \
	  fi; \
	fi

# promtool (Debian's `prometheus` package) checks and unit-tests the alert rules in
# deploy/prometheus (tests/observability/test_prometheus_rules.py).
observability-deps:
	@if ! command -v promtool >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing promtool (Debian's prometheus package) for the alert-rule tests."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; }; \
	  else \
	    echo "promtool is missing and this is not root: tests/observability/test_prometheus_rules.py will fail."; \
	    echo "Install it with: sudo apt-get install -y prometheus"; \
	  fi; \
	fi

# The replica test (tests/scaleout/test_replica.py) starts a private PostgreSQL primary and a
# streaming replica of it: it needs the server programs (initdb, pg_ctl, pg_basebackup).
replica-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing PostgreSQL's server programs for the replica test."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }; \
	  else \
	    echo "initdb is missing and this is not root: tests/scaleout/test_replica.py will fail."; \
	    echo "Install it with: sudo apt-get install -y postgresql"; \
	  fi; \
	fi

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# lint-imports checks the package layers written in .importlinter (docs/architecture.md).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A courseplatform worker --loglevel=INFO --concurrency=$${CELERY_CONCURRENCY:-4}

beat: install
	$(BIN)/celery -A courseplatform beat --loglevel=INFO

# The benchmark of docs/performance.md: gunicorn (2 workers × 4 threads, DEBUG off) against a bench
# database loaded by seed_load (BENCH_DATABASE_URL, default cp_bench_load on the local PostgreSQL;
# kept between runs), wrk pinned to CPU 1, each page's throughput as a ratio to a hello view in the
# same repetition, then one-shot figures (API list, peer assignment, reports, reminder sweep).
# One table of figures, targets and PASS/FAIL. bench: about 5 minutes once the pages meet their
# targets (12-13 minutes on 3 Dec 2026, slow figures running to their timeouts); bench-scale adds the
# 33,340-student cohort (the 10× run: the first load takes a few minutes more).
bench: install bench-deps
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

bench-scale: install bench-deps
	$(BIN)/python bench/suite.py --scale $(BENCH_ARGS)

# wrk drives the pages; taskset (util-linux) pins it to one CPU.
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }; \
	  else \
	    echo "wrk is missing and this is not root: install it with sudo apt-get install -y wrk"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules test-artifacts
