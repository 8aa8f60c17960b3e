# almaty-scheme: two commands on a fresh machine
#   make demo   set up (venv + install) and run the main job on ../shared/data
#   make test   set up and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
DATA   ?= ../shared/data
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/almaty-scheme rules list
	$(BIN)/almaty-scheme build --data $(DATA) --out $(OUT)/almaty_scheme.gpkg --overwrite

test: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(OUT) build dist .pytest_cache .mypy_cache .ruff_cache
