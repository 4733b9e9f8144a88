# Two promises: `make run` sets everything up and serves the platform; `make test` passes.
# Both work on a machine with nothing but Python 3.11 (embedded defaults: SQLite, no Redis).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# A development server shows tracebacks and skips HTTPS redirects unless told otherwise.
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run install install-dev migrate seed serve test lint format worker beat bench clean

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
	$(RUN_ENV) $(BIN)/python manage.py import_curriculum
	$(RUN_ENV) $(BIN)/python manage.py seed_demo

serve:
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

run: seed serve

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A courseplatform worker --loglevel=INFO

beat: install
	$(BIN)/celery -A courseplatform beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
