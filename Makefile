# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FIMISHARE_HOME ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install init bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	# pip compiles what it installs, but not an editable package: every command would compile it again.
	$(BIN)/python -m compileall -q fimishare
	touch $@

install: $(VENV)/.installed

init: install
	$(BIN)/fimishare init

run: init
	$(BIN)/fimishare serve --host $(HOST) --port $(PORT)

test: install
	bash tests/services/run.sh $(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

bench: install
	bash tests/services/run.sh $(BIN)/python bench/ingest.py
	bash tests/services/run.sh $(BIN)/python bench/taxii.py
	$(BIN)/python bench/search.py  # starts and stops a search node of its own

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
