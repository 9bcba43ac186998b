#!/usr/bin/env bash
# make prod: the production topology on one machine, in the foreground; Ctrl-C or SIGTERM stops all of it.
# Every setting can be overridden from the environment (README, "Serving a crowd").
set -euo pipefail
cd "$(dirname "$0")/.."

export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}" WEB_WORKERS="${WEB_WORKERS:-2}"
export CHROMA_PORT="${CHROMA_PORT:-8001}" LLM_PORT="${LLM_PORT:-8002}"
export CHROMA_SERVER_PATH="${CHROMA_SERVER_PATH:-var/chroma-server}"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/concierge}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export CHROMA_URL="${CHROMA_URL:-http://127.0.0.1:$CHROMA_PORT}"
export LLM_BACKEND="${LLM_BACKEND:-openai}" LLM_OPENAI_URL="${LLM_OPENAI_URL:-http://127.0.0.1:$LLM_PORT/v1}"
export LLM_OPENAI_MODEL="${LLM_OPENAI_MODEL:-concierge}"
export LLM_MAX_CONCURRENT="${LLM_MAX_CONCURRENT:-1}" LLM_MAX_QUEUE="${LLM_MAX_QUEUE:-0}"  # busy: the template answers
export CHAT_WARM_ON_START="${CHAT_WARM_ON_START:-1}"
export EMBEDDING_THREADS="${EMBEDDING_THREADS:-1}"  # beside the model server, more threads measured slower
export DJANGO_DEBUG="${DJANGO_DEBUG:-0}" LOG_FORMAT="${LOG_FORMAT:-json}"
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-var/prometheus}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"  # last run's counters are not this run's

# Production refuses the development secret key: keep one generated key per deployment under var/.
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  secret_file="${VAR_DIR:-var}/secret_key"
  mkdir -p "$(dirname "$secret_file")"
  [ -s "$secret_file" ] || (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$secret_file")
  export DJANGO_SECRET_KEY="$(cat "$secret_file")"
fi

PY=.venv/bin/python
$PY manage.py check_services
$PY manage.py migrate --noinput
$PY manage.py load_demo_catalog --if-empty
exec .venv/bin/honcho start -f Procfile
