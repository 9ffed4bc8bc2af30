# `make demo` and `make test` work on a fresh machine with only Python 3.11+ installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PEER := .venv-peer

.PHONY: install demo test bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q csi  # as pip does for a wheel: start-up reads bytecode
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
	$(BIN)/python -m compileall -q csi
	$(BIN)/python bench/bench.py --peer-python $(PEER)/bin/python

# the API reference, generated from the docstrings (pdoc), in docs/api/
docs: $(STAMP)
	$(BIN)/python -m pip install --quiet 'pdoc>=14'
	$(BIN)/python -m pdoc --docformat google --no-show-source -o docs/api \
	    csi csi.pipeline csi.result csi.gate csi.sample csi.estimators csi.model csi.ingest \
	    csi.inference csi.drivers csi.measures csi.multi csi.jsonio csi.errors

clean:
	rm -rf $(VENV) $(PEER) .pytest_cache .hypothesis build *.egg-info docs/api
