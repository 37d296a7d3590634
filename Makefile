# The two commands a newcomer types: `make up` and `make test` (README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: up down uninstall test test-unit setup deps dockerd stack venv bench services backup restore

up: setup
	$(PY) -m paas.server.control up

down:
	$(PY) -m paas.server.control down

# Asks for the instance name; CONFIRM=yes for scripts.
uninstall: venv
	CONFIRM=$(CONFIRM) $(PY) -m paas.server.control uninstall

setup: deps dockerd venv stack

deps:
	bash scripts/install-deps.sh

dockerd: deps
	bash scripts/dockerd.sh

stack: dockerd
	bash scripts/stack-image.sh

# The Postgres and Redis images, ahead of the first services:create (README: Data).
services: stack venv
	$(PY) -m paas.server.datastore_images

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

test: setup
	$(PY) -m pytest $(PYTEST_ARGS) tests

test-unit: venv
	$(PY) -m pytest -q tests/unit

bench: setup
	$(PY) -m bench.run

# The whole platform's state in one 0600 archive (online SQLite copy, repos, certs, service
# backups): make backup FILE=paas-backup.tar; make restore FILE=... into a fresh PAAS_HOME.
FILE ?= paas-backup.tar
backup: venv
	$(PY) -m paas.server.platform_backup backup $(FILE)

restore: venv
	$(PY) -m paas.server.platform_backup restore $(FILE)
