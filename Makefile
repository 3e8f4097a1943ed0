# beamkit: `make demo` and `make test` do everything on a machine with only python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --upgrade pip >/dev/null
	$(BIN)/python -m pip install -e '.[test,dask,xarray]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/beamkit demo --out demo-out

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests || [ $$? -eq 5 ]

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

docs: $(STAMP)
	$(BIN)/beamkit docs --out docs/reference

clean:
	rm -rf $(VENV) demo-out .pytest_cache
