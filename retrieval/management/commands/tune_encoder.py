import time

from django.core.management.base import BaseCommand, CommandError

from retrieval.encoder_versions import EncoderVersionRefused, embedding_version_promote, embedding_version_start
from retrieval.models import EmbeddingVersion


class Command(BaseCommand):
    help = (
        "Fine-tune the search encoder on what visitors' needs found (and the catalogue's own text), judge it on "
        "held-out needs against the encoder serving, and with --promote make it serve if it is better."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--steps", type=int, help="Training steps (default: ENCODER_TUNING_STEPS).")
        parser.add_argument("--promote", action="store_true", help="Promote it when it beats the encoder serving.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds to wait for the jobs.")

    def handle(self, *args, steps: int | None, promote: bool, timeout: float, **options) -> None:
        try:
            version = embedding_version_start(steps=steps)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{version} is training from {version.base_model}")
        version = self.wait(version, EmbeddingVersion.Status.READY, EmbeddingVersion.Status.FAILED, timeout=timeout)
        if version.status != EmbeddingVersion.Status.READY:
            raise CommandError(f"{version} {version.get_status_display().lower()}: {version.error}")
        for label, judged in (("visitors'", version.metrics), ("listings'", version.metrics["catalogue"])):
            before, after = judged["serving"], judged["candidate"]
            if after:
                self.stdout.write(
                    f"{version} on {judged['needs']} held-out {label} needs: nDCG@5 {after['nDCG@5']:.3f} "
                    f"(serving {before['nDCG@5']:.3f}), Hit@5 {after['Hit@5']:.3f} (serving {before['Hit@5']:.3f})"
                )
        if promote:
            try:
                embedding_version_promote(version=version)
            except EncoderVersionRefused as refused:
                raise CommandError(str(refused)) from refused
            version = self.wait(
                version, EmbeddingVersion.Status.SERVING, EmbeddingVersion.Status.READY, timeout=timeout
            )
            self.stdout.write(f"{version} is {version.get_status_display().lower()}")

    @staticmethod
    def wait(version: EmbeddingVersion, *ends: str, timeout: float) -> EmbeddingVersion:
        """Until the job (here or on a Celery worker) brings the version to one of `ends`."""
        deadline = time.monotonic() + timeout
        while version.status not in ends:
            if time.monotonic() > deadline:
                raise CommandError(f"{version} is still {version.get_status_display().lower()} after {timeout:g} s")
            time.sleep(1)
            version.refresh_from_db()
        return version
