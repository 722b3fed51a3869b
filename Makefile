# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test demo lint typecheck pytest install clean migration translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d survey/translations

# `make run PORT=5001`: unless SURVEY_BASE_URL is set, the survey links point at HOST:PORT.
run: install
	$(BIN)/survey db upgrade
	$(BIN)/survey run --host $(HOST) --port $(PORT)

# Beside `make run` (same database, same PORT): eight weeks of history and fresh survey links.
demo: install
	$(BIN)/survey db upgrade
	$(BIN)/python examples/demo.py --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check survey jobs tests bench examples
	$(BIN)/ruff format --check survey jobs tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy survey

pytest: install
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test: lint typecheck pytest

migration: $(STAMP)
	./scripts/regenerate-initial-migration

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
