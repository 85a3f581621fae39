# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench bench-extraction clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/arabpress demo

lint: $(DEV_STAMP)
	$(BIN)/ruff check arabpress_crawler arabpress_mirror tests bench

test: $(DEV_STAMP)
	$(BIN)/ruff check arabpress_crawler arabpress_mirror tests bench
	$(BIN)/python -m pytest

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run

# Minutes; reads ../shared/corpora/readability/ and writes docs/extraction-quality.md (skips without the corpus).
bench-extraction: $(DEV_STAMP)
	$(BIN)/python -m bench.extraction_quality

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
