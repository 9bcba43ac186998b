import time

from django.core.management.base import BaseCommand, CommandError

from retrieval.store import vector_store
from retrieval.sync import index_rebuild, index_sync


class Command(BaseCommand):
    help = "Bring the search index in line with the catalogue (only changed add-ons are re-embedded)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Drop the index and embed everything again.")
        parser.add_argument(
            "--wait", type=float, default=0, help="Seconds to wait for a Chroma server that is starting (CHROMA_URL)."
        )

    def handle(self, *args, rebuild: bool, wait: float, **options) -> None:
        if wait:
            self.wait_for_index(wait)
        start = time.perf_counter()
        report = index_rebuild() if rebuild else index_sync()
        counts = ", ".join(f"{key} {value}" for key, value in report.as_dict().items())
        self.stdout.write(
            f"Index {'rebuilt' if rebuild else 'synced'} in {time.perf_counter() - start:.1f} s: {counts}"
        )

    def wait_for_index(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                vector_store()
                return
            except Exception as error:  # noqa: BLE001 - any failure to open is retried until the deadline
                if time.monotonic() >= deadline:
                    raise CommandError(f"cannot open the search index: {error}") from error
                time.sleep(1)
