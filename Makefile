# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FIMISHARE_HOME ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint lock install init bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Everything from the lock file, then fimishare itself without resolving anything again.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements/dev.txt
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
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

# Style, types and the layers (pyproject.toml: [tool.ruff], [tool.mypy], [tool.importlinter]).
lint: install
	$(BIN)/ruff format --check fimishare tests bench
	$(BIN)/ruff check fimishare tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# The lock files again, after a change of dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-find-links -o requirements/run.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-find-links --extra test --extra lint -o requirements/dev.txt pyproject.toml

bench: install
	bash tests/services/run.sh $(BIN)/python bench/ingest.py
	bash tests/services/run.sh $(BIN)/python bench/taxii.py
	$(BIN)/python bench/search.py  # starts and stops a search node of its own

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
