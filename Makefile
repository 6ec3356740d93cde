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
	$(PY) -m pip install -q -e .
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
	$(PY) -m pytest tests

# Every method on every dataset, every evaluation, the results table (hours on a CPU;
# RESULTS_STEPS=300 for a quick pass).
results: install
	PY=$(PY) eval/results.sh runs/results $(RESULTS_STEPS)

clean-demo:
	rm -rf $(DEMO_DIR)
