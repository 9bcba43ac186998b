import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from training.config import PROFILE_CHOICES, SOURCES, ConfigError
from training.models import TrainingRun
from training.selectors import training_run_progress_text
from training.services import TrainingRunError, evaluation_summary, training_run_cancel, training_run_start

POLL_SECONDS = 2.0


class Command(BaseCommand):
    help = (
        "Fine-tune the language model (QLoRA) on the catalogue and liked conversations. The result is a "
        "new model version; `promote` makes the chat use it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--profile", choices=PROFILE_CHOICES, help="cpu or gpu (default: TRAINING_PROFILE).")
        parser.add_argument("--max-steps", type=int, help="Stop after N optimizer steps (default: the profile's).")
        parser.add_argument(
            "--train-minutes",
            type=float,
            help="Train only the steps that fit this many minutes at the pace of the first ones; 0: no budget "
            "(default: the profile's).",
        )
        parser.add_argument("--sources", help=f"What to learn from, comma-separated: {', '.join(SOURCES)}.")
        parser.add_argument("--wait", action="store_true", help="Follow the run until it ends.")

    def handle(
        self,
        *args,
        profile: str | None,
        max_steps: int | None,
        train_minutes: float | None,
        sources: str | None,
        wait: bool,
        **options,
    ):
        given = {"profile": profile, "max_steps": max_steps, "train_minutes": train_minutes, "sources": sources}
        try:
            run = training_run_start(
                trigger=TrainingRun.Trigger.CLI,
                overrides={key: value for key, value in given.items() if value is not None},
            )
        except (TrainingRunError, ConfigError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Training run #{run.pk} enqueued.")
        in_process = settings.CELERY_TASK_ALWAYS_EAGER
        if not (wait or in_process):
            self.stdout.write("A Celery worker runs it; follow it in admin, or start it with --wait.")
            return
        if in_process and not wait:
            self.stdout.write("No worker (REDIS_URL is unset): it runs in this process; waiting for it to end.")
        try:
            run = self._follow(run.pk)
        except KeyboardInterrupt:
            if not in_process:
                self.stdout.write(f"\nStopped following; run #{run.pk} goes on in the worker.")
                return
            self.stdout.write("\nCancelling (the run lives in this process)...")
            training_run_cancel(run_id=run.pk)
            run = self._follow(run.pk)
        self._report(run)

    def _follow(self, run_id: int) -> TrainingRun:
        shown = ""
        while True:
            run = TrainingRun.objects.get(pk=run_id)
            text = training_run_progress_text(run)
            if run.is_live and text != shown:
                shown = text
                self.stdout.write(f"  {text}")
            if not run.is_live:
                return run
            time.sleep(POLL_SECONDS)

    def _report(self, run: TrainingRun) -> None:
        self.stdout.write(f"Training run #{run.pk}: {run.status}.")
        for side in ("before", "after"):
            metrics = run.metrics.get(side)
            if metrics:
                self.stdout.write(f"  {side}: {evaluation_summary(metrics)}")
        if run.status == TrainingRun.Status.SUCCEEDED:
            self.stdout.write(
                f"Created model version {run.model_version}; `manage.py promote "
                f"{run.model_version}` makes the chat use it."
            )
        elif run.status == TrainingRun.Status.FAILED:
            raise CommandError(f"training run #{run.pk} failed: {run.error}")
