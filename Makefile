# The two commands of the README: `make demo` and `make test`. Everything they need is
# installed here, into .venv (Python) and tests/fhir_server/node_modules (the FHIR test server).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/omop-nlp demo --workdir demo-output

tests/fhir_server/node_modules/.installed: tests/fhir_server/package.json tests/fhir_server/package-lock.json
	npm ci --prefix tests/fhir_server --no-audit --no-fund --loglevel=error
	touch $@

lint: $(INSTALLED)
	$(BIN)/ruff check .

test: $(INSTALLED) tests/fhir_server/node_modules/.installed lint
	$(BIN)/pytest

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_extract_speed.py
	$(BIN)/python benchmarks/bench_iu_xray.py

clean:
	rm -rf $(VENV) demo-output tests/fhir_server/node_modules
