from django.core.management.base import BaseCommand, CommandError

from training.models import ModelVersion
from training.selectors import model_version_active, model_version_find
from training.services import VersionError, model_version_promote


class Command(BaseCommand):
    help = "Make a model version write the chat's replies (running servers pick it up without a restart)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("version", help="The version's label (v3) or number (3); see `model_versions`.")
        parser.add_argument("--force", action="store_true", help="Promote it even if it scores worse than what serves.")
        parser.add_argument("--reason", default="", help="Why, when --force overrides worse scores (recorded).")

    def handle(self, *args, version: str, force: bool, reason: str, **options) -> None:
        try:
            target = model_version_find(reference=version)
        except ModelVersion.DoesNotExist as error:
            raise CommandError(f"no model version {version!r}; `manage.py model_versions` lists them") from error
        before = model_version_active()
        try:
            target = model_version_promote(version_id=target.pk, force=force, reason=reason)
        except VersionError as error:
            raise CommandError(f"{error}{'' if force else ' (--force --reason ...)'}") from error
        self.stdout.write(f"{target} now serves the chat (before: {before or 'the base model'}).")
