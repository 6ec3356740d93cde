# Two commands: `make demo` and `make test`. Each creates or reuses .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= runs/demo

.PHONY: demo test results install install-test clean-demo lock

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Exact versions with hashes (requirements.lock, made by `make lock`): the environment
# that produced the README's numbers; the library itself goes in without dependencies.
$(VENV)/.installed: pyproject.toml requirements.lock | $(VENV)/bin/activate
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	touch $@

# Refreshes requirements.lock from pyproject.toml's ranges (newest versions that fit).
lock: | $(VENV)/bin/activate
	$(PY) -m pip install -q pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --extra=eval --extra=test --strip-extras \
	  --no-emit-index-url --no-emit-find-links --output-file=requirements.lock pyproject.toml

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
