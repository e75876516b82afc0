# The two commands: `make run` (set up everything and start web + worker) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Dummy values that satisfy production settings for `check --deploy` (never used to serve anything).
PROD_CHECK_ENV := DJANGO_SETTINGS_MODULE=config.settings.production \
	DJANGO_SECRET_KEY=check-deploy-dummy-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH \
	DJANGO_ALLOWED_HOSTS=hub.example.com \
	FIELD_ENCRYPTION_KEYS=cHJvZHVjdGlvbi1jaGVjay1kdW1teS1rZXktMzJieXQ= \
	IDENTITY_HASH_KEY=check-deploy-dummy-identity-key

.PHONY: install run test lint fmt migrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

# The demo connections point at this server's own sandbox.
PORT ?= 8000
export HUB_PUBLIC_URL ?= http://127.0.0.1:$(PORT)

run: migrate
	$(MANAGE) seed_demo
	$(MANAGE) ensure_admin
	$(MANAGE) setup_schedules
	$(MANAGE) run_all

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null
	$(PROD_CHECK_ENV) $(MANAGE) check --deploy --fail-level WARNING
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

bench: install
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .test-output
