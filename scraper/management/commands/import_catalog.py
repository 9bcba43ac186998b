from django.core.management.base import BaseCommand

from scraper.management.commands._report import run_report
from scraper.models import ScrapeRun
from scraper.services import catalog_import, scrape_run_create


class Command(BaseCommand):
    help = "Import AMO API v5 search-result JSON from files or URLs (following `next` links)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
        parser.add_argument(
            "--full",
            action="store_true",
            help="The sources list the whole catalogue: deactivate active add-ons they do not contain.",
        )

    def handle(self, *args, sources: list[str], full: bool, **options) -> None:
        run = scrape_run_create(kind=ScrapeRun.Kind.IMPORT, params={"sources": sources, "full": full})
        run_report(self, catalog_import(run_id=run.pk))
