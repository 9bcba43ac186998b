"""The map in the README's Architecture section, checked: imports run one way and heavy libraries load late.

The import graph is read from the source (every import statement, including those inside functions,
which is where a cycle hides), so these tests fail on the change that breaks the map, not on a slow
start-up noticed weeks later.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import jobs
from tests.conftest import REPO_ROOT

APPS = ("marketplace", "scraper", "retrieval", "chatbot", "training")
# What each app may import (besides itself); the project wiring modules of `marketplace` are exempt.
ALLOWED = {
    "marketplace": set(),
    "scraper": {"marketplace"},
    "retrieval": {"marketplace"},
    "chatbot": {"marketplace", "retrieval"},
    "training": {"marketplace", "retrieval", "chatbot"},
}
PROJECT_WIRING = {  # health: readiness of every part (database, channel layer, index, model)
    "marketplace.settings",
    "marketplace.urls",
    "marketplace.asgi",
    "marketplace.celery",
    "marketplace.health",
}
EDGE = re.compile(r"\.(admin|admin_history|views|api|consumers|routing|tasks|urls|asgi)$|\.management\.commands\.")
HEAVY = ("torch", "chromadb", "langchain_core", "transformers", "sentence_transformers")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    """Project modules this file imports, wherever the import statement stands."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = {
        _module_name(path): path
        for app in APPS
        for path in (REPO_ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    return {
        module: {name for name in _imports(path, module) if name in files} - {module} for module, path in files.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules(graph):
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_apps_import_only_the_apps_below_them(graph):
    wrong = [
        (module, target)
        for module, targets in graph.items()
        if module not in PROJECT_WIRING
        for target in targets
        if target.split(".")[0] != module.split(".")[0] and target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert wrong == []


def test_nothing_but_wiring_imports_an_edge(graph):
    """Edges (admin, views, consumers, tasks, commands) call services; nothing calls them back."""
    wrong = [
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if EDGE.search(target) and not EDGE.search(module) and module not in PROJECT_WIRING
    ]
    assert wrong == []


def test_the_dialogue_policy_imports_without_django_or_any_service():
    code = (
        "import sys, time; started = time.perf_counter(); import chatbot.dialogue.policy, chatbot.dialogue.baseline;"
        "print(time.perf_counter() - started); print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split("\n")[1].split())
    assert not loaded & {"django", "celery", "numpy", *HEAVY}


def test_django_setup_loads_no_model_or_index_library():
    code = (
        "import json, sys, django; django.setup(); import marketplace.services, scraper.services, chatbot.services;"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "VAR_DIR": str(REPO_ROOT / "var"),
        },
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_every_job_asked_for_by_name_exists():
    names = {
        match
        for app in APPS
        for path in (REPO_ROOT / app).rglob("*.py")
        for match in re.findall(r'enqueue\(\s*"([\w.]+)"', path.read_text(encoding="utf-8"))
    }
    assert names and all(jobs.task_named(name).name == name for name in sorted(names))
