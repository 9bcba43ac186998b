"""How ingestion commands tell what a run did."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.jobs import jobs_wait
from scraper.models import ScrapeRun


def run_report(command: BaseCommand, run: ScrapeRun) -> None:
    """Print the counts and the first problems; a failed run exits non-zero.

    Without a broker the index sync the run started is a background job of this process: it finishes
    before the command exits.
    """
    jobs_wait()
    command.stdout.write(
        f"{run.get_kind_display()} #{run.pk}: {run.status}; pages {run.pages_fetched}; "
        f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
        f"skipped {run.skipped}, deactivated {run.deactivated}"
    )
    for error in run.errors[:20]:
        command.stderr.write(f"  skipped: {error}")
    if len(run.errors) > 20:
        command.stderr.write(f"  ... and {len(run.errors) - 20} more (see the run in admin)")
    if run.status == ScrapeRun.Status.FAILED:
        raise CommandError(f"run #{run.pk} failed: {run.failure}")
