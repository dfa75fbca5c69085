# The two commands of the README: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@

.PHONY: run test bench bench-journey bench-keepalive
run: $(VENV)/.installed
	$(VENV)/bin/python -m cli run

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

bench: $(VENV)/.installed
	bash bench/run.sh

$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/python -m pip install -q -e '.[test,bench]'
	touch $@

# Whole candidate journeys as open-loop load (bench/journey.py): the ramp to the highest passing rate, then 3x it.
# JOURNEY_ARGS="--db postgres" for PostgreSQL; see the script's --help.
bench-journey: $(VENV)/.bench-installed
	$(VENV)/bin/python bench/journey.py --ramp $(or $(RAMP),3:1:12) --duration $(or $(DURATION),60) --surge $(JOURNEY_ARGS)

bench-keepalive: $(VENV)/.installed
	$(VENV)/bin/python bench/keepalive.py

