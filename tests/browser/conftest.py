"""A real daphne server (scratch SQLite, demo catalogue indexed, template LLM) and Debian's chromium.

The server allows one extra origin, a static host page on another port (`allowed_site`), and not a
second one (`foreign_site`), so cross-origin embedding is tested both ways. Screenshots go to
WIDGET_ARTIFACTS_DIR (default var/artifacts/widget).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Test-only add-ons: one whose summary is markup (it must show as text) and one with an icon.
SNEAKY_SUMMARY = '&lt;img src=x onerror="window.__xss=1;alert(1)"&gt; quokka sunset tab painter'
TEST_ADDONS = {
    "results": [
        {
            "slug": "quokka-sneaky-painter",
            "name": "Quokka Sneaky Painter",
            "summary": SNEAKY_SUMMARY,
            "categories": ["appearance"],
            "url": "https://addons.example.test/quokka-sneaky-painter/",
            "average_daily_users": 12,
            "ratings": {"average": 3.5, "count": 4},
        },
        {
            "slug": "wombat-icon-weather",
            "name": "Wombat Icon Weather",
            "summary": "Wombat weather forecast in the toolbar.",
            "categories": ["alerts-updates"],
            "url": "https://addons.example.test/wombat-icon-weather/",
            "icon_url": "https://icons.example.test/wombat.png",
            "average_daily_users": 40,
            "ratings": {"average": 4.2, "count": 31},
        },
    ]
}
SETUP_SCRIPT = """
import sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("load_demo_catalog")
call_command("import_catalog", sys.argv[1])
call_command("build_index")
"""
HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A partner site</title></head>
<body><h1>A partner site</h1>
<script src="{server}/static/chatbot/widget.js" data-server="{server}" data-title="Partner helper" async></script>
</body></html>"""


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH", ""), "/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ChatServer:
    url: str
    database: Path

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def static_site(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="session")
def browser_binary() -> str:
    path = chromium_path()
    if path is None:
        message = "chromium not found (/usr/bin/chromium or CHROMIUM_PATH); `make setup` installs it with apt-get"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it (.ci/run): a missing browser there is a defect, not a skip
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def host_sites(tmp_path_factory):
    """Two static host pages on other origins; the server will allow only the first."""
    sites = []
    for name in ("allowed", "foreign"):
        folder = tmp_path_factory.mktemp(f"site-{name}")
        sites.append((folder, *static_site(folder)))
    yield {"allowed": sites[0], "foreign": sites[1]}
    for _, httpd, _ in sites:
        httpd.shutdown()


@pytest.fixture(scope="session")
def chat_server(browser_binary, host_sites, tmp_path_factory) -> ChatServer:
    scratch = tmp_path_factory.mktemp("chat-server")
    (scratch / "test_addons.json").write_text(json.dumps(TEST_ADDONS))
    env = {key: value for key, value in os.environ.items() if key not in {"CHROMA_URL", "REDIS_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "DATABASE_URL": f"sqlite:///{scratch}/db.sqlite3",
            "VAR_DIR": str(scratch),
            "CHROMA_PATH": str(scratch / "chroma"),
            "LLM_BACKEND": "template",
            "CHAT_RATE_LIMIT": "1000",
            "LOG_LEVEL": "WARNING",
            "CHAT_ALLOWED_ORIGINS": host_sites["allowed"][2],
        }
    )
    subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT, str(scratch / "test_addons.json")],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    port = free_port()
    log = open(scratch / "daphne.log", "w")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "marketplace.asgi:application"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start: {(scratch / 'daphne.log').read_text()[-2000:]}") from None
            time.sleep(0.3)
    url = f"http://127.0.0.1:{port}"
    for folder, _, _ in host_sites.values():
        (folder / "index.html").write_text(HOST_PAGE.format(server=url))
    yield ChatServer(url=url, database=scratch / "db.sqlite3")
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser(browser_binary):
    """Module-scoped on purpose: Playwright's sync API keeps an event loop running in the main thread
    until it stops, and pytest-asyncio tests collected after the browser tests need that thread free."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_binary, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser profile per test (empty localStorage), desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("WIDGET_ARTIFACTS_DIR", REPO / "var" / "artifacts" / "widget"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
