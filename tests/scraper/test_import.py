"""import_catalog: AMO API JSON files and URLs, idempotency, bad records, HTML, missing fields."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marketplace.models import Addon
from scraper.models import ScrapeRun
from tests.factories import api_addon, write_results

pytestmark = pytest.mark.django_db(transaction=True)


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("import_catalog", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_then_reimport_reports_nothing_changed(tmp_path):
    path = write_results(tmp_path / "page.json", [api_addon("alpha"), api_addon("beta")])
    assert "created 2, updated 0, unchanged 0, skipped 0" in run_import(str(path))
    assert "created 0, updated 0, unchanged 2, skipped 0" in run_import(str(path))
    alpha = Addon.objects.get(slug="alpha")
    assert alpha.name == "Alpha" and alpha.rating == 4.2 and alpha.license == "MIT License"
    assert alpha.homepage == "https://alpha.example.org/"
    run = ScrapeRun.objects.first()
    assert (run.kind, run.status, run.unchanged) == ("import", "succeeded", 2)


def test_plain_string_translations_nulls_and_missing_fields(tmp_path):
    sparse = {"slug": "sparse-one", "name": None, "summary": None, "ratings": None, "current_version": None}
    plain = api_addon("plain-text", name="Plain Name", summary="Plain <em>summary</em>", homepage=None)
    run_import(str(write_results(tmp_path / "p.json", [sparse, plain])))
    sparse_addon = Addon.objects.get(slug="sparse-one")
    assert sparse_addon.name == "Sparse One"
    assert sparse_addon.rating is None and sparse_addon.icon_url == "" and sparse_addon.summary == ""
    plain_addon = Addon.objects.get(slug="plain-text")
    assert plain_addon.name == "Plain Name" and plain_addon.summary_text == "Plain summary"


def test_bad_records_are_reported_and_skipped(tmp_path):
    results = [
        api_addon("ok-one"),
        {"name": "no slug"},
        "not an object",
        api_addon("bad-rating", ratings={"average": "lots", "count": 1}),
        api_addon("too-good", ratings={"average": 7, "count": 1}),
        api_addon("ok-two"),
    ]
    err = StringIO()
    call_command("import_catalog", str(write_results(tmp_path / "p.json", results)), stdout=StringIO(), stderr=err)
    assert set(Addon.objects.values_list("slug", flat=True)) == {"ok-one", "ok-two"}
    run = ScrapeRun.objects.get()
    assert (run.created, run.skipped, run.status) == (2, 4, "partial")
    assert "missing slug" in err.getvalue() and "too-good" in err.getvalue()


def test_unreadable_sources_fail_clearly_and_store_nothing(tmp_path):
    good = write_results(tmp_path / "good.json", [api_addon("alpha")])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="cannot read JSON"):
        run_import(str(good), str(broken))
    with pytest.raises(CommandError, match="no such file"):
        run_import(str(tmp_path / "missing.json"))
    wrong_shape = tmp_path / "wrong.json"
    wrong_shape.write_text(json.dumps({"addons": []}))
    with pytest.raises(CommandError, match="no 'results' list"):
        run_import(str(wrong_shape))
    assert not Addon.objects.exists()
    assert ScrapeRun.objects.filter(status="failed").count() == 3


def test_full_import_deactivates_what_disappeared(tmp_path):
    run_import(str(write_results(tmp_path / "a.json", [api_addon("stays"), api_addon("goes")])))
    out = run_import("--full", str(write_results(tmp_path / "b.json", [api_addon("stays")])))
    assert "deactivated 1" in out
    assert Addon.objects.filter(slug="goes", is_active=False).exists()
    assert Addon.objects.count() == 2


@pytest.fixture
def api_server():
    """A fake AMO API on localhost serving two pages linked by `next`."""
    pages: dict[str, dict] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/robots.txt":
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps(pages[self.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    pages["/api/v5/addons/search/?page=1"] = {
        "results": [api_addon("one")],
        "next": f"{base}/api/v5/addons/search/?page=2",
    }
    pages["/api/v5/addons/search/?page=2"] = {"results": [api_addon("two")], "next": None}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def test_url_import_follows_next_links(api_server, settings):
    settings.SCRAPER_REQUESTS_PER_SECOND = 100
    out = run_import(f"{api_server}/api/v5/addons/search/?page=1")
    assert "pages 2" in out and "created 2" in out
    assert set(Addon.objects.values_list("slug", flat=True)) == {"one", "two"}


def test_shared_catalogue_imports_with_fallbacks(amo_catalog_path):
    out = run_import(str(amo_catalog_path))
    assert "created 2787" in out and "skipped 0" in out
    assert Addon.objects.count() == 2787
    assert Addon.objects.filter(icon_url="").count() > 2000
    assert not Addon.objects.filter(name="").exists()
    assert "unchanged 2787" in run_import(str(amo_catalog_path))
