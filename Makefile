# Parcours — two commands: `make run` (serve the demo) and `make test` (run the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedded default needs no configuration; DEBUG is only for the local demo server. Links in
# e-mails point to the server that make run starts.
RUN_ENV := DEBUG=true SITE_URL=http://$(HOST):$(PORT)

.PHONY: install run serve test bench lint format migrations messages clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) LOG_LEVEL=WARNING $(PY) manage.py demo --if-empty
	@echo ""
	@echo "Parcours: http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@$(RUN_ENV) $(PY) manage.py demo --logins
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	  $(RUN_ENV) $(PY) manage.py db_worker --no-startup-delay & \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# The production server (gunicorn, WhiteNoise, key=value logs) on this machine: migrations and static
# files first. Without SECRET_KEY/SECRET_KEY_FILE a key is generated once into var/secret_key. Plain
# HTTP on the loopback here (SECURE_SSL=false); behind a TLS reverse proxy see docs/deploy.md.
SECURE_SSL ?= false
SERVE_ENV = SECURE_SSL=$(SECURE_SSL) $(if $(SECRET_KEY)$(SECRET_KEY_FILE),,SECRET_KEY_FILE=var/secret_key) \
  $(if $(FIELD_ENCRYPTION_KEYS)$(FIELD_ENCRYPTION_KEYS_FILE),,FIELD_ENCRYPTION_KEYS_FILE=var/field_encryption_keys)

serve: install
	@mkdir -p var && test -n "$(SECRET_KEY)$(SECRET_KEY_FILE)" -o -s var/secret_key || \
	  (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
	@test -n "$(FIELD_ENCRYPTION_KEYS)$(FIELD_ENCRYPTION_KEYS_FILE)" -o -s var/field_encryption_keys || \
	  (umask 077 && $(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > var/field_encryption_keys)
	$(SERVE_ENV) $(PY) manage.py migrate --noinput
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput -v 0
	$(SERVE_ENV) $(PY) -m parcours serve --bind $(HOST):$(PORT) $(if $(WORKERS),--workers $(WORKERS))

test: install
	@$(PY) -m pytest -n 2 $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# Official referential files for the benchmarks (no default inside the settings: passed explicitly).
ROME_DATA_DIR ?= ../shared/data/rome4
ESCO_DATA_DIR ?= ../shared/data/esco-fr

bench: install
	ROME_DATA_DIR=$(ROME_DATA_DIR) ESCO_DATA_DIR=$(ESCO_DATA_DIR) $(PY) bench/run_all.py $(BENCH_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

migrations: install
	$(RUN_ENV) $(PY) manage.py makemigrations --check --dry-run

messages: install
	$(RUN_ENV) $(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=bench --ignore=tests --ignore=docs

clean:
	rm -rf $(VENV) var staticfiles
