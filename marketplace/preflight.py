"""What make prod needs before it starts anything: each missing service named with how to get it."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import redis


@dataclass(frozen=True)
class Problem:
    service: str
    detail: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.service}: {self.detail}\n    -> {self.remedy}"


def postgres_problem(url: str) -> Problem | None:
    """None when the database answers; a missing database on a reachable server is created."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    try:
        psycopg.connect(url, connect_timeout=3).close()
        return None
    except psycopg.OperationalError as error:
        if f'database "{name}" does not exist' not in str(error):
            return Problem(
                "PostgreSQL",
                f"cannot connect to {parsed.hostname}:{parsed.port or 5432} ({str(error).strip()[:200]})",
                "sudo apt-get install postgresql && sudo service postgresql start, or set DATABASE_URL",
            )
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return None


def redis_problem(url: str) -> Problem | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return None
    except redis.RedisError as error:
        return Problem(
            "Redis",
            f"cannot reach {url} ({error})",
            "sudo apt-get install redis-server && sudo service redis-server start, or set REDIS_URL",
        )


def program_problems() -> list[Problem]:
    problems = []
    bin_dir = Path(sys.executable).parent
    for program, package in [
        ("chroma", "chromadb"),
        ("celery", "celery"),
        ("uvicorn", "uvicorn"),
        ("honcho", "honcho"),
    ]:
        if not (bin_dir / program).exists() and shutil.which(program) is None:
            problems.append(Problem(program, "not installed", f"make setup (pip install {package})"))
    if importlib.util.find_spec("llama_cpp") is None:
        problems.append(
            Problem("llama.cpp server", "not installed", "make setup (pip install 'llama-cpp-python[server]')")
        )
    return problems


def preflight(*, database_url: str, redis_url: str) -> list[Problem]:
    found: list[Problem | None] = [*program_problems()]
    if database_url.startswith(("postgres://", "postgresql://")):
        found.append(postgres_problem(database_url))
    if redis_url:
        found.append(redis_problem(redis_url))
    return [problem for problem in found if problem is not None]
