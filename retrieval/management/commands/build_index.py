import time

from django.core.management.base import BaseCommand

from retrieval.sync import index_rebuild, index_sync


class Command(BaseCommand):
    help = "Bring the search index in line with the catalogue (only changed add-ons are re-embedded)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Drop the index and embed everything again.")

    def handle(self, *args, rebuild: bool, **options) -> None:
        start = time.perf_counter()
        report = index_rebuild() if rebuild else index_sync()
        counts = ", ".join(f"{key} {value}" for key, value in report.as_dict().items())
        self.stdout.write(
            f"Index {'rebuilt' if rebuild else 'synced'} in {time.perf_counter() - start:.1f} s: {counts}"
        )
