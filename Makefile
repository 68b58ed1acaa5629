# Two commands on a fresh machine do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test lint bench leaderboard-seed clean

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
