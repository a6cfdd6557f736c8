# psirt: one Makefile for people and CI.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml 2>/dev/null | sha256sum | cut -c1-12)

# The demo keeps its database inside the checkout so it never touches a user's own store.
DEMO_DATA ?= $(CURDIR)/var/demo

.PHONY: help venv install demo test lint unit bench clean lock sbom csaf-validator

help:
	@echo "make demo   set up and run psirt on the bundled medical-device portfolio (SQLite)"
	@echo "make test   set up and run lint and the whole test suite"
	@echo "make lint   ruff and mypy"
	@echo "make bench  run the benchmarks in bench/ (needs ../shared/data)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: install
	rm -rf $(DEMO_DATA)
	XDG_DATA_HOME=$(DEMO_DATA) PSIRT_USER=demo $(BIN)/psirt demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

test: lint sast
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/run_all.py

# The BSI CSAF validator library (npm), which the publishing tests run on psirt's CSAF
# documents when it is installed here (they skip, saying so, when it is not).
CSAF_VALIDATOR_VERSION ?= 2.0.10
csaf-validator:
	npm install --no-audit --no-fund --prefix var/csaf-validator @secvisogram/csaf-validator-lib@$(CSAF_VALIDATOR_VERSION)

# Re-resolve the pinned dependency set (needs the package index).
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var build dist .pytest_cache .mypy_cache .ruff_cache

# psirt's own SAST through its CI gate: ruff's security (S) rules as SARIF, imported into a
# throw-away SQLite store; fails on an open (undispositioned) high or critical finding, and as
# the store is new each time, every finding is new. The rules pyproject.toml
# ignores on purpose ([tool.ruff.lint] ignore) are left out here too.
SAST_IGNORE = $(shell $(BIN)/python -c "import tomllib; print(','.join(tomllib.load(open('pyproject.toml', 'rb'))['tool']['ruff']['lint'].get('ignore', [])))")
.PHONY: sast
sast: install
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	export PSIRT_DATABASE_URL="sqlite:///$$tmp/psirt.db" PSIRT_USER=ci; \
	$(BIN)/ruff check --select S $(if $(SAST_IGNORE),--ignore $(SAST_IGNORE)) --output-format sarif src > "$$tmp/ruff-s.sarif" || true; \
	$(BIN)/psirt init > /dev/null; \
	$(BIN)/psirt product add psirt > /dev/null; \
	$(BIN)/psirt release add dev --product psirt > /dev/null; \
	$(BIN)/psirt ci check "$$tmp/ruff-s.sarif" --product psirt --release dev --fail-on high
