# The README's commands. Everything installs into .venv from requirements*.txt; nothing by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONPATH := $(CURDIR):$(CURDIR)/platform

# Test services: this machine's PostgreSQL and Redis unless the environment says otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint worker gpu-worker beat web setup

$(BIN)/.installed: requirements.txt requirements-dev.txt requirements-nodeps.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

setup: $(BIN)/.installed

## Command one: set up and run the main job on the embedded default (SQLite, eager Celery):
## migrate, create the demo login, import the bundled sample (a rerun changes nothing), serve.
demo: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_admin --username demo --password demo
	$(BIN)/python manage.py import_posts ingest/sample/emograph-sample.zip
	@echo "EmoGraph is up on http://$(HOST):$(PORT)/  (login: demo / demo)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Command two: set up and run every check and test, on PostgreSQL and a real worker on Redis.
test: setup
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python tests/preflight.py $(TEST_BROKER_URL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	SECRET_KEY=test-only-not-secret-$$$$ $(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Real workers (set DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY first; see README).
worker: setup
	$(BIN)/celery -A config worker -Q default -l info

gpu-worker: setup
	$(BIN)/celery -A config worker -Q gpu --pool solo -n gpu@%h -l info

beat: setup
	$(BIN)/celery -A config beat -l info

web: setup
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers 3 --access-logfile -
