# `make demo` and `make test`; `make install [EXTRAS=cuda12|tpu|tensorboard]`; one
# `make results-TABLE` per results table. Each creates or reuses .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= runs/demo
RESULTS_DIR ?= runs
EXTRAS ?=

.PHONY: demo test install install-test lock clean-demo results-mnist5k results-rotated results-heads

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Exact versions with hashes (requirements.lock, made by `make lock`); the library goes in
# without dependencies, or with those of EXTRAS (jax's GPU or TPU build at the lock's version).
# --no-compile: modules are byte-compiled when first imported, not all at install (20 s less).
$(VENV)/.installed: pyproject.toml requirements.lock | $(VENV)/bin/activate
	$(PY) -m pip install -q --no-compile --require-hashes -r requirements.lock
	PYTHONWARNINGS=ignore $(PY) -m pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed
ifneq ($(EXTRAS),)
	PYTHONWARNINGS=ignore $(PY) -m pip install -q -e ".[$(EXTRAS)]"
endif

install-test: install

# Refreshes requirements.lock from pyproject.toml's ranges (newest versions that fit).
lock: | $(VENV)/bin/activate
	$(PY) -m pip install -q pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --extra=eval --extra=test --strip-extras \
	  --no-emit-index-url --no-emit-find-links --output-file=requirements.lock pyproject.toml

# The readers first (cached once), so that evaluation while training runs from the start.
demo: install
	$(PY) -m eval.classifier --dataset=mnist5k
	$(PY) -m train.main --config=train/configs/demo.py --workdir=$(DEMO_DIR)
	$(PY) -m eval.interpolate --workdir=$(DEMO_DIR)

test: install-test
	$(VENV)/bin/ruff check jsemrep train eval bench tests examples
	$(PY) -m pytest tests -n 2 --durations=10

# One target per results table of docs/results.md: each trains its rows' seeds (resuming),
# evaluates them, records a failed seed and goes on, and writes its tables with eval.report.
results-mnist5k: install
	PY=$(PY) eval/tables/mnist5k.sh $(RESULTS_DIR)/mnist5k

results-rotated: install
	PY=$(PY) eval/tables/rotated.sh $(RESULTS_DIR)/rotated

results-heads: install
	PY=$(PY) eval/tables/heads.sh $(RESULTS_DIR)/heads

clean-demo:
	rm -rf $(DEMO_DIR)
