from django.core.management.base import BaseCommand

from marketplace.jobs import jobs_wait
from marketplace.selectors import catalog_is_empty
from marketplace.services import demo_catalog_load


class Command(BaseCommand):
    help = "Load the bundled demo catalogue of real extensions (descriptions in our own words)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the catalogue has add-ons.")

    def handle(self, *args, if_empty: bool, **options) -> None:
        if if_empty and not catalog_is_empty():
            self.stdout.write("Catalogue already has add-ons; demo catalogue not loaded.")
            return
        report = demo_catalog_load()
        jobs_wait()  # without a broker the index sync runs in this process's background: let it finish
        counts = ", ".join(f"{key} {value}" for key, value in report.as_dict().items())
        self.stdout.write(f"Demo catalogue: {counts}")
        for error in report.errors:
            self.stderr.write(f"  skipped: {error}")
