# Two commands on a fresh machine do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test lint bench leaderboard-seed clean parity

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,openi]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m cxralign.demo

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

leaderboard-seed: $(STAMP)
	$(PY) -m cxralign.demo demo-output
	$(PY) leaderboard/seed.py demo-output
	$(PY) leaderboard/readme_table.py

lint: $(STAMP)
	$(VENV)/bin/ruff check cxralign tests benchmarks

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# Numerical parity against the authors' packages (random weights, CPU, ~2 min; not in CI: it
# installs torch twice). MedCLIP needs transformers < 4.26 and hi-ml-multimodal transformers 4,
# while cxralign's other dependencies need transformers 5: those two share a second environment.
PARITY_VENV := .venv-parity
PARITY_TF4_VENV := .venv-parity-tf4
PARITY_OUT ?= parity-output

$(PARITY_VENV)/.stamp: pyproject.toml
	@test -x $(PARITY_VENV)/bin/python || $(PYTHON) -m venv $(PARITY_VENV)
	$(PARITY_VENV)/bin/python -m pip install --quiet -e '.[parity]'
	@touch $@

$(PARITY_TF4_VENV)/.stamp: parity/requirements-tf4.txt
	@test -x $(PARITY_TF4_VENV)/bin/python || $(PYTHON) -m venv $(PARITY_TF4_VENV)
	$(PARITY_TF4_VENV)/bin/python -m pip install --quiet -r parity/requirements-tf4.txt
	$(PARITY_TF4_VENV)/bin/python -m pip install --quiet --no-deps medclip==0.0.3 hi-ml-multimodal==0.2.2
	@touch $@

parity: $(PARITY_VENV)/.stamp $(PARITY_TF4_VENV)/.stamp
	PARITY_TF4_PYTHON=$(PARITY_TF4_VENV)/bin/python $(PARITY_VENV)/bin/python -m parity.run $(PARITY_OUT)
