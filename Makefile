# almaty-scheme: two commands on a fresh machine
#   make setup  set up: venv, install, compile the check's kernels (numba cache)
#   make demo   set up and run the main job on ../shared/data
#   make test   set up and run the whole test suite (what CI runs)
#   make test-fast  the unit tests without the slow ones (quick feedback, under 90 s)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
DATA   ?= ../shared/data
STAMP  := $(VENV)/.installed
WARM   := $(VENV)/.kernels-warm
PYC    := $(VENV)/.bytecode

.PHONY: setup demo test test-fast lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Compile the check's numba kernels once into numba's cache (about 25 s of CPU), so
# that the first check loads machine code instead of compiling it; again whenever the
# check's code changes.
$(WARM): $(STAMP) $(PYC) $(wildcard src/almaty_scheme/check/*.py) src/almaty_scheme/io/wkb.py
	$(BIN)/almaty-scheme cache warm
	touch $(WARM)

# Byte-compile the package (an editable install is not compiled by pip, and Python does
# not write .pyc files where PYTHONDONTWRITEBYTECODE is set, as in many containers):
# every command would otherwise compile its modules from source, 0.2 s of a check.
$(PYC): $(STAMP) $(wildcard src/almaty_scheme/*.py src/almaty_scheme/*/*.py)
	$(BIN)/python -m compileall -q src/almaty_scheme
	touch $(PYC)

setup: $(WARM)

demo: $(WARM)
	$(BIN)/almaty-scheme rules verify
	$(BIN)/almaty-scheme build --data $(DATA) --out $(OUT)/almaty_scheme.gpkg --overwrite
	$(BIN)/almaty-scheme map --layers $(OUT)/almaty_scheme.gpkg --out $(OUT)/overview.png --overwrite
	$(BIN)/almaty-scheme map --layers $(OUT)/almaty_scheme.gpkg --out $(OUT)/overview.pdf --overwrite
	$(BIN)/python scripts/make_parcels.py --layers $(OUT)/almaty_scheme.gpkg --n 5000 --seed 1 --out $(OUT)/demo_parcels.gpkg --overwrite
	$(BIN)/almaty-scheme check $(OUT)/demo_parcels.gpkg --layers $(OUT)/almaty_scheme.gpkg --id-field cad_num --use-field use --out $(OUT)/results.gpkg --overwrite
	$(BIN)/almaty-scheme qgis-project --layers $(OUT)/almaty_scheme.gpkg --results $(OUT)/results.gpkg --out $(OUT)/almaty_scheme.qgz --overwrite
	$(BIN)/almaty-scheme qgis-plugin --out $(OUT)/almaty_scheme_plugin.zip --overwrite
	$(BIN)/almaty-scheme map --layers $(OUT)/almaty_scheme.gpkg --results $(OUT)/results.gpkg --out $(OUT)/results.png --overwrite
	$(BIN)/almaty-scheme report $(OUT)/results.gpkg --layers $(OUT)/almaty_scheme.gpkg --out $(OUT)/report.html --pdf $(OUT)/report.pdf --max-parcels 20 --overwrite
	@echo "Outputs in $(OUT)/: almaty_scheme.gpkg (+ .report.md/.json), almaty_scheme.qgz (with a print layout), almaty_scheme_plugin.zip (QGIS plugin), overview.png/.pdf, results.gpkg (+ summary.json), results.png, report.html/.pdf"

test: $(WARM)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not slow" tests/unit

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(OUT) build dist .pytest_cache .mypy_cache .ruff_cache
