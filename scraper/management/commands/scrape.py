import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scraper.management.commands._report import run_report
from scraper.models import ScrapeRun
from scraper.services import ImportSourceError, catalog_import_html, catalog_scrape, html_records, scrape_run_create


class Command(BaseCommand):
    help = "Crawl AMO listing and detail pages politely, or parse saved pages with --from-html."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--category", default="", help="AMO category slug, e.g. privacy-security.")
        parser.add_argument("--query", default="", help="Search AMO for these words instead of a category.")
        parser.add_argument("--sort", default="users", choices=["users", "rating", "updated", "created", "recommended"])
        parser.add_argument("--pages", type=int, default=1, help="Listing pages to crawl (default 1).")
        parser.add_argument("--no-details", action="store_true", help="Do not fetch each add-on's detail page.")
        parser.add_argument("--from-html", metavar="FILE_OR_DIR", help="Parse saved pages; no network.")
        parser.add_argument("--dry-run", action="store_true", help="With --from-html: store nothing.")
        parser.add_argument("--json", action="store_true", help="With --dry-run: one JSON object per add-on.")

    def handle(self, *args, **options) -> None:
        if options["from_html"]:
            return self._from_html(Path(options["from_html"]), options["dry_run"], options["json"])
        if options["dry_run"] or options["json"]:
            raise CommandError("--dry-run and --json only apply to --from-html")
        if options["pages"] < 1:
            raise CommandError("--pages must be at least 1")
        params = {
            "category": options["category"],
            "query": options["query"],
            "sort": options["sort"],
            "pages": options["pages"],
            "details": not options["no_details"],
        }
        run = scrape_run_create(kind=ScrapeRun.Kind.SCRAPE, params=params)
        run_report(self, catalog_scrape(run_id=run.pk))

    def _from_html(self, path: Path, dry_run: bool, as_json: bool) -> None:
        if not dry_run:
            run = scrape_run_create(kind=ScrapeRun.Kind.HTML, params={"path": str(path)})
            return run_report(self, catalog_import_html(run_id=run.pk))
        try:
            records = html_records(path)
        except ImportSourceError as exc:
            raise CommandError(str(exc)) from exc
        for record in records:
            if as_json:
                self.stdout.write(json.dumps(record_json(record), ensure_ascii=False))
            else:
                self.stdout.write(f"{record.slug}\t{record.name}\t{record.average_daily_users or '-'} users")


def record_json(record) -> dict:
    return {
        "slug": record.slug,
        "name": record.name,
        "url": record.url,
        "icon_url": record.icon_url,
        "summary": record.summary,
        "users": record.average_daily_users,
        "rating": record.rating,
        "rating_count": record.rating_count,
        "categories": record.categories,
        "version": record.version,
        "promoted": record.promoted,
    }
