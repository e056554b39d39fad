# Everything installs into .venv from the pinned requirements; the only prerequisite is Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: check-deploy install run worker scheduler test schema lock graphiql-assets bench bench-checkout bench-serving bench-dashboard load clean

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
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python -m project.serve -b $(HOST) -p $(PORT) project.asgi:application

## With REDIS_URL set: a job worker, and the scheduler of periodic jobs (embedded mode needs neither).
worker: install
	$(BIN)/python manage.py rundramatiq --processes 1 --threads 4

scheduler: install
	$(BIN)/python manage.py crontab

## The test suite: SQLite unless DATABASE_URL/REDIS_URL name real services (as .ci/run does).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The compose file, the Dockerfile and its build commands, checked without Docker (deploy/check.sh; CI runs it).
check-deploy:
	PYTHON=$(PYTHON) deploy/check.sh

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

## Re-vendor GraphiQL's files from the npm registry, unchanged, at the versions Strawberry's GraphiQL page loads
## (graph/templates/graph/graphiql.html points at them, with their integrity hashes): GraphiQL works offline.
GRAPHIQL_FILES := react@18.2.0:umd/react.production.min.js react-dom@18.2.0:umd/react-dom.production.min.js \
	js-cookie@3.0.5:dist/js.cookie.min.js graphiql@3.8.3:graphiql.min.js graphiql@3.8.3:graphiql.min.css \
	@graphiql/plugin-explorer@1.0.2:dist/index.umd.js @graphiql/plugin-explorer@1.0.2:dist/style.css
graphiql-assets:
	rm -rf graph/static/graphiql /tmp/commerce-graphiql && mkdir -p /tmp/commerce-graphiql
	set -e; for item in $(GRAPHIQL_FILES); do \
	  package=$${item%%:*}; file=$${item#*:}; dest=graph/static/graphiql/$$package; \
	  rm -rf /tmp/commerce-graphiql/package; \
	  tar -xzf "/tmp/commerce-graphiql/$$(cd /tmp/commerce-graphiql && npm pack --silent $$package)" -C /tmp/commerce-graphiql; \
	  mkdir -p "$$dest/$$(dirname $$file)"; \
	  cp /tmp/commerce-graphiql/package/$$file "$$dest/$$file"; cp /tmp/commerce-graphiql/package/package.json "$$dest/"; \
	  if [ -f /tmp/commerce-graphiql/package/LICENSE ]; then cp /tmp/commerce-graphiql/package/LICENSE "$$dest/"; fi; \
	done
	rm -rf /tmp/commerce-graphiql

bench: install
	$(BIN)/python bench/catalog.py

bench-checkout: install
	$(BIN)/python bench/checkout.py

bench-serving: install  # needs wrk (apt-get install wrk)
	$(BIN)/python bench/serving.py

bench-dashboard: install
	$(BIN)/python bench/dashboard.py --orders 1000,100000,1000000

## Locust's shoppers (bench/locustfile.py) against 2 web processes, a worker, PostgreSQL and Redis on this machine
## (bench/load.py; LOAD_DATABASE_URL and LOAD_REDIS_URL name the database and Redis it may use).
USERS ?= 200
DURATION ?= 60
load: install
	$(BIN)/python bench/load.py --users $(USERS) --duration $(DURATION)

clean:
	rm -rf $(VENV) db.sqlite3 var .pytest_cache
