# Parcours — two commands: `make run` (serve the demo) and `make test` (run the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedded default needs no configuration; DEBUG is only for the local demo server.
RUN_ENV := DEBUG=true

.PHONY: install run test bench lint format migrations messages clean

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
	$(RUN_ENV) $(PY) manage.py demo --if-empty
	@echo ""
	@echo "Parcours: http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@$(RUN_ENV) $(PY) manage.py demo --logins
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	  $(RUN_ENV) $(PY) manage.py db_worker --no-startup-delay >/dev/null 2>&1 & \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@$(PY) -m pytest -n 2 $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

bench: install
	$(PY) bench/run_all.py $(BENCH_ARGS)

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
