from django.conf import settings
from django.core.management.base import BaseCommand

from training.models import ModelVersion
from training.selectors import metric_change, model_version_active, training_run_live


class Command(BaseCommand):
    help = "List model versions, which one serves the chat, and the training run in progress."

    def handle(self, *args, **options) -> None:
        active = model_version_active()
        serving = f"{active} ({active.adapter_path})" if active else "the base model"
        if settings.LLM_ADAPTER:
            serving = f"{settings.LLM_ADAPTER} (pinned by LLM_ADAPTER)"
        self.stdout.write(f"Serving: {serving}")
        live = training_run_live()
        if live is not None:
            self.stdout.write(f"Training: run #{live.pk} {live.status}, step {live.step}/{live.total_steps}")
        versions = ModelVersion.objects.select_related("training_run")
        if not versions:
            self.stdout.write("No model versions yet: `manage.py retrain` makes one.")
            return
        self.stdout.write(
            f"{'version':<8} {'status':<8} {'run':<5} {'val loss':<16} {'right add-on':<16} {'created':<17} adapter"
        )
        for version in versions:
            run = f"#{version.training_run_id}" if version.training_run_id else "-"
            loss, grounded = (
                metric_change(version.metrics, "validation_loss"),
                metric_change(version.metrics, "grounded"),
            )
            self.stdout.write(
                f"{str(version):<8} {version.status:<8} {run:<5} {loss:<16} {grounded:<16} "
                f"{version.created_at:%Y-%m-%d %H:%M} {version.adapter_path}"
            )
