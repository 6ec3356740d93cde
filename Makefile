# Two commands: `make demo` and `make test`. Each creates or reuses .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= runs/demo

.PHONY: demo test results install install-test clean-demo

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install -q -e '.[eval]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(PY) -m train.main --config=train/configs/demo.py --workdir=$(DEMO_DIR)
	$(PY) -m eval.interpolate --workdir=$(DEMO_DIR)

test: install-test
	$(VENV)/bin/ruff check jsemrep train eval bench tests
	$(PY) -m pytest tests -n 2 --durations=10

# Every reported row with 3 seeds (each row's seeds one sweep), validation and test
# evaluations, the results tables (about 3 hours on the 2-core CPU). Options:
# RESULTS_STEPS=600 (mnist5k rows), ROTATED_STEPS=1000, LINES_STEPS=1000, SEEDS="0 1 2",
# DATASETS="mnist5k lines rotated_mnist5k".
results: install
	PY=$(PY) STEPS=$(RESULTS_STEPS) ROTATED_STEPS=$(ROTATED_STEPS) LINES_STEPS=$(LINES_STEPS) \
	  SEEDS="$(SEEDS)" DATASETS="$(DATASETS)" eval/results.sh runs/results

clean-demo:
	rm -rf $(DEMO_DIR)
