# The README's quick start calls these targets; .ci/run calls `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint demo bench clean

# A fresh virtual environment with CPU torch 2.13.0 first (see DEVELOPERS.md), then the project.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[full,dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m ruff check forecastr tests bench
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check forecastr tests bench
	$(PY) -m ruff format --check forecastr tests bench

clean:
	rm -rf $(VENV) demo-out
