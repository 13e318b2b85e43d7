# Rapport — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
VENV ?= .venv
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
DEMO_CUSTOMERS ?= 3000
export PYTHONDONTWRITEBYTECODE := 1

# Find an interpreter >= 3.12: the venv's, then python3.13/python3.12/python3 on PATH, then pyenv's.
PYTHON_CANDIDATES := $(VENV)/bin/python python3.13 python3.12 python3 \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python) $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python)
BASE_PYTHON := $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell $(p) -c 'import sys; print("$(p)" if sys.version_info >= (3, 12) else "")' 2>/dev/null)))
PY := $(VENV)/bin/python
RAPPORT := $(VENV)/bin/rapport

.PHONY: help run test test-sqlite test-postgres bench lint messages install install-test browser clean

help:
	@echo "make run    — install, migrate, load demo data on first start, serve http://127.0.0.1:$(PORT)"
	@echo "make test   — run the whole suite on SQLite, then on PostgreSQL ($(TEST_DATABASE_URL))"
	@echo "make bench  — benchmarks at 1,000,000 customers (see bench/RESULTS.md)"
	@echo "make lint   — ruff check and format check"
	@echo "make messages — extract translatable strings into the .po files"

$(VENV)/.python-ok:
	@if [ -z "$(BASE_PYTHON)" ]; then \
		echo "Rapport needs Python 3.12 or newer (3.13 recommended). Install it (e.g. 'pyenv install 3.13') and run make again." >&2; \
		exit 1; fi
	@[ -x $(VENV)/bin/python ] || $(BASE_PYTHON) -m venv $(VENV)
	@PYTHONWARNINGS=ignore $(VENV)/bin/python -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok pyproject.toml
	@echo "Installing Rapport and its libraries into $(VENV)…"
	@# PYTHONWARNINGS: setuptools' notice box about editable installs is not for newcomers.
	@PYTHONWARNINGS=ignore $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	@PYTHONWARNINGS=ignore $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian's chromium drives the browser tests; Playwright's own browser download does not work offline.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null ) \
		|| { echo "Could not install chromium." >&2; [ "$$CI" != "true" ] || exit 1; }; \
	fi

run: install
	@mkdir -p var
	@$(RAPPORT) build_messages
	@$(RAPPORT) migrate --noinput -v 0
	@$(RAPPORT) createcachetable -v 0
	@$(RAPPORT) collectstatic --noinput -v 0
	@PYTHONWARNINGS=ignore LOG_LEVEL=WARNING $(RAPPORT) bootstrap --demo-customers $(DEMO_CUSTOMERS)
	@# The task worker and the scheduler write their logs (stdout and stderr) to var/log/, not to
	@# the terminal: the demo data queues thousands of messages, one log line each.
	@mkdir -p $${RAPPORT_VAR_DIR:-var}/log
	@$(RAPPORT) db_worker --queue-name '*' >>$${RAPPORT_VAR_DIR:-var}/log/worker.log 2>&1 & WORKER=$$!; \
		$(RAPPORT) crontask --no-heartbeat >>$${RAPPORT_VAR_DIR:-var}/log/scheduler.log 2>&1 & SCHEDULER=$$!; \
		trap 'kill $$WORKER $$SCHEDULER 2>/dev/null' EXIT INT TERM; \
		echo; \
		echo "(Ctrl-C stops the web server, the task worker and the scheduler."; \
		echo " Their logs: $${RAPPORT_VAR_DIR:-var}/log/worker.log and $${RAPPORT_VAR_DIR:-var}/log/scheduler.log.)"; \
		echo "Rapport is running at http://127.0.0.1:$(PORT)"; \
		echo "Log in as admin, password: $$(cat $${RAPPORT_VAR_DIR:-var}/admin-password.txt 2>/dev/null || echo '(the one you set)')"; \
		LOG_LEVEL=WARNING $(VENV)/bin/gunicorn rapport.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --log-level warning

test: install-test browser lint
	@$(RAPPORT) build_messages
	@echo "== Test suite on SQLite =="
	@DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(PY) -m pytest -n 2 -q
	@if $(PY) -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(TEST_DATABASE_URL)" 2>/dev/null; then \
		echo "== Test suite on PostgreSQL ($(TEST_DATABASE_URL)) =="; \
		DATABASE_URL="$(TEST_DATABASE_URL)" $(PY) -m pytest -n 2 -q; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL), and CI=true makes that a failure." >&2; exit 1; \
	else \
		echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL): the PostgreSQL run was skipped."; \
	fi

# The customer database at 1,000,000 customers / 10,000,000 lines, the analytics refresh on it,
# and the model fits against lifetimes and pymc-marketing (installed into a separate venv,
# .venv-bench, so the project never depends on them). Results: bench/RESULTS.md.
bench: install-test
	$(PY) bench/run.py
	$(PY) bench/analytics_refresh.py
	@[ -x .venv-bench/bin/python ] || $$(command -v python3.12 || echo $(BASE_PYTHON)) -m venv .venv-bench
	@.venv-bench/bin/python -m pip install --quiet -r bench/requirements-compare.txt \
		|| echo "Could not install the comparison libraries: the fit benchmark runs Rapport alone."
	.venv-bench/bin/python bench/analytics_fit.py

# ruff (style), import-linter (each app imports only the apps below it), mypy with django-stubs
# (the services, the writers and the shared core). `make test` runs them first, so CI does.
lint: install-test
	@echo "== Lint: ruff, import-linter, mypy =="
	@$(VENV)/bin/ruff check rapport bench
	@$(VENV)/bin/ruff format --check rapport bench
	@$(VENV)/bin/lint-imports --no-cache > $(VENV)/lint-imports.log || { cat $(VENV)/lint-imports.log; exit 1; }
	@grep -E "KEPT|BROKEN|Contracts:" $(VENV)/lint-imports.log
	@$(VENV)/bin/mypy

# The project catalogue (rapport/locale), then one per app that keeps its own (rapport/<app>/locale).
OWN_CATALOGUES := $(patsubst rapport/%/locale,%,$(wildcard rapport/*/locale))
messages: install
	cd rapport && ../$(RAPPORT) makemessages -l zh_Hans -l zh_Hant -l sk --no-obsolete \
		--ignore='analytics/engine/*' --ignore='*/tests/*' $(foreach app,$(filter-out locale,$(OWN_CATALOGUES)),--ignore='$(app)/*')
	@for app in $(filter-out locale,$(OWN_CATALOGUES)); do \
		(cd rapport/$$app && ../../$(RAPPORT) makemessages -l zh_Hans -l zh_Hant -l sk --no-obsolete --ignore='tests/*') || exit 1; \
	done

clean:
	rm -rf $(VENV) var staticfiles
