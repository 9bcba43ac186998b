"""Catalogue ingestion: scrape AMO pages or import AMO API JSON into the catalogue, one ScrapeRun each.

Pages are stored as they arrive, so a run that fails half-way keeps what it finished and says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.amo import addon_page_url
from marketplace.jobs import enqueue
from marketplace.records import AddonRecord, AddonSource
from marketplace.services import ImportReport, addons_deactivate_missing, addons_upsert
from scraper.amo_api import RecordError, record_from_api
from scraper.amo_html import next_page_url, parse_page
from scraper.crawler import FetchError, PoliteClient
from scraper.models import ScrapeRun

IMPORT_BATCH_SIZE = 250
MAX_ERRORS_KEPT = 200


class ImportSourceError(Exception):
    """A source that cannot be read at all: missing file, not JSON, not an AMO result page."""


def crawler_client() -> PoliteClient:
    return PoliteClient(
        user_agent=settings.SCRAPER_USER_AGENT,
        requests_per_second=settings.SCRAPER_REQUESTS_PER_SECOND,
        timeout=settings.SCRAPER_TIMEOUT,
        max_retries=settings.SCRAPER_MAX_RETRIES,
        backoff_base=settings.SCRAPER_BACKOFF_BASE,
    )


def scrape_run_create(*, kind: str, params: dict, trigger: str = ScrapeRun.Trigger.CLI) -> ScrapeRun:
    run = ScrapeRun(kind=kind, params=params, trigger=trigger)
    run.full_clean()
    run.save()
    return run


def _run_record(run: ScrapeRun, report: ImportReport) -> None:
    """Save the running totals on the run row (outside any import transaction)."""
    for key, value in report.as_dict().items():
        setattr(run, key, value)
    run.errors = report.errors[:MAX_ERRORS_KEPT]
    run.save()


def _run_execute(run: ScrapeRun, body: Callable[[ScrapeRun, ImportReport], None]) -> ScrapeRun:
    """Mark the run started, execute it, and record how it ended, whatever happens."""
    run.status = ScrapeRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save()
    report = ImportReport()
    try:
        body(run, report)
    except (FetchError, ImportSourceError) as exc:
        run.failure = str(exc)
    except Exception as exc:  # noqa: BLE001 - the row must say why, whatever broke
        run.failure = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if run.failure:
            run.status = ScrapeRun.Status.FAILED
        else:
            run.status = ScrapeRun.Status.PARTIAL if report.errors else ScrapeRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        _run_record(run, report)
    return run


def _store(run: ScrapeRun, report: ImportReport, records: list[AddonRecord]) -> None:
    with transaction.atomic():
        report.add(addons_upsert(records=records))
    _run_record(run, report)


# --- AMO API JSON ---------------------------------------------------------------------------


def _api_results(payload: object, where: str) -> list:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ImportSourceError(f"{where}: not an AMO search result page (no 'results' list)")
    return payload["results"]


def _api_pages(source: str, client: PoliteClient | None) -> Iterator[tuple[str, list]]:
    """Yield (where, results) for a file, or for a URL and every `next` page after it."""
    if source.startswith(("http://", "https://")):
        client = client or crawler_client()
        url: str | None = source
        while url:
            try:
                payload = json.loads(client.fetch(url))
            except json.JSONDecodeError as exc:
                raise ImportSourceError(f"{url}: not JSON ({exc})") from exc
            yield url, _api_results(payload, url)
            url = payload.get("next")
        return
    path = Path(source)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ImportSourceError(f"{source}: no such file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportSourceError(f"{source}: cannot read JSON ({exc})") from exc
    yield source, _api_results(payload, source)


def _records_from_api(results: list, where: str, report: ImportReport) -> list[AddonRecord]:
    records = []
    for position, item in enumerate(results):
        try:
            records.append(record_from_api(item, source=AddonSource.API))
        except RecordError as exc:
            report.skipped += 1
            report.errors.append(f"{where} #{position}: {exc}")
    return records


def catalog_import(*, run_id: int, client: PoliteClient | None = None) -> ScrapeRun:
    """Import AMO API v5 search-result JSON from files or URLs (params: sources, full)."""
    run = ScrapeRun.objects.get(pk=run_id)

    def body(run: ScrapeRun, report: ImportReport) -> None:
        # Read every source before writing: a bad file fails the run with nothing half-imported.
        records: list[AddonRecord] = []
        for source in run.params["sources"]:
            for where, results in _api_pages(source, client):
                run.pages_fetched += 1
                records.extend(_records_from_api(results, where, report))
        for start in range(0, len(records), IMPORT_BATCH_SIZE):
            _store(run, report, records[start : start + IMPORT_BATCH_SIZE])
        if run.params.get("full"):
            report.deactivated += addons_deactivate_missing(seen_slugs=report.seen_slugs)

    return _run_execute(run, body)


# --- AMO HTML pages ---------------------------------------------------------------------------


def listing_url(*, category: str = "", query: str = "", sort: str = "users", page: int = 1) -> str:
    """The AMO listing page to crawl: a category, a search, or all extensions."""
    base = settings.AMO_BASE_URL.rstrip("/")
    params = {"sort": sort, "page": page}
    if category:
        return f"{base}/en-US/firefox/extensions/category/{category}/?{urlencode(params)}"
    params = {"type": "extension", **({"q": query} if query else {}), **params}
    return f"{base}/en-US/firefox/search/?{urlencode(params)}"


def catalog_scrape(*, run_id: int, client: PoliteClient | None = None) -> ScrapeRun:
    """Crawl AMO listing pages (params: category, query, sort, pages, details), then detail pages."""
    run = ScrapeRun.objects.get(pk=run_id)
    params = run.params
    client = client or crawler_client()

    def body(run: ScrapeRun, report: ImportReport) -> None:
        url: str | None = listing_url(
            category=params.get("category", ""), query=params.get("query", ""), sort=params.get("sort", "users")
        )
        slugs: list[str] = []
        for _ in range(int(params.get("pages", 1))):
            if url is None:
                break
            html = client.fetch(url)
            run.pages_fetched += 1
            records = parse_page(html, page_url=url)
            if not records:
                report.errors.append(f"{url}: no add-ons found on the page")
                break
            _store(run, report, records)
            slugs.extend(record.slug for record in records)
            url = next_page_url(html, page_url=url)
        if params.get("details", True):
            for slug in dict.fromkeys(slugs):
                try:
                    html = client.fetch(addon_page_url(slug))
                except FetchError as exc:
                    report.errors.append(str(exc))
                    continue
                run.pages_fetched += 1
                _store(run, report, parse_page(html, page_url=addon_page_url(slug))[:1])

    return _run_execute(run, body)


def html_files(path: Path) -> list[Path]:
    """A saved page, or every .html/.htm file under a folder, in a stable order."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in {".html", ".htm"} and p.is_file())
    if path.is_file():
        return [path]
    raise ImportSourceError(f"{path}: no such file or folder")


def html_records(path: Path) -> list[AddonRecord]:
    """Parse saved AMO pages without any network; duplicates across pages keep the first."""
    found: dict[str, AddonRecord] = {}
    for file in html_files(path):
        page_url = file.resolve().as_uri()
        for record in parse_page(file.read_bytes(), page_url=page_url):
            found.setdefault(record.slug, record)
    return list(found.values())


def catalog_import_html(*, run_id: int) -> ScrapeRun:
    """Store add-ons read from saved AMO pages (params: path)."""
    run = ScrapeRun.objects.get(pk=run_id)

    def body(run: ScrapeRun, report: ImportReport) -> None:
        path = Path(run.params["path"])
        run.pages_fetched = len(html_files(path))
        _store(run, report, html_records(path))

    return _run_execute(run, body)


RUNNERS: dict[str, Callable[..., ScrapeRun]] = {
    ScrapeRun.Kind.SCRAPE: catalog_scrape,
    ScrapeRun.Kind.IMPORT: catalog_import,
    ScrapeRun.Kind.HTML: catalog_import_html,
}


def scrape_run_execute(*, run_id: int) -> ScrapeRun:
    """Run a pending ScrapeRun of any kind; what the Celery task and the commands call."""
    kind = ScrapeRun.objects.values_list("kind", flat=True).get(pk=run_id)
    return RUNNERS[kind](run_id=run_id)


def scrape_run_default_params() -> dict:
    """What "Re-scrape now" crawls: the most used extensions, with their detail pages."""
    return {"category": "", "query": "", "sort": "users", "pages": settings.SCRAPER_DEFAULT_PAGES, "details": True}


def scrape_run_enqueue(*, kind: str, params: dict, trigger: str) -> ScrapeRun:
    """Create a pending run and hand it to Celery once the row is committed."""
    run = scrape_run_create(kind=kind, params=params, trigger=trigger)
    enqueue("scraper.tasks.scrape_run_execute", run.pk)
    return run
