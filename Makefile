# `make run` and `make test` set everything up themselves (Python 3.11 and Node 20 needed).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PYTHON := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := frontend/node_modules/.installed
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig*.json -type f 2>/dev/null)
# The frontend's API types (frontend/src/api/schema.ts) are generated from the backend's
# OpenAPI schema at every build, so a change to the API rebuilds the frontend.
BACKEND_SOURCES := $(shell find backend -name '*.py' -not -path '*/migrations/*' 2>/dev/null)
PYTEST_ARGS ?=

.PHONY: run test setup frontend system-deps test-python test-frontend test-e2e lint clean

run: setup frontend
	$(PYTHON) backend/run.py

test: setup frontend system-deps test-python test-frontend test-e2e

setup: $(PY_STAMP)

$(PY_STAMP): requirements/base.txt requirements/worker.txt requirements/dev.txt
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is needed (the pinned torch wheel is built for it), found {sys.version.split()[0]}"'
	test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet -r requirements/dev.txt
	touch $@

frontend: frontend/dist/index.html

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: $(NODE_STAMP) $(PY_STAMP) $(FRONTEND_SOURCES) $(BACKEND_SOURCES)
	cd frontend && npm run build

# Tools the suites call that are not Python or npm packages (Debian packages, installed
# with apt-get when missing and this is root; otherwise the command to run is printed).
SYSTEM_TOOLS := docker-compose:docker-compose nginx:nginx chromium:chromium
system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing$$missing (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "Please install:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; fi; \
	fi

test-python: setup
	$(PYTHON) -m pytest tests -m "not gpu" $(PYTEST_ARGS)

test-frontend: $(NODE_STAMP)
	cd frontend && npm test

# Browser end-to-end: starts the platform as `make run` does (own folder and ports, the
# micro SAM 2 model) and drives Debian's chromium with playwright-core; screenshots go to
# test-artifacts/e2e/.
test-e2e: setup frontend system-deps
	cd tests/e2e && npm ci --no-audit --no-fund && node run.mjs

lint: setup
	$(VENV)/bin/ruff check backend worker sam2engine tests

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var test-artifacts
