# Everything installs into .venv from the pinned requirements; the only prerequisite is Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run worker scheduler test schema lock bench bench-checkout clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

## The server with the embedded defaults (SQLite, in-memory channel layer, in-process jobs) and demo data.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_catalog --products 200
	$(BIN)/python manage.py seed_checkout
	$(BIN)/python -m project.serve -b $(HOST) -p $(PORT) project.asgi:application

## With REDIS_URL set: a job worker, and the scheduler of periodic jobs (embedded mode needs neither).
worker: install
	$(BIN)/python manage.py rundramatiq --processes 1 --threads 4

scheduler: install
	$(BIN)/python manage.py crontab

## The test suite: SQLite unless DATABASE_URL/REDIS_URL name real services (as .ci/run does).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Rewrite schema.graphql from the code (a test fails while it is stale).
schema: install
	$(BIN)/python manage.py export_schema

## Re-pin requirements*.txt from requirements*.in in a scratch virtualenv.
lock:
	rm -rf /tmp/commerce-lock && $(PYTHON) -m venv /tmp/commerce-lock
	/tmp/commerce-lock/bin/pip install --quiet -r requirements.in
	/tmp/commerce-lock/bin/pip freeze --exclude pip > requirements.txt
	/tmp/commerce-lock/bin/pip install --quiet -r requirements-dev.in
	{ echo "-r requirements.txt"; /tmp/commerce-lock/bin/pip freeze --exclude pip | grep -vxFf requirements.txt; } > requirements-dev.txt

bench: install
	$(BIN)/python bench/catalog.py

bench-checkout: install
	$(BIN)/python bench/checkout.py

clean:
	rm -rf $(VENV) db.sqlite3 var .pytest_cache
