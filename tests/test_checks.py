"""The checks `make lint` runs are configured once, and the pre-commit hooks run the same commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT

VENV_BIN = Path(sys.executable).parent


def _tool(entry: str) -> str:
    """'.venv/bin/ruff check --fix' -> 'ruff check': the tool and its subcommand, if any."""
    program, *rest = entry.split()
    return " ".join([Path(program).name, *[word for word in rest[:1] if not word.startswith("-")]])


def test_the_pre_commit_config_is_valid_and_runs_what_make_lint_runs():
    config = REPO_ROOT / ".pre-commit-config.yaml"
    result = subprocess.run(
        [str(VENV_BIN / "pre-commit"), "validate-config", str(config)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {_tool(hook["entry"]) for repo in yaml.safe_load(config.read_text())["repos"] for hook in repo["hooks"]}
    assert hooks == {"ruff format", "ruff check", "mypy"}
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert all(f"$(VENV)/bin/{tool}" in makefile for tool in hooks)


def test_pre_commit_install_sets_the_hook_up(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    (tmp_path / ".pre-commit-config.yaml").write_text((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    result = subprocess.run(
        [str(VENV_BIN / "pre-commit"), "install"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pre-commit" in (tmp_path / ".git" / "hooks" / "pre-commit").read_text()
