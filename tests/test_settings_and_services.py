"""Settings switch by environment; the catalogue suite also passes on the real PostgreSQL when reachable."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
INNER_RUN = "CONCIERGE_INNER_POSTGRES_RUN"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=300
    )


SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL, "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER}))"
)


def settings_for(**env: str) -> dict:
    result = run_python(SHOW_SETTINGS, DJANGO_SETTINGS_MODULE="marketplace.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_are_embedded():
    shown = settings_for()
    assert shown["engine"] == "django.db.backends.sqlite3" and shown["name"].endswith("var/db.sqlite3")
    assert shown["layer"] == "channels.layers.InMemoryChannelLayer"
    assert shown["broker"] == "memory://" and shown["eager"] is True


def test_redis_url_switches_channels_and_celery():
    shown = settings_for(REDIS_URL="redis://127.0.0.1:6379/3")
    assert shown["layer"] == "channels_redis.core.RedisChannelLayer"
    assert shown["broker"] == "redis://127.0.0.1:6379/3" and shown["eager"] is False


def test_any_sqlite_path_works_through_database_url(tmp_path):
    url = f"sqlite:///{tmp_path}/elsewhere.db"
    assert settings_for(DATABASE_URL=url)["name"] == f"{tmp_path}/elsewhere.db"
    env = {**os.environ, "DATABASE_URL": url}
    for command in (["migrate", "--noinput"], ["load_demo_catalog", "--if-empty"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere.db").stat().st_size > 100_000
    assert "Demo catalogue: created" in result.stdout


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(bool(os.environ.get(INNER_RUN)), reason="already running inside the PostgreSQL pass")
def test_catalogue_suite_on_postgresql():
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432; set TEST_POSTGRES_URL to point at one")
    env = {**os.environ, "DATABASE_URL": POSTGRES_URL, INNER_RUN: "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/marketplace",
            "tests/scraper/test_import.py",
            "tests/scraper/test_scrape.py",
            "--create-db",
            "-k",
            "not shared_catalogue",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-production-key-of-more-than-fifty-characters-with-variety-8Hq2!x",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_COOKIES": "1",
}


def test_production_refuses_the_development_key():
    result = run_python("import django; django.setup()", **{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0 and "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_the_production_settings():
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
