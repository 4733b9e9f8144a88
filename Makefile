# Two promises: `make run` sets everything up and serves the platform; `make test` passes.
# Both work on a machine with nothing but Python 3.11 (embedded defaults: SQLite, no Redis).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# A development server shows tracebacks and skips HTTPS redirects unless told otherwise.
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run install install-dev migrate seed serve test e2e-deps backup-deps proxy-deps observability-deps replica-deps preview-deps redis-deps lint format worker beat bench bench-scale bench-deps clean

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

seed: migrate preview-deps
	$(RUN_ENV) $(BIN)/python manage.py import_curriculum --report-conflicts
	$(RUN_ENV) $(BIN)/python manage.py seed_demo $(SEED_ARGS)
	$(RUN_ENV) $(BIN)/python manage.py setup_schedules

serve:
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

run: seed serve

# The suite runs in parallel processes (pytest-xdist); each process gets its own test database
# and Redis database. Three, even on two cores: many tests wait on processes they start (a
# browser, gunicorn, a worker, a private Redis or PostgreSQL): with two, pytest and what it
# started kept about 1.1 of the 2 cores busy. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 3
# Without DATABASE_URL (in the environment or .env) the suite runs on a PostgreSQL server and a
# redis-server of its own, started for the run and removed after it (tests/with_services.py).
test: install-dev e2e-deps backup-deps proxy-deps observability-deps replica-deps preview-deps redis-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m tests.with_services $(BIN)/python -m pytest --numprocesses=$(PYTEST_WORKERS) --maxprocesses=4 $(PYTEST_ARGS)

# The Debian programs the suite runs: each target installs its package when the check fails
# and this is root, or says which tests will fail and how to install it.
# $(call debian_install,CHECK,APT ARGUMENTS,WHAT FOR,WHAT FAILS WITHOUT IT)
define debian_install
	@if ! $(1); then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing $(lastword $(2)) for $(3)."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y $(2) \
	      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(2); }; \
	  else \
	    echo "$(lastword $(2)) is missing and this is not root: $(4) will fail."; \
	    echo "Install it with: sudo apt-get install -y $(lastword $(2))"; \
	  fi; \
	fi
endef

# What the browser journeys (tests/e2e) need besides Python: axe-core from the npm registry
# and Debian's Chromium (Playwright's own browser download cannot work here; see docs/testing.md).
# Without it: `pytest -m 'not e2e'` leaves the journeys out.
E2E_CHROMIUM ?= /usr/bin/chromium
e2e-deps: node_modules/axe-core/axe.min.js
	$(call debian_install,[ -x "$(E2E_CHROMIUM)" ],chromium,the browser journeys,the browser journeys in tests/e2e)

# The backup/restore test runs pg_dump and pg_restore (PostgreSQL's client tools, Debian's
# postgresql-client; its major version must not be older than the server's).
backup-deps:
	$(call debian_install,{ command -v pg_dump && command -v pg_restore; } >/dev/null,postgresql-client,the backup/restore test,tests/courseplatform/test_backup_restore.py)

# The scale-out tests (tests/scaleout, tests/e2e/test_scaleout_proxy.py) run deploy/haproxy.cfg
# with Debian's HAProxy in front of two gunicorn instances (docs/deployment.md).
HAPROXY ?= /usr/sbin/haproxy
proxy-deps:
	$(call debian_install,[ -x "$(HAPROXY)" ],haproxy,the scale-out tests,the scale-out tests)

# promtool (Debian's `prometheus` package) checks and unit-tests the alert rules in
# deploy/prometheus (tests/observability/test_prometheus_rules.py).
observability-deps:
	$(call debian_install,command -v promtool >/dev/null 2>&1,--no-install-recommends prometheus,the alert-rule tests,tests/observability/test_prometheus_rules.py)

# The replica test (tests/scaleout/test_replica.py) starts a private PostgreSQL primary and a
# streaming replica of it: it needs the server programs (initdb, pg_ctl, pg_basebackup).
replica-deps:
	$(call debian_install,{ ls /usr/lib/postgresql/*/bin/initdb || command -v initdb; } >/dev/null 2>&1,postgresql,the replica test,tests/scaleout/test_replica.py)

# redis-server: the suite's own Redis when DATABASE_URL is not set (tests/with_services.py), and
# the outage tests' private instances (tests/redis_server.py).
redis-deps:
	$(call debian_install,command -v redis-server >/dev/null 2>&1,--no-install-recommends redis-server,the suite's own Redis,the suite without DATABASE_URL and the Redis outage tests)

# Evidence previews draw the first page of a PDF with poppler's pdftoppm (Debian's poppler-utils),
# in a bounded child process (submissions/previews.py). Without it a PDF shows its name and type
# instead, and the PDF tests in tests/submissions/test_previews.py fail.
preview-deps:
	$(call debian_install,command -v pdftoppm >/dev/null 2>&1,--no-install-recommends poppler-utils,evidence previews of PDFs,the PDF previews and tests/submissions/test_previews.py)

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
# same repetition, CPU per request in-process, then one-shot figures (API list, peer assignment,
# reports, reminder sweep), each stopped at 1.5 × its target in CPU seconds. One table of figures,
# targets and PASS/FAIL. bench: about 5 minutes on a quiet machine; bench-scale uses a database of
# its own (BENCH_DATABASE_URL + _scale) with the 33,340-student cohort too (the 10× run: its first
# load takes about 8 minutes, its PDF and sweep several more).
bench: install bench-deps
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

bench-scale: install bench-deps
	$(BIN)/python bench/suite.py --scale $(BENCH_ARGS)

# wrk drives the pages; taskset (util-linux) pins it to one CPU; ss (iproute2) says how wrk's
# connections are spread over the gunicorn workers (bench/suite.py restarts a lopsided run).
bench-deps:
	@for pair in wrk:wrk ss:iproute2; do \
	  tool=$${pair%%:*}; package=$${pair#*:}; \
	  if ! command -v $$tool >/dev/null; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y $$package \
	        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$package; }; \
	    else \
	      echo "$$tool is missing and this is not root: install it with sudo apt-get install -y $$package"; exit 1; \
	    fi; \
	  fi; \
	done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules test-artifacts
