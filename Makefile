# `make demo` and `make test` work on a fresh machine with only Python 3.11+ installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PEER := .venv-peer

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/csi fit surveys/mobi.csv --model ecsi --scale 1:10

test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

$(PEER)/.installed-stamp: bench/requirements-peer.txt
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet -r bench/requirements-peer.txt
	touch $@

bench: $(STAMP) $(PEER)/.installed-stamp
	$(BIN)/python bench/bench.py --peer-python $(PEER)/bin/python

clean:
	rm -rf $(VENV) $(PEER) .pytest_cache .hypothesis build *.egg-info
